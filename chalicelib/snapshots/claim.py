"""Exactly one snapshot per (letter, date): the day's claim item.

It is taken by a conditional put, held by a lease renewed after each file, and marked
complete at the end (with the time it cut the list at). A replay of a complete day is a
no-op; a forced run takes a complete day again and writes it anew (one file set a day: the
new cut replaces the day's files); a second run while the first holds the lease reports
"busy"; a run that died leaves the lease to expire and the next run takes the day over and
writes it again from the start.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ..clock import Clock, iso, parse_iso
from ..storage import Table, Update, absent, eq, keys, lt

RUNNING, COMPLETE = "running", "complete"
# A run cut from the API (its function lives at most 28 s) holds the day this long: if it dies,
# the nightly run waits that out and takes over, rather than losing the day.
API_LEASE_SECONDS = 60
NIGHTLY_WAIT_SECONDS = API_LEASE_SECONDS + 30


class SnapshotLost(RuntimeError):
    """Another run took this snapshot's claim over (our lease had expired)."""


class Claim:
    """One run's hold on (letter, date)."""

    def __init__(self, store: Table, clock: Clock, slug: str, date: str, owner: str) -> None:
        self.store, self.clock = store, clock
        self.key = keys.snapshot_claim_key(slug, date)
        self.owner = owner
        self.name = f"{slug} {date}"

    def take(self, force: bool, lease_seconds: int) -> str:
        """Take the day's claim: "claimed", or why not: "complete" / "busy"."""
        now = self.clock()
        takeable = absent("PK") | (eq("state", RUNNING) & lt("lease_until", iso(now)))
        if force:
            takeable = takeable | eq("state", COMPLETE)
        lease = now + dt.timedelta(seconds=lease_seconds)
        if self.store.put({**self.key, "state": RUNNING, "owner": self.owner,
                           "lease_until": iso(lease), "started_at": iso(now)},
                          condition=takeable):
            return "claimed"
        return COMPLETE if self.current().get("state") == COMPLETE else "busy"

    def _mine(self):
        return eq("owner", self.owner) & eq("state", RUNNING)

    def renew(self, lease_seconds: int) -> None:
        lease = self.clock() + dt.timedelta(seconds=lease_seconds)
        if not self.store.update(self.key, Update(set={"lease_until": iso(lease)}),
                                 condition=self._mine()):
            raise SnapshotLost(f"{self.name}: another run took the snapshot over")

    def release(self) -> None:
        """After a failure we saw: let the next run start at once rather than after the lease."""
        try:
            self.store.update(self.key, Update(set={"lease_until": "0000"}), condition=self._mine())
        except Exception:
            pass  # the lease expires anyway

    def current(self) -> dict:
        """The day's claim as stored ({} if none)."""
        return self.store.get(self.key) or {}

    def complete(self, manifest_sha: str, time_cut: str) -> None:
        if not self.store.update(
                self.key, Update(set={"state": COMPLETE, "completed_at": iso(self.clock()),
                                      "manifest_sha256": manifest_sha, "time_cut": time_cut}),
                condition=eq("owner", self.owner)):
            raise SnapshotLost(f"{self.name}: another run took the snapshot over")


def lease_left(store: Table, clock: Clock, slug: str, date: str) -> Optional[float]:
    """Seconds until the day's running claim may be taken over (None: no running claim)."""
    claim = store.get(keys.snapshot_claim_key(slug, date)) or {}
    if claim.get("state") != RUNNING or not claim.get("lease_until"):
        return None
    return max(0.0, (parse_iso(claim["lease_until"]) - clock()).total_seconds())
