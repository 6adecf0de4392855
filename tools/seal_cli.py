"""`seal-migrate`: seal the addresses stored in clear before sealing existed (one-off).

    seal-migrate            a dry run: how many addresses each letter has in clear
    seal-migrate --apply    seal them (resumable: run it again after an interruption)

It reaches the table directly with AWS credentials (or this clone's `make run`), as the
snapshot commands do; it needs the power to seal only (kms:Encrypt, ssm:PutParameter for a
letter without a key yet), never to open.
"""
from __future__ import annotations

from typing import Optional

import click

from tools.snapshot_cli import direct_service


@click.command("seal-migrate")
@click.option("--apply", "apply_", is_flag=True,
              help="Seal them (without it: a dry run that changes nothing).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Stop after sealing this many (the next run resumes).")
def seal_migrate(apply_: bool, limit: Optional[int]) -> None:
    """Seal the addresses still stored in clear (a dry run unless --apply)."""
    services = direct_service()
    report = services.seal_migration.run(dry_run=not apply_, limit=limit)
    if report.resumed_from:
        click.echo(f"resumed at {report.resumed_from['slug']} shard "
                   f"{report.resumed_from['shard']}", err=True)
    for slug, n in sorted(report.per_letter.items()):
        click.echo(f"{slug}: {n} address(es) in clear{'' if apply_ else ' (dry run)'}")
    if apply_:
        click.echo(f"sealed {report.sealed}; changed meanwhile (left as they are now) "
                   f"{report.changed_meanwhile}")
    else:
        click.echo(f"{report.to_seal} address(es) to seal in {report.letters} letter(s); "
                   "nothing written. Run with --apply to seal them.")
