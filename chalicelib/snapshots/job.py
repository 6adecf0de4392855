"""The snapshot of a letter's signatures into the exports bucket: one letter on demand,
or the nightly run over every open and recently closed letter.

No emails: the nightly files never hold an email address (nor hash, token or IP). They
are kept for a long time and read by many; organisers get emails only from an on-demand
organiser export. Memory stays flat as a letter grows: signatures stream from DynamoDB
into temporary files, uploaded by multipart upload in 8 MiB parts; the diff is a merge of
two sorted id streams. Time is injected: `now` cuts the snapshot (signatures created
after it are left out) and names its date; lease times come from the clock.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Protocol

from ..clock import Clock, iso, parse_iso
from ..errors import LetterNotFoundError
from ..letter_service import LetterService
from ..progress import NO_PROGRESS, Progress
from ..settings import Settings
from ..storage import Table, Update, absent, keys, lt
from ..storage.s3_objects import PART_SIZE, presign, upload
from ..exports.external_sort import ExternalSort
from . import published
from .claim import COMPLETE, NIGHTLY_WAIT_SECONDS, Claim, lease_left
from .contents import Source, read_range, rendered, write_files
from .diff import write_diff, write_manifest

if TYPE_CHECKING:
    from ..organiser_models import SnapshotList


class Deps(Protocol):
    """What a snapshot needs of the application (wiring.Services has it)."""

    settings: Settings
    store: Table
    letters: LetterService
    clock: Clock


def snapshot_letter(service: Deps, s3_client: Any, slug: str, now: dt.datetime,
                    force: bool = False, *, bucket: Optional[str] = None,
                    part_size: int = PART_SIZE, lease_seconds: Optional[int] = None,
                    progress: Progress = NO_PROGRESS, source: Optional[Source] = None) -> dict:
    """Snapshot one letter for the date of `now` (UTC); returns a report.

    status: "complete" (written now), "exists" (already complete: a no-op), "busy" (another
    run holds the day's lease). `time_cut` is when the day's files were cut: now, or (exists)
    the earlier run's time. A day has one file set: with `force`, a complete day is written
    again, its files replaced by the list as at `now` (`replaced` and `replaced_cut` say so;
    the bucket keeps the overwritten versions for SnapshotNoncurrentDays).
    Raises on failure, after aborting uploads; the previous latest.json stays in place.
    `source`: the signatures as a split job's parts read them (snapshots/runs.py, cut at
    `now`); without it, this worker reads the whole letter.
    """
    bucket = bucket or service.settings.exports_bucket
    letter = service.store.get(keys.letter_key(slug))
    if letter is None:
        raise LetterNotFoundError()
    date = now.astimezone(dt.timezone.utc).date().isoformat()
    report = {"slug": slug, "date": date}
    owner = uuid.uuid4().hex
    lease_seconds = lease_seconds or service.settings.snapshot_lease_seconds
    claim = Claim(service.store, service.clock, slug, date, owner)
    before = claim.current()
    claimed = claim.take(force, lease_seconds)
    if claimed != "claimed":
        if claimed != COMPLETE:
            return {**report, "status": "busy"}
        done = claim.current()
        return {**report, "status": "exists",
                "time_cut": done.get("time_cut") or done.get("completed_at")}
    if before.get("state") == COMPLETE:
        report.update(replaced=True,
                      replaced_cut=before.get("time_cut") or before.get("completed_at"))
    try:
        published.retract(s3_client, bucket, slug, date, iso(service.clock()))
        written = _build(service, s3_client, bucket, letter, now, date, claim, part_size,
                         lease_seconds, progress, source)
    except BaseException:
        claim.release()
        raise
    return {**report, "status": "complete", "time_cut": iso(now), **written}


def _build(service: Deps, s3: Any, bucket: str, letter: dict, now: dt.datetime, date: str,
           claim: Claim, part_size: int, lease_seconds: int, progress: Progress,
           source: Optional[Source]) -> dict:
    slug, cut = letter["slug"], iso(now)
    prefix = published.snapshot_prefix(slug, date)
    with tempfile.TemporaryDirectory(prefix=f"snapshot-{slug}-") as d:
        tmp = Path(d)
        if source is None:
            source = _read_whole(service.store, letter, cut, tmp, progress)
        stats = source.stats
        files, refused = write_files(s3, bucket, prefix, letter, cut, source,
                                     part_size=part_size, progress=progress,
                                     renew=lambda: claim.renew(lease_seconds))
        progress.phase("uploading")
        prev = published.previous_date(s3, bucket, slug, date)
        new_ids = s3.get_object(Bucket=bucket, Key=prefix + "ids.csv.gz")["Body"] if prev else None
        diff = write_diff(s3, bucket, slug, prev, new_ids, tmp)
        changes = {c: sum(1 for _ in p.open()) for c, p in diff.items()}
        head = {"format": "undersigned.snapshot/1", "slug": slug, "date": date,
                "title": letter["title"], "text_sha256": letter["text_sha256"],
                "time_cut": cut, "written_at": iso(service.clock()),
                "emails": False, "counts": stats.as_dict(), "files": files,
                "previous": {"date": prev} if prev else None}
        if refused:
            head["refused"] = refused
        manifest_path = tmp / published.MANIFEST
        write_manifest(manifest_path, head, prev, diff)
        meta = upload(s3, bucket, prefix + published.MANIFEST, manifest_path, "application/json",
                      part_size=part_size)
    published.check_uploaded(s3, bucket, meta["key"], meta["sha256"])
    moved = published.move_latest(s3, bucket, slug, date, meta, iso(service.clock()))
    claim.complete(meta["sha256"], cut)
    if moved:  # a withdrawal records the snapshot it came after ("withdrawn on D, after S")
        service.store.update(keys.letter_key(slug), Update(set={"last_snapshot": date}),
                             condition=absent("last_snapshot") | lt("last_snapshot", date))
        service.letters.forget_letter(slug)
    return {"counts": stats.as_dict(), "manifest": meta["key"], "latest_moved": moved,
            "previous": prev, "changes": changes, **({"refused": refused} if refused else {})}


def _read_whole(store: Table, letter: dict, cut: str, tmp: Path, progress: Progress) -> Source:
    """The whole letter read by this worker: its sorted streams from /tmp."""
    listed, ids_path = ExternalSort(tmp), tmp / "ids.txt"
    with ids_path.open("w", encoding="utf-8", newline="\n") as f:
        stats = read_range(store, letter, cut, None, listed, f.write, progress, render=False)

    def ids() -> Iterator[str]:
        with ids_path.open(encoding="utf-8", newline="\n") as f:
            yield from f
    return Source(stats, lambda: map(rendered, listed), ids)


# ---- the nightly run ---------------------------------------------------------

def due(item: dict, now: dt.datetime, closed_days: int) -> tuple[bool, str]:
    """Whether the nightly run snapshots this letter: open, or closed within `closed_days`."""
    closes = parse_iso(item["closes_at"]) if item.get("closes_at") else None
    if item.get("status") == "open" and (closes is None or now < closes):
        return True, "open"
    closed = parse_iso(item["closed_at"]) if item.get("closed_at") else closes
    if closed is None:
        return False, "closed, closing time unknown"
    if now - closed <= dt.timedelta(days=closed_days):
        return True, "recently closed"
    return False, f"closed more than {closed_days} days ago"


def run_nightly(service: Deps, s3_client: Any, now: dt.datetime, *,
                sleep: Any = time.sleep,
                submit: Optional[Callable[[str], str]] = None) -> list[dict]:
    """The scheduled event: snapshot every open and recently closed letter; a report per letter.

    A letter with more listed signatures than a job part holds (JOB_PART_ROWS) is not cut
    here: `submit(slug)` queues its snapshot job (the job id), which the job worker splits
    over shard ranges (snapshots/runs.py), and it is reported "queued".
    One letter's failure does not stop the others; it is reported as "failed". A day held by
    a short lease (a run cut from the API, which may have died with its function) is waited
    out and taken over, so that day is not lost; a long one (another nightly run) is "busy".
    """
    days = service.settings.snapshot_closed_days
    reports = []
    for item in service.store.list_letters():
        slug = item["slug"]
        wanted, why = due(item, now, days)
        if not wanted:
            reports.append({"slug": slug, "status": "skipped", "reason": why})
            continue
        try:
            if submit is not None and _listed(service, item) > service.settings.job_part_rows:
                reports.append({"slug": slug, "status": "queued", "job": submit(slug)})
                continue
            report = snapshot_letter(service, s3_client, slug, now)
            wait = lease_left(service.store, service.clock, slug, report["date"]) \
                if report["status"] == "busy" else None
            if wait is not None and wait <= NIGHTLY_WAIT_SECONDS:
                sleep(wait + 1)
                report = snapshot_letter(service, s3_client, slug, now)
            reports.append(report)
        except Exception as exc:  # reported; the next run completes the day
            reports.append({"slug": slug, "status": "failed",
                            "error": f"{type(exc).__name__}: {exc}"[:500]})
    return reports


def _listed(service: Deps, item: dict) -> int:
    counters = service.store.counter_totals(item["slug"], item["shards"])
    return sum(v for k, v in counters.items() if k.startswith("n_"))


def snapshot_list(service: Deps, s3: Any, slug: str) -> "SnapshotList":
    """The letter's snapshots, newest first, with short-lived links to complete ones' files."""
    from ..organiser_models import SnapshotFile, SnapshotInfo, SnapshotList
    service.letters.letter_item(slug)
    bucket, expires = service.settings.exports_bucket, service.settings.export_url_seconds
    out = []
    for snap in reversed(published.list_snapshots(s3, bucket, slug)):
        files = [SnapshotFile(name=name, size=size,
                              url=presign(s3, bucket, published.snapshot_prefix(slug, snap["date"]) + name,
                                          expires) if snap["complete"] else None)
                 for name, size in sorted(snap["files"].items())]
        out.append(SnapshotInfo(date=snap["date"], complete=snap["complete"], files=files))
    return SnapshotList(snapshots=out)
