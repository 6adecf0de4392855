"""The bodies of the update routes (the organisers') and of the unsubscribe (the public's)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..models import Slug
from ..workspace_models import LANGUAGE

UpdateState = Literal["draft", "sending", "sent", "failed"]


class UpdateText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000, description="Markdown (raw HTML off).")


class UpdateIn(BaseModel):
    """An update's text per language: the letter's own language is required; a signer whose
    page language has a text gets it, any other the letter's own."""
    model_config = ConfigDict(extra="forbid")
    texts: dict[str, UpdateText] = Field(min_length=1, max_length=12)


class Rendered(BaseModel):
    """One language of an update as a signer gets it."""
    language: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


class UpdatePreview(BaseModel):
    seq: Optional[int] = None
    rendered: list[Rendered]


class UpdateOut(BaseModel):
    """An update and its audit: who wrote and sent it, when, how many it reached and how
    many mails went, failed or were skipped."""
    seq: int
    state: UpdateState
    source: Literal["organiser", "delivery"] = "organiser"
    texts: dict[str, UpdateText]
    created_by: str
    created_at: str
    updated_at: Optional[str] = None
    reach: Optional[int] = Field(default=None, description=(
        "Signers it reaches, counted by the last reach job (exact, at that time)."))
    reach_counted_at: Optional[str] = None
    reach_job: Optional[str] = None
    send_job: Optional[str] = None
    sent_by: Optional[str] = None
    sent_at: Optional[str] = None
    queued: Optional[int] = Field(default=None, description=(
        "Mails the fan-out queued: the reach at the time of the send (set when it is done)."))
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = Field(default=0, description="Unsubscribed or withdrawn after being queued.")


class UpdateList(BaseModel):
    updates: list[UpdateOut]


class NothingIn(BaseModel):
    """`{}`: a count or a send takes nothing more than the update's number."""
    model_config = ConfigDict(extra="forbid")


class OneClickIn(BaseModel):
    """The one-click unsubscribe's body: a mail client POSTs the form
    `List-Unsubscribe=One-Click` (RFC 8058); the page POSTs `{}`. Nothing in it is read: the
    token (in the query) says whose updates stop."""
    model_config = ConfigDict(extra="allow")


class UnsubscribeOut(BaseModel):
    """Never names the address: the token names a signature."""
    letter: Slug
    unsubscribed: Literal[True] = True
    already_unsubscribed: bool


__all__ = ["LANGUAGE", "UpdateIn", "UpdateOut", "UpdateList", "UpdatePreview", "Rendered",
           "UnsubscribeOut", "UpdateText", "NothingIn", "OneClickIn"]
