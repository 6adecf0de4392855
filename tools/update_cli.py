"""Update commands for the organiser CLI (through the API with the organiser's token, as the
page does).

    updates compose SLUG --subject S --body-file F.md [--text LANG SUBJECT FILE.md]...
                                  write a draft (the letter's language; a translation each --text)
    updates preview SLUG SEQ      each language as a signer gets it (text, headers)
    updates reach SLUG SEQ        count the signers it reaches (a job; exact)
    updates send SLUG SEQ         send it (a job queues the mails; the mailer sends them)
    updates status SLUG SEQ       its audit: who, when, reach, queued, sent, failed
    updates list SLUG             the letter's updates, newest first
"""
from __future__ import annotations

from pathlib import Path

import click

from tools import job_wait
from tools.api_client import Api

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def updates() -> None:
    """Updates to the signers who opted in (compose, preview, reach, send, status)."""


def _base(slug: str) -> str:
    return f"/admin/letters/{slug}/updates"


@updates.command()
@click.argument("slug")
@click.option("--subject", required=True, help="The subject, in the letter's language.")
@click.option("--body-file", type=FILE, required=True, help="The message, Markdown.")
@click.option("--text", "more", type=(str, str, FILE), multiple=True,
              metavar="LANG SUBJECT FILE", help="The update in a translation's language.")
@click.pass_obj
def compose(api: Api, slug: str, subject: str, body_file: Path,
            more: tuple[tuple[str, str, Path], ...]) -> None:
    """Write a draft update; prints its number."""
    letter = api.call("GET", f"/letters/{slug}")
    texts = {letter["language"]: {"subject": subject, "body": body_file.read_text("utf-8")}}
    for lang, s, f in more:
        texts[lang] = {"subject": s, "body": f.read_text("utf-8")}
    made = api.call("POST", _base(slug), {"texts": texts})
    click.echo(f"update {made['seq']}: draft ({', '.join(made['texts'])})")


@updates.command()
@click.argument("slug")
@click.argument("seq", type=int)
@click.pass_obj
def preview(api: Api, slug: str, seq: int) -> None:
    """Each language of the update as a signer gets it (the unsubscribe link a stand-in)."""
    for r in api.call("GET", f"{_base(slug)}/{seq}/preview")["rendered"]:
        click.echo(f"--- {r['language']}")
        click.echo(f"Subject: {r['subject']}")
        for name, value in r["headers"].items():
            click.echo(f"{name}: {value}")
        click.echo("")
        click.echo(r["text"])


@updates.command()
@click.argument("slug")
@click.argument("seq", type=int)
@click.pass_obj
def reach(api: Api, slug: str, seq: int) -> None:
    """Count the signers it reaches (a job reading every signature: exact, at this time)."""
    job = api.call("POST", f"{_base(slug)}/{seq}/reach", {})
    done = job_wait.wait(api, slug, job, label="counting")
    click.echo(f"update {seq} reaches {done['result']['reach']:,} signers")


@updates.command()
@click.argument("slug")
@click.argument("seq", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
@click.pass_obj
def send(api: Api, slug: str, seq: int, yes: bool) -> None:
    """Send it: the fan-out job queues one mail per signer reached; they go at the send rate."""
    u = api.call("GET", f"{_base(slug)}/{seq}")
    reached = "an uncounted number of" if u.get("reach") is None else f"{u['reach']:,}"
    if not yes:
        click.confirm(f"Send update {seq} to {reached} signers now?", abort=True)
    sent = api.call("POST", f"{_base(slug)}/{seq}/send", {})
    job_wait.wait(api, slug, {"id": sent["send_job"], "state": "queued"}, label="queueing")
    _show(api.call("GET", f"{_base(slug)}/{seq}"))


@updates.command()
@click.argument("slug")
@click.argument("seq", type=int)
@click.pass_obj
def status(api: Api, slug: str, seq: int) -> None:
    """The update's audit: who wrote and sent it, when, its reach and its mails."""
    _show(api.call("GET", f"{_base(slug)}/{seq}"))


@updates.command("list")
@click.argument("slug")
@click.pass_obj
def list_updates(api: Api, slug: str) -> None:
    """The letter's updates, newest first."""
    found = api.call("GET", _base(slug))["updates"]
    if not found:
        click.echo("(none)")
    for u in found:
        _show(u)


def _show(u: dict) -> None:
    subjects = "  ".join(f"{lang}: \"{t['subject']}\"" for lang, t in sorted(u["texts"].items()))
    click.echo(f"update {u['seq']}  {u['state']}  ({u['source']})  {subjects}")
    click.echo(f"  written by {u['created_by']} at {u['created_at']}")
    if u.get("reach") is not None:
        click.echo(f"  reach {u['reach']:,} (counted {u['reach_counted_at']})")
    if u.get("sent_at"):
        click.echo(f"  sent by {u['sent_by']} at {u['sent_at']}: {u.get('queued') or 0:,} queued, "
                   f"{u['sent']:,} sent, {u['failed']:,} failed, {u['suppressed']:,} suppressed, "
                   f"{u['skipped']:,} skipped")
