"""One partner's referrals as CSV: the job kind `partner_export` (partners.EXPORT_KIND), run by the job worker as a
list export is (exports/fanout.py): each part reads a range of the letter's shards (the
partner's rows only, filtered in DynamoDB), writes them sorted as one run, and the
combining step merges the runs into one multipart upload. Memory stays flat however many
referrals a partner has; the job splits as the letter's size asks (it reads every shard).

What the file holds is decided when the job is started (`Partners.export` sets its params):
- `partner`: the code; the listed signatures that came by its link (`via`);
- `consenting_only` (a partner's own token, always): only those who ticked that partner's
  own consent, recorded with its text's hash, version and time;
- `include_email`: their addresses, opened here in the job worker by the `unsealer`
  jobs/work.py hands in (an export writer given none refuses to write emails);
- `by_partner`: started by the partner's own token, so the lead organiser's switch
  ("may download") is checked again when the job runs.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ..clock import parse_iso
from ..progress import Progress
from ..storage import Cond, eq, exists
from . import fanout
from .on_demand import FORMATS
from .rows import LISTED_ONLY


def referrals(params: dict) -> Cond:
    """Which signatures of the letter the export holds (besides being listed)."""
    only = eq("via", params["partner"])
    if params.get("consenting_only"):
        only = only & eq("partner_consent", True) & exists("partner_consent_sha256")
    return only


def file_key(slug: str, params: dict, now: dt.datetime) -> str:
    """exports/{slug}/{time}-{random}-partner-{code}[-consenting][-with-emails]-signatories.csv"""
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    suffix = ("-consenting" if params.get("consenting_only") else "") + \
        ("-with-emails" if params.get("include_email") else "")
    return f"exports/{slug}/{stamp}-{uuid.uuid4().hex[:8]}-partner-{params['partner']}" \
           f"{suffix}-signatories.csv"


def write_part(svc: Any, s3: Any, slug: str, job: dict, shards: range, progress: Progress, *,
               unsealer: Any = None) -> dict:
    """One part (or the whole job): its shards' referrals, sorted, as one run in the bucket."""
    params = job["params"]
    if params.get("by_partner"):  # the switch may have gone off since: 403, the job fails
        svc.partners.access(slug, params["partner"], f"{slug}/{params['partner']}")
    letter = svc.letters.letter_item(slug)
    return fanout.write_run(svc.store, s3, svc.settings.exports_bucket, letter, shards,
                            fanout.run_key(slug, job["job_id"], shards.start),
                            include_email=bool(params.get("include_email")),
                            states=LISTED_ONLY, progress=progress, unsealer=unsealer,
                            only=referrals(params))


def combine(svc: Any, s3: Any, slug: str, job: dict, parts: list[dict],
            progress: Progress) -> dict:
    """The parts' runs merged into the one CSV (streamed; the runs deleted): key, size, sha256."""
    params = job["params"]
    key = file_key(slug, params, parse_iso(job["created_at"]))
    return fanout.merge_runs(s3, svc.settings.exports_bucket, [p["run"] for p in parts],
                             svc.letters.letter_item(slug), key, "csv",
                             include_email=bool(params.get("include_email")),
                             progress=progress, content_type=FORMATS["csv"][1])
