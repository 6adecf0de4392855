"""Retention: what is kept, and for how long (see docs/PRIVACY.md), without reading every
signature every day.

  * A pending signature carries `ttl` (states.pending_ttl): DynamoDB's TTL deletes it
    PENDING_GRACE_DAYS after its link expired, at no charge, and the mail worker deletes
    its email claim off the stream's REMOVE record. Nothing of it was ever public.
  * A closed letter has one due item (keys.due_key), put when it closes (`schedule`). The
    daily job (`run`) makes one Query of the due items up to today and calls `letter_due`
    for each: once the letter has been closed for RETENTION_DAYS, that starts its
    anonymisation job (jobs/, kind "anonymise"): every signature loses its sealed address,
    email hash and domain (those who asked for updates too: the last update goes before
    that date), its link hashes, its language; signatures that were never public (rejected,
    hidden, quarantined, awaiting approval) lose their name, affiliation and country too.
    Email claims (which hold the sealed address) are deleted. A large letter's job is split over shard ranges
    (`anonymise_shards`, one part each). When every part is done, `letter_anonymised` runs
    once for the letter: the one place a letter's retention ends. It destroys the letter's
    keys (sealing/shred.py), so its addresses are unreadable in every backup too.
A second run changes nothing: anonymised signatures carry `anonymised_at` and are skipped,
and the letter carries `anonymised_at` and `keys_destroyed_at`.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, Protocol

from .clock import Clock, iso, parse_iso
from .progress import NO_PROGRESS, Progress
from .settings import Settings
from .sealing.shred import Shredder
from .states import LISTED, PENDING, PERSONAL_FIELDS, WITHDRAWN, pending_ttl
from .storage import (Change, Delete, Query, Table, TransactionConflict, Update, absent, eq,
                      exists, keys, lt)
from .storage import Step


class Submit(Protocol):
    """Starts a job (jobs.runner.Jobs.submit); injected, so this module imports no job code."""

    def __call__(self, slug: str, kind: str, params: dict, who: str) -> Any: ...


log = logging.getLogger(__name__)
WRITE_THREADS = 16  # anonymisation's transactions in flight at once, per worker
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


def due_date(letter: dict, retention_days: int) -> Optional[str]:
    """The day (UTC) the letter's signatures are anonymised, if it has closed or will."""
    if letter.get("anonymised_at"):
        return None
    closing = letter.get("closed_at") or letter.get("closes_at")
    if not closing:
        return None
    return (parse_iso(closing) + dt.timedelta(days=retention_days)).date().isoformat()


def schedule(store: Table, letter: dict, retention_days: int) -> Optional[str]:
    """Keep the letter's one due item in step with when it closes (called after each change
    of its status or closing time): put the new date's item, delete the old one."""
    date, old = due_date(letter, retention_days), letter.get("retention_due")
    if date == old:
        return date
    if date:
        store.put({**keys.due_key(date, letter["slug"]), "slug": letter["slug"], "date": date})
    store.update(keys.letter_key(letter["slug"]), Update(set={"retention_due": date}))
    if old:
        store.transact([Delete(keys.due_key(old, letter["slug"]))], "undue", letter["slug"], old)
    return date


