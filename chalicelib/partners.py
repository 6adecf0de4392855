"""Partners of a coalition letter: organisations with their own link (`?via={code}`), their
own figures and, for their own staff, a token that sees only those (principal.Principal);
its export is a job (`export`: kind `partner_export`, written by exports/partner.py on the
job worker, which alone opens addresses).

A partner is one item (PARTNER#{slug} / {code}, access pattern 22 in keys.py), cached per instance
like the letter item, since every sign-on through its link reads it. Its figures are
counter shards (PCOUNT#{slug}#{code}#{shard}) written in the transactions that change them:
`signed` and `d_{YYYYMMDD}` by the sign-on, `confirmed` by the confirmation, `n_{kind}` and
`c_{country}` by every move into or out of `listed` (transitions.partner_count_step). No
figure is a scan.
"""
from __future__ import annotations

import html
import re
import time
from typing import TYPE_CHECKING, Callable, Optional

from . import consent
from .clock import Clock, iso
from .errors import ConflictError, ForbiddenError, NotFoundError
from .letter_service import LetterService
from .models import PARTNER_CODE
from .settings import Settings
from .storage import NEW_ITEM, Change, Query, Table, Update, exists, keys

if TYPE_CHECKING:
    from .jobs.runner import Jobs
    from .models import PartnerPublic
    from .organiser_models import JobOut
    from .partner_models import (Figures, Partner, PartnerExportIn, PartnerIn, PartnerList,
                                 PartnerUpdateIn)
    from .principal import Principal


_CODE = re.compile(PARTNER_CODE[1:-1])  # a path's code is checked before it becomes a key


EXPORT_KIND = "partner_export"  # the job kind (jobs/work.py → exports/partner.py)


def _no_jobs() -> "Jobs":
    raise RuntimeError("Partners was built without jobs (wiring.build gives it Services.jobs)")


class PartnerExistsError(ConflictError):
    CODE = "partner_exists"
    MESSAGE = "The letter has a partner with this code already."


def signed_step(slug: str, code: str, shard: int, day: str) -> Change:
    """A sign-on through the partner's link: counted, and on its day."""
    return Change(keys.partner_counter_key(slug, code, shard),
                  Update(add={"signed": 1, f"d_{day.replace('-', '')}": 1}))


