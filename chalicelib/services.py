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
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from . import letters, store as keys
from .errors import (AlreadySignedError, LetterClosedError, LetterNotFoundError,
                     TokenExpiredError, TokenInvalidError, ValidationFailedError)
from .mail import Mailer, MailError, Message
from .models import (ConfirmationOut, Counts, LetterOut, LetterSummary, PublicSignature,
                     SignAccepted, SignatureList)
from .settings import Settings
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
QUARANTINED, HIDDEN, REJECTED, WITHDRAWN = "quarantined", "hidden", "rejected", "withdrawn"
# The small states organisers work through: indexed in GSI2 (sparse), one partition each.
QUEUE_STATES = (AWAITING, QUARANTINED, HIDDEN, REJECTED)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def new_id() -> str:
    """A public signature id: 128 random bits, base32, 26 characters."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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

    def _letter_item(self, slug: str) -> dict:
        if not SLUG.fullmatch(slug):
            raise LetterNotFoundError()
        item = self.store.get_letter(slug)
        if item is None:
            raise LetterNotFoundError()
        return item

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
        item = self._letter_item(slug)
        counts = self.counts(item)
        return LetterOut(
            **self._summary_fields(item, counts),
            addressee=item["addressee"], subject=item.get("subject"),
            salutation=item["salutation"], closing=item["closing"],
            body_html=letters.fill_tally(item["body_html"], counts),
            text_sha256=item["text_sha256"],
            organisations_need_approval=item["organisations_need_approval"])

    def upsert_letter(self, letter: letters.Letter, *, keep_state: bool = True) -> bool:
        """Store a letter (a new text gets a new version). Returns True if anything changed.

        With keep_state, an existing letter keeps its status and closing time, so
        reloading the file does not reopen a letter organisers closed.
        """
        existing = self.store.get(keys.letter_key(letter.slug))
        sha = letter.text_sha256
        item = {
            "PK": keys.LETTERS_PK, "SK": letter.slug, "slug": letter.slug,
            "title": letter.title, "date": letter.date.isoformat(),
            "addressee": letter.addressee.strip(), "subject": letter.subject,
            "salutation": letter.salutation, "closing": letter.closing,
            "language": letter.language, "status": letter.status,
            "closes_at": iso(letter.closes_at) if letter.closes_at else None,
            "organisations_need_approval": letter.organisations_need_approval,
            "body_html": letters.render_body(letter.body), "text_sha256": sha,
            "versions": [sha], "shards": self.settings.count_shards,
            "created_at": iso(self.clock()),
        }
        if existing:
            if keep_state:
                item["status"] = existing["status"]
                item["closes_at"] = existing.get("closes_at")
            item["shards"] = existing["shards"]  # fixed for life: counts and list depend on it
            item["created_at"] = existing["created_at"]
            item["versions"] = list(dict.fromkeys([*existing["versions"], sha]))
            if all(existing.get(k) == v for k, v in item.items()):
                return False
        self.store.put({**keys.version_key(letter.slug, sha), "body_md": letter.body,
                        "created_at": iso(self.clock())})
        self.store.put(item)
        return True

    def import_signatories(self, slug: str, rows: Iterable[dict]) -> int:
        """Add already-collected signatories as listed (no email). Idempotent; returns how many were new."""
        letter = self._letter_item(slug)
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
        item = self._letter_item(slug)
        if not self._is_open(item):
            raise LetterClosedError()
        return item

    def sign(self, slug: str, data) -> SignAccepted:
        """Store a pending signature and email its confirmation link."""
        letter = self._open_letter(slug)
        if data.letter_sha256 not in letter["versions"]:
            raise ValidationFailedError(
                "The letter has changed since this page was loaded. Reload it and sign again.",
                fields=[{"loc": ["body", "letter_sha256"], "type": "unknown_letter_version"}])
        now = self.clock()
        ehash = self.email_hash(data.email.canonical)
        sig_id, token = new_id(), secrets.token_urlsafe(32)
        sig = self._new_signature(letter, sig_id, data.kind, data.name,
                                  getattr(data, "affiliation", None), data.country,
                                  str(data.email), data.letter_sha256)
        sig.update(email_hash=ehash, consent=True, sends=1, last_sent_at=iso(now),
                   email_domain=data.email.canonical.rsplit("@", 1)[1])
        if data.kind == "organisation":
            sig["authorised"] = True
        claim = {**keys.email_claim_key(slug, ehash), "sig_id": sig_id, "created_at": iso(now)}
        absent = "attribute_not_exists(PK)"
        try:
            self.store.transact([
                {"Put": {"Item": keys.to_item(claim), "ConditionExpression": absent}},
                {"Put": {"Item": keys.to_item(sig), "ConditionExpression": absent}},
                {"Put": {"Item": keys.to_item(self._token_item(token, sig_id, slug, now)),
                         "ConditionExpression": absent}},
            ], "sign", sig_id)
        except TransactionConflict as conflict:
            if conflict.failed(0):
                return self._repeat(letter, ehash)
            raise
        return SignAccepted(email_sent=self._send_confirmation(letter, sig, token))

    def _token_item(self, token: str, sig_id: str, slug: str, now: dt.datetime) -> dict:
        expires = now + dt.timedelta(hours=self.settings.token_ttl_hours)
        return {**keys.token_key(token_hash(token)), "purpose": "confirm", "sig_id": sig_id,
                "letter": slug, "expires_at": iso(expires),
                # TTL deletes a day after expiry, so an expired link still says "expired"
                keys.TTL_ATTRIBUTE: int(expires.timestamp()) + 86400}

    def _send_confirmation(self, letter: dict, sig: dict, token: str) -> bool:
        link = f"{self.settings.site_url}/confirm.html#token={token}"
        text = (f"Thank you for signing \"{letter['title']}\".\n\n"
                f"To confirm your signature, open this link:\n\n{link}\n\n"
                f"The link works for {self.settings.token_ttl_hours} hours. Your name is listed "
                f"only after you confirm. Your email address is never shown.\n\n"
                f"If you did not sign, ignore this message: nothing will be published.\n")
        try:
            self.mailer.send(Message(to=sig["email"], subject=f"Confirm your signature: "
                                     f"{letter['title'][:120]}", text=text))
        except MailError:
            log.warning("confirmation mail failed for signature %s", sig["sig_id"])
            # Let the signer ask again at once: the send that failed does not count.
            self.store.update(keys.key_of(sig),
                              "REMOVE last_sent_at SET sends = sends - :one", {":one": 1},
                              condition="attribute_exists(PK)")
            return False
        return True

    def _repeat(self, letter: dict, ehash: str) -> SignAccepted:
        """The same email signed before: re-send while pending (capped), else 409."""
        claim = self.store.get(keys.email_claim_key(letter["slug"], ehash))
        sig = self.store.get(keys.signature_key(letter["slug"], claim["sig_id"], letter["shards"])) \
            if claim else None
        if sig is None:
            raise AlreadySignedError()  # a withdrawal is under way; the signer can try again
        if sig["state"] != PENDING:
            raise AlreadySignedError()
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
        token = secrets.token_urlsafe(32)
        try:
            self.store.transact([
                {"Update": {"Key": keys.to_item(keys.key_of(sig)),
                            "UpdateExpression": "SET sends = :n, last_sent_at = :t",
                            "ConditionExpression": "#s = :pending AND sends = :old",
                            "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": keys.to_item(
                                {":n": sends + 1, ":t": iso(now), ":pending": PENDING,
                                 ":old": sends})}},
                {"Put": {"Item": keys.to_item(self._token_item(token, sig["sig_id"],
                                                               letter["slug"], now)),
                         "ConditionExpression": "attribute_not_exists(PK)"}},
            ], "resend", sig["sig_id"], str(sends))
        except TransactionConflict:
            # A parallel repeat won the race and is sending the link.
            return SignAccepted(email_sent=False,
                                retry_after=self.settings.resend_interval_seconds)
        return SignAccepted(email_sent=self._send_confirmation(letter, sig, token))

    # ---- confirmation ----------------------------------------------------

    def confirm(self, token: str) -> ConfirmationOut:
        item = self.store.get(keys.token_key(token_hash(token)))
        if item is None or item.get("purpose") != "confirm":
            raise TokenInvalidError()
        letter = self._letter_item(item["letter"])
        sig = self.store.get(keys.signature_key(letter["slug"], item["sig_id"], letter["shards"]))
        if sig is None:
            raise TokenInvalidError()
        if sig["state"] in (LISTED, AWAITING):
            return ConfirmationOut(letter=sig["letter"], state=sig["state"], already_confirmed=True)
        if sig["state"] != PENDING:
            raise TokenInvalidError()
        if parse_iso(item["expires_at"]) <= self.clock():
            raise TokenExpiredError()
        if not self._is_open(letter):
            raise LetterClosedError()
        vetted = sig["kind"] == "organisation" and letter["organisations_need_approval"]
        state = AWAITING if vetted else LISTED
        try:
            self.transition(letter, sig, state, set_fields={"confirmed_at": iso(self.clock())})
            moved = True
        except TransactionConflict:
            moved = False
        if not moved:  # a parallel confirmation got there first
            current = self.store.get(keys.key_of(sig)) or {}
            if current.get("state") in (LISTED, AWAITING):
                return ConfirmationOut(letter=sig["letter"], state=current["state"],
                                       already_confirmed=True)
            raise TokenInvalidError()
        return ConfirmationOut(letter=sig["letter"], state=state, already_confirmed=False)

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
                   remove: Iterable[str] = (), audit: Optional[dict] = None) -> dict:
        """Move a signature to state `to` in one transaction; returns the new item's fields.

        The update is conditioned on the state and version read, and carries the index
        keys of the new state (GSI1 while listed, GSI2 for the moderation states). A move
        into or out of `listed` adjusts the counter shard in the same transaction; an
        audit record, when given, is written in it too. Raises TransactionConflict if the
        signature changed meanwhile.
        """
        frm, version = sig["state"], sig.get("v", 0)
        now = iso(self.clock())
        sets = {"#s": to, "v": version + 1, "updated_at": now, **(set_fields or {})}
        drop = set(remove)
        if to == LISTED:
            sets.update(self._list_keys({**sig, **sets}, letter["shards"]))
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
        self.store.transact(actions, "move", sig["sig_id"], str(version))
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
        letter = self._letter_item(slug)
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
    if not raw.startswith("v1:") or len(raw) > 1200:
        raise ValidationFailedError(fields=[{"loc": ["query", "cursor"], "type": "invalid_cursor"}])
    return raw[3:]

