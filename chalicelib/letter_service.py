"""Letters as the public reads them: the cached item, counts, list and page, the public
list of names, and storing a letter (a new text gets a new version)."""
from __future__ import annotations

import time
from typing import Optional

from . import consent, cursors, letters
from .clock import Clock, iso, parse_iso
from .errors import LetterChangedError, LetterNotFoundError
from .models import (SLUG, ConsentText, Counts, Delivered, LetterOut, LetterSummary, PublicSignature,
                     SignatureList)
from .settings import Settings
from .storage import NEW_ITEM, Table, Update, eq, keys


class LetterService:
    def __init__(self, settings: Settings, store: Table, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._letters: dict[str, tuple[dict, float]] = {}
        self._monotonic = time.monotonic

    def letter_item(self, slug: str, *, fresh: bool = False) -> dict:
        """The letter's stored item, from a short in-process cache unless `fresh`.

        Every sign-on, confirmation and public read needs it; without the cache a viral
        letter's one item would take tens of thousands of reads a second, past a
        partition's 3,000. A change made in this process is seen at once (forget_letter);
        one made elsewhere within LETTER_CACHE_SECONDS.
        """
        if not SLUG.fullmatch(slug):
            raise LetterNotFoundError()
        now = self._monotonic()
        hit = self._letters.get(slug)
        if hit is not None and not fresh and now - hit[1] < self.settings.letter_cache_seconds:
            return hit[0]
        item = self.store.get_letter(slug, consistent=fresh)
        if item is None:
            self._letters.pop(slug, None)
            raise LetterNotFoundError()
        self._letters[slug] = (item, now)
        return item

    def forget_letter(self, slug: str) -> None:
        self._letters.pop(slug, None)

    def counts(self, item: dict) -> Counts:
        return Counts.from_counters(self.store.counter_totals(item["slug"], item["shards"]))

    def is_open(self, item: dict) -> bool:
        closes = item.get("closes_at")
        return item["status"] == "open" and (closes is None or self.clock() < parse_iso(closes))

    def status(self, item: dict) -> str:
        return "open" if self.is_open(item) else "closed"

    def _summary_fields(self, item: dict, counts: Counts) -> dict:
        return {"slug": item["slug"], "title": item["title"], "date": item["date"],
                "language": item["language"], "status": self.status(item),
                "closes_at": item.get("closes_at"), "counts": counts}

    def list_letters(self) -> list[LetterSummary]:
        return [LetterSummary(**self._summary_fields(i, self.counts(i)))
                for i in self.store.list_letters()]

    def get_letter(self, slug: str) -> LetterOut:
        return self.letter_out(self.letter_item(slug))

    def letter_out(self, item: dict, counts: Optional[Counts] = None) -> LetterOut:
        counts = counts or self.counts(item)
        return LetterOut(
            **self._summary_fields(item, counts),
            addressee=item["addressee"], subject=item.get("subject"),
            salutation=item["salutation"], closing=item["closing"],
            body_html=letters.fill_tally(item["body_html"], counts),
            text_sha256=item["text_sha256"],
            organisations_need_approval=item["organisations_need_approval"],
            consent=ConsentText(version=consent.VERSION, texts=consent.TEXTS, updates=consent.UPDATES),
            turnstile_site_key=self.settings.turnstile_site_key or None,
            delivered=delivered(item))

    def upsert_letter(self, letter: letters.Letter, *, keep_state: bool = True,
                      existing: Optional[dict] = None) -> bool:
        """Store a letter (a new text gets a new version). Returns True if anything changed.

        With keep_state, an existing letter keeps its status and closing time, so
        reloading the file does not reopen a letter organisers closed. An edit rewrites only
        the letter's own fields (what the service adds, such as when it closed or its last
        snapshot, stays), on the condition that the text is still the one read: of two
        edits at once, the second is refused (409), not silently lost. `existing` is the
        item as the caller read it (consistently), if it did.
        """
        if existing is None:
            existing = self.store.get(keys.letter_key(letter.slug))
        sha = letter.text_sha256
        fields = {
            "title": letter.title, "date": letter.date.isoformat(),
            "addressee": letter.addressee.strip(), "subject": letter.subject,
            "salutation": letter.salutation, "closing": letter.closing,
            "language": letter.language,
            "organisations_need_approval": letter.organisations_need_approval,
            "body_html": letters.render_body(letter.body), "text_sha256": sha,
        }
        state = {"status": letter.status,
                 "closes_at": iso(letter.closes_at) if letter.closes_at else None}
        version = {**keys.version_key(letter.slug, sha), "body_md": letter.body,
                   "created_at": iso(self.clock())}
        if existing is None:
            self.store.put(version)
            if not self.store.put({**keys.letter_key(letter.slug), "slug": letter.slug,
                                   **fields, **state, "versions": [sha],
                                   "shards": self.settings.count_shards,  # fixed for life
                                   "created_at": iso(self.clock())}, condition=NEW_ITEM):
                raise LetterChangedError()
            self.forget_letter(letter.slug)
            return True
        fields["versions"] = list(dict.fromkeys([*existing["versions"], sha]))
        if not keep_state:
            fields.update(state)
        if all(existing.get(k) == v for k, v in fields.items()):
            return False
        self.store.put(version)
        if not keep_state and letter.status == "open":
            fields["closed_at"] = None
        # A field set to None (e.g. no subject) is removed.
        if not self.store.update(keys.letter_key(letter.slug), Update(set=fields),
                                 condition=eq("text_sha256", existing["text_sha256"])):
            raise LetterChangedError()
        self.forget_letter(letter.slug)
        return True

    def public_list(self, slug: str, *, cursor: Optional[str], limit: int,
                    kind: Optional[str]) -> SignatureList:
        letter = self.letter_item(slug)
        after = cursors.decode_public(cursor) if cursor else ""
        prefix = f"{keys.KIND_ORDER[kind]}#" if kind else ""
        items, more = self.store.list_page(slug, letter["shards"], after, limit, prefix)
        sigs = [PublicSignature(id=i["sig_id"], kind=i["kind"], name=i["name"],
                                affiliation=i.get("affiliation"), country=i.get("country"))
                for i in items]
        next_cursor = cursors.encode_public(items[-1]["GSI1SK"]) if more and items else None
        return SignatureList(signatures=sigs, next_cursor=next_cursor)


def delivered(item: dict) -> Optional[Delivered]:
    """The letter's latest delivery (`last_delivery`, set by delivery.deliveries), if any."""
    last = item.get("last_delivery")
    if not last:
        return None
    return Delivered(addressee=last["addressee"], date=last["date"],
                     signatures=last["signatures"])
