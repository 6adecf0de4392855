"""Letters as the public reads them: the cached item, counts, list and page, the public
list of names, and storing a letter (a new text gets a new version)."""
from __future__ import annotations

import time
from typing import Optional

from . import consent, cursors, letters, link_tokens
from .clock import Clock, iso, parse_iso
from .errors import LetterChangedError, LetterNotFoundError, NotFoundError, TokenInvalidError
from .models import (SLUG, ConsentText, Counts, Delivered, LetterOut, LetterSummary,
                     PublicSignature, SignatureList, TranslationOut)
from .settings import Settings
from .storage import NEW_ITEM, Table, Update, eq, keys


class LetterService:
    def __init__(self, settings: Settings, store: Table, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._letters: dict[str, tuple[dict, float]] = {}
        self._translations: dict[str, tuple[dict, list[dict]]] = {}
        self._monotonic = time.monotonic

    def letter_of_token(self, token: str) -> tuple[dict, str, str]:
        """The letter a link's token names, with the token's signature id and secret; a
        malformed token, or one naming no letter, is TokenInvalidError."""
        parsed = link_tokens.parse_token(token)
        if parsed is None:
            raise TokenInvalidError()
        sig_id, secret, slug = parsed
        try:
            return self.letter_item(slug), sig_id, secret
        except LetterNotFoundError:
            raise TokenInvalidError() from None

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

    def public_item(self, slug: str) -> dict:
        """The letter item, unless it is a draft (never opened): those are not public."""
        item = self.letter_item(slug)
        if item.get("draft"):
            raise LetterNotFoundError()
        return item

    def in_language(self, item: dict, language: Optional[str]) -> dict:
        """The letter item with its text in `language` (a translation's), for the delivery
        letter; the letter's own text when `language` is None or its own. 404 if none."""
        if not language or language == item["language"]:
            return item
        found = [t for t in self.translation_items(item) if t["language"] == language]
        if not found:
            raise NotFoundError("The letter has no translation in that language.")
        return {**item, **{k: found[0].get(k) for k in (
            "language", "title", "addressee", "subject", "salutation", "closing", "body_html",
            "text_sha256")}}

    def forget_letter(self, slug: str) -> None:
        self._letters.pop(slug, None)

    def translation_items(self, item: dict) -> list[dict]:
        """The letter's translations (one BatchGetItem), kept while the letter item names
        the same ones: a changed translation has a new hash in its `translations` map."""
        wanted = item.get("translations") or {}
        if not wanted:
            return []
        hit = self._translations.get(item["slug"])
        if hit is not None and hit[0] == wanted:
            return hit[1]
        found = self.store.batch_get([keys.translation_key(item["slug"], lang) for lang in sorted(wanted)])
        found.sort(key=lambda t: t["language"])
        self._translations[item["slug"]] = (wanted, found)
        return found

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
                for i in self.store.list_letters() if not i.get("draft")]

    def get_letter(self, slug: str) -> LetterOut:
        return self.letter_out(self.public_item(slug))

    def letter_out(self, item: dict, counts: Optional[Counts] = None) -> LetterOut:
        counts = counts or self.counts(item)
        return LetterOut(
            **self._summary_fields(item, counts),
            addressee=item["addressee"], subject=item.get("subject"),
            salutation=item["salutation"], closing=item["closing"],
            body_html=letters.fill_tally(item["body_html"], counts),
            text_sha256=item["text_sha256"],
            organisations_need_approval=item["organisations_need_approval"],
            organisers=item.get("organisers"),
            signers=item.get("signers") or "everyone",
            translations=[TranslationOut(
                **{k: t.get(k) for k in ("language", "title", "addressee", "subject",
                                         "salutation", "closing", "text_sha256")},
                body_html=letters.fill_tally(t["body_html"], counts),
                current=t.get("of_sha256") == item["text_sha256"])
                for t in self.translation_items(item)],
            consent=ConsentText(version=consent.VERSION, texts=consent.TEXTS, updates=consent.UPDATES),
            turnstile_site_key=self.settings.turnstile_site_key or None,
            delivered=delivered(item))

    def upsert_letter(self, letter: letters.Letter, *, keep_state: bool = True,
                      existing: Optional[dict] = None, draft: bool = False) -> bool:
        """Store a letter (a new text gets a new version). Returns True if anything changed.

        With keep_state, an existing letter keeps its status and closing time, so
        reloading the file does not reopen a letter organisers closed. An edit rewrites only
        the letter's own fields (what the service adds, such as when it closed or its last
        snapshot, stays), on the condition that the text is still the one read: of two
        edits at once, the second is refused (409), not silently lost. `existing` is the
        item as the caller read it (consistently), if it did. A new `draft` is kept off the
        public pages until it is first opened (LetterAdmin.set_status).
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
            "organisers": letter.organisers.model_dump() if letter.organisers else None,
            "signers": None if letter.signers == "everyone" else letter.signers,  # absent: everyone
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
                                   "created_at": iso(self.clock()),
                                   **({"draft": True} if draft else {})}, condition=NEW_ITEM):
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
        letter = self.public_item(slug)
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
