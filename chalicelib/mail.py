"""Outgoing mail through one interface: SES v2 in AWS, .eml files locally."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Optional
from pathlib import Path
from typing import Any, Protocol


# RFC 8058's List-Unsubscribe is a URL longer than 78 characters with nowhere to fold: the
# default policy would write it as RFC 2047 encoded words, which no mail client reads as a
# URL. Messages with such headers allow lines up to RFC 5322's 998 characters.
LONG_HEADERS = email_policy.default.clone(max_line_length=998)


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
    html: Optional[str] = None       # an HTML alternative of `text` (updates)
    headers: tuple[tuple[str, str], ...] = ()  # more headers (an update's List-Unsubscribe)

    def sender(self, sender: str) -> str:
        """MAIL_FROM with the organisers' name in place of its own, when the letter has one
        (RFC 2047-encoded when not ASCII, as SES wants its FromEmailAddress)."""
        if not self.from_name:
            return sender
        return formataddr((self.from_name, parseaddr(sender)[1]), charset="utf-8")

    def to_mime(self, sender: str) -> EmailMessage:
        msg = EmailMessage(policy=LONG_HEADERS) if self.headers else EmailMessage()
        msg["From"] = self.sender(sender)
        msg["To"] = self.to
        if self.reply_to:
            msg["Reply-To"] = self.reply_to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False, usegmt=False).replace("-0000", "+0000")
        msg["Message-ID"] = make_msgid(domain="undersigned.invalid")
        msg["Auto-Submitted"] = "auto-generated"
        for name, value in self.headers:
            msg[name] = value
        msg.set_content(self.text)
        if self.html:
            msg.add_alternative(self.html, subtype="html")
        return msg


class Mailer(Protocol):
    def send(self, message: Message) -> str:
        """Hand over one message; returns the id the mail service gave it (SES's)."""
        ...

    def send_raw(self, data: bytes, recipients: list[str]) -> str:
        """Hand over a whole MIME message (its headers name the recipients); returns the
        message id the mail service gave it (SES's, which its notifications carry)."""
        ...


class FileMailer:
    """Writes each message as an .eml file, like Django's file email backend."""

    def __init__(self, directory: str, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: Message) -> str:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            token = secrets.token_hex(4)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{token}.eml"
            tmp = self.directory / f".{name}.tmp"
            tmp.write_bytes(bytes(message.to_mime(self.sender)))
            os.replace(tmp, self.directory / name)  # readers never see half a message
        except OSError as exc:
            raise MailError("could not write the message") from exc
        return f"local-{token}"

    def send_raw(self, data: bytes, recipients: list[str]) -> str:
        """Writes the message as it would leave; the id stands in for SES's (`local-…`)."""
        message_id = f"local-{secrets.token_hex(12)}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{message_id}.eml"
            tmp = self.directory / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.directory / name)
        except OSError as exc:
            raise MailError("could not write the message") from exc
        return message_id


class SesMailer:
    """Sends through Amazon SES v2; takes its boto3 `sesv2` client."""

    def __init__(self, client: Any, sender: str, configuration_set: str = "") -> None:
        self._ses = client
        self.sender = sender
        # SES publishes the delivery, bounce and complaint events of mail sent with it (SNS).
        self._events = {"ConfigurationSetName": configuration_set} if configuration_set else {}

    def send(self, message: Message) -> str:
        try:
            resp = self._ses.send_email(
                FromEmailAddress=message.sender(self.sender),
                Destination={"ToAddresses": [message.to]},
                Content={"Raw": {"Data": bytes(message.to_mime(self.sender))}},
                **self._events,
            )
        except Exception as exc:  # botocore errors of every kind: the caller recovers
            raise _mail_error(exc) from exc
        return resp["MessageId"]

    def send_raw(self, data: bytes, recipients: list[str]) -> str:
        try:
            resp = self._ses.send_email(
                FromEmailAddress=self.sender, Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": data}}, **self._events)
        except Exception as exc:  # botocore errors of every kind: the caller recovers
            raise _mail_error(exc) from exc
        return resp["MessageId"]


def _mail_error(exc: Exception) -> MailError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    if code in RETRYABLE or not code:  # no code: the endpoint was not reached
        return MailThrottled(code or type(exc).__name__)
    return MailError(code)
