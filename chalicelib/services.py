"""What the API does: letters, sign-on, confirmation and the public list.

Each public method is one use case. Clients, settings and the clock are injected
(see wiring.py); nothing here reads the environment.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from . import consent, letters, mail_text, store as keys
from .errors import (AlreadySignedError, LetterChangedError, LetterClosedError,
                     LetterNotFoundError, ServiceUnavailableError, TokenExpiredError,
                     TokenInvalidError, ValidationFailedError)
from .mail import Mailer, MailError, Message
from .models import (ConfirmationOut, ConsentText, Counts, LetterOut, LetterSummary,
                     PublicSignature, SignAccepted, SignatureList, WithdrawalOut)
from .settings import Settings
from .abuse import Abuse
from .ratelimit import RateLimiter
from .store import Store, TransactionConflict

if TYPE_CHECKING:
    from .moderation import Moderation
    from .organisers import OrganiserTokens
from .text import sort_key

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
PENDING, LISTED, AWAITING = "pending", "listed", "awaiting_approval"
# Deleted on withdrawal (and by retention): everything that identifies the signer.
# (withdraw_hash stays until retention, so a second click answers "already withdrawn".)
PERSONAL_FIELDS = ("name", "original_name", "affiliation", "country", "email", "email_hash",
                   "email_domain", "confirm_hashes", "quarantine_reason", "updates_opt_in",
                   "language")
QUARANTINED, HIDDEN, REJECTED, WITHDRAWN = "quarantined", "hidden", "rejected", "withdrawn"
# The small states organisers work through: indexed in GSI2 (sparse), one partition each.
QUEUE_STATES = (AWAITING, QUARANTINED, HIDDEN, REJECTED)
# Needed only while a signature waits for its confirmation; confirming drops them, which
# keeps a confirmed signature under 1 KB (one write unit per update, docs/COST.md).
PENDING_ONLY_FIELDS = ("confirm_expires_at", "last_sent_at", "sends")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    """UTC, microseconds, "Z": fixed width, so stored times sort as strings."""
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def new_id() -> str:
    """A public signature id: 128 random bits, base32, 26 characters."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def secret_hash(secret: str) -> str:
    """What a signature stores of a link's secret: its sha256, base64url (43 characters;
    hex would be 64, and the bytes saved keep a confirmed signature under 1 KB)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode().rstrip("=")


SECRET_LEN = 43  # secrets.token_urlsafe(32)


def make_token(sig_id: str, secret: str, slug: str) -> str:
    """A link's token: the signature's id, a 256-bit secret, then the letter's slug.

    Fixed widths make it parseable while staying within [A-Za-z0-9_-]; only the secret's
    sha256 is stored (on the signature), so no token item is written or read.
    """
    return f"{sig_id}{secret}{slug}"


def parse_token(token: str) -> Optional[tuple[str, str, str]]:
    if len(token) <= 26 + SECRET_LEN or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        return None
    return token[:26], token[26:26 + SECRET_LEN], token[26 + SECRET_LEN:]


class Undersigned:
    """The application's use cases over one store, one mailer, one clock."""

    def __init__(self, settings: Settings, store: Store, mailer: Mailer,
                 clock: Clock = utcnow) -> None:
        self.settings = settings
        self.store = store
        self.mailer = mailer
        self.clock = clock
        self._hash_key = settings.email_hash_key.encode()
        self.limiter = RateLimiter(store, self._hash_key)
        self._letters: dict[str, tuple[dict, float]] = {}
        self._monotonic = time.monotonic
        self.abuse = Abuse(settings, self.limiter)

    @cached_property
    def organisers(self) -> "OrganiserTokens":
        from .organisers import OrganiserTokens
        return OrganiserTokens(self.store, self.limiter, self.clock,
                               self.settings.auth_failures_per_minute)

    @cached_property
    def moderation(self) -> "Moderation":
        from .moderation import Moderation
        return Moderation(self)

    def email_hash(self, canonical: str) -> str:
        return hmac.new(self._hash_key, canonical.encode(), hashlib.sha256).hexdigest()[:40]

    # ---- letters ---------------------------------------------------------

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
        item = self.store.get(keys.letter_key(slug), consistent=fresh)
        if item is None:
            self._letters.pop(slug, None)
            raise LetterNotFoundError()
        self._letters[slug] = (item, now)
        return item

    def forget_letter(self, slug: str) -> None:
        self._letters.pop(slug, None)

    def counts(self, item: dict) -> Counts:
        raw = self.store.counts(item["slug"], item["shards"])
        orgs, inds = raw.get("n_organisation", 0), raw.get("n_individual", 0)
        n_countries = sum(1 for k, v in raw.items() if k.startswith("c_") and v > 0)
        return Counts(organisations=orgs, individuals=inds, total=orgs + inds,
                      countries=n_countries)

    def _summary_fields(self, item: dict, counts: Counts) -> dict:
        return {"slug": item["slug"], "title": item["title"], "date": item["date"],
                "language": item["language"], "status": self._status(item),
                "closes_at": item.get("closes_at"), "counts": counts}

    def _status(self, item: dict) -> str:
        return "open" if self._is_open(item) else "closed"

    def _is_open(self, item: dict) -> bool:
        closes = item.get("closes_at")
        return item["status"] == "open" and (closes is None or self.clock() < parse_iso(closes))

    def list_letters(self) -> list[LetterSummary]:
        return [LetterSummary(**self._summary_fields(i, self.counts(i)))
                for i in self.store.list_letters()]

    def get_letter(self, slug: str) -> LetterOut:
        item = self.letter_item(slug)
        counts = self.counts(item)
        return LetterOut(
            **self._summary_fields(item, counts),
            addressee=item["addressee"], subject=item.get("subject"),
            salutation=item["salutation"], closing=item["closing"],
            body_html=letters.fill_tally(item["body_html"], counts),
            text_sha256=item["text_sha256"],
            organisations_need_approval=item["organisations_need_approval"],
            consent=ConsentText(version=consent.VERSION, texts=consent.TEXTS, updates=consent.UPDATES),
            turnstile_site_key=self.settings.turnstile_site_key or None)

    def upsert_letter(self, letter: letters.Letter, *, keep_state: bool = True) -> bool:
        """Store a letter (a new text gets a new version). Returns True if anything changed.

        With keep_state, an existing letter keeps its status and closing time, so
        reloading the file does not reopen a letter organisers closed. An edit rewrites only
        the letter's own fields (what the service adds, such as when it closed or its last
        snapshot, stays), on the condition that the text is still the one read: of two
        edits at once, the second is refused (409), not silently lost.
        """
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
            if not self.store.put({"PK": keys.LETTERS_PK, "SK": letter.slug, "slug": letter.slug,
                                   **fields, **state, "versions": [sha],
                                   "shards": self.settings.count_shards,  # fixed for life
                                   "created_at": iso(self.clock())},
                                  condition="attribute_not_exists(PK)"):
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
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":f{i}": v for i, v in enumerate(fields.values()) if v is not None}
        expr = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)) if f":f{i}" in values)
        gone = [f"#f{i}" for i in range(len(fields)) if f":f{i}" not in values]  # e.g. no subject
        if gone:
            expr += " REMOVE " + ", ".join(gone)
        if not self.store.update(keys.letter_key(letter.slug), expr,
                                 {**values, ":read": existing["text_sha256"]},
                                 condition="text_sha256 = :read", names=names):
            raise LetterChangedError()
        self.forget_letter(letter.slug)
        return True

    def import_signatories(self, slug: str, rows: Iterable[dict]) -> int:
        """Add already-collected signatories as listed (no email). Idempotent; returns how many were new."""
        letter = self.letter_item(slug)
        added = 0
        for row in rows:
            kind = row["kind"]
            digest = hashlib.sha256(f"import|{slug}|{kind}|{row['name']}".encode()).digest()[:16]
            sig_id = base64.b32encode(digest).decode().rstrip("=").lower()
            sig = self._new_signature(letter, sig_id, kind, row["name"], row.get("affiliation") or None,
                                      row.get("country") or None, None, letter["text_sha256"])
            sig.update(state=LISTED, source="import", confirmed_at=sig["created_at"])
            try:
                self._create_listed(letter, sig)
            except TransactionConflict:
                continue
            added += 1
        return added

    # ---- signing ---------------------------------------------------------

    def _new_signature(self, letter: dict, sig_id: str, kind: str, name: str,
                       affiliation: Optional[str], country: Optional[str],
                       email: Optional[str], letter_sha: str) -> dict:
        slug = letter["slug"]
        return {**keys.signature_key(slug, sig_id, letter["shards"]), "sig_id": sig_id,
                "letter": slug, "kind": kind,
                "name": name, "affiliation": affiliation, "country": country, "email": email,
                "letter_sha256": letter_sha, "state": PENDING, "v": 0,
                "created_at": iso(self.clock())}

    def _open_letter(self, slug: str) -> dict:
        item = self.letter_item(slug)
        if not self._is_open(item):
            raise LetterClosedError()
        return item

    def sign(self, slug: str, data, source_ip: str) -> SignAccepted:
        """Store a pending signature and email its confirmation link.

        Order: the letter is open and the text known; the honeypot; rate limits (429);
        Turnstile when on; then one transaction (email claim + signature, each
        attribute_not_exists). The email goes out if the address's daily cap allows.
        """
        letter = self._open_letter(slug)
        if data.website:
            log.info("honeypot filled on %s; nothing stored", slug)
            return SignAccepted(email_sent=True)
        if data.letter_sha256 not in letter["versions"]:
            raise ValidationFailedError(
                "The letter has changed since this page was loaded. Reload it and sign again.",
                fields=[{"loc": ["body", "letter_sha256"], "type": "unknown_letter_version"}])
        version = data.consent_version or consent.VERSION
        consent_sha = consent.text_sha256(version, data.language)
        if consent_sha is None:
            raise ValidationFailedError(fields=[{"loc": ["body", "consent_version"],
                                                 "type": "unknown_consent_version"}])
        now = self.clock()
        domain = data.email.canonical.rsplit("@", 1)[1]
        held = self.abuse.check_sign(slug, source_ip, domain, now)
        self.abuse.verify_turnstile(data.turnstile_token, source_ip)
        held = held or self.abuse.suspicious(data.name, domain)
        ehash = self.email_hash(data.email.canonical)
        sig_id = new_id()
        confirm_secret, withdraw_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        sig = self._new_signature(letter, sig_id, data.kind, data.name,
                                  getattr(data, "affiliation", None), data.country,
                                  str(data.email), data.letter_sha256)
        sig.update(
            email_hash=ehash, email_domain=domain, language=data.language,
            consent=True, consent_version=version, consent_sha256=consent_sha,
            consent_at=iso(now), updates_opt_in=data.updates_opt_in,
            confirm_hashes=[secret_hash(confirm_secret)], withdraw_hash=secret_hash(withdraw_secret),
            confirm_expires_at=iso(now + dt.timedelta(hours=self.settings.token_ttl_hours)),
            sends=1, last_sent_at=iso(now), quarantine_reason=held)
        if data.kind == "organisation":
            sig["authorised"] = True
        claim = {**keys.email_claim_key(slug, ehash), "sig_id": sig_id, "created_at": iso(now)}
        absent = "attribute_not_exists(PK)"
        try:
            self.store.transact([
                {"Put": {"Item": keys.to_item(claim), "ConditionExpression": absent}},
                {"Put": {"Item": keys.to_item(sig), "ConditionExpression": absent}},
            ], "sign", sig_id)
        except TransactionConflict as conflict:
            if conflict.failed(0):
                return self._repeat(letter, ehash, data.email.canonical)
            raise
        wait = self.abuse.mail_allowed(data.email.canonical, self.clock())
        if wait is None and self._mail_link(letter, sig, confirm_secret, withdraw_secret):
            return SignAccepted(email_sent=True)
        # Not sent (over the address's daily cap, or the mail failed): the signer may ask
        # again at once; the send that did not happen does not count.
        self.store.update(keys.key_of(sig), "REMOVE last_sent_at SET sends = :zero",
                          {":zero": 0, ":one": 1, ":pending": PENDING},
                          condition="#s = :pending AND sends = :one", names={"#s": "state"})
        return SignAccepted(email_sent=False, retry_after=wait)

    def _mail_link(self, letter: dict, sig: dict, confirm_secret: str,
                   withdraw_secret: Optional[str]) -> bool:
        """Email the confirmation link (and the withdrawal link, when given); False if it failed."""
        message = mail_text.confirmation(
            letter, sig.get("language", "en"), self.settings.site_url,
            make_token(sig["sig_id"], confirm_secret, letter["slug"]),
            make_token(sig["sig_id"], withdraw_secret, letter["slug"]) if withdraw_secret else None,
            self.settings.token_ttl_hours)
        try:
            self.mailer.send(Message(to=sig["email"], subject=message[0], text=message[1]))
            return True
        except MailError:
            log.warning("confirmation mail failed for signature %s", sig["sig_id"])
            return False

    def _repeat(self, letter: dict, ehash: str, canonical: str) -> SignAccepted:
        """The same email signed before: re-send while pending (capped), else 409."""
        claim = self.store.get(keys.email_claim_key(letter["slug"], ehash))
        sig = self.store.get(keys.signature_key(letter["slug"], claim["sig_id"], letter["shards"])) \
            if claim else None
        if sig is None or sig["state"] != PENDING:
            raise AlreadySignedError()  # (None: a withdrawal is under way; try again shortly)
        now = self.clock()
        sends = sig.get("sends", 0)
        if sends >= 1 + self.settings.resend_max:
            return SignAccepted(email_sent=False)
        last = sig.get("last_sent_at")
        if last:
            wait = (parse_iso(last) + dt.timedelta(seconds=self.settings.resend_interval_seconds)
                    - now).total_seconds()
            if wait > 0:
                return SignAccepted(email_sent=False, retry_after=math.ceil(wait))
        # The address's daily cap first: a refused send changes nothing on the signature.
        wait = self.abuse.mail_allowed(canonical, now)
        if wait is not None:
            return SignAccepted(email_sent=False, retry_after=wait)
        secret = secrets.token_urlsafe(32)
        # Every link sent stays valid (until the newest expires): the hashes accumulate,
        # bounded by the resend cap.
        moved = self.store.update(
            keys.key_of(sig),
            "SET sends = :n, last_sent_at = :t, confirm_expires_at = :e, "
            "confirm_hashes = list_append(confirm_hashes, :h)",
            {":n": sends + 1, ":t": iso(now), ":pending": PENDING, ":old": sends,
             ":e": iso(now + dt.timedelta(hours=self.settings.token_ttl_hours)),
             ":h": [secret_hash(secret)]},
            condition="#s = :pending AND sends = :old", names={"#s": "state"})
        if not moved:  # a parallel repeat won the race and is sending the link
            return SignAccepted(email_sent=False, retry_after=self.settings.resend_interval_seconds)
        if self._mail_link(letter, sig, secret, None):
            return SignAccepted(email_sent=True)
        # The mail failed: take back the link that was never sent (its hash, the later
        # expiry, the count), unless the signature moved on meanwhile (e.g. confirmed).
        self.store.update(
            keys.key_of(sig),
            f"SET sends = :old, confirm_expires_at = :e "
            f"REMOVE last_sent_at, confirm_hashes[{len(sig.get('confirm_hashes', []))}]",
            {":old": sends, ":n": sends + 1, ":e": sig["confirm_expires_at"], ":pending": PENDING},
            condition="#s = :pending AND sends = :n", names={"#s": "state"})
        return SignAccepted(email_sent=False)

    # ---- confirmation and withdrawal ------------------------------------------

    def _by_token(self, token: str, field: str) -> tuple[dict, dict]:
        """The letter and signature a link's token names, if its secret matches `field`."""
        parsed = parse_token(token)
        if parsed is None:
            raise TokenInvalidError()
        sig_id, secret, slug = parsed
        letter = self.letter_item(slug) if SLUG.fullmatch(slug) else None
        if letter is None:
            raise TokenInvalidError()
        sig = self.store.get(keys.signature_key(slug, sig_id, letter["shards"]))
        stored = (sig or {}).get(field)
        hashes = stored if isinstance(stored, list) else [stored] if stored else []
        # Links sent before the hashes were stored base64url hold the hex form.
        digests = (secret_hash(secret), hashlib.sha256(secret.encode()).hexdigest())
        if not any(hmac.compare_digest(d, h) for h in hashes for d in digests):
            raise TokenInvalidError()
        return letter, sig

    def confirm(self, token: str, source_ip: str) -> ConfirmationOut:
        self.abuse.check_token_use(source_ip, self.clock())
        try:
            letter, sig = self._by_token(token, "confirm_hashes")
        except LetterNotFoundError:
            raise TokenInvalidError() from None
        if sig["state"] != PENDING:
            if sig["state"] in (LISTED, AWAITING, QUARANTINED, HIDDEN):
                return ConfirmationOut(letter=sig["letter"], already_confirmed=True,
                                       state=LISTED if sig["state"] == LISTED else AWAITING)
            raise TokenInvalidError()
        if parse_iso(sig["confirm_expires_at"]) <= self.clock():
            raise TokenExpiredError()
        if not self._is_open(letter):
            raise LetterClosedError()
        vetted = sig["kind"] == "organisation" and letter["organisations_need_approval"]
        state = QUARANTINED if sig.get("quarantine_reason") else AWAITING if vetted else LISTED
        try:
            # The confirmation hashes stay: a second click answers "already confirmed".
            self.transition(letter, sig, state, set_fields={"confirmed_at": iso(self.clock())},
                            remove=PENDING_ONLY_FIELDS)
        except TransactionConflict:  # a parallel confirmation got there first
            current = self.store.get(keys.key_of(sig)) or {}
            if current.get("state") in (LISTED, AWAITING, QUARANTINED, HIDDEN):
                return ConfirmationOut(letter=sig["letter"], already_confirmed=True,
                                       state=LISTED if current["state"] == LISTED else AWAITING)
            raise TokenInvalidError() from None
        return ConfirmationOut(letter=sig["letter"], already_confirmed=False,
                               state=LISTED if state == LISTED else AWAITING)

    def withdraw(self, token: str, source_ip: str) -> WithdrawalOut:
        """The signer takes their name back: unlisted, uncounted, personal fields deleted.

        What stays is what the delivery history needs: kind, dates, "withdrawn on D,
        after snapshot S". The email claim goes too, so they can sign again.
        """
        self.abuse.check_token_use(source_ip, self.clock())
        try:
            letter, sig = self._by_token(token, "withdraw_hash")
        except LetterNotFoundError:
            raise TokenInvalidError() from None
        if sig["state"] == WITHDRAWN:
            return WithdrawalOut(letter=sig["letter"], already_withdrawn=True)
        claim = keys.email_claim_key(letter["slug"], sig["email_hash"])
        try:
            self.transition(
                letter, sig, WITHDRAWN,
                set_fields={"withdrawn_at": iso(self.clock()),
                            "withdrawn_after_snapshot": letter.get("last_snapshot")},
                remove=PERSONAL_FIELDS,
                also=[{"Delete": {"Key": keys.to_item(claim),
                                  "ConditionExpression": "sig_id = :me",
                                  "ExpressionAttributeValues": {":me": {"S": sig["sig_id"]}}}}],
                audit={"who": "the signer", "action": "withdraw"})
        except TransactionConflict:
            current = self.store.get(keys.key_of(sig)) or {}
            if current.get("state") == WITHDRAWN:
                return WithdrawalOut(letter=sig["letter"], already_withdrawn=True)
            raise ServiceUnavailableError(1) from None
        return WithdrawalOut(letter=sig["letter"], already_withdrawn=False)

    def _list_keys(self, sig: dict, shards: int) -> dict:
        shard = keys.shard_of(sig["sig_id"], shards)
        return {"GSI1PK": keys.list_partition(sig["letter"], shard),
                "GSI1SK": keys.list_sort_key(sig["kind"], sort_key(sig["kind"], sig["name"]),
                                             sig["sig_id"])}

    def _create_listed(self, letter: dict, sig: dict) -> None:
        """Put a new, already listed signature (imports) and count it, in one transaction."""
        shard = keys.shard_of(sig["sig_id"], letter["shards"])
        item = {**sig, **self._list_keys(sig, letter["shards"]), "listed_at": sig["created_at"]}
        self.store.transact([
            {"Put": {"Item": keys.to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}},
            self._count_action(letter["slug"], shard, sig, +1),
        ], "create", sig["sig_id"])

    def transition(self, letter: dict, sig: dict, to: str, *, set_fields: Optional[dict] = None,
                   remove: Iterable[str] = (), audit: Optional[dict] = None,
                   also: Iterable[dict] = ()) -> dict:
        """Move a signature to state `to` in one transaction; returns the new item's fields.

        The update is conditioned on the state and version read, and carries the index
        keys of the new state (GSI1 while listed, GSI2 for the moderation states). A move
        into or out of `listed` adjusts the counter shard in the same transaction; an
        audit record, when given, is written in it too. Raises TransactionConflict if the
        signature changed meanwhile.
        """
        frm, version = sig["state"], sig.get("v", 0)
        now = iso(self.clock())
        sets = {"#s": to, "v": version + 1, "updated_at": now,
                **{k: v for k, v in (set_fields or {}).items() if v is not None}}
        drop = set(remove) - set(sets)
        if to == LISTED:
            sets.update(self._list_keys({**sig, **sets}, letter["shards"]))
            if frm != LISTED:  # a rename keeps when it was listed
                sets.setdefault("listed_at", now)
        elif frm == LISTED:
            drop |= {"GSI1PK", "GSI1SK"}
        if to in QUEUE_STATES:
            sets.update(GSI2PK=keys.queue_partition(sig["letter"], to),
                        GSI2SK=f"{sig['created_at']}#{sig['sig_id']}")
        elif frm in QUEUE_STATES:
            drop |= {"GSI2PK", "GSI2SK"}
        names = {"#s": "state"}
        values: dict = {":from": frm, ":v": version}
        parts = []
        for i, (name, value) in enumerate(sets.items()):
            ref = name if name.startswith("#") else f"#a{i}"
            if not name.startswith("#"):
                names[ref] = name
            values[f":x{i}"] = value
            parts.append(f"{ref} = :x{i}")
        expr = "SET " + ", ".join(parts)
        if drop:
            for j, name in enumerate(sorted(drop)):
                names[f"#r{j}"] = name
            expr += " REMOVE " + ", ".join(f"#r{j}" for j in range(len(drop)))
        actions = [{"Update": {
            "Key": keys.to_item(keys.key_of(sig)), "UpdateExpression": expr,
            "ConditionExpression": "#s = :from AND (attribute_not_exists(v) OR v = :v)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": keys.to_item(values)}}]
        delta = (to == LISTED) - (frm == LISTED)
        if delta:
            shard = keys.shard_of(sig["sig_id"], letter["shards"])
            actions.append(self._count_action(letter["slug"], shard, sig, delta))
        if audit is not None:
            actions.append({"Put": {"Item": keys.to_item(self._audit_item(
                letter["slug"], sig, frm, to, audit, now))}})
        actions.extend(also)
        self.store.transact(actions, "move", sig["sig_id"], str(version), frm, to)
        after = {**sig, **{k.lstrip("#") if k != "#s" else "state": v for k, v in sets.items()}}
        for name in drop:
            after.pop(name, None)
        return after

    def _audit_item(self, slug: str, sig: dict, frm: str, to: str, audit: dict, now: str) -> dict:
        return {**keys.audit_key(slug, now), "at": now, "sig_id": sig["sig_id"],
                "before": {"state": frm, **audit.get("before", {})},
                "after": {"state": to, **audit.get("after", {})},
                "who": audit["who"], "action": audit["action"], "reason": audit.get("reason")}

    def _count_action(self, slug: str, shard: int, sig: dict, delta: int) -> dict:
        names = {"#k": f"n_{sig['kind']}"}
        expr = "ADD #k :d"
        if sig.get("country"):
            names["#c"] = f"c_{sig['country']}"
            expr += ", #c :d"
        return {"Update": {"Key": keys.to_item(keys.counter_key(slug, shard)),
                           "UpdateExpression": expr, "ExpressionAttributeNames": names,
                           "ExpressionAttributeValues": {":d": {"N": str(delta)}}}}

    # ---- public list -----------------------------------------------------

    def public_list(self, slug: str, *, cursor: Optional[str], limit: int,
                    kind: Optional[str]) -> SignatureList:
        letter = self.letter_item(slug)
        after = decode_cursor(cursor) if cursor else ""
        prefix = f"{keys.KIND_ORDER[kind]}#" if kind else ""
        items, more = self.store.list_page(slug, letter["shards"], after, limit, prefix)
        sigs = [PublicSignature(id=i["sig_id"], kind=i["kind"], name=i["name"],
                                affiliation=i.get("affiliation"), country=i.get("country"))
                for i in items]
        next_cursor = encode_cursor(items[-1]["GSI1SK"]) if more and items else None
        return SignatureList(signatures=sigs, next_cursor=next_cursor)


def encode_cursor(sort_key_value: str) -> str:
    return base64.urlsafe_b64encode(f"v1:{sort_key_value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    # A cursor is the last sort key of a page: "{1|2}#{sortkey}#{26-char id}".
    # (DynamoDB refuses a sort key over 1,024 bytes: so does this.)
    if not raw.startswith("v1:") or len(raw[3:].encode()) > 1024 \
            or not CURSOR_KEY.fullmatch(raw[3:]):
        raise ValidationFailedError(fields=[{"loc": ["query", "cursor"], "type": "invalid_cursor"}])
    return raw[3:]


CURSOR_KEY = re.compile(r"[12]#.*#[a-z2-7]{26}", re.S)

