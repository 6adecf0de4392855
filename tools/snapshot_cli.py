"""`snapshots` commands for the organiser CLI: run, list, verify (and `snapshot-cut`, which
goes through the API with the organiser's token, as the page's button does).

    snapshots run [--slug SLUG] [--force]     the nightly run now (or one letter); --force
                                              cuts a complete day again (replaces its files)
    snapshots list SLUG                       the letter's snapshot dates
    snapshots verify SLUG DATE                download a snapshot, check every file vs its manifest
    retention migrate                         once, after the upgrade to TTL retention: due
                                              dates of closed letters, `ttl` of old pending ones

The service comes from `ctx.obj["service"]` when the parent CLI sets one, else from
`direct_service()`: the AWS settings in the environment, or this clone's running
`make run` (found through .local/run.json); S3 from wiring.boto_client("s3").
"""
from __future__ import annotations

import json
import os

import click

from tools import stackfile


def direct_service():
    """The service for commands that reach the table and bucket themselves, not the API."""
    from chalicelib import wiring
    from chalicelib.settings import SettingsError
    if "TABLE_NAME" not in os.environ:
        record = stackfile.running()
        if record is None:
            raise click.ClickException(
                "this command reads the table and bucket directly, not through --api: start "
                "`make run` here (found through .local/run.json), or set the deployment's AWS "
                "settings (TABLE_NAME, EXPORTS_BUCKET, ...; docs/DEPLOY.md)")
        stackfile.configure_env(record)
    try:
        return wiring.get()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _service(ctx: click.Context):
    obj = ctx.find_object(dict) or {}
    if obj.get("service") is not None:
        return obj["service"]
    return direct_service()


def _s3(ctx: click.Context):
    obj = ctx.find_object(dict) or {}
    if obj.get("s3") is not None:
        return obj["s3"]
    from chalicelib.wiring import boto_client
    return boto_client("s3")


def describe(report: dict, again: str) -> str:
    """What a snapshot run did, in a line; `again` is the command that cuts the day again."""
    head = f"{report.get('slug')} {report.get('date', '')}".rstrip() + ": "
    status, cut = report.get("status"), report.get("time_cut")
    if status == "complete" and report.get("replaced"):
        return (head + f"today's snapshot was cut again at {cut}: its files now hold the list "
                f"as it was then, replacing the cut of {report.get('replaced_cut')}.")
    if status == "complete":
        return head + f"snapshot written (the list as at {cut})."
    if status == "exists":
        return (head + f"today's snapshot exists (cut at {cut}); nothing was written. To "
                f"replace today's files with the list as it is now: {again}")
    if status == "busy":
        return head + "another run is writing this snapshot; try again in a minute."
    return head + f"{status} {report.get('reason') or report.get('error') or ''}".rstrip()


@click.command("snapshot-cut")
@click.argument("slug")
@click.option("--replace", is_flag=True,
              help="If today's snapshot exists, cut it again: today's files are replaced by the "
                   "list as it is now (a day has one set of files).")
@click.pass_obj
def snapshot_cut(api, slug: str, replace: bool) -> None:
    """Cut today's snapshot now, through the API (e.g. before a delivery)."""
    from tools import job_wait
    job = api.call("POST", f"/admin/letters/{slug}/snapshots", {"force": replace})
    report = job_wait.wait(api, slug, job, label="snapshot")["result"]
    click.echo(describe(report, f"snapshot-cut {slug} --replace"))
    if report.get("status") not in ("complete", "exists"):
        raise click.exceptions.Exit(1)


@click.group(name="snapshots")
def snapshots() -> None:
    """Nightly snapshots of letters' signatures in the exports bucket."""


@snapshots.command("run")
@click.option("--slug", default=None, help="Only this letter (default: every due letter).")
@click.option("--force", is_flag=True,
              help="If today's snapshot exists, cut it again: today's files are replaced by "
                   "the list as it is now (one set of files a day).")
@click.pass_context
def run(ctx: click.Context, slug: str | None, force: bool) -> None:
    """Take today's snapshot now (the scheduled event does the same)."""
    from chalicelib.snapshots import job
    service, s3 = _service(ctx), _s3(ctx)
    now = service.clock()
    reports = ([job.snapshot_letter(service, s3, slug, now, force=force)] if slug
               else job.run_nightly(service, s3, now))
    click.echo(json.dumps(reports, indent=1))
    for r in reports:
        click.echo(describe(r, f"snapshots run --slug {r.get('slug')} --force"), err=True)
    if any(r.get("status") == "failed" for r in reports):
        ctx.exit(1)


@snapshots.command("list")
@click.argument("slug")
@click.pass_context
def list_(ctx: click.Context, slug: str) -> None:
    """The letter's snapshots, oldest first (incomplete ones marked)."""
    from chalicelib.snapshots import published
    service = _service(ctx)
    for s in published.list_snapshots(_s3(ctx), service.settings.exports_bucket, slug):
        size = sum(s["files"].values())
        click.echo(f"{s['date']}  {'complete  ' if s['complete'] else 'INCOMPLETE'}  "
                   f"{len(s['files'])} files  {size:,} bytes")


@snapshots.command("verify")
@click.argument("slug")
@click.argument("date")
@click.pass_context
def verify(ctx: click.Context, slug: str, date: str) -> None:
    """Download one snapshot and check every file's size and sha256 against its manifest."""
    from chalicelib.snapshots import published
    service = _service(ctx)
    problems = published.verify_snapshot(_s3(ctx), service.settings.exports_bucket, slug, date)
    for p in problems:
        click.echo(f"PROBLEM {p}", err=True)
    if problems:
        ctx.exit(1)
    click.echo(f"{slug} {date}: every file matches its manifest")


if __name__ == "__main__":
    snapshots()


@click.group(name="retention")
def retention() -> None:
    """Retention: what is kept and for how long (docs/PRIVACY.md)."""


@retention.command("migrate")
@click.pass_context
def retention_migrate(ctx: click.Context) -> None:
    """Once, after upgrading to TTL-based retention: give each closed letter its due date
    and each pending signature stored before its `ttl` (reads every letter once)."""
    service = _service(ctx)
    click.echo(json.dumps(service.retention.migrate(service.clock())))
