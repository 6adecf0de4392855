"""Delivery commands for the organiser CLI.

    deliver SLUG DATE --to ADDR [--to ADDR] --message-file cover.md [--docx] [--preview] [--announce]
                                              preview (or send) a snapshot's PDF by email
    deliveries SLUG                           the letter's deliveries and what SES said of them
    ses-event MESSAGE_ID delivery|bounce|complaint|delay [--recipient ADDR]
                                              what SES would publish about a sent message,
                                              handed to the ses_events code (local runs: no
                                              SES, no SNS; uses the table directly). Locally
                                              a mail's id is `local-` + the hex at the end of
                                              its .eml file's name in .local/outbox/

`deliver` and `deliveries` go through the API with the organiser's token, as the page does.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import click

from tools.api_client import Api


@click.command()
@click.argument("slug")
@click.argument("date")
@click.option("--to", "recipients", multiple=True, required=True,
              help="A recipient: the addressee's office address (repeatable).")
@click.option("--message-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="The cover message, Markdown.")
@click.option("--subject", default=None, help="Default: the letter's subject, else its title.")
@click.option("--addressee", default=None,
              help="As the public page names them; default: the letter's addressee's first line.")
@click.option("--docx", is_flag=True, help="Attach the snapshot's DOCX too.")
@click.option("--preview", is_flag=True, help="Show what would go; send nothing.")
@click.option("--again", is_flag=True, help="Send even though this same delivery went before.")
@click.option("--announce", is_flag=True,
              help="Also tell the signers who opted in to updates (an update, sent as any other).")
@click.pass_obj
def deliver(api: Api, slug: str, date: str, recipients: tuple[str, ...], message_file: Path,
            subject: Optional[str], addressee: Optional[str], docx: bool, preview: bool,
            again: bool, announce: bool) -> None:
    """Deliver the snapshot of DATE (its PDF) by email, after showing the preview."""
    body = {"snapshot": date, "recipients": list(recipients),
            "message": message_file.read_text(encoding="utf-8"), "attach_docx": docx,
            **({"subject": subject} if subject else {}),
            **({"addressee": addressee} if addressee else {})}
    draft = api.call("POST", f"/admin/letters/{slug}/deliveries/preview", body)
    click.echo(f"To:       {', '.join(draft['recipients'])}")
    click.echo(f"From:     {draft['sender']}")
    click.echo(f"Subject:  {draft['subject']}")
    click.echo(f"Snapshot: {draft['snapshot']}  ({draft['signatures']:,} signatures; manifest "
               f"sha256 {draft['manifest_sha256']})")
    for a in draft["attachments"]:
        click.echo(f"Attached: {a['name']}  {a['size']:,} bytes  sha256 {a['sha256']}")
    click.echo("")
    click.echo(draft["text"])
    if preview:
        return
    click.confirm(f"Send this to {len(draft['recipients'])} recipient(s) now?", abort=True)
    sent = api.call("POST", f"/admin/letters/{slug}/deliveries",
                    {**body, "manifest_sha256": draft["manifest_sha256"], "again": again,
                     "announce": announce})
    _show(sent)


@click.command()
@click.argument("slug")
@click.pass_obj
def deliveries(api: Api, slug: str) -> None:
    """The letter's deliveries, newest first, with each recipient's outcome."""
    found = api.call("GET", f"/admin/letters/{slug}/deliveries")["deliveries"]
    if not found:
        click.echo("(none)")
    for d in found:
        _show(d)


def _show(d: dict) -> None:
    click.echo(f"{d['id']}  {d['status']}  {d['sent_at']}  by {d['sent_by']}")
    click.echo(f"  snapshot {d['snapshot']}  {d['signatures']:,} signatures  to {d['addressee']}")
    click.echo(f"  manifest sha256 {d['manifest_sha256']}")
    click.echo(f"  letter.pdf sha256 {d['pdf_sha256']}")
    click.echo(f"  SES message id {d['ses_message_id'] or '-'}" +
               (f"  error: {d['error']}" if d.get("error") else ""))
    if d.get("update"):
        click.echo(f"  announced to the signers in update {d['update']} (us updates status)")
    for r in d["recipients"]:
        click.echo(f"  {r['recipient']:<40} {r['status']:<10} {r.get('at') or ''} "
                   f"{r.get('detail') or ''}".rstrip())


EVENTS = {"delivery": "Delivery", "bounce": "Bounce", "complaint": "Complaint",
          "delay": "DeliveryDelay"}


def ses_event_body(message_id: str, kind: str, recipients: list[str], at: str) -> dict:
    """The event SES's configuration set publishes (to SNS) about one message."""
    event = {"eventType": EVENTS[kind], "mail": {"messageId": message_id, "timestamp": at}}
    if kind == "delivery":
        event["delivery"] = {"timestamp": at, "recipients": recipients,
                             "smtpResponse": "250 2.0.0 OK (simulated)"}
    elif kind == "bounce":
        event["bounce"] = {"timestamp": at, "bounceType": "Permanent",
                           "bouncedRecipients": [{"emailAddress": r, "diagnosticCode":
                                                  "smtp; 550 5.1.1 user unknown (simulated)"}
                                                 for r in recipients]}
    elif kind == "complaint":
        event["complaint"] = {"timestamp": at, "complaintFeedbackType": "abuse",
                              "complainedRecipients": [{"emailAddress": r} for r in recipients]}
    else:
        event["deliveryDelay"] = {"timestamp": at, "delayType": "MailboxFull",
                                  "delayedRecipients": [{"emailAddress": r} for r in recipients]}
    return event


@click.command("ses-event")
@click.argument("message_id")
@click.argument("kind", type=click.Choice(sorted(EVENTS)))
@click.option("--soft", is_flag=True, help="A transient bounce (suppresses nothing).")
@click.option("--recipient", "recipients", multiple=True,
              help="Whom the event is about (repeatable); default: every recipient of the "
                   "delivery that message was.")
def ses_event(message_id: str, kind: str, recipients: tuple[str, ...], soft: bool) -> None:
    """Simulate SES's event about a sent message (local runs: no SES, no SNS)."""
    from chalicelib.storage import keys
    from tools.snapshot_cli import direct_service
    service = direct_service()
    chosen = list(recipients)
    ref = service.store.get(keys.ses_message_key(message_id)) or {}
    if not chosen and ref.get("kind") == "signer":
        chosen = ["signer@address.invalid"]  # not read: the record names the signature
    if not chosen:
        item = service.store.get(keys.delivery_key(ref["slug"], ref["delivery_id"])) \
            if ref.get("kind") == "delivery" else None
        if item is None:
            raise click.ClickException("no mail this service knows was sent with that id; name "
                                       "--recipient")
        chosen = list(item["recipients"])
    at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    body = ses_event_body(message_id, kind, chosen, at)
    if soft and kind == "bounce":
        body["bounce"]["bounceType"] = "Transient"
    done = service.ses_events.apply(body)
    click.echo(f"{EVENTS[kind]} for {len(chosen)} recipient(s): {done}")
