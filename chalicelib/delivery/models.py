"""The delivery API's bodies (imported by the delivery handlers only)."""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from pydantic import Field, field_validator

from ..models import Sha256, _custom, _In
from pydantic import BaseModel

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class DeliveryIn(_In):
    snapshot: str = Field(pattern=DATE, description="The complete snapshot (YYYY-MM-DD) whose "
                                                    "PDF is delivered.")
    recipients: list[str] = Field(min_length=1, max_length=50,
                                  description="The addressee's office addresses (To:).")
    subject: Optional[str] = Field(default=None, min_length=1, max_length=300,
                                   description="Default: the letter's subject, else its title.")
    message: str = Field(min_length=1, max_length=20_000,
                         description="The cover message, Markdown (raw HTML is escaped).")
    attach_docx: bool = Field(default=False, description="Attach the snapshot's DOCX too.")
    addressee: Optional[str] = Field(
        default=None, min_length=1, max_length=200,
        description="Who it is delivered to, as the public page says it; default: the first "
                    "line of the letter's addressee.")
    manifest_sha256: Optional[Sha256] = Field(
        default=None, description="Send only if the snapshot's manifest is still this one "
                                  "(the preview's): what was previewed is what goes.")
    again: bool = Field(default=False, description="Send even though this same delivery "
                                                   "(snapshot, recipients, message) went before.")
    announce: bool = Field(default=False, description=(
        "Also send the signers who opted in to updates an update saying the letter was "
        "delivered (to whom, on which day, with how many signatures)."))

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        from ..text import TextError, parse_email
        out = []
        for raw in v:
            try:
                out.append(str(parse_email(raw)))
            except TextError:
                raise _custom("invalid_email", "not an email address") from None
        if len({a.lower() for a in out}) != len(out):
            raise _custom("duplicate_recipient", "a recipient is named twice")
        return out

    @field_validator("snapshot")
    @classmethod
    def _date(cls, v: str) -> str:
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            raise _custom("invalid_date", "not a calendar date") from None
        return v


class Attachment(BaseModel):
    name: str
    content_type: str
    size: int
    sha256: Sha256


class DeliveryPreview(BaseModel):
    slug: str
    snapshot: str
    manifest_sha256: Sha256
    signatures: int = Field(description="Listed signatures in the snapshot (the PDF's).")
    addressee: str
    sender: str
    recipients: list[str]
    subject: str
    text: str = Field(description="The cover message as the plain-text part.")
    html: str = Field(description="The cover message as the HTML part.")
    attachments: list[Attachment]


class RecipientOutcome(BaseModel):
    recipient: str
    status: Literal["sent", "delivered", "bounced", "complained", "delayed"]
    at: Optional[str] = None
    detail: Optional[str] = None


class DeliveryOut(BaseModel):
    id: str
    slug: str
    snapshot: str
    manifest_sha256: Sha256
    pdf_sha256: Sha256
    signatures: int
    addressee: str
    recipients: list[RecipientOutcome]
    subject: str
    attachments: list[Attachment]
    status: Literal["sending", "sent", "failed"]
    ses_message_id: Optional[str] = None
    sent_at: str
    sent_by: str
    error: Optional[str] = None
    update: Optional[int] = Field(default=None, description=(
        "The update announcing the delivery to the signers (`announce`), if one was written; "
        "it is sent unless another update was still being sent (then it waits as a draft)."))


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first.")
