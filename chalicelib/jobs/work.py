"""What each kind of job does: one part's work over a range of the letter's shards, and
how the parts' results make the job's.

A kind that splits (`splits`) runs as several parts when the letter is large, each part a
shard range on its own worker; the others run whole on one worker. Each part's `run`
returns a small JSON-able result, kept on its item; `combine` makes the job's result from
them once every part is complete.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..clock import parse_iso
from ..progress import Progress


@dataclass
class Context:
    """One part's (or a whole job's) inputs."""

    services: Any      # wiring.Services
    s3: Any
    slug: str
    job: dict          # the job's item: kind, params, created_at, ...
    progress: Progress

    @property
    def params(self) -> dict:
        return self.job.get("params") or {}

    @property
    def submitted(self) -> dt.datetime:
        return parse_iso(self.job["created_at"])


def _export_options(ctx: Context) -> dict:
    p = ctx.params
    return {"include_email": bool(p.get("include_email")),
            "states": p.get("states") or ["listed"]}


def _opener(ctx: Context) -> dict:
    """An export with emails opens them here, in the job worker (kms:Decrypt): never in the
    API, which only queued the job."""
    return {"unsealer": ctx.services.unsealer} if ctx.params.get("include_email") else {}


def _export(ctx: Context, shards: range) -> dict:
    """The whole export on one worker, or (a split job) one part's sorted run."""
    from ..exports import fanout
    from ..exports.on_demand import export_to_s3
    svc, p = ctx.services, ctx.params
    if ctx.job.get("parts", 1) > 1:
        letter = svc.letters.letter_item(ctx.slug)
        return fanout.write_run(svc.store, ctx.s3, svc.settings.exports_bucket, letter, shards,
                                fanout.run_key(ctx.slug, ctx.job["job_id"], shards.start),
                                progress=ctx.progress, **_export_options(ctx), **_opener(ctx))
    out = export_to_s3(svc.settings, svc.store, svc.letters, ctx.s3, ctx.slug, p["format"],
                       now=ctx.submitted, date=p.get("date"), language=p.get("language"),
                       progress=ctx.progress,
                       **_export_options(ctx), **_opener(ctx))
    return {k: out[k] for k in ("key", "size", "sha256")}


def _export_combine(ctx: Context, parts: list[dict]) -> dict:
    """The parts' runs merged into the one file (a split job), or the whole export's result."""
    from ..exports import fanout
    from ..exports.on_demand import FORMATS, export_key
    if not any("run" in p for p in parts):
        return parts[0]
    svc, p, opts = ctx.services, ctx.params, _export_options(ctx)
    key = export_key(ctx.slug, p["format"], opts["include_email"], opts["states"], ctx.submitted)
    return fanout.merge_runs(ctx.s3, svc.settings.exports_bucket, [r["run"] for r in parts],
                             svc.letters.letter_item(ctx.slug), key, p["format"],
                             progress=ctx.progress, content_type=FORMATS[p["format"]][1], **opts)


def _partner_export(ctx: Context, shards: range) -> dict:
    """One partner's referrals (exports/partner.py), with emails opened here if asked."""
    from ..exports import partner
    return partner.write_part(ctx.services, ctx.s3, ctx.slug, ctx.job, shards, ctx.progress,
                              **_opener(ctx))


def _partner_combine(ctx: Context, parts: list[dict]) -> dict:
    from ..exports import partner
    return partner.combine(ctx.services, ctx.s3, ctx.slug, ctx.job, parts, ctx.progress)


def _snapshot(ctx: Context, shards: range) -> dict:
    """The whole cut on one worker, or (a split job) one part's sorted runs."""
    import tempfile
    from pathlib import Path
    from ..clock import iso
    from ..snapshots import runs
    svc = ctx.services
    if ctx.job.get("parts", 1) > 1:
        letter = svc.store.get_letter(ctx.slug, consistent=True)
        with tempfile.TemporaryDirectory(prefix="snapshot-part-") as tmp:
            return runs.write_part(svc.store, ctx.s3, svc.settings.exports_bucket, letter,
                                   iso(ctx.submitted), shards,
                                   runs.run_prefix(ctx.slug, ctx.job["job_id"], shards.start),
                                   Path(tmp), ctx.progress)
    return _snapshot_cut(ctx, None)


