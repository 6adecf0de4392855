"""Pydantic models for every request and response body of the API."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (BaseModel, ConfigDict, Field, TypeAdapter, field_validator)
from pydantic_core import PydanticCustomError

from . import countries, text

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Hex sha256.")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
CountryCode = Annotated[str, Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")]
Kind = Literal["organisation", "individual"]
# JSON has no datetime type: accept ISO 8601 strings even in strict models.
Timestamp = Annotated[dt.datetime, Field(strict=False)]


def _custom(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _SignatureBase(_In):
    name: str = Field(description="Organisation name, or the signer's full name.",
                      json_schema_extra={"maxLength": 200})
    country: Optional[CountryCode] = Field(default=None)
    email: str = Field(description="Private: used only to confirm; never shown.",
                       json_schema_extra={"maxLength": 254, "format": "email"})
    consent: bool = Field(description="Must be true: the signer agrees to be listed publicly.")
    consent_version: Optional[str] = Field(
        default=None, max_length=40, description="Version of the consent text shown (default: current).")
    language: Literal["en", "ko"] = Field(
        default="en", description="Language of the page: of the consent text shown and of the email.")
    updates_opt_in: bool = Field(
        default=False, description="Separate, optional: the organisers may send updates.")
    letter_sha256: Sha256 = Field(description="Hash of the letter text the signer saw.")
    website: Optional[str] = Field(
        default=None, max_length=500, description="Leave empty. (A trap for bots: a filled one is "
                                                  "answered as usual and nothing is stored.)")
    turnstile_token: Optional[str] = Field(
        default=None, max_length=4096, description="Cloudflare Turnstile response, when enabled.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        try:
            return text.clean_name(v, max_length=200)
        except text.TextError as e:
            raise _custom(e.kind, "name is not acceptable") from None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, v: Any) -> Any:
        if v == "" or v is None:
            return None
        if isinstance(v, str) and not countries.is_country(v.upper()):
            raise _custom("invalid_country", "not an ISO 3166-1 alpha-2 code")
        return v.upper() if isinstance(v, str) else v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        try:
            return text.parse_email(v)
        except text.TextError as e:
            raise _custom(e.kind, "not a valid email address") from None

    @field_validator("consent")
    @classmethod
    def _consent(cls, v: bool) -> bool:
        if v is not True:
            raise _custom("consent_required", "consent is required")
        return v


class OrganisationSignatureIn(_SignatureBase):
    kind: Literal["organisation"]
    authorised: bool = Field(description="Must be true: 'I am authorised to sign on behalf of "
                                         "this organisation.'")

    @field_validator("authorised")
    @classmethod
    def _authorised(cls, v: bool) -> bool:
        if v is not True:
            raise _custom("authorisation_required", "authorisation is required")
        return v


class IndividualSignatureIn(_SignatureBase):
    kind: Literal["individual"]
    affiliation: Optional[str] = Field(
        default=None, description="Title or affiliation, for identification only.",
        json_schema_extra={"maxLength": 300})

    @field_validator("affiliation")
    @classmethod
    def _affiliation(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return None
        try:
            return text.clean_affiliation(v, max_length=300) or None
        except text.TextError as e:
            raise _custom(e.kind, "affiliation is not acceptable") from None


SignatureIn = Annotated[Union[OrganisationSignatureIn, IndividualSignatureIn],
                        Field(discriminator="kind")]
signature_in = TypeAdapter(SignatureIn)


class ConfirmationIn(_In):
    token: str = Field(min_length=16, max_length=160, pattern=r"^[A-Za-z0-9_-]+$")


class WithdrawalIn(ConfirmationIn):
    pass


class WithdrawalOut(BaseModel):
    letter: Slug
    state: Literal["withdrawn"] = "withdrawn"
    already_withdrawn: bool


# ---- responses -------------------------------------------------------------

class Counts(BaseModel):
    organisations: int
    individuals: int
    total: int
    countries: int


class LetterSummary(BaseModel):
    slug: Slug
    title: str
    date: dt.date
    language: str
    status: Literal["open", "closed"]
    closes_at: Optional[dt.datetime] = None
    counts: Counts


class ConsentText(BaseModel):
    version: str
    texts: dict[str, str] = Field(description="Language → the consent text to show.")
    updates: dict[str, str] = Field(description="Language → the optional updates opt-in text.")


class LetterOut(LetterSummary):
    addressee: str
    subject: Optional[str] = None
    salutation: str
    closing: str
    body_html: str = Field(description="The letter body, rendered from Markdown with raw HTML "
                                       "disabled and the tally placeholders filled in.")
    text_sha256: Sha256
    organisations_need_approval: bool
    consent: ConsentText
    turnstile_site_key: Optional[str] = Field(
        default=None, description="Set when the sign-on form must carry a Turnstile token.")


class LetterList(BaseModel):
    letters: list[LetterSummary]


class PublicSignature(BaseModel):
    id: str
    kind: Kind
    name: str
    affiliation: Optional[str] = None
    country: Optional[CountryCode] = None


class SignatureList(BaseModel):
    signatures: list[PublicSignature]
    next_cursor: Optional[str] = Field(
        default=None, description="Pass as `cursor` to fetch the next page; null on the last.")


class SignAccepted(BaseModel):
    status: Literal["pending"] = "pending"
    email_sent: bool = Field(description="False when a link was sent too recently to send another.")
    retry_after: Optional[int] = Field(
        default=None, description="Seconds before another link can be asked for.")


class ConfirmationOut(BaseModel):
    letter: Slug
    state: Literal["listed", "awaiting_approval"] = Field(
        description="awaiting_approval: an organiser reviews it before it is listed.")
    already_confirmed: bool


class FieldProblem(BaseModel):
    loc: list[Union[str, int]]
    type: str


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    fields: list[FieldProblem] = []
    request_id: Optional[str] = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# ---- organisers ---------------------------------------------------------------

State = Literal["pending", "awaiting_approval", "listed", "quarantined", "hidden", "rejected",
                "withdrawn"]
Action = Literal["approve", "reject", "hide", "unhide", "rename"]


class TokenCreateIn(_In):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")
    letters: list[Slug] = Field(default_factory=list, max_length=100,
                                description="Letters this token may act on; empty means all.")


class TokenInfo(BaseModel):
    id: str
    name: str
    letters: list[str] = Field(description="Empty: every letter.")
    created_at: str
    last_used_at: Optional[str] = None
    revoked_at: Optional[str] = None


class TokenCreated(TokenInfo):
    token: str = Field(description="Shown once; only its hash is stored.")


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class LetterSourceIn(_In):
    markdown: str = Field(min_length=10, max_length=200_000,
                          description="The letter file: YAML front matter, then Markdown.")


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


class SignatureAdmin(BaseModel):
    id: str
    kind: Kind
    name: Optional[str] = None
    original_name: Optional[str] = None
    affiliation: Optional[str] = None
    country: Optional[str] = None
    email: Optional[str] = None
    email_domain: Optional[str] = None
    state: State
    source: Optional[str] = None
    reason: Optional[str] = None
    created_at: str
    confirmed_at: Optional[str] = None
    listed_at: Optional[str] = None


class SignatureAdminList(BaseModel):
    signatures: list[SignatureAdmin]
    next_cursor: Optional[str] = None


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
                             description="Case-insensitive part of the name.")
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


class RecountIn(_In):
    fix: bool = Field(default=False, description="Repair the counters found drifting.")


class Drift(BaseModel):
    stored: Counts
    recounted: Counts
    drift: dict[str, int] = Field(description="recounted − stored, per counter; empty when none.")
    fixed: bool


class ExportIn(_In):
    format: Literal["csv", "json", "html", "docx"]
    include_email: bool = Field(default=False, description="CSV/JSON only: add signers' emails.")


class ExportOut(BaseModel):
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
    force: bool = Field(default=False, description="Write today's snapshot again if complete.")


class SnapshotReport(BaseModel):
    model_config = ConfigDict(extra="allow")
    slug: str
    date: Optional[str] = None
    status: Literal["complete", "exists", "busy", "skipped", "failed"]
