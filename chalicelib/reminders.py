"""Reminders to pending signers: one mail (at most REMINDERS_MAX) to a signer who signed
but has not clicked their confirmation link, REMINDER_AFTER_HOURS after the sign-on.

How it scales (keys.py, access pattern 23): a sign-on puts GSI3 keys on its pending
signature, `R#{slug}#{shard}` / `{due}#{n}` (reminder n falls due at `due`), and any
move out of `pending` drops them (transitions.py), so the index, keys only, holds just the
pending signatures a reminder is still to go to. The hourly run Queries each shard of each
open letter for the entries due by now: what fell due since the last run, and whatever an
earlier run missed. Nothing reads the letter's signatures.

Each entry gets one UpdateItem, conditioned on the entry being the one read (so a second
run, or two at once, queue each reminder once) and on the signature being still pending,
unbounced and its link valid for at least MIN_LINK_LEFT. It raises `reminders`, which is the
mail's outbox entry: the table's stream hands it to the mail worker (mail_worker.py), which
opens the address, checks the suppression list and the caps, and sends the reminder with
the signer's newest confirmation link. The same link, not a new one: it is valid already,
it expires with the pending signature's `confirm_expires_at` (so it never outlives it), and
nothing about the signature's expiry or TTL moves. The update also moves the keys to the
next reminder (`n + 1`, REMINDER_AFTER_HOURS later) or, after the last, drops them.

An entry whose condition fails is read once: a signer who asked for their link again
within REMINDER_AFTER_HOURS has the reminder moved to that long after the last mail;
anything else (expired link, bounced address) loses its keys. A closed letter's entries are
not read at all; they go with their pending signatures (TTL). Signatures stored before
this index existed carry no keys and get no reminder (they expire within TOKEN_TTL_HOURS).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable, Optional

from .clock import Clock, iso, parse_iso
from .letter_service import LetterService
from .settings import Settings
from .states import PENDING
from .storage import Query, Table, Update, absent, eq, exists, ge, keys, lt

log = logging.getLogger(__name__)
MIN_LINK_LEFT = dt.timedelta(hours=1)  # a reminder whose link dies within the hour is noise
THREADS = 8  # shards worked at once (each entry is one UpdateItem round trip)
OUTCOMES = ("queued", "postponed", "dropped", "skipped")


def first_reminder(settings: Settings, letter: dict, sig_id: str,
                   signed_at: dt.datetime) -> dict:
    """The GSI3 keys a sign-on puts on its pending signature (none with REMINDERS_MAX 0)."""
    if not settings.reminders_max:
        return {}
    due = signed_at + dt.timedelta(hours=settings.reminder_after_hours)
    return keys.reminder_keys(letter["slug"], sig_id, letter["shards"], due, 1)


class Reminders:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, clock: Clock,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.store, self.letters, self.clock = settings, store, letters, clock
        self._monotonic = monotonic
        self._after = dt.timedelta(hours=settings.reminder_after_hours)

    def run(self, now: Optional[dt.datetime] = None,
            budget_seconds: Optional[float] = None) -> dict:
        """One run over every open letter: reminders queued, per letter and in all.

        `budget_seconds`: stop taking entries after this long (the function's timeout less
        a margin); what is left is due still, and the next run takes it."""
        now = now or self.clock()
        stop_at = self._monotonic() + budget_seconds if budget_seconds else None
        report = {"at": iso(now), **dict.fromkeys(OUTCOMES, 0), "complete": True, "letters": {}}
        for letter in self.store.list_letters():
            if not self._open(letter, now):
                continue  # its entries go with their signatures (TTL)
            counts = self.letter(letter, now, stop_at)
            report["complete"] = report["complete"] and counts.pop("complete")
            for name, n in counts.items():
                report[name] += n
            report["letters"][letter["slug"]] = counts["queued"]
            self._record(letter, counts, now)
        return report

    @staticmethod
    def _open(letter: dict, now: dt.datetime) -> bool:
        closes = letter.get("closes_at")
        return letter.get("status") == "open" and not letter.get("draft") and \
            (closes is None or now < parse_iso(closes))

    def letter(self, letter: dict, now: dt.datetime, stop_at: Optional[float] = None) -> dict:
        """Every shard of one letter, THREADS at once."""
        from concurrent.futures import ThreadPoolExecutor  # here: signing imports this module
        total = {**dict.fromkeys(OUTCOMES, 0), "complete": True}
        with ThreadPoolExecutor(min(THREADS, letter["shards"])) as pool:
            for counts in pool.map(lambda s: self.shard(letter, s, now, stop_at),
                                   range(letter["shards"])):
                total["complete"] = total["complete"] and counts.pop("complete")
                for name, n in counts.items():
                    total[name] += n
        return total

    def shard(self, letter: dict, shard: int, now: dt.datetime,
              stop_at: Optional[float] = None) -> dict:
        counts = {**dict.fromkeys(OUTCOMES, 0), "complete": True}
        due = Query(pk=keys.reminder_partition(letter["slug"], shard), index=keys.GSI3,
                    sk_between=keys.reminders_due_by(now))
        for entry in self.store.query(due):
            if stop_at is not None and self._monotonic() >= stop_at:
                counts["complete"] = False
                break
            counts[self.remind(letter, entry, now)] += 1
        return counts

    def remind(self, letter: dict, entry: dict, now: dt.datetime) -> str:
        """One index entry: "queued", "postponed", "dropped" (it is not to go), or "skipped"
        (another run took it meanwhile, or the signature moved on)."""
        n = keys.reminder_number(entry["GSI3SK"])
        key, seen = keys.key_of(entry), eq("GSI3SK", entry["GSI3SK"])
        if n <= self.settings.reminders_max:
            nxt = {"GSI3SK": keys.reminder_sort_key(now + self._after, n + 1)} \
                if n < self.settings.reminders_max else {}
            recent = absent("last_sent_at") | lt("last_sent_at", iso(now - self._after))
            if self.store.update(
                    key, Update(set={"reminders": n, **nxt},
                                remove=() if nxt else keys.REMINDER_KEYS),
                    condition=seen & eq("state", PENDING) & absent("bounced_at") & recent &
                    ge("confirm_expires_at", iso(now + MIN_LINK_LEFT))):
                return "queued"
        sig = self.store.get(key) or {}
        if sig.get("GSI3SK") != entry["GSI3SK"]:
            return "skipped"  # another run took it, or the signature moved on or expired
        later = self._later(sig, n)
        if later is not None:
            self.store.update(key, Update(set={"GSI3SK": keys.reminder_sort_key(later, n)}),
                              condition=seen)
            return "postponed"
        self.store.update(key, Update(remove=keys.REMINDER_KEYS), condition=seen & exists("PK"))
        return "dropped"

    def _later(self, sig: dict, n: int) -> Optional[dt.datetime]:
        """When a reminder that waits only for a recent mail (a resend) falls due, if its
        link is still valid then; None if it should not go at all."""
        if sig.get("state") != PENDING or sig.get("bounced_at") or \
                n > self.settings.reminders_max or not sig.get("last_sent_at"):
            return None
        due = parse_iso(sig["last_sent_at"]) + self._after
        if due + MIN_LINK_LEFT > parse_iso(sig["confirm_expires_at"]):
            return None
        return due

    def _record(self, letter: dict, counts: dict, now: dt.datetime) -> None:
        """The letter's count of reminders queued (its organisers' view) and one audit
        record per run that queued any."""
        if not counts["queued"]:
            return
        slug, at = letter["slug"], iso(now)
        self.store.update(keys.letter_key(slug), Update(add={"reminders_sent": counts["queued"]}),
                          condition=exists("PK"))
        self.store.put({**keys.audit_key(slug, at), "at": at, "who": "reminders",
                        "action": "reminders", "before": {"due_by": at},
                        "after": {k: counts[k] for k in OUTCOMES}})
        log.info("reminders for %s: %s", slug, counts)