def _snapshot_cut(ctx: Context, source: Any) -> dict:
    from ..organiser_models import SnapshotReport
    from ..snapshots import job
    svc = ctx.services
    # Cut at the job's time (every part reads as of it); the worker lives up to 15 minutes:
    # the nightly lease, not the API's short one.
    report = job.snapshot_letter(svc, ctx.s3, ctx.slug, ctx.submitted,
                                 force=bool(ctx.params.get("force")), progress=ctx.progress,
                                 source=source)
    return SnapshotReport(**report).model_dump()


def _snapshot_combine(ctx: Context, parts: list[dict]) -> dict:
    """A split cut: the parts' runs merged into the day's files (snapshots/runs.py)."""
    from ..snapshots import runs
    if not any("ids" in p for p in parts):
        return parts[0]
    bucket = ctx.services.settings.exports_bucket
    report = _snapshot_cut(ctx, runs.merged(ctx.s3, bucket, parts))
    runs.delete_runs(ctx.s3, bucket, parts)
    return report


def _recount_part(ctx: Context, shards: range) -> dict:
    return ctx.services.recount.recount_shards(ctx.slug, shards,
                                               fix=bool(ctx.params.get("fix")),
                                               progress=ctx.progress)


def _recount_combine(ctx: Context, parts: list[dict]) -> dict:
    from ..moderation.recount import drift_of
    return drift_of(parts, bool(ctx.params.get("fix"))).model_dump()


def _anonymise_part(ctx: Context, shards: range) -> dict:
    svc = ctx.services
    letter = svc.store.get_letter(ctx.slug, consistent=True)
    at = parse_iso(ctx.params.get("at") or ctx.job["created_at"])
    # The job's id in every request token: a retry of this job cannot apply twice.
    return svc.retention.anonymise_shards(letter, shards, at, ctx.job["job_id"], ctx.progress)


def _anonymise_combine(ctx: Context, parts: list[dict]) -> dict:
    total = {"anonymised": sum(p.get("anonymised", 0) for p in parts),
             "pending_deleted": sum(p.get("pending_deleted", 0) for p in parts)}
    at = parse_iso(ctx.params.get("at") or ctx.job["created_at"])
    return ctx.services.retention.letter_anonymised(ctx.slug, at, total)


def _update(name: str) -> Callable:
    """An update's reach count or fan-out (updates/fanout.py), imported when it runs."""
    def run(ctx: Context, arg: Any) -> dict:
        from ..updates import fanout
        return getattr(fanout, name)(ctx, arg)
    return run


def _only(ctx: Context, parts: list[dict]) -> dict:
    return parts[0]


def _always(params: dict) -> bool:
    return True


def _never(params: dict) -> bool:
    return False


def _list_export(params: dict) -> bool:
    return params.get("format") in ("csv", "json")  # exports.fanout.SPLIT_FORMATS


@dataclass(frozen=True)
class Kind:
    run: Callable[[Context, range], dict]
    combine: Callable[[Context, list[dict]], dict] = _only
    splits: Callable[[dict], bool] = _never  # whether a large letter's job is split
    link: bool = False  # its result is a file in the exports bucket: presigned on each read


KINDS: dict[str, Kind] = {
    "export": Kind(_export, _export_combine, splits=_list_export, link=True),
    "partner_export": Kind(_partner_export, _partner_combine, splits=_always, link=True),
    "snapshot": Kind(_snapshot, _snapshot_combine, splits=_always),
    "recount": Kind(_recount_part, _recount_combine, splits=_always),
    "anonymise": Kind(_anonymise_part, _anonymise_combine, splits=_always),
    "update_reach": Kind(_update("reach_part"), _update("reach_combine"), splits=_always),
    "update_send": Kind(_update("send_part"), _update("send_combine"), splits=_always),
}


def rows_total(kind: str, params: dict, counters: dict) -> Optional[int]:
    """How many rows the job will write (a recount: read), when the counters tell (the
    listed signatures)."""
    listed = sum(v for k, v in counters.items() if k.startswith("n_"))
    if kind == "export" and params.get("format") in ("csv", "json", "xlsx"):
        return listed if list(params.get("states") or ["listed"]) == ["listed"] else None
    if kind in ("snapshot", "recount"):
        return listed  # a snapshot's lists hold the listed signatures; a recount reads them
    return None


def shard_ranges(shards: int, rows: int, part_rows: int, max_parts: int) -> list[range]:
    """The letter's shards split into contiguous ranges, one per part: as many parts as
    `rows` needs at `part_rows` each, at most `max_parts` and the number of shards."""
    n = max(1, min(max_parts, shards, -(-rows // part_rows)))
    bounds = [round(i * shards / n) for i in range(n + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(n)]
