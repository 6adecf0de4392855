"""Retention: what is kept, and for how long (see docs/PRIVACY.md).

The scheduled job, for every letter:
  * deletes pending signatures whose confirmation link expired more than
    PENDING_GRACE_DAYS ago (with their email claim): nothing of them was ever public;
  * once the letter has been closed for RETENTION_DAYS, anonymises it: every signature
    loses its sealed address, email hash and domain (those who asked for updates too: the
    last update goes before that date), its link hashes, its language; signatures that
    were never public (rejected, hidden, quarantined, awaiting approval) lose their name,
    affiliation and country too. Email claims are deleted. Then the letter's keys are
    destroyed (sealing/shred.py), so its addresses are unreadable in every backup too.
A second run changes nothing: anonymised signatures carry `anonymised_at` and are skipped,
and the letter carries `keys_destroyed_at`.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from .clock import Clock, iso, parse_iso
from .settings import Settings
from .states import LISTED, PENDING, PERSONAL_FIELDS, WITHDRAWN
from .storage import Change, Delete, Table, TransactionConflict, Update, absent, eq, keys
from .storage import Step
from .sealing.shred import Shredder

log = logging.getLogger(__name__)
LINK_FIELDS = ("confirm_hashes", "withdraw_hash", "language", "quarantine_reason", "link_salt",
               "notices", "noticed")
EMAIL_FIELDS = ("email", "email_hash", "email_domain")  # the sealed address: on the claim


def closed_since(letter: dict, now: dt.datetime) -> dt.datetime | None:
    """When the letter stopped taking names, if it has."""
    if letter.get("closed_at"):
        return parse_iso(letter["closed_at"])
    if letter.get("closes_at") and parse_iso(letter["closes_at"]) <= now:
        return parse_iso(letter["closes_at"])
    return None


class Retention:
    def __init__(self, settings: Settings, store: Table, clock: Clock, shredder: Shredder) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.shredder = shredder

    def run(self, now: dt.datetime) -> list[dict]:
        """One pass over every letter; a report per letter of what was deleted or anonymised."""
        reports = []
        # The run's id goes into each transaction's token: a retry within this run is
        # idempotent, while a concurrent run's write fails its condition (and is not counted).
        run = uuid.uuid4().hex
        for letter in self.store.list_letters():
            reports.append(self._letter(letter, now, run))
        return reports

    def _letter(self, letter: dict, now: dt.datetime, run: str) -> dict:
        report = {"slug": letter["slug"], "pending_deleted": 0, "anonymised": 0}
        closed = closed_since(letter, now)
        anonymise = closed is not None and \
            now >= closed + dt.timedelta(days=self.settings.retention_days)
        pending_cutoff = now - dt.timedelta(days=self.settings.pending_grace_days)
        for shard in range(letter["shards"]):
            q = self.store.shard_query(letter["slug"], shard, filter=absent("anonymised_at"))
            for sig in self.store.query(q):
                if sig["state"] == PENDING and sig.get("confirm_expires_at") and \
                        parse_iso(sig["confirm_expires_at"]) < pending_cutoff:
                    report["pending_deleted"] += self._delete_pending(letter, sig, run)
                elif anonymise:
                    report["anonymised"] += self._anonymise(letter, sig, now, run)
        if anonymise and not letter.get("keys_destroyed_at"):
            report["keys_destroyed"] = self._shred(letter, now)
        if report["pending_deleted"] or report["anonymised"]:
            log.info("retention %s: %s pending deleted, %s anonymised", letter["slug"],
                     report["pending_deleted"], report["anonymised"])
        return report

    def _shred(self, letter: dict, now: dt.datetime) -> int:
        """The letter's keys go at its retention date: every address sealed to them, in the
        table and in every backup of it, can no longer be read. A new sign-on (if the letter
        is opened again) gets a new key."""
        destroyed = self.shredder.destroy(letter["slug"])
        self.store.update(keys.letter_key(letter["slug"]),
                          Update(set={"keys_destroyed_at": iso(now)},
                                 remove=("seal_kid", "seal_public", "seal_since")))
        return destroyed

    def _delete_pending(self, letter: dict, sig: dict, run: str) -> int:
        # Still pending, and no link sent since it was read (a resend moves the expiry on).
        steps: list[Step] = [Delete(keys.key_of(sig), condition=eq("state", PENDING) & eq(
            "confirm_expires_at", sig["confirm_expires_at"]))]
        if sig.get("email_hash"):
            steps.append(_claim_delete(letter, sig))
        try:
            self.store.transact(steps, "expire", sig["sig_id"], run)
        except TransactionConflict:
            return 0  # confirmed meanwhile: it stays
        return 1

    def _anonymise(self, letter: dict, sig: dict, now: dt.datetime, run: str) -> int:
        drop = set(LINK_FIELDS) | set(EMAIL_FIELDS) | \
            ({"original_name", "updates_opt_in"} if sig["state"] == LISTED else set())
        if sig["state"] not in (LISTED, WITHDRAWN):
            drop |= set(PERSONAL_FIELDS)
        drop = {f for f in drop if f in sig}
        # What is dropped depends on the state read: the signature must still be in it (an
        # organiser may have unhidden it meanwhile), else this run leaves it to the next.
        unchanged = absent("anonymised_at") & eq("state", sig["state"]) & (
            absent("v") | eq("v", sig.get("v", 0)))
        steps: list[Step] = [Change(keys.key_of(sig), Update(set={"anonymised_at": iso(now)},
                                                             remove=tuple(sorted(drop))),
                                    condition=unchanged)]
        if sig.get("email_hash"):
            steps.append(_claim_delete(letter, sig))
        try:
            self.store.transact(steps, "anonymise", sig["sig_id"], run)
        except TransactionConflict:
            return 0
        return 1


def _claim_delete(letter: dict, sig: dict) -> Delete:
    """The signature's email claim goes with it (if the claim is still its own)."""
    return Delete(keys.email_claim_key(letter["slug"], sig["email_hash"]),
                  condition=absent("PK") | eq("sig_id", sig["sig_id"]))
