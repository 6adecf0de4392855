"""Pydantic models of the organiser API. Imported by the organiser handlers when they run,
so a public request's cold start does not build them."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .models import Counts, CountryCode, Kind, Sha256, Slug, Timestamp, _custom, _In
from .workspace_models import LetterFields

# ---- organisers ---------------------------------------------------------------

# The same names as states.ALL_STATES (a test holds them equal): a Literal needs them spelled.
State = Literal["pending", "awaiting_approval", "listed", "quarantined", "hidden", "rejected",
                "withdrawn"]
Action = Literal["approve", "reject", "hide", "unhide", "rename"]
# principal.ROLES, spelled for the schema (a test holds them equal)
Role = Literal["read", "moderate", "manage"]


class TokenCreateIn(_In):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")
    letters: list[Slug] = Field(default_factory=list, max_length=100,
                                description="Letters this token may act on; empty means all.")
    role: Role = Field(default="manage", description="read: look only; moderate: also act on "
                                                     "signatures and export; manage: everything.")
    partner: Optional[str] = Field(
        default=None, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?/[a-z0-9]{2,16}$",
        description="\"{slug}/{code}\": a token for that partner's own staff, which sees only "
                    "the partner's figures and export (and 403 elsewhere).")


class TokenInfo(BaseModel):
    id: str
    name: str
    letters: list[str] = Field(description="Empty: every letter.")
    role: Role = "manage"
    created_at: str
    last_used_at: Optional[str] = None
    revoked_at: Optional[str] = None
    partner: Optional[str] = Field(default=None, description="\"{slug}/{code}\" of a partner's token.")


class TokenCreated(TokenInfo):
    token: str = Field(description="Shown once; only its hash is stored.")


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class LetterSourceIn(_In):
    """A letter file (`markdown`), or the editor's form (`letter`): one of the two."""

    markdown: Optional[str] = Field(default=None, min_length=10, max_length=200_000,
                                    description="The letter file: YAML front matter, then Markdown.")
    letter: Optional["LetterFields"] = Field(
        default=None, description="The letter's fields and Markdown body (the editor's form). "
                                  "A new letter made this way starts as a draft: not public "
                                  "until it is first opened.")

    @model_validator(mode="after")
    def _one(self) -> "LetterSourceIn":
        if (self.markdown is None) == (self.letter is None):
            raise _custom("one_of", "give either markdown or letter")
        return self


class LetterStatusIn(_In):
    status: Literal["open", "closed"]
    closes_at: Optional[Timestamp] = Field(
        default=None, description="With status open: close automatically at this time (with zone).")


    @field_validator("closes_at")
    @classmethod
    def _zoned(cls, v: Optional[dt.datetime]) -> Optional[dt.datetime]:
        if v is not None and v.tzinfo is None:
            raise _custom("timezone_required", "give a time zone, e.g. Z")
        return v


class LetterAdminOut(BaseModel):
    slug: str
    status: Literal["open", "closed"]
    closes_at: Optional[str] = None
    text_sha256: str
    versions: list[str]
    changed: bool


class LetterAdminView(LetterAdminOut):
    title: str
    counts: Counts
    organisations_need_approval: bool
    last_snapshot: Optional[str] = None
    draft: bool = Field(default=False, description="Never opened yet: not on the public pages.")
    reminders_sent: int = Field(default=0, description=(
        "Reminders queued to signers who had not confirmed (REMINDER_AFTER_HOURS), over every "
        "hourly run; the few the mail worker then skips (a suppressed address, a cap, a link "
        "expired meanwhile) are not subtracted."))
    warnings: list[Literal["no_organisers", "mail_from_unset"]] = Field(
        default_factory=list, description="no_organisers: the letter names no one behind it; "
                                          "mail_from_unset: MAIL_FROM is the placeholder address.")


class Me(BaseModel):
    id: str
    name: str
    letters: list[str] = Field(description="Letters this token may act on; empty: all.")
    role: Role = "manage"
    partner: Optional[str] = Field(default=None,
                                   description="\"{slug}/{code}\": a partner's token.")


