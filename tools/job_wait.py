"""Follow a job through the API until it ends, with click's progress bar on stderr.

The bar counts rows written of the rows the job will write (when the counters tell; else
it shows the count alone). A failed job is a ClickException naming why.
"""
from __future__ import annotations

import sys
import time
from typing import Any

import click

POLL_SECONDS = 1.0


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
            rows = job.get("rows_written") or 0
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
