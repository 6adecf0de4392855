"""Follow a job through the API until it ends, with click's progress bar on stderr; then
download an export's file and check its sha256.

The bar counts the rows the job will write (when the counters tell; else it shows the count
alone), half for reading them and half for writing; for a job that only reads (a recount,
an update's reach), the signatures read. A failed job is a ClickException naming why.
"""
from __future__ import annotations

import hashlib
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Optional

import click

POLL_SECONDS = 1.0
READS_ONLY = ("recount", "update_reach")  # their progress is what they have read


def done_rows(job: dict) -> int:
    """How far the job is, in the rows its bar counts (the organiser page's jobs.js likewise):
    what it has read, for a job that only reads; else half for reading its rows and half for
    writing them (a large letter's parts read for minutes before the first row is written)."""
    read, written, total = (job.get(k) or 0 for k in ("rows_read", "rows_written", "rows_total"))
    if job.get("kind") in READS_ONLY:
        return read
    return round((min(read, total) + written) / 2) if total else written


def wait(api: Any, slug: str, job: dict, *, label: str, poll: float = POLL_SECONDS,
         path: str = "jobs") -> dict:
    """The job once complete (its JSON), polling GET …/{path}/{id}."""
    url = f"/admin/letters/{slug}/{path}/{job['id']}"
    total = job.get("rows_total")
    shown = 0
    with click.progressbar(length=total or 0, label=label, file=sys.stderr,
                           show_pos=True, show_percent=bool(total)) as bar:
        while job["state"] not in ("complete", "failed"):
            time.sleep(poll)
            job = api.call("GET", url)
            rows = done_rows(job)
            if job.get("rows_total") and not total:
                total = bar.length = job["rows_total"]
            if rows > shown:
                bar.update(rows - shown)
                shown = rows
        if job["state"] == "complete" and total and shown < total:
            bar.update(total - shown)
    if job["state"] == "failed":
        raise click.ClickException(f"{job['kind']} job {job['id']} failed: "
                                   f"{job.get('error') or 'unknown'}")
    return job


def download(made: dict, output: Optional[Path] = None) -> Path:
    """An export job's file (its `result`) from its presigned link to `output` (default: its
    own name), with a progress bar; a sha256 other than the job's is a ClickException."""
    target = output or Path(made["key"].rsplit("/", 1)[1])
    digest = hashlib.sha256()
    with urllib.request.urlopen(made["url"], timeout=60) as resp, target.open("wb") as out, \
            click.progressbar(length=made["size"], label=f"downloading {target.name}",
                              file=sys.stderr) as bar:
        for chunk in iter(lambda: resp.read(1 << 16), b""):
            out.write(chunk)
            digest.update(chunk)
            bar.update(len(chunk))
    if digest.hexdigest() != made["sha256"]:
        raise click.ClickException(f"{target}: sha256 does not match the export's")
    click.echo(f"{target} ({made['size']} bytes, sha256 verified)")
    return target
