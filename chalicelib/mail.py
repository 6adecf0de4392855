"""Outgoing mail through one interface: SES v2 in AWS, .eml files locally."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Optional
from pathlib import Path
from typing import Any, Protocol


class MailError(Exception):
    """The message could not be handed over for delivery (and will not be on a retry)."""


class MailThrottled(MailError):
    """Refused for now (the send rate, a network fault): the same message may go later."""


# SES v2 errors that pass: its send rate, and the moments it cannot be reached.
RETRYABLE = {"TooManyRequestsException", "LimitExceededException", "Throttling",
             "ThrottlingException", "ServiceUnavailable", "InternalFailure"}


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    from_name: Optional[str] = None  # the letter's organisers: the From name (the address stays)
    reply_to: Optional[str] = None   # their published contact address

    def sender(self, sender: str) -> str:
        """MAIL_FROM with the organisers' name in place of its own, when the letter has one
        (RFC 2047-encoded when not ASCII, as SES wants its FromEmailAddress)."""
        if not self.from_name:
            return sender
        return formataddr((self.from_name, parseaddr(sender)[1]), charset="utf-8")

    def to_mime(self, sender: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender(sender)
        msg["To"] = self.to
        if self.reply_to:
            msg["Reply-To"] = self.reply_to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False, usegmt=False).replace("-0000", "+0000")
        msg["Message-ID"] = make_msgid(domain="undersigned.invalid")
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.text)
        return msg


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


class FileMailer:
    """Writes each message as an .eml file, like Django's file email backend."""

    def __init__(self, directory: str, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: Message) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.eml"
            tmp = self.directory / f".{name}.tmp"
            tmp.write_bytes(bytes(message.to_mime(self.sender)))
            os.replace(tmp, self.directory / name)  # readers never see half a message
        except OSError as exc:
            raise MailError("could not write the message") from exc


class SesMailer:
    """Sends through Amazon SES v2; takes its boto3 `sesv2` client."""

    def __init__(self, client: Any, sender: str) -> None:
        self._ses = client
        self.sender = sender

    def send(self, message: Message) -> None:
        try:
            self._ses.send_email(
                FromEmailAddress=message.sender(self.sender),
                Destination={"ToAddresses": [message.to]},
                Content={"Raw": {"Data": bytes(message.to_mime(self.sender))}},
            )
        except Exception as exc:  # botocore errors of every kind: the caller recovers
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in RETRYABLE or not code:  # no code: the endpoint was not reached
                raise MailThrottled(code or type(exc).__name__) from exc
            raise MailError(code) from exc
