"""The organiser CLI: talks to the same API as the organiser page.

    python -m tools.cli --help

The API defaults to this clone's running `make run` (its port is read from
.local/run.json; with none running, http://127.0.0.1:$PORT/api) and the token to
.local/organiser-token; set UNDERSIGNED_API and UNDERSIGNED_TOKEN (or pass --api,
--token-file) for a deployed site.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click

from chalicelib.states import ALL_STATES
from tools import job_wait, localstack
from tools.api_client import Api, local_api

DEFAULT_TOKEN_FILE = localstack.LOCAL / "organiser-token"


@click.group()
@click.option("--api", envvar="UNDERSIGNED_API", default=None,
              help="Base URL of the API.  [default: the running `make run`, from .local/run.json]")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_TOKEN_FILE, show_default=True,
              help="File holding an organiser token (UNDERSIGNED_TOKEN overrides it).")
@click.pass_context
def cli(ctx: click.Context, api: Optional[str], token_file: Path) -> None:
    """Run letters: tokens, letters, moderation, exports, snapshots and deliveries."""
    token = os.environ.get("UNDERSIGNED_TOKEN")
    if not token and token_file.exists():
        token = token_file.read_text().strip()
    ctx.obj = Api(api or local_api(), token)


def _table(rows: list[dict], cols: list[str], wide: frozenset | set = frozenset()) -> None:
    """Rows as aligned columns; a cell is cut at 48 characters unless its column is `wide`."""
    if not rows:
        click.echo("(none)")
        return
    cut = {c: 240 if c in wide else 48 for c in cols}
    widths = {c: min(cut[c], max(len(c), *(len(str(r.get(c) or "")) for r in rows))) for c in cols}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in cols))
    for r in rows:
        click.echo("  ".join(str(r.get(c) or "")[:cut[c]].ljust(widths[c]) for c in cols))


# ---- tokens ----------------------------------------------------------------------

@cli.group()
def tokens() -> None:
    """Organiser tokens (stored only as hashes; shown once)."""


@tokens.command("create")
@click.argument("name")
@click.option("--letter", "letters", multiple=True, help="Limit to this letter (repeatable).")
@click.option("--role", type=click.Choice(["read", "moderate", "manage"]), default="manage",
              show_default=True, help="read: look only; moderate: also act on signatures and export.")
@click.pass_obj
def tokens_create(api: Api, name: str, letters: tuple[str, ...], role: str) -> None:
    """Issue a token; it is printed once."""
    made = api.call("POST", "/admin/tokens", {"name": name, "letters": list(letters), "role": role})
    click.echo(f"id {made['id']}  role {made['role']}  scope {', '.join(made['letters']) or 'all letters'}")
    click.echo(made["token"])


@tokens.command("list")
@click.pass_obj
def tokens_list(api: Api) -> None:
    _table(api.call("GET", "/admin/tokens")["tokens"],
           ["id", "name", "role", "letters", "created_at", "last_used_at", "revoked_at"])


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_obj
def tokens_revoke(api: Api, token_id: str) -> None:
    info = api.call("DELETE", f"/admin/tokens/{token_id}")
    click.echo(f"revoked {info['id']} ({info['name']})")


@tokens.command("bootstrap")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the token to this file (mode 600) instead of printing it.")
def tokens_bootstrap(name: str, out: Optional[Path]) -> None:
    """The first token, written straight to the table (uses the AWS settings of this shell)."""
    from tools.snapshot_cli import direct_service
    made = direct_service().organisers.create(name, [])
    if out:
        localstack.write_secret(out, made.token)
        click.echo(f"token {made.id} written to {out}")
    else:
        click.echo(made.token)


# ---- letters ---------------------------------------------------------------------

@cli.group()
def letters() -> None:
    """Letters: load from Markdown, open, close."""


@letters.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def letters_load(api: Api, path: Path) -> None:
    """Create a letter from a Markdown file, or store a new version of it."""
    from chalicelib.letters import parse_letter
    source = path.read_text(encoding="utf-8")
    slug = parse_letter(source).slug
    try:
        out = api.call("POST", "/admin/letters", {"markdown": source})
        click.echo(f"created {slug} ({out['text_sha256'][:12]})")
    except click.ClickException as exc:
        if "letter_exists" not in exc.message:
            raise
        out = api.call("PUT", f"/admin/letters/{slug}", {"markdown": source})
        click.echo(f"{'updated' if out['changed'] else 'unchanged'} {slug} "
                   f"({out['text_sha256'][:12]}, {len(out['versions'])} versions)")


@letters.command("open")
@click.argument("slug")
@click.option("--closes-at", help="Close automatically at this time, e.g. 2026-12-31T23:59:00Z.")
@click.pass_obj
def letters_open(api: Api, slug: str, closes_at: Optional[str]) -> None:
    out = api.call("POST", f"/admin/letters/{slug}/status", {"status": "open", "closes_at": closes_at})
    click.echo(f"{slug}: {out['status']}" + (f", closes {out['closes_at']}" if out["closes_at"] else ""))


@letters.command("close")
@click.argument("slug")
@click.pass_obj
def letters_close(api: Api, slug: str) -> None:
    out = api.call("POST", f"/admin/letters/{slug}/status", {"status": "closed"})
    click.echo(f"{slug}: {out['status']}")


# ---- moderation ------------------------------------------------------------------

FILTERS = [
    click.option("--state", type=click.Choice(ALL_STATES)),
    click.option("--kind", type=click.Choice(["organisation", "individual"])),
    click.option("--name", "q", help="Part of the name (case-insensitive)."),
    click.option("--country", help="ISO 3166-1 alpha-2 code."),
    click.option("--email-domain"),
    click.option("--since", help="ISO 8601 time."), click.option("--until", help="ISO 8601 time."),
]


def with_filters(f):
    for opt in reversed(FILTERS):
        f = opt(f)
    return f


@cli.command()
@click.argument("slug")
@with_filters
@click.pass_obj
def queue(api: Api, slug: str, **filters: Any) -> None:
    """The moderation queue of a letter, with search."""
    rows = list(api.pages(f"/admin/letters/{slug}/signatures", "signatures",
                          {k: v for k, v in filters.items() if v}))
    cols = ["id", "state", "kind", "name", "country", "email_domain", "created_at"]
    if any(r.get("bounced_at") for r in rows):  # its link bounced hard: it cannot confirm
        cols.append("bounced_at")
    _table(rows, cols)
    click.echo(f"{len(rows)} signature(s)", err=True)


@cli.command()
@click.argument("slug")
@click.pass_obj
def duplicates(api: Api, slug: str) -> None:
    """Signatures that are one mailbox (Gmail dots, +tags...): a report; nothing changes."""
    out = api.call("GET", f"/admin/letters/{slug}/duplicates")
    cols = ["id", "state", "kind", "name", "email_domain", "created_at"]
    for n, group in enumerate(out["groups"], 1):
        click.echo(f"-- mailbox {n}: {len(group['signatures'])} signatures")
        _table(group["signatures"], cols)
    click.echo(f"{len(out['groups'])} mailbox(es) with more than one signature, "
               f"among {out['checked']} signature(s) with an address", err=True)


def _act(api: Api, slug: str, ids: tuple[str, ...], action: str, reason: Optional[str]) -> None:
    done: list[str] = []
    skipped: list[str] = []
    with click.progressbar(length=len(ids), label=action, file=sys.stderr) as bar:
        for i in range(0, len(ids), 100):
            chunk = list(ids[i:i + 100])
            out = api.call("POST", f"/admin/letters/{slug}/bulk",
                           {"ids": chunk, "action": action, "reason": reason})
            done += out["changed"]
            skipped += out["skipped"]
            bar.update(len(chunk))
    click.echo(f"{action}: {len(done)} changed, {len(skipped)} skipped")
    for sig_id in skipped:
        click.echo(f"  skipped {sig_id}", err=True)


for _action in ("approve", "hide", "unhide"):
    def _make(action: str):
        @cli.command(action, help=f"{action.capitalize()} signatures by id.")
        @click.argument("slug")
        @click.argument("ids", nargs=-1, required=True)
        @click.pass_obj
        def command(api: Api, slug: str, ids: tuple[str, ...]) -> None:
            _act(api, slug, ids, action, None)
        return command
    _make(_action)


@cli.command()
@click.argument("slug")
@click.argument("ids", nargs=-1, required=True)
@click.option("--reason", required=True)
@click.pass_obj
def reject(api: Api, slug: str, ids: tuple[str, ...], reason: str) -> None:
    """Reject signatures by id, with a reason."""
    _act(api, slug, ids, "reject", reason)


@cli.command()
@click.argument("slug")
@click.argument("sig_id")
@click.argument("name")
@click.option("--reason")
@click.pass_obj
def rename(api: Api, slug: str, sig_id: str, name: str, reason: Optional[str]) -> None:
    """Correct a displayed name (the original is kept and the change audited)."""
    out = api.call("POST", f"/admin/letters/{slug}/signatures/{sig_id}/actions",
                   {"action": "rename", "name": name, "reason": reason})
    click.echo(f"{sig_id}: now {out['name']!r} (originally {out['original_name']!r})")


@cli.command()
@click.argument("slug")
@with_filters
@click.option("--reason", required=True)
@click.option("--apply", is_flag=True, help="Apply; without it this is a dry run that counts.")
@click.pass_obj
def invalidate(api: Api, slug: str, reason: str, apply: bool, **filters: Any) -> None:
    """Reject every signature matching the filters (a dry run unless --apply)."""
    body = {k: v for k, v in filters.items() if v and k != "state"}
    body.update(reason=reason, dry_run=not apply)
    out = api.call("POST", f"/admin/letters/{slug}/invalidations", body)
    if out["dry_run"]:
        click.echo(f"dry run: {out['matched']} signature(s) would be rejected; add --apply")
    else:
        click.echo(f"rejected {out['changed']} of {out['matched']} matching signature(s)")


@cli.command()
@click.argument("slug")
@click.option("--fix", is_flag=True, help="Repair the counters that drifted.")
@click.pass_obj
def recount(api: Api, slug: str, fix: bool) -> None:
    """Recount the letter's counters from its signatures and report drift (a job: a
    progress bar shows it reading)."""
    job = api.call("POST", f"/admin/letters/{slug}/recount", {"fix": fix})
    out = job_wait.wait(api, slug, job, label="recounting")["result"]
    click.echo(f"stored    {out['stored']}\nrecounted {out['recounted']}")
    click.echo(f"drift: {out['drift'] or 'none'}" + (" (fixed)" if out["fixed"] else ""))
    for code, drift in (out.get("partners") or {}).items():
        click.echo(f"partner {code}: {drift}")


@cli.command()
@click.argument("slug")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def audit(api: Api, slug: str, limit: int) -> None:
    """The audit trail of a letter, newest first."""
    rows = api.call("GET", f"/admin/letters/{slug}/audit", query={"limit": limit})["entries"]
    for r in rows:
        r["change"] = change(r.get("before"), r.get("after"))
    _table(rows, ["at", "who", "action", "sig_id", "change", "reason"], wide={"change"})


def change(before: Optional[dict], after: Optional[dict]) -> str:
    """What an audit entry changed, as the organiser page says it (frontend/js/admin/audit.js):
    each field that differs, `field: before → after`, e.g. `name: Forumm → Forum`."""
    before, after = before or {}, after or {}

    def fmt(v: Any) -> str:
        return "—" if v is None or v == "" else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
    parts = [f"{k}: {fmt(before.get(k))} → {fmt(after.get(k))}"
             for k in dict.fromkeys([*before, *after]) if fmt(before.get(k)) != fmt(after.get(k))]
    return "; ".join(parts) or "—"


@cli.command()
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx", "html", "docx", "pdf"]),
              default="csv", show_default=True)
@click.option("--emails", is_flag=True,
              help="CSV/JSON/XLSX: include signers' emails (organisers only).")
@click.option("--state", "states", multiple=True, type=click.Choice(ALL_STATES),
              help="CSV/JSON/XLSX: export the signatures in this state (repeat for more; default: "
                   "listed only). Each row says its state.")
@click.option("--date", "date", metavar="YYYY-MM-DD",
              help="HTML/DOCX: the date printed on the letter (e.g. the delivery day).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: the export's own name).")
@click.pass_obj
def export(api: Api, slug: str, fmt: str, emails: bool, states: tuple[str, ...],
           date: Optional[str], output: Optional[Path]) -> None:
    """Export the list (listed signatures, in the letter's order) or the delivery letter,
    download it and check its sha256. The export is a job: a progress bar shows its rows
    written, another the download."""
    body: dict = {"format": fmt, "include_email": emails}
    if states:
        body["states"] = list(states)
    if date:
        body["date"] = date
    job = api.call("POST", f"/admin/letters/{slug}/exports", body)
    made = job_wait.wait(api, slug, job, label=f"exporting {fmt}", path="exports")["result"]
    job_wait.download(made, output)


@cli.command("snapshot-links")
@click.argument("slug")
@click.pass_obj
def snapshot_links(api: Api, slug: str) -> None:
    """The letter's snapshots with short-lived download links (through the API)."""
    for snap in api.call("GET", f"/admin/letters/{slug}/snapshots")["snapshots"]:
        click.echo(f"{snap['date']}  {'complete' if snap['complete'] else 'INCOMPLETE'}")
        for f in snap["files"]:
            click.echo(f"  {f['name']:<18} {f['size']:>10}  {f['url'] or ''}")


def _attach_snapshots() -> None:
    from tools.snapshot_cli import retention, snapshot_cut, snapshots
    cli.add_command(snapshot_cut)  # through the API, with the token
    snapshots.help = (snapshots.help or "") + (
        " These commands use AWS credentials (or the local stack's settings), not the token.")
    cli.add_command(snapshots)
    from tools.seal_cli import seal_migrate
    cli.add_command(seal_migrate)  # AWS credentials too: the table, not the API
    retention.help = (retention.help or "") + " It uses AWS credentials, not the token."
    cli.add_command(retention)


_attach_snapshots()


def _attach_deliveries() -> None:
    from tools.delivery_cli import deliver, deliveries, ses_event
    from tools.reminders_cli import reminders
    cli.add_command(reminders)  # `run`: the table directly; `count`: the API
    cli.add_command(deliver)
    cli.add_command(deliveries)
    cli.add_command(ses_event)  # the table directly, like `snapshots`
    from tools.update_cli import updates
    cli.add_command(updates)


_attach_deliveries()


def _attach_imports() -> None:
    from tools.import_cli import import_file
    from tools.partner_cli import names_backfill, partners
    cli.add_command(import_file)
    cli.add_command(partners)
    cli.add_command(names_backfill)


_attach_imports()


def main() -> None:
    cli(prog_name="python -m tools.cli")


if __name__ == "__main__":
    main()
