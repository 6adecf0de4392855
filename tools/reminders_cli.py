"""The CLI's `reminders run [--now TIME]` (the hourly run by hand: the table directly, as
`retention`) and `reminders count SLUG` (the letter's count, through the API)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

import click

from tools.api_client import Api


@click.group(name="reminders")
def reminders() -> None:
    """Reminders to signers who have not confirmed (REMINDER_AFTER_HOURS, REMINDERS_MAX)."""


@reminders.command("run")
@click.pass_context
@click.option("--now", help="Run as if at this time (ISO 8601, e.g. 2026-03-02T13:00:00Z): "
                            "queues what is due by then. Default: now.")
def reminders_run(ctx: click.Context, now: Optional[str]) -> None:
    """Run the hourly reminders once (what `make run` and the `reminders` function do every
    hour). It uses the table directly, with AWS credentials or `make run`'s stack."""
    from chalicelib.clock import parse_iso
    from tools.snapshot_cli import _service
    service = _service(ctx)
    try:
        at = parse_iso(now) if now else None
    except ValueError:
        raise click.BadParameter("an ISO 8601 time, e.g. 2026-03-02T13:00:00Z",
                                 param_hint="--now") from None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    click.echo(json.dumps(service.reminders.run(at)))


@reminders.command("count")
@click.argument("slug")
@click.pass_obj
def reminders_count(api: Api, slug: str) -> None:
    """How many reminders the letter's signers were sent (queued by the hourly runs)."""
    out = api.call("GET", f"/admin/letters/{slug}")
    click.echo(f"{slug}: {out.get('reminders_sent', 0)} reminders sent")
