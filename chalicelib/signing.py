"""The signer's use cases: sign, send the link again, confirm, withdraw; and imports of
signatories collected elsewhere."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from typing import Optional

from . import consent, link_tokens
from .abuse import Abuse
from .clock import Clock, iso, parse_iso
from .errors import (LetterClosedError, SignatureWithdrawnError,
                     ServiceUnavailableError, TokenExpiredError, TokenInvalidError,
                     ValidationFailedError)
from .letter_service import LetterService, delivered
from .sealing.seal import LetterSealer
from .models import ConfirmationOut, Delivered, SignAccepted, WithdrawalOut
from .org_names import OrgNames, hold
from .partners import Partners, signed_step
from .reminders import first_reminder
from .settings import Settings
from .states import (AWAITING, CONFIRMED_STATES, LISTED, PENDING, PENDING_ONLY_FIELDS,
                     PERSONAL_FIELDS, QUARANTINED, WITHDRAWN, pending_ttl)
from .storage import NEW_ITEM, Delete, Put, Table, TransactionConflict, eq, keys
from .transitions import Transitions, hourly_step

log = logging.getLogger(__name__)


class Signing:
    def __init__(self, settings: Settings, store: Table, letters: LetterService,
                 transitions: Transitions, abuse: Abuse, sealer: LetterSealer,
                 names: OrgNames, partners: Partners, clock: Clock) -> None:
        self.settings = settings
        self.sealer = sealer
        self.names = names
        self.partners = partners
        self.store = store
        self.letters = letters
        self.transitions = transitions
        self.abuse = abuse
        self.clock = clock
        self._hash_key = settings.email_hash_key.encode()
        self._delay: Optional[tuple[int, float]] = None
        self._monotonic = time.monotonic

    def email_hash(self, canonical: str) -> str:
        return hmac.new(self._hash_key, canonical.encode(), hashlib.sha256).hexdigest()[:40]

    def _new_signature(self, letter: dict, sig_id: str, kind: str, name: str,
                       affiliation: Optional[str], country: Optional[str],
                       letter_sha: str) -> dict:
        """A pending signature's item. It holds no address: its claim holds it sealed."""
        slug = letter["slug"]
        return {**keys.signature_key(slug, sig_id, letter["shards"]), "sig_id": sig_id,
                "letter": slug, "kind": kind,
                "name": name, "affiliation": affiliation, "country": country,
                "letter_sha256": letter_sha, "state": PENDING, "v": 0,
                "created_at": iso(self.clock())}

    def _claim(self, letter: dict, ehash: str, sig_id: str, email: str,
               now: dt.datetime) -> dict:
        """The mailbox's claim on the letter: its one signature, and its address sealed to the
        letter's public key (sealing/), bound to that signature. Never in clear."""
        return {**keys.email_claim_key(letter["slug"], ehash), "sig_id": sig_id,
                "created_at": iso(now),
                "email_sealed": self.sealer.seal_email(letter, sig_id, email)[1]}

    def _open_letter(self, slug: str) -> dict:
        item = self.letters.letter_item(slug)
        if not self.letters.is_open(item):
            raise LetterClosedError()
        return item

    # ---- signing ---------------------------------------------------------

    def sign(self, slug: str, data, source_ip: str) -> SignAccepted:
        """Store a pending signature; the mail worker sends its confirmation link.

        Order: the letter is open; the honeypot; the text known; rate limits (429);
        Turnstile when on; then one transaction (email claim + signature, each
        attribute_not_exists, and the lookalike check's name step: an organisation's name
        item, an individual's ConditionCheck on it), which is also the mail's outbox entry
        (`sends = 1`). A failed name step reads the name's holder and goes again, held if
        it is a live organisation (org_names).
        An address that has signed already gets the same answer, and its owner a mail
        (mail_worker.repeat): the answer never tells whether an address has signed.
        """
        letter = self._open_letter(slug)
        if data.website:
            log.info("honeypot filled on %s; nothing stored", slug)
            return self._accepted()
        signers = letter.get("signers")  # absent: everyone
        if signers and f"{data.kind}s" != signers:
            raise ValidationFailedError(
                f"Only {signers} may sign this letter.",
                fields=[{"loc": ["body", "kind"], "type": "kind_not_allowed"}])
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
        limits = self.abuse.sign_limits(slug, source_ip, domain, now)
        self.abuse.verify_turnstile(data.turnstile_token, source_ip)
        held = self.abuse.suspicious(data.name, domain)
        ehash = self.email_hash(data.email.canonical)
        sig_id, salt = link_tokens.new_id(), link_tokens.new_salt()
        confirm = link_tokens.derived_secret(self._hash_key, sig_id, salt, "confirm", 1)
        withdraw = link_tokens.derived_secret(self._hash_key, sig_id, salt, "withdraw")
        expires = now + dt.timedelta(hours=self.settings.token_ttl_hours)
        sig = self._new_signature(letter, sig_id, data.kind, data.name,
                                  getattr(data, "affiliation", None), data.country,
                                  data.letter_sha256)
        sig.update(
            email_hash=ehash, email_domain=domain, language=data.language,
            consent=True, consent_version=version, consent_sha256=consent_sha,
            consent_at=iso(now), updates_opt_in=data.updates_opt_in, link_salt=salt,
            confirm_hashes=[link_tokens.secret_hash(confirm)],
            withdraw_hash=link_tokens.secret_hash(withdraw),
            confirm_expires_at=iso(expires), sends=1, quarantine_reason=held,
            # DynamoDB deletes it if it is never confirmed (the claim goes off the stream)
            ttl=pending_ttl(expires, self.settings.pending_grace_days),
            # its reminder's index entry (reminders.py; confirming drops it)
            **first_reminder(self.settings, letter, sig_id, now))
        if data.kind == "organisation":
            sig["authorised"] = True
        via = self._via(letter, data, sig, now)
        # No read for the lookalike check: the transaction's name step holds it (org_names).
        names = self.names.unread(letter, data.name)
        claim = self._claim(letter, ehash, sig_id, str(data.email), now)
        # The dashboard's count (last, so the limits keep their places in the reasons).
        hour = hourly_step(slug, keys.shard_of(sig_id, letter["shards"]), sig["created_at"],
                           "signed", data.kind)
        for attempt in range(3):
            hold(sig, names)
            name_step, name_at = self.names.step(names, sig), 3 + len(limits.steps)
            try:
                self.store.transact([Put(claim, condition=NEW_ITEM), Put(sig, condition=NEW_ITEM),
                                     *limits.steps, hour, *([name_step] if name_step else []), *via],
                                    "sign", sig_id, str(attempt))
                return self._accepted()
            except TransactionConflict as conflict:
                failed = [i for i in range(len(limits.steps)) if conflict.failed(2 + i)]
                if failed:  # a limit: 429 if hard; past a soft one, held once confirmed
                    reason = self.abuse.refused(limits, failed, now)
                    sig["quarantine_reason"] = sig.get("quarantine_reason") or reason
                    limits = self.abuse.sign_limits(slug, source_ip, domain, now, soft=False)
                taken = name_step is not None and conflict.failed(name_at) \
                    and not conflict.failed(0)  # (a repeat sign-on needs no name)
                if taken:  # an organisation holds the name (or took it meanwhile): read
                    # which, and go again, held if it is live
                    names = self.names.check(letter, data.name, consistent=True)
                if failed or taken:
                    continue
                if not conflict.failed(0):
                    raise
                self._repeat(slug, ehash, now, source_ip, domain)
                return self._accepted()
        raise ServiceUnavailableError(1)  # the limits keep moving: try again shortly

    def _via(self, letter: dict, data, sig: dict, now: dt.datetime) -> list:
        """A sign-on through a partner's link: the code and the partner's own consent on the
        signature, and the partner's counter step (an unknown code is ignored)."""
        slug = letter["slug"]
        partner = self.partners.get(slug, data.via) if data.via else None
        if partner is None:
            return []
        sig["via"] = data.via
        if data.partner_consent:
            version = consent.PARTNER_VERSION
            sig.update(partner_consent=True, partner_consent_version=version,
                       partner_consent_sha256=consent.partner_text_sha256(
                           version, data.language, partner["name"]),
                       partner_consent_at=iso(now))
        shard = keys.shard_of(sig["sig_id"], letter["shards"])
        return [signed_step(slug, data.via, shard, iso(now)[:10])]

    def _repeat(self, slug: str, ehash: str, now: dt.datetime, source_ip: str,
                domain: str) -> None:
        """The address has a signature: the worker resends its link or tells its owner
        (mail_worker.repeat). One request a minute per address and letter is enough; the
        hit still counts against the caller's limits."""
        limits = self.abuse.sign_limits(slug, source_ip, domain, now, soft=False)
        request = Put({**keys.repeat_key(slug, ehash, iso(now)[:16]), "email_hash": ehash,
                       "ttl": int(now.timestamp()) + 86_400}, condition=NEW_ITEM)
        try:
            self.store.transact([*limits.steps, request], "repeat", ehash, iso(now))
        except TransactionConflict as conflict:
            failed = [i for i in range(len(limits.steps)) if conflict.failed(i)]
            if failed:
                self.abuse.refused(limits, failed, now)  # raises 429 for a hard limit
            elif limits.steps:  # asked within the minute: its request is there; count the hit
                try:
                    self.store.transact(limits.steps, "repeat-hit", ehash, iso(now))
                except TransactionConflict:
                    self.abuse.refused(limits, list(range(len(limits.steps))), now)

    def _accepted(self) -> SignAccepted:
        return SignAccepted(resend_after=self.settings.resend_interval_seconds,
                            queue_delay_seconds=self.queue_delay())

    def queue_delay(self) -> int:
        """How far behind the mail worker is, as it last said (read at most every 10 s)."""
        now = self._monotonic()
        if self._delay is None or now - self._delay[1] >= 10:
            status = self.store.get(keys.mail_status_key(), consistent=False) or {}
            fresh = status.get("updated_at") and \
                parse_iso(status["updated_at"]) > self.clock() - dt.timedelta(minutes=5)
            self._delay = (int(status.get("lag_seconds", 0)) if fresh else 0, now)
        return self._delay[0]

    # ---- confirmation and withdrawal ------------------------------------------

    def _by_token(self, token: str, field: str) -> tuple[dict, dict]:
        """The letter and signature a link's token names, if its secret matches `field`."""
        letter, sig_id, secret = self.letters.letter_of_token(token)
        sig = self.store.signature(letter, sig_id)
        stored = (sig or {}).get(field)
        hashes = stored if isinstance(stored, list) else [stored] if stored else []
        digests = link_tokens.secret_digests(secret)
        if not any(hmac.compare_digest(d, h) for h in hashes for d in digests):
            raise TokenInvalidError()
        return letter, sig

    @staticmethod
    def _confirmed(sig: dict, state: str, already: bool) -> ConfirmationOut:
        return ConfirmationOut(letter=sig["letter"], already_confirmed=already,
                               state=LISTED if state == LISTED else AWAITING)

    def confirm(self, token: str, source_ip: str) -> ConfirmationOut:
        self.abuse.check_token_use(source_ip, self.clock())
        letter, sig = self._by_token(token, "confirm_hashes")
        if sig["state"] != PENDING:
            if sig["state"] in CONFIRMED_STATES:
                return self._confirmed(sig, sig["state"], True)
            if sig["state"] == WITHDRAWN:
                raise SignatureWithdrawnError()
            raise TokenInvalidError()
        if parse_iso(sig["confirm_expires_at"]) <= self.clock():
            raise TokenExpiredError()
        if not self.letters.is_open(letter):
            raise LetterClosedError()
        vetted = sig["kind"] == "organisation" and letter["organisations_need_approval"]
        state = QUARANTINED if sig.get("quarantine_reason") else AWAITING if vetted else LISTED
        try:
            # The confirmation hashes stay: a second click answers "already confirmed".
            self.transitions.move(letter, sig, state,
                                  set_fields={"confirmed_at": iso(self.clock())},
                                  remove=PENDING_ONLY_FIELDS, partner_add={"confirmed": 1})
        except TransactionConflict:  # a parallel confirmation got there first
            current = self.store.get(keys.key_of(sig)) or {}
            if current.get("state") in CONFIRMED_STATES:
                return self._confirmed(sig, current["state"], True)
            raise TokenInvalidError() from None
        return self._confirmed(sig, state, False)

    def withdraw(self, token: str, source_ip: str) -> WithdrawalOut:
        """The signer takes their name back: unlisted, uncounted, personal fields deleted.

        What stays is what the delivery history needs: kind, dates, "withdrawn on D,
        after snapshot S". The email claim goes too, so they can sign again.
        """
        self.abuse.check_token_use(source_ip, self.clock())
        letter, sig = self._by_token(token, "withdraw_hash")
        if sig["state"] == WITHDRAWN:
            return WithdrawalOut(letter=sig["letter"], already_withdrawn=True,
                                 after_delivery=self._delivery_before(letter, sig))
        claim = keys.email_claim_key(letter["slug"], sig["email_hash"])
        for _ in range(2):  # once more on the item as it is now (e.g. confirmed meanwhile)
            try:
                self.transitions.move(
                    letter, sig, WITHDRAWN,
                    set_fields={"withdrawn_at": iso(self.clock()),
                                "withdrawn_after_snapshot": letter.get("last_snapshot"),
                                "withdrawn_after_delivery": (letter.get("last_delivery")
                                                             or {}).get("id")},
                    remove=PERSONAL_FIELDS,
                    also=[Delete(claim, condition=eq("sig_id", sig["sig_id"]))],
                    audit={"who": "the signer", "action": "withdraw"})
                return WithdrawalOut(letter=sig["letter"], already_withdrawn=False,
                                     after_delivery=delivered(letter))
            except TransactionConflict:
                sig = self.store.get(keys.key_of(sig)) or {}
                if sig.get("state") == WITHDRAWN:
                    return WithdrawalOut(letter=sig["letter"], already_withdrawn=True)
                if not sig:
                    break
        raise ServiceUnavailableError(1)  # it keeps moving: the page offers to try again

    def _delivery_before(self, letter: dict, sig: dict) -> Optional[Delivered]:
        """The delivery a withdrawal came after (one GetItem, unless it is the latest)."""
        delivery_id = sig.get("withdrawn_after_delivery")
        if not delivery_id:
            return None
        if (letter.get("last_delivery") or {}).get("id") == delivery_id:
            return delivered(letter)
        item = self.store.get(keys.delivery_key(letter["slug"], delivery_id)) or {}
        if not item:
            return None
        return Delivered(addressee=item["addressee"], date=item["sent_at"][:10],
                         signatures=item["signatures"])

    # ---- imports (imports/importer.py stores what this builds) ----------------------

    def imported_signature(self, letter: dict, row, source: str, notify: bool, *,
                           seal: bool = True) -> tuple[dict, Optional[dict]]:
        """An import row's signature, built as a sign-on's (`_new_signature`), confirmed, and
        its email claim (the address sealed there) if it has one; `notify` asks the mail worker for a "you were
        added" mail with the withdrawal link (`added = 1`: the signature is the outbox entry)."""
        slug, now = letter["slug"], self.clock()
        email = row.email
        ehash = self.email_hash(email.canonical) if email is not None else None
        sig_id = link_tokens.derived_id("import", slug, "email", ehash) if ehash else \
            link_tokens.derived_id("import", slug, row.kind, row.name)
        sig = self._new_signature(letter, sig_id, row.kind, row.name, row.affiliation,
                                  row.country, letter["text_sha256"])
        sig.update(state=LISTED, source=source, confirmed_at=sig["created_at"])
        if email is None:
            return sig, None
        salt = link_tokens.new_salt()
        withdraw = link_tokens.derived_secret(self._hash_key, sig_id, salt, "withdraw")
        sig.update(email_hash=ehash, email_domain=email.canonical.rsplit("@", 1)[1],
                   language=letter.get("language", "en") if letter.get("language") in ("en", "ko")
                   else "en", link_salt=salt, withdraw_hash=link_tokens.secret_hash(withdraw))
        if notify:
            sig["added"] = 1
        if not seal:  # a dry run stores nothing: the claim's key is all it reads
            return sig, {**keys.email_claim_key(slug, ehash), "sig_id": sig_id}
        # The claim holds the address, sealed, as a sign-on's does (Signing._claim).
        return sig, self._claim(letter, ehash, sig_id, str(email), now)
