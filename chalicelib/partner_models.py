"""Pydantic models of the partner routes, imported by their handlers when they run."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field

from .models import PARTNER_CODE, Counts, CountryCode, _In


class PartnerIn(_In):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f=+@-][^\x00-\x1f]*$")
    country: Optional[CountryCode] = None
    code: str = Field(pattern=PARTNER_CODE, description="Short code in the partner's link "
                                                        "(`/l/{slug}?via={code}`), 2-16 of a-z 0-9.")
    may_download: bool = Field(
        default=False, description="The partner's own token may download the names and emails "
                                   "of its referrals who ticked the partner's consent.")
    public_count: bool = Field(default=False,
                               description="Show \"Signed through {partner}: N\" on its link.")


class PartnerUpdateIn(_In):
    name: Optional[str] = Field(default=None, min_length=1, max_length=200,
                                pattern=r"^[^\x00-\x1f=+@-][^\x00-\x1f]*$")
    country: Optional[CountryCode] = None
    may_download: Optional[bool] = None
    public_count: Optional[bool] = None


class Figures(BaseModel):
    signed: int = Field(description="Sign-ons through the partner's link (pending ones too).")
    confirmed: int = Field(description="Of them, confirmed by their email link.")
    listed: Counts = Field(description="On the list now, by kind (and countries).")
    countries: dict[str, int] = Field(description="Listed, by country code.")
    by_day: dict[str, int] = Field(description="Sign-ons per day (UTC, YYYY-MM-DD).")


class Partner(BaseModel):
    code: str
    name: str
    country: Optional[str] = None
    may_download: bool
    public_count: bool
    created_at: str
    share_link: str = Field(description="The partner's link to the letter.")
    embed: str = Field(description="HTML to embed the sign-on form with the partner's code.")
    figures: Figures


class PartnerList(BaseModel):
    partners: list[Partner]


class PartnerExportIn(_In):
    include_email: bool = Field(default=False, description="Add the signers' emails. A "
                                                           "partner's token gets them only for "
                                                           "signers who ticked its consent.")
    consenting_only: bool = Field(
        default=False, description="Lead organisers: only the referrals who ticked the "
                                   "partner's consent (what the partner's own token always "
                                   "gets).")
