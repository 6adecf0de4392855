"""Pydantic models of the organisers' workspace routes: the letter editor and its preview,
and the dashboard. Imported by those handlers when they run."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, Field

from .models import Counts, Organisers, Slug, _In

LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class LetterFields(_In):
    """A letter as the editor's form gives it: the fields of a letter file, and its body.
    (Its status and closing time are set apart: POST /admin/letters/{slug}/status.)"""

    slug: Slug
    title: str = Field(min_length=1, max_length=300)
    date: Annotated[dt.date, Field(strict=False)]
    addressee: str = Field(min_length=1, max_length=2000)
    subject: Optional[str] = Field(default=None, max_length=500)
    salutation: str = Field(min_length=1, max_length=200)
    closing: str = Field(min_length=1, max_length=200)
    language: str = Field(default="en", pattern=LANGUAGE)
    organisations_need_approval: bool = False
    organisers: Optional[Organisers] = Field(default=None, description="Who is behind it.")
    signers: Literal["everyone", "organisations", "individuals"] = Field(
        default="everyone", description="Who may sign.")
    body: str = Field(min_length=1, max_length=100_000, description="Markdown.")


class LetterSource(BaseModel):
    """The current text of a letter, as the editor fills its form."""

    slug: str
    title: str
    date: str
    addressee: str
    subject: Optional[str] = None
    salutation: str
    closing: str
    language: str
    organisations_need_approval: bool
    organisers: Optional[Organisers] = None
    signers: str = "everyone"
    body: str
    text_sha256: str
    versions: list[str]


class LetterAdminSummary(BaseModel):
    slug: str
    title: str
    status: Literal["open", "closed"]
    draft: bool
    language: str


class LetterAdminList(BaseModel):
    letters: list[LetterAdminSummary]


class TranslationIn(_In):
    """The letter's text in another language (its date and slug are the letter's)."""

    title: str = Field(min_length=1, max_length=300)
    addressee: str = Field(min_length=1, max_length=2000)
    subject: Optional[str] = Field(default=None, max_length=500)
    salutation: str = Field(min_length=1, max_length=200)
    closing: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000, description="Markdown.")


class TranslationSource(BaseModel):
    language: str
    title: str
    addressee: str
    subject: Optional[str] = None
    salutation: str
    closing: str
    body: str
    text_sha256: str
    current: bool = Field(description="False: made from an earlier version of the letter's text.")


class TranslationList(BaseModel):
    translations: list[TranslationSource]


class PreviewIn(_In):
    body: str = Field(max_length=100_000, description="Markdown, as the letter's body.")
    slug: Optional[Slug] = Field(default=None,
                                 description="Fill the placeholders with this letter's counts.")


class PreviewOut(BaseModel):
    body_html: str = Field(description="Rendered as the public page renders the letter body (raw HTML escaped).")
    placeholders: list[str] = Field(description="The tally placeholders the body uses.")


# ---- the dashboard ---------------------------------------------------------------


class Bucket(BaseModel):
    """One hour (`2026-12-01T10`) or one day (`2026-12-01`) of activity."""

    at: str
    signed_organisation: int = 0
    signed_individual: int = 0
    confirmed_organisation: int = 0
    confirmed_individual: int = 0
    withdrawn_organisation: int = 0
    withdrawn_individual: int = 0


class CountryCount(BaseModel):
    country: str
    listed: int


class Queues(BaseModel):
    awaiting_approval: int
    quarantined: int
    capped: bool = Field(description="A queue has more than the dashboard counts (its figure is a floor).")
    mail_lag_seconds: int = Field(description="How far behind the mail worker last said it was.")


class DashboardOut(BaseModel):
    slug: str
    unit: Literal["hour", "day"] = Field(description="What `series` holds: hours for a letter's "
                                                     "first days, days after.")
    series: list[Bucket]
    hours: list[Bucket] = Field(description="The first days, per hour.")
    days: list[Bucket] = Field(description="Every day, per day.")
    totals: Bucket
    confirmation_rate: Optional[float] = Field(description="Confirmed / signed (None before any sign-on).")
    counts: Counts
    countries: list[CountryCount]
    queues: Queues
