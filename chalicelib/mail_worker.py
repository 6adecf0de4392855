"""The mail worker: sends what the table's stream says is due, at SES's pace, each mail once.

The outbox is the table itself (keys.py, access pattern 14). A sign-on's one transaction
stores the pending signature with `sends = 1`; asking again raises `sends`; a repeat by an
address that has signed raises the signature's `notices`. Each such change reaches this
worker as a stream record (at least once, in order per item), and the worker

  1. takes a short lease on the signature, conditioned on the mail still being due
     (`mailed < sends`), so a record delivered twice, or a worker started twice, sends once;
  2. keeps the account's send rate (MAIL_SEND_PER_SECOND, one counter for every worker)
     and the address's daily cap, backs off when SES throttles, and gives the record back
     (raises) if SES stays throttled, so the stream delivers it again later;
  3. records the mail as sent (`mailed = n`), or parks a mail SES refused (MAILFAIL#{slug},
     which organisers read), and never drops one silently.

No secret is stored for the links: each is derived from the signature's id and its salt
(link_tokens.derived_secret), and the signature keeps only its sha256.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

from . import link_tokens, mail_text
from .abuse import Abuse
from .clock import Clock, iso, parse_iso
from .errors import LetterNotFoundError
from .letter_service import LetterService
from .mail import Mailer, MailError, MailThrottled, Message
from .ratelimit import RateLimiter, Rule
from .sealing.box import SealError
from .sealing.unseal import Unsealer
from .settings import Settings
from .states import PENDING, WITHDRAWN, pending_ttl
from .storage import Delete, Table, TransactionConflict, Update, absent, eq, keys, lt
from .storage.stream import ItemChange, decode

log = logging.getLogger(__name__)
LEASE_SECONDS = 60
THROTTLE_BACKOFF = (0.5, 1, 2, 4, 8)  # seconds; then the record goes back to the stream
STATUS_EVERY = dt.timedelta(seconds=10)


class RetryLater(Exception):
    """Give the batch back: the stream (or the local reader) delivers it again."""


@dataclass(frozen=True)
class Due:
    kind: str  # "link", "notice", "added" (an import's "you were added") or "reminder"
    key: dict
    n: int


def due(change: ItemChange) -> Optional[Due]:
    """The mail a change asks for, if any: only the change that raised the counter asks
    (the worker's own writes to the item ask for nothing)."""
    new, old = change.new, change.old or {}
    if not new or not new.get("SK", "").startswith(keys.SIGNATURE_PREFIX):
        return None
    if new.get("state") == PENDING and new.get("sends", 0) > old.get("sends", 0) \
            and new.get("email_hash"):
        return Due("link", keys.key_of(new), new["sends"])
    if new.get("notices", 0) > old.get("notices", 0):
        return Due("notice", keys.key_of(new), new["notices"])
    if new.get("added", 0) > old.get("added", 0) and new.get("state") != WITHDRAWN:
        return Due("added", keys.key_of(new), new["added"])
    if new.get("reminders", 0) > old.get("reminders", 0) and new.get("state") == PENDING \
            and new.get("email_hash"):  # raised by the hourly run (reminders.py)
        return Due("reminder", keys.key_of(new), new["reminders"])
    return None


def expired_pending(change: ItemChange) -> bool:
    """A pending signature deleted (by DynamoDB's TTL: nothing else deletes one)."""
    old = change.old or {}
    return change.event == "REMOVE" and old.get("SK", "").startswith(keys.SIGNATURE_PREFIX) \
        and old.get("state") == PENDING


# Each kind of mail: the signature's counter that asks for it, and the one that records it sent.
COUNTERS = {"link": ("sends", "mailed"), "notice": ("notices", "noticed"),
            "added": ("added", "added_mailed"), "reminder": ("reminders", "reminded")}


class MailWorker:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, abuse: Abuse,
                 limiter: RateLimiter, mailer: Mailer, clock: Clock, unsealer: Unsealer,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings, self.store, self.letters = settings, store, letters
        self.abuse, self.limiter, self.mailer = abuse, limiter, mailer
        self.clock, self.sleep, self.unsealer = clock, sleep, unsealer
        self._key = settings.email_hash_key.encode()
        self._rate = Rule("s", settings.mail_send_per_second, 1)
        self._status_at: Optional[dt.datetime] = None

    # ---- the stream -----------------------------------------------------------------

    def handle(self, records: list[dict]) -> dict[str, int]:
        """One batch of stream records, in order; a report of what was done.

        Raises RetryLater when SES keeps throttling or another worker holds a lease: the
        whole batch comes again, and what this call already sent is skipped then.
        """
        report = {"sent": 0, "skipped": 0, "parked": 0, "capped": 0, "suppressed": 0,
                  "requests": 0, "claims_deleted": 0}
        for record in records:
            change = decode(record)
            if change.new and change.new.get("PK", "").startswith("REPEAT#") \
                    and change.event == "INSERT":
                report["requests"] += self.repeat(change.new)
                continue
            if expired_pending(change):
                report["claims_deleted"] += self.delete_claim(change.old)
                continue
            job = due(change)
            if job is not None:
                report[self._run(job)] += 1
                self._status(change.at)
        return report

    def _status(self, written_at: dt.datetime) -> None:
        """How far behind the queue is, for the page's "may take a few minutes"."""
        now = self.clock()
        if self._status_at and now - self._status_at < STATUS_EVERY:
            return
        self._status_at = now
        lag = max(0, int((now - written_at).total_seconds()))
        self.store.put({**keys.mail_status_key(), "lag_seconds": lag, "updated_at": iso(now)})

    # ---- repeats --------------------------------------------------------------------------

    def repeat(self, request: dict) -> int:
        """A sign-on by an address that had signed: send the link again while pending (within
        the resend rules), else tell the owner they have signed (with the withdrawal link)."""
        slug = request["PK"].split("#")[1]
        try:
            letter = self.letters.letter_item(slug)
        except LetterNotFoundError:
            return 0
        claim = self.store.get(keys.email_claim_key(slug, request["email_hash"]))
        sig = self.store.signature(letter, claim["sig_id"]) if claim else None
        if sig is None or sig["state"] == WITHDRAWN or sig.get("anonymised_at"):
            return 0
        now = self.clock()
        if sig["state"] != PENDING:
            n = sig.get("notices", 0)
            return int(self.store.update(keys.key_of(sig), Update(set={"notices": n + 1}),
                                         condition=absent("notices") | eq("notices", n)))
        sends = sig.get("sends", 0)
        last = sig.get("last_sent_at") or sig["created_at"]
        if sends >= 1 + self.settings.resend_max or \
                parse_iso(last) + dt.timedelta(seconds=self.settings.resend_interval_seconds) > now:
            return 0
        salt = sig.get("link_salt") or link_tokens.new_salt()
        secret = link_tokens.derived_secret(self._key, sig["sig_id"], salt, "confirm", sends + 1)
        expires = now + dt.timedelta(hours=self.settings.token_ttl_hours)
        # Every link sent stays valid until the newest expires: the hashes accumulate,
        # bounded by the resend cap. The signature's TTL moves with its newest link.
        return int(self.store.update(
            keys.key_of(sig),
            Update(set={"sends": sends + 1, "confirm_expires_at": iso(expires), "link_salt": salt,
                        "ttl": pending_ttl(expires, self.settings.pending_grace_days)},
                   append={"confirm_hashes": [link_tokens.secret_hash(secret)]}),
            condition=eq("state", PENDING) & eq("sends", sends)))

    def delete_claim(self, sig: dict) -> int:
        """An expired pending signature's email claim goes after it (if still its own), so
        the person can sign again; one DeleteItem, only for signatures that expired."""
        if not sig.get("email_hash"):
            return 0
        claim = keys.email_claim_key(sig["letter"], sig["email_hash"])
        try:
            self.store.transact([Delete(claim, condition=eq("sig_id", sig["sig_id"]))],
                                "expire-claim", sig["sig_id"])
        except TransactionConflict:
            return 0  # gone already, or another signature's now
        return 1

    # ---- one mail ---------------------------------------------------------------------------

    def _run(self, job: Due) -> str:
        counter, done = COUNTERS[job.kind]
        sig = self._lease(job, counter, done)
        if sig is None:
            return "skipped"
        if job.kind == "reminder" and (late := self._reminder_late(sig)):
            self._finish(job, done, sig, note=late)  # the link expired, or the letter closed
            return "skipped"
        try:
            message = self._message(job, sig)
        except SealError as exc:  # its key is gone or the ciphertext is not this signature's
            self._park(job, done, sig, f"the address does not open: {exc}")
            return "parked"
        if message is None:
            self._finish(job, done, sig, note="no letter")
            return "skipped"
        if sig.get("email_hash") and \
                self.store.get(keys.suppression_key(sig["email_hash"])) is not None:
            self._finish(job, done, sig, note="suppressed")  # it bounced hard or complained
            return "suppressed"
        if self.abuse.mail_allowed(f"hash|{sig.get('email_hash', sig['sig_id'])}",
                                   self.clock()) is not None:
            self._finish(job, done, sig, note="daily cap")  # the signer may ask again tomorrow
            return "capped"
        if self.abuse.domain_mail_allowed(sig.get("email_domain"), self.clock()) is not None:
            self._finish(job, done, sig, note="domain cap")  # may ask again within the hour
            return "capped"
        try:
            message_id = self._send(message)
        except MailThrottled:
            self._release(job, sig)
            raise RetryLater("SES keeps throttling") from None
        except MailError as exc:
            self._park(job, done, sig, str(exc) or type(exc).__name__)
            return "parked"
        self._finish(job, done, sig)
        self._remember(message_id, sig)
        return "sent"

    # ---- for the update mailer (updates/mailer.py): the same address, rate and SESMSG# ----

    def send_paced(self, message: Message) -> str:
        """Send at the account's send rate, through SES throttling; SES's id."""
        return self._send(message)

    def remember(self, message_id: str, sig: dict) -> None:
        self._remember(message_id, sig)

    def _remember(self, message_id: str, sig: dict) -> None:
        """What SES's events about this mail are about (delivery/ses_events.py): the signature
        and its keyed hash, never the address; kept a month (bounces come within days)."""
        if not message_id:
            return
        expires = int((self.clock() + dt.timedelta(days=30)).timestamp())
        self.store.put({**keys.ses_message_key(message_id), "kind": "signer",
                        "slug": sig["letter"], "sig_id": sig["sig_id"],
                        "email_hash": sig.get("email_hash"), keys.TTL_ATTRIBUTE: expires})

    def _lease(self, job: Due, counter: str, done: str) -> Optional[dict]:
        """The signature, if this worker now holds the mail's lease; None if it is not due."""
        now = self.clock()
        still_due = eq(counter, job.n) & (absent(done) | lt(done, job.n))
        if job.kind in ("link", "reminder"):
            still_due = still_due & eq("state", PENDING)
        lease = iso(now + dt.timedelta(seconds=LEASE_SECONDS))
        if self.store.update(job.key, Update(set={"mail_lease": lease}),
                             condition=still_due & (absent("mail_lease") | lt("mail_lease", iso(now)))):
            return {**(self.store.get(job.key) or {}), "mail_lease": lease}
        current = self.store.get(job.key) or {}
        if current.get(counter) == job.n and current.get(done, 0) < job.n and \
                current.get("mail_lease", "") >= iso(now):
            raise RetryLater("another worker holds this mail's lease")
        return None  # sent already, asked again since (a later record sends that), or moved on

    def _message(self, job: Due, sig: dict) -> Optional[Message]:
        try:
            letter = self.letters.letter_item(sig["letter"])
        except LetterNotFoundError:
            return None
        slug, salt, sig_id = letter["slug"], sig.get("link_salt", ""), sig["sig_id"]
        withdraw = link_tokens.derived_secret(self._key, sig_id, salt, "withdraw")
        # A signature stored before links were derived keeps its random withdrawal secret,
        # which cannot be written again: its mails go without that link.
        has_withdraw = bool(salt) and sig.get("withdraw_hash") == link_tokens.secret_hash(withdraw)
        withdraw_token = link_tokens.make_token(sig_id, withdraw, slug) if has_withdraw else None
        language = sig.get("language", "en")
        if job.kind == "link":
            confirm = link_tokens.derived_secret(self._key, sig_id, salt, "confirm", job.n)
            subject, text = mail_text.confirmation(
                letter, language, self.settings.site_url,
                link_tokens.make_token(sig_id, confirm, slug),
                withdraw_token if job.n == 1 else None, self.settings.token_ttl_hours,
                name=sig.get("name", ""))
        elif job.kind == "reminder":  # the newest link again: valid, expiring as it did
            confirm = link_tokens.derived_secret(self._key, sig_id, salt, "confirm",
                                                 sig.get("sends", 1))
            subject, text = mail_text.reminder(
                letter, language, self.settings.site_url,
                link_tokens.make_token(sig_id, confirm, slug), sig["confirm_expires_at"],
                name=sig.get("name", ""))
        elif job.kind == "added":
            subject, text = mail_text.added(letter, language, self.settings.site_url,
                                            sig.get("name", ""), withdraw_token)
        else:
            subject, text = mail_text.already_signed(letter, language, self.settings.site_url,
                                                     sig.get("name", ""), withdraw_token)
        organisers = letter.get("organisers") or {}
        text += mail_text.organisers_footer(organisers, language)
        return Message(to=self.address(letter, sig), subject=subject, text=text,
                       from_name=organisers.get("name"), reply_to=organisers.get("contact_email"))

    def _reminder_late(self, sig: dict) -> Optional[str]:
        """Why a reminder queued by the hourly run should not go now, if it should not."""
        if parse_iso(sig["confirm_expires_at"]) <= self.clock():
            return "link expired"
        try:
            letter = self.letters.letter_item(sig["letter"])
        except LetterNotFoundError:
            return "no letter"
        return None if self.letters.is_open(letter) else "letter closed"

    def address(self, letter: dict, sig: dict) -> str:
        """The one place the worker reads a signer's address: opened from its seal."""
        email = self.unsealer.email_of(letter, sig)
        if email is None:
            raise SealError("the signature has no address")
        return email

    def _send(self, message: Message) -> str:
        """At the account's send rate; through SES throttling, backing off. SES's id."""
        for pause in (*THROTTLE_BACKOFF, None):
            while (wait := self.limiter.exceeded("mail-send", [self._rate], "ses",
                                                 self.clock())) is not None:
                self.sleep(min(wait, 1))
            try:
                return self.mailer.send(message)
            except MailThrottled:
                if pause is None:
                    raise
                self.sleep(pause)

    def _finish(self, job: Due, done: str, sig: dict, note: Optional[str] = None) -> None:
        sets = {done: job.n, "last_sent_at": iso(self.clock())}
        if note:
            sets["mail_note"] = note
        self.store.update(job.key, Update(set=sets, remove=("mail_lease",)),
                          condition=eq("mail_lease", sig["mail_lease"]))

    def _release(self, job: Due, sig: dict) -> None:
        self.store.update(job.key, Update(remove=("mail_lease",)),
                          condition=eq("mail_lease", sig["mail_lease"]))

    def _park(self, job: Due, done: str, sig: dict, error: str) -> None:
        """SES refused the message: kept where organisers see it; not retried."""
        now = iso(self.clock())
        log.warning("mail for signature %s parked: %s", sig["sig_id"], error[:100])
        self.store.put({**keys.mail_failure_key(sig["letter"], now, sig["sig_id"]),
                        "sig_id": sig["sig_id"], "kind": job.kind, "error": error[:200], "at": now})
        self._finish(job, done, sig, note=f"parked: {error[:100]}")