class Partners:
    def __init__(self, settings: Settings, store: Table, letters: LetterService,
                 clock: Clock, jobs: Optional[Callable[[], "Jobs"]] = None) -> None:
        self.settings, self.store, self.letters, self.clock = settings, store, letters, clock
        # Services.jobs, on first use (wiring injects it: this module imports no job code)
        self.jobs: Callable[[], "Jobs"] = jobs or _no_jobs
        self._cache: dict[tuple[str, str], tuple[Optional[dict], float]] = {}

    def get(self, slug: str, code: str) -> Optional[dict]:
        """The partner item (None if the letter has no such partner); cached a few seconds."""
        if not _CODE.fullmatch(code or ""):
            return None
        now = time.monotonic()
        hit = self._cache.get((slug, code))
        if hit is not None and now - hit[1] < self.settings.letter_cache_seconds:
            return hit[0]
        item = self.store.get(keys.partner_key(slug, code), consistent=False)
        self._cache[(slug, code)] = (item, now)
        return item

    def _item(self, slug: str, code: str) -> dict:
        item = self.store.get(keys.partner_key(slug, code)) if _CODE.fullmatch(code) else None
        if item is None:
            raise NotFoundError("The letter has no partner with this code.")
        return item

    # ---- lead organisers -----------------------------------------------------------

    def add(self, slug: str, data: "PartnerIn") -> "Partner":
        letter = self.letters.letter_item(slug)
        item = {**keys.partner_key(slug, data.code), "code": data.code, "name": data.name,
                "country": data.country, "may_download": data.may_download,
                "public_count": data.public_count, "created_at": iso(self.clock())}
        if not self.store.put({k: v for k, v in item.items() if v is not None},
                              condition=NEW_ITEM):
            raise PartnerExistsError()
        self._cache.pop((slug, data.code), None)
        return self._view(letter, item)

    def update(self, slug: str, code: str, data: "PartnerUpdateIn") -> "Partner":
        letter = self.letters.letter_item(slug)
        self._item(slug, code)  # 404 for an unknown (or malformed) code
        sets = data.model_dump(exclude_none=True)
        if sets and not self.store.update(keys.partner_key(slug, code), Update(set=sets),
                                          condition=exists("PK")):
            raise NotFoundError("The letter has no partner with this code.")
        self._cache.pop((slug, code), None)
        return self._view(letter, self._item(slug, code))

    def list(self, slug: str) -> "PartnerList":
        from .partner_models import PartnerList
        letter = self.letters.letter_item(slug)
        items = self.store.query(Query(pk=keys.partner_partition(slug), consistent=True))
        return PartnerList(partners=[self._view(letter, i) for i in items])

    def require_exists(self, ref: Optional[str]) -> None:
        """404 unless `ref` ("{slug}/{code}", or None for no partner) names a partner."""
        if ref:
            self._item(*ref.split("/", 1))

    def view(self, slug: str, code: str) -> "Partner":
        return self._view(self.letters.letter_item(slug), self._item(slug, code))

    def access(self, slug: str, code: str, partner_of_token: Optional[str]) -> bool:
        """Whether an export is a partner's own (True: consenting signers only, with their
        emails); 404 for an unknown partner; 403 for a partner's token the lead organiser
        has not allowed to download."""
        item = self._item(slug, code)
        if not partner_of_token:
            return False
        if partner_of_token != f"{slug}/{code}":  # (the route checked it too)
            raise ForbiddenError("A partner's token sees only its own figures and export.")
        if not item.get("may_download"):
            raise ForbiddenError("The lead organiser has not allowed this partner to download "
                                 "its referrals' names and emails.")
        return True

    # ---- exports (a job each: exports/partner.py writes it on the job worker) -----------

    def export(self, slug: str, code: str, data: "PartnerExportIn",
               who: "Principal") -> "JobOut":
        """Start the partner's export (202 and a job). A partner's own token gets only its
        consenting referrals (and only if allowed); the lead organiser all its listed
        referrals, or (`consenting_only`) what the partner's token would get."""
        own = self.access(slug, code, who.partner)
        params = {"partner": code, "consenting_only": own or data.consenting_only,
                  "include_email": data.include_email, "by_partner": own}
        return self.jobs().submit(slug, EXPORT_KIND, params, who.who)

    def export_status(self, slug: str, code: str, job_id: str, who: "Principal") -> "JobOut":
        """A partner export as it stands, with a fresh link once complete. A partner's own
        token sees only consenting-only exports of its partner, and only while allowed."""
        own = self.access(slug, code, who.partner)
        match = {"partner": code, **({"consenting_only": True} if own else {})}
        return self.jobs().status(slug, job_id, kind=EXPORT_KIND, params=match)

    # ---- figures -------------------------------------------------------------------

    def totals(self, letter: dict, code: str) -> dict[str, int]:
        """The partner's counters summed over the letter's shards (one BatchGetItem)."""
        total: dict[str, int] = {}
        for item in self.store.batch_get([keys.partner_counter_key(letter["slug"], code, s)
                                          for s in range(letter["shards"])]):
            for name, value in item.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    total[name] = total.get(name, 0) + value
        return total

    def figures(self, letter: dict, code: str) -> "Figures":
        from .models import Counts
        from .partner_models import Figures
        raw = self.totals(letter, code)
        days = {f"{k[2:6]}-{k[6:8]}-{k[8:10]}": v for k, v in sorted(raw.items())
                if k.startswith("d_")}
        return Figures(signed=raw.get("signed", 0), confirmed=raw.get("confirmed", 0),
                       listed=Counts.from_counters(raw), by_day=days,
                       countries={k[2:]: v for k, v in sorted(raw.items())
                                  if k.startswith("c_") and v > 0})

    def _view(self, letter: dict, item: dict) -> "Partner":
        from .partner_models import Partner
        slug, code, site = letter["slug"], item["code"], self.settings.site_url
        link = f"{site}/l/{slug}?via={code}"
        embed = (f'<iframe src="{site}/embed.html?letter={slug}&amp;via={code}" '
                 f'title="{html.escape(letter.get("title", slug))}" width="360" height="200" '
                 'loading="lazy" style="border:0"></iframe>')
        return Partner(code=code, name=item["name"], country=item.get("country"),
                       may_download=bool(item.get("may_download")),
                       public_count=bool(item.get("public_count")), created_at=item["created_at"],
                       share_link=link, embed=embed, figures=self.figures(letter, code))

    # ---- the public link -------------------------------------------------------------

    def public(self, slug: str, code: str) -> "PartnerPublic":
        from .models import PartnerPublic
        letter = self.letters.letter_item(slug)
        item = self.get(slug, code)
        if item is None:
            raise NotFoundError("The letter has no partner with this code.")
        texts = {lang: consent.partner_text(consent.PARTNER_VERSION, lang, item["name"]) or ""
                 for lang in consent.PARTNER_TEXTS}
        count = None
        if item.get("public_count"):
            raw = self.totals(letter, code)
            count = raw.get("n_organisation", 0) + raw.get("n_individual", 0)
        return PartnerPublic(code=code, name=item["name"], consent_version=consent.PARTNER_VERSION,
                             consent=texts, signed_through=count)