class Retention:
    def __init__(self, settings: Settings, store: Table, clock: Clock, shredder: Shredder,
                 submit: Optional[Submit] = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.shredder = shredder
        self.submit = submit

    def run(self, now: dt.datetime) -> list[dict]:
        """The daily job: one Query of the due items up to today; `letter_due` for each."""
        upto = now.astimezone(dt.timezone.utc).date().isoformat() + "#\U0010ffff"
        due = self.store.query(Query(pk=keys.DUE_PK, sk_between=(" ", upto), consistent=True))
        return [self.letter_due(item["slug"], now) for item in due]

    def letter_due(self, slug: str, now: dt.datetime) -> dict:
        """Called for a letter on its due date (and after, until its job completes): starts
        its anonymisation job, unless one is running; a letter reopened or closing later
        is scheduled anew instead."""
        letter = self.store.get(keys.letter_key(slug)) or {}
        report: dict = {"slug": slug, "status": "not due"}
        closed = closed_since(letter, now) if letter else None
        if closed is None or now < closed + dt.timedelta(days=self.settings.retention_days):
            if letter and letter.get("retention_due") != due_date(letter, self.settings.retention_days):
                schedule(self.store, letter, self.settings.retention_days)
            return report
        if self.submit is None:
            raise RuntimeError("Retention needs the jobs to start an anonymisation")
        # One job a day at most, however often the daily job runs (EventBridge retries a
        # failed run); a job that failed is started again the next day.
        if letter.get("retention_due") and not self.store.update(
                keys.due_key(letter["retention_due"], slug), Update(set={"started_at": iso(now)}),
                condition=exists("PK") & (absent("started_at") | lt(
                    "started_at", iso(now - dt.timedelta(hours=23))))):
            return {**report, "status": "started already"}
        job = self.submit(slug, "anonymise", {"at": iso(now)}, "retention")
        return {**report, "status": "started", "job": getattr(job, "id", None)}

    def anonymise_shards(self, letter: dict, shards: range, now: dt.datetime, run: str,
                         progress: Progress = NO_PROGRESS) -> dict:
        """Anonymise the signatures of one range of the letter's shards (a job's part).

        One transaction per signature, each a round trip: WRITE_THREADS of them in flight at
        once (at most twice that many read ahead), so a part is bound by DynamoDB's write
        rate, not by the round trip (10 million at ~10 ms each would take 28 hours in line).
        """
        report = {"anonymised": 0, "pending_deleted": 0}
        lock = threading.Lock()
        slots = threading.BoundedSemaphore(2 * WRITE_THREADS)

        def one(sig: dict) -> None:
            try:
                if sig["state"] == PENDING:  # past its TTL by now, or soon: it goes whole
                    done = ("pending_deleted", self._delete_pending(letter, sig, run))
                else:
                    done = ("anonymised", self._anonymise(letter, sig, now, run))
                with lock:
                    report[done[0]] += done[1]
                    progress.wrote()
            finally:
                slots.release()

        with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="anonymise") as pool:
            futures = []
            for shard in shards:
                q = self.store.shard_query(letter["slug"], shard, filter=absent("anonymised_at"))
                for sig in self.store.query(q):
                    progress.read()
                    slots.acquire()
                    futures.append(pool.submit(one, sig))
                    if len(futures) >= 4 * WRITE_THREADS:
                        for f in futures:
                            if f.done():
                                f.result()  # a failure surfaces now, not at the end
                        futures = [f for f in futures if not f.done()]
            for f in futures:
                f.result()
        return report

    def letter_anonymised(self, slug: str, now: dt.datetime, report: dict) -> dict:
        """Once per letter, after every part of its anonymisation: its keys are destroyed,
        the letter is marked and its due item removed. (A second call finds it marked and
        changes nothing; a call that failed after the keys went is run again: destroying
        is idempotent.)"""
        letter = self.store.get(keys.letter_key(slug)) or {}
        if letter.get("anonymised_at"):
            return {**report, "slug": slug, "status": "already anonymised"}
        report = {**report, "keys_destroyed": self._shred(letter, now)}
        if not self.store.update(keys.letter_key(slug),
                                 Update(set={"anonymised_at": iso(now)}, remove=("retention_due",)),
                                 condition=absent("anonymised_at")):
            return {**report, "slug": slug, "status": "already anonymised"}
        if letter.get("retention_due"):
            self.store.transact([Delete(keys.due_key(letter["retention_due"], slug))],
                                "undue", slug, letter["retention_due"])
        log.info("retention %s: %s pending deleted, %s anonymised", slug,
                 report.get("pending_deleted", 0), report.get("anonymised", 0))
        return {**report, "slug": slug, "status": "anonymised"}

    def migrate(self, now: dt.datetime) -> dict:
        """Once, when this retention replaces the daily full read: each closed letter gets
        its due item, and each pending signature stored before TTL its `ttl`."""
        report = {"letters_with_due_date": 0, "pending_given_ttl": 0}
        for letter in self.store.list_letters():
            report["letters_with_due_date"] += bool(
                schedule(self.store, letter, self.settings.retention_days))
            for shard in range(letter["shards"]):
                q = self.store.shard_query(letter["slug"], shard,
                                           filter=eq("state", PENDING) & absent("ttl"))
                for sig in self.store.query(q):
                    ttl = pending_ttl(parse_iso(sig["confirm_expires_at"]),
                                      self.settings.pending_grace_days)
                    report["pending_given_ttl"] += self.store.update(
                        keys.key_of(sig), Update(set={"ttl": ttl}),
                        condition=eq("state", PENDING) & eq("confirm_expires_at",
                                                            sig["confirm_expires_at"]))
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
