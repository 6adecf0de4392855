"""The delivery as one MIME message: the cover message (text and HTML, from Markdown), then the
snapshot's files as attachments, with the sha256 that ties them to the published manifest."""
from __future__ import annotations

import html
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .. import letters
from ..clock import parse_iso


def proof_lines(snapshot: str, signatures: int, manifest_sha256: str,
                files: list[dict]) -> list[str]:
    """What the cover message ends with: which list this is, and how to check it."""
    lines = [f"Attached: the letter with its {signatures:,} signatures, as published in the "
             f"snapshot of {snapshot}."]
    lines += [f"sha256 of {f['name']}: {f['sha256']}" for f in files]
    lines.append(f"sha256 of the snapshot's manifest: {manifest_sha256}")
    return lines


def cover_parts(message_md: str, proof: list[str]) -> tuple[str, str]:
    """(plain text, HTML) of the cover message: the organiser's Markdown as written, and as
    the letter renderer renders it (raw HTML escaped), each followed by the proof lines."""
    text = message_md.strip() + "\n\n-- \n" + "\n".join(proof) + "\n"
    body = letters.render_body(message_md)
    foot = "".join(f"<p>{html.escape(line)}</p>\n" for line in proof)
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n"
            f"{body}<hr>\n<div style=\"font-size:90%;color:#444\">\n{foot}</div>\n"
            "</body></html>\n")
    return text, page


def build(*, sender: str, recipients: list[str], subject: str, text: str, page: str,
          attachments: list[tuple[dict, bytes]], sent_at: str) -> bytes:
    """The whole message as SES sends it (CRLF line ends)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(parse_iso(sent_at))
    msg["Message-ID"] = make_msgid(domain="undersigned.invalid")
    msg.set_content(text)
    msg.add_alternative(page, subtype="html")
    for meta, data in attachments:
        maintype, _, subtype = meta["content_type"].partition(";")[0].partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=meta["name"])
    return msg.as_bytes()