class LookalikeMatch(BaseModel):
    """The organisation already on the letter whose name this one's looks like, as it is
    now (org_names; state `deleted` if it is gone)."""
    id: str
    name: Optional[str] = None
    kind: Optional[Kind] = None
    country: Optional[str] = None
    state: Optional[str] = None


class SignatureAdmin(BaseModel):
    id: str
    kind: Kind
    name: Optional[str] = None
    original_name: Optional[str] = None
    affiliation: Optional[str] = None
    country: Optional[str] = None
    email_domain: Optional[str] = None  # the address itself is sealed: no route opens it
    state: State
    source: Optional[str] = None
    reason: Optional[str] = None
    quarantine_reason: Optional[str] = None
    lookalike_of: Optional[LookalikeMatch] = None
    created_at: str
    confirmed_at: Optional[str] = None
    listed_at: Optional[str] = None
    bounced_at: Optional[str] = Field(
        default=None, description="Its confirmation mail bounced hard (SES): it will not confirm.")


class SignatureAdminList(BaseModel):
    signatures: list[SignatureAdmin]
    next_cursor: Optional[str] = None


class DuplicateGroup(BaseModel):
    signatures: list[SignatureAdmin] = Field(description="Oldest first.")


class DuplicateReport(BaseModel):
    """Signatures that are one mailbox under today's canonical rule (by their keyed hashes)."""
    groups: list[DuplicateGroup]
    checked: int = Field(description="Signatures with an email address that were compared.")


class ActionIn(_In):
    action: Action
    reason: Optional[str] = Field(default=None, max_length=500)
    name: Optional[str] = Field(default=None, description="The corrected name, for `rename`.",
                                json_schema_extra={"maxLength": 200})


class BulkIn(_In):
    ids: list[Annotated[str, Field(pattern=r"^[a-z2-7]{26}$")]] = Field(min_length=1, max_length=500)
    action: Literal["approve", "reject", "hide", "unhide"]
    reason: Optional[str] = Field(default=None, max_length=500)


class BulkResult(BaseModel):
    changed: list[str]
    skipped: list[str] = Field(description="Ids not found or not in a state the action applies to.")


class Filters(_In):
    state: Optional[State] = None
    kind: Optional[Kind] = None
    q: Optional[str] = Field(default=None, max_length=200,
                             description="Part of the name; case, accents, spacing, "
                                         "punctuation and lookalike letters folded.")
    country: Optional[CountryCode] = None
    email_domain: Optional[str] = Field(default=None, max_length=253)
    since: Optional[Timestamp] = None
    until: Optional[Timestamp] = None


class InvalidationIn(Filters):
    reason: str = Field(min_length=1, max_length=500)
    dry_run: bool = True


class InvalidationResult(BaseModel):
    dry_run: bool
    matched: int
    changed: int


class AuditEntry(BaseModel):
    at: str
    who: str
    action: str
    sig_id: Optional[str] = None
    before: dict
    after: dict
    reason: Optional[str] = None


class AuditList(BaseModel):
    entries: list[AuditEntry]
    next_cursor: Optional[str] = None


class MailFailure(BaseModel):
    sig_id: str
    kind: Literal["link", "notice", "added", "reminder"] = Field(
        description="link: a confirmation link; notice: \"you have already signed\"; added: "
                    "an import's \"you were added\"; reminder: a pending signer's reminder.")
    error: str = Field(description="What SES (or the mail backend) answered.")
    at: str


class MailFailureList(BaseModel):
    failures: list[MailFailure]


class RecountIn(_In):
    fix: bool = Field(default=False, description="Repair the counters found drifting.")


class Drift(BaseModel):
    stored: Counts
    recounted: Counts
    drift: dict[str, int] = Field(description="recounted − stored, per counter; empty when none.")
    fixed: bool
    partners: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per partner code, the drift of its listed counters "
                                          "(n_, c_); only partners with drift.")


# The signatory lists; the others are the delivery letter (as exports.on_demand.LIST_FORMATS).
LIST_FORMATS = ("csv", "json", "xlsx")


