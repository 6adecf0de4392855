"""Pydantic models for every request and response body of the API."""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter,
                      field_validator)
from pydantic_core import PydanticCustomError

from . import countries, text

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Hex sha256.")]
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
Slug = Annotated[str, Field(pattern=f"^{SLUG.pattern}$")]
CountryCode = Annotated[str, Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")]
Kind = Literal["organisation", "individual"]
PARTNER_CODE = r"^[a-z0-9]{2,16}$"  # a partner's short code, as in /l/{slug}?via={code}
def _sane_time(v: dt.datetime) -> dt.datetime:
    # Four-digit years only, and room to convert to UTC (a time zone can shift the year).
    if not dt.datetime(2000, 1, 2).date() <= v.date() <= dt.date(9998, 12, 30):
        raise _custom("out_of_range", "give a time between the years 2000 and 9998")
    return v


# JSON has no datetime type: accept ISO 8601 strings even in strict models.
Timestamp = Annotated[dt.datetime, Field(strict=False), AfterValidator(_sane_time)]


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
    via: Optional[str] = Field(default=None, pattern=PARTNER_CODE,
                               description="The partner code of the link the signer came by "
                                           "(?via=); an unknown code is ignored.")
    partner_consent: bool = Field(
        default=False, description="Separate, optional: the signer ticked \"{partner} may "
                                   "contact me about this letter\" (recorded with its text).")

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


class Delivered(BaseModel):
    """The letter's latest delivery, as the public page says it."""
    addressee: str
    date: dt.date
    signatures: int = Field(description="Listed signatures in the delivered PDF.")


class WithdrawalOut(BaseModel):
    letter: Slug
    state: Literal["withdrawn"] = "withdrawn"
    already_withdrawn: bool
    after_delivery: Optional[Delivered] = Field(
        default=None, description="The delivery this withdrawal came after: the name was in "
                                  "what was delivered then, and is in no later copy.")


# ---- responses -------------------------------------------------------------

class Counts(BaseModel):
    organisations: int
    individuals: int
    total: int
    countries: int

    @classmethod
    def from_counters(cls, raw: dict[str, int]) -> "Counts":
        """From the counter attributes summed over a letter's shards (n_{kind}, c_{country})."""
        orgs, inds = raw.get("n_organisation", 0), raw.get("n_individual", 0)
        return cls(organisations=orgs, individuals=inds, total=orgs + inds,
                   countries=sum(1 for k, v in raw.items() if k.startswith("c_") and v > 0))


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


def _contact(v: str) -> str:
    try:
        text.parse_email(v)
    except text.TextError:
        raise _custom("invalid_email", "give an email address") from None
    return v


class Organisers(BaseModel):
    """Who is behind a letter, as the public page, the emails and the withdrawal page name
    them. Published: the contact is the organisers' own address, never a signer's."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f<>\"]+$",
                      description="The coalition or organisation; also the mail's From name.")
    contact_email: Annotated[str, Field(max_length=254), AfterValidator(_contact)] = Field(
        description="The organisers' published address; the mail's Reply-To.")
    privacy_url: str = Field(max_length=500, pattern=r"^https?://[^\s<>\"]+$",
                             description="Their privacy notice.")
    controller: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f]+$",
                            description="The data controller: who is responsible for the "
                                        "signatories' data (name and address).")


class TranslationOut(BaseModel):
    """The letter in another language: its own text and hash (a signer reading it signs it)."""

    language: str
    title: str
    addressee: str
    subject: Optional[str] = None
    salutation: str
    closing: str
    body_html: str
    text_sha256: Sha256
    current: bool = Field(description="False: translated from an earlier version of the "
                                      "authoritative text.")


class LetterOut(LetterSummary):
    addressee: str
    subject: Optional[str] = None
    salutation: str
    closing: str
    body_html: str = Field(description="The letter body, rendered from Markdown with raw HTML "
                                       "disabled and the tally placeholders filled in.")
    text_sha256: Sha256
    organisations_need_approval: bool
    organisers: Optional[Organisers] = Field(
        default=None, description="Who is behind the letter; absent when the organisers have "
                                  "not said (never made up).")
    signers: Literal["everyone", "organisations", "individuals"] = Field(
        default="everyone", description="Who may sign: a sign-on of another kind is refused (422).")
    translations: list[TranslationOut] = Field(
        default_factory=list, description="The letter in other languages. The text in "
                                          "`language` (above) is the authoritative one.")
    consent: ConsentText
    turnstile_site_key: Optional[str] = Field(
        default=None, description="Set when the sign-on form must carry a Turnstile token.")
    delivered: Optional[Delivered] = Field(
        default=None, description="The latest delivery: to whom, when, with how many names.")


class PartnerPublic(BaseModel):
    """What a partner's link shows: its name, its own consent text and, if the lead
    organiser made it public, how many signed through it."""
    code: str
    name: str
    consent_version: str
    consent: dict[str, str] = Field(description="Language → the partner's consent text.")
    signed_through: Optional[int] = Field(
        default=None, description="Listed signatures that came by this link (null: not public).")


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
    """The same answer for every accepted sign-on: a new one, a repeat of a pending one, an
    address that has signed already (its owner is mailed), so it never tells who signed."""
    status: Literal["pending"] = "pending"
    mail: Literal["queued"] = Field(
        default="queued", description="The email is queued; the mail worker sends it.")
    resend_after: int = Field(
        description="Seconds before asking again can send another link.")
    queue_delay_seconds: int = Field(
        default=0, description="How far behind the mail queue is (0: it keeps up). Past a "
                               "minute, the page says the email may take a few minutes.")


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
