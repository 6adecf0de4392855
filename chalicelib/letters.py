"""Letters: parsed from Markdown with YAML front matter, rendered with raw HTML disabled.

The body may hold tally placeholders, filled in from the live counts when the
letter is served: `{{total}}`, `{{organisations}}`, `{{individuals}}`,
`{{countries}}`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .models import Counts, Organisers, Slug

_FRONT = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n(.*)\Z", re.S)
PLACEHOLDER = re.compile(r"\{\{\s*(total|organisations|individuals|countries)\s*\}\}")


class LetterFormatError(ValueError):
    """The Markdown file is not a valid letter."""


class Letter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: str = Field(min_length=1, max_length=300)
    date: dt.date
    addressee: str = Field(min_length=1, max_length=2000)
    subject: Optional[str] = Field(default=None, max_length=500)
    salutation: str = Field(min_length=1, max_length=200)
    closing: str = Field(min_length=1, max_length=200)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    status: Literal["open", "closed"] = "open"
    closes_at: Optional[dt.datetime] = None
    organisations_need_approval: bool = False
    organisers: Optional[Organisers] = None  # who is behind it: not part of the signed text
    signers: Literal["everyone", "organisations", "individuals"] = "everyone"  # who may sign
    body: str = Field(min_length=1, max_length=100_000)

    @property
    def text_sha256(self) -> str:
        """Hash of what a signer reads: every printed part of the letter, NFC, LF line ends."""
        parts = [self.title, self.date.isoformat(), self.addressee.strip(), self.subject or "",
                 self.salutation, self.body.strip(), self.closing]
        canonical = unicodedata.normalize("NFC", "\n\n".join(parts)).replace("\r\n", "\n")
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_letter(source: str) -> Letter:
    """Parse a letter file: YAML front matter between `---` lines, then the Markdown body."""
    m = _FRONT.match(source.lstrip("\ufeff"))
    if not m:
        raise LetterFormatError("a letter starts with YAML front matter between '---' lines")
    import yaml  # on first use: only letter loading needs it

    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LetterFormatError(f"front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise LetterFormatError("front matter must be a mapping")
    try:
        letter = Letter(**meta, body=m.group(2))
    except (ValidationError, TypeError) as exc:
        raise LetterFormatError(f"invalid letter: {exc}") from None
    if letter.closes_at is not None and letter.closes_at.tzinfo is None:
        raise LetterFormatError("closes_at needs a time zone, e.g. 2026-12-31T23:59:00Z")
    return letter


def render_body(body: str) -> str:
    """Markdown to HTML; raw HTML in the source is escaped, never passed through."""
    from markdown_it import MarkdownIt  # on first use: letters are rendered when stored
    return MarkdownIt("commonmark", {"html": False, "linkify": False,
                                     "typographer": False}).render(body)


def fill_tally(html: str, counts: Counts) -> str:
    values = {"total": counts.total, "organisations": counts.organisations,
              "individuals": counts.individuals, "countries": counts.countries}
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), html)


def letter_date(iso_date: str) -> str:
    """As the letter prints its date: "26 February 2020"."""
    d = dt.date.fromisoformat(iso_date)
    return f"{d.day} {d:%B %Y}"