class ExportIn(_In):
    format: Literal["csv", "json", "xlsx", "html", "docx", "pdf"]
    include_email: bool = Field(default=False,
                                description="CSV/JSON/XLSX only: add signers' emails.")
    states: list[State] = Field(
        default_factory=lambda: ["listed"], min_length=1, max_length=7,
        description="CSV/JSON/XLSX only: the signature states to export, by name (default: the "
                    "listed signatures only); each row's state is in its `state` column. "
                    "The delivery letter always lists the listed signatures.")

    language: Optional[str] = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="HTML/DOCX only: print a translation of the letter (default: the letter's "
                    "own, authoritative language).")
    date: Optional[str] = Field(
        default=None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="HTML/DOCX/PDF only: the date printed on the letter (YYYY-MM-DD), e.g. the "
                    "day it is delivered; default: the letter's own date.")

    @field_validator("date")
    @classmethod
    def _delivery_date(cls, v: Optional[str], info: ValidationInfo) -> Optional[str]:
        if v is None:
            return v
        try:
            day = dt.date.fromisoformat(v)
        except ValueError:
            raise _custom("invalid_date", "not a calendar date") from None
        if not dt.date(2000, 1, 1) <= day <= dt.date(9998, 12, 31):
            raise _custom("date_out_of_range", "a date from 2000 on")
        fmt = info.data.get("format")
        if fmt is not None and fmt in LIST_FORMATS:
            raise _custom("letter_formats_only", "date applies to the letter exports (html, docx, pdf)")
        return v

    @field_validator("states")
    @classmethod
    def _states_for_lists(cls, v: list[str], info: ValidationInfo) -> list[str]:
        v = list(dict.fromkeys(v))
        fmt = info.data.get("format")  # absent when itself invalid: that error suffices
        if v != ["listed"] and fmt is not None and fmt not in LIST_FORMATS:
            raise _custom("list_formats_only", "states apply to the list exports (csv, json, xlsx)")
        return v


class ExportOut(BaseModel):
    """A finished export (a job's `result`)."""
    url: str = Field(description="A presigned download link, valid for `expires_in` seconds.")
    key: str
    size: int
    sha256: Sha256
    expires_in: int


class SnapshotFile(BaseModel):
    name: str
    size: int
    url: Optional[str] = None


class SnapshotInfo(BaseModel):
    date: str
    complete: bool
    files: list[SnapshotFile]


class SnapshotList(BaseModel):
    snapshots: list[SnapshotInfo]


class SnapshotCutIn(_In):
    force: bool = Field(default=False, description=(
        "If today's snapshot is complete, cut it again: today's files are replaced by the "
        "list as it is now (a day has one set of files). Without it, a complete day is left "
        "as it is (status `exists`)."))


class SnapshotReport(BaseModel):
    model_config = ConfigDict(extra="allow")
    slug: str
    date: Optional[str] = None
    status: Literal["complete", "exists", "busy", "skipped", "failed"]
    time_cut: Optional[str] = Field(default=None, description=(
        "When the day's files were cut: now (complete) or by the earlier run (exists)."))
    replaced: bool = Field(default=False, description="This cut replaced the day's files.")
    replaced_cut: Optional[str] = Field(default=None,
                                        description="When the replaced files had been cut.")


class JobOut(BaseModel):
    """A job (export, snapshot, recount, anonymisation): where it is and, once done, its result."""
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["export", "partner_export", "snapshot", "recount", "anonymise", "update_reach",
                  "update_send"]
    state: Literal["queued", "running", "complete", "failed"]
    phase: Optional[str] = Field(default=None, description="reading, writing or uploading.")
    rows_read: int = Field(description="Signatures read from the table so far.")
    rows_written: int = Field(description="Rows written to the file so far.")
    rows_total: Optional[int] = Field(
        default=None, description="Rows the file will hold, when the counters tell (listed).")
    parts: int = Field(description="Workers the job is split over (1: not split).")
    parts_done: int
    attempts: int
    created_at: str
    updated_at: Optional[str] = None
    finished_at: Optional[str] = None
    error: Optional[str] = Field(default=None, description="Why it failed (no detail).")
    result: Optional[dict] = Field(default=None, description=(
        "When complete: an export's `url` (presigned, fresh on each read), `key`, `size`, "
        "`sha256`, `expires_in`; a snapshot's report; a recount's drift."))
