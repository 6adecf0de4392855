"""Retention: what is kept, and for how long (see docs/PRIVACY.md).

The scheduled job, for every letter:
  * deletes pending signatures whose confirmation link expired more than
    PENDING_GRACE_DAYS ago (with their email claim): nothing of them was ever public;
  * once the letter has been closed for RETENTION_DAYS, anonymises it: every signature
    loses its email, email hash and domain (unless the signer opted in to updates,
    whose email stays for that purpose), its link hashes, its language; signatures that
    were never public (rejected, hidden, quarantined, awaiting approval) lose their name,
    affiliation and country too. Email claims are deleted.
A second run changes nothing: anonymised signatures carry `anonymised_at` and are skipped.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from .clock import Clock, iso, parse_iso
from .settings import Settings
from .states import HIDDEN, LISTED, PENDING, PERSONAL_FIELDS, WITHDRAWN
from .storage import Change, Delete, Table, TransactionConflict, Update, absent, eq, keys
from .storage import Step

log = logging.getLogger(__name__)
LINK_FIELDS = ("confirm_hashes", "withdraw_hash", "language", "quarantine_reason", "link_salt",
               "notices", "noticed")
EMAIL_FIELDS = ("email", "email_hash", "email_domain")


def closed_since(letter: dict, now: dt.datetime) -> dt.datetime | None:
    """When the letter stopped taking names, if it has."""
    if letter.get("closed_at"):
        return parse_iso(letter["closed_at"])
    if letter.get("closes_at") and parse_iso(letter["closes_at"]) <= now:
        return parse_iso(letter["closes_at"])
    return None


class Retention:
    def __init__(self, settings: Settings, store: Table, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

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
        if report["pending_deleted"] or report["anonymised"]:
            log.info("retention %s: %s pending deleted, %s anonymised", letter["slug"],
                     report["pending_deleted"], report["anonymised"])
        return report

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
        keep_email = bool(sig.get("updates_opt_in")) and sig["state"] in (LISTED, HIDDEN)
        drop = set(LINK_FIELDS) | ({"original_name"} if sig["state"] == LISTED else set())
        if not keep_email:
            drop |= set(EMAIL_FIELDS)
        if sig["state"] not in (LISTED, WITHDRAWN):
            drop |= set(PERSONAL_FIELDS) - (set(EMAIL_FIELDS) if keep_email else set())
        drop = {f for f in drop if f in sig}
        # What is dropped depends on the state read: the signature must still be in it (an
        # organiser may have unhidden it meanwhile), else this run leaves it to the next.
        unchanged = absent("anonymised_at") & eq("state", sig["state"]) & (
            absent("v") | eq("v", sig.get("v", 0)))
        steps: list[Step] = [Change(keys.key_of(sig), Update(set={"anonymised_at": iso(now)},
                                                             remove=tuple(sorted(drop))),
                                    condition=unchanged)]
        if sig.get("email_hash") and not keep_email:
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
