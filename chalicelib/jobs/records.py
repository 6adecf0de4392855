"""A job's item (and each fan-out part's): its states, its lease, its progress.

    queued ──a worker takes the lease──▶ running ──▶ complete
       ▲                                    │
       └──── a failure, attempts left ──────┤──── no attempts left ──▶ failed
                                            └──── the lease lapses ──▶ taken over (or failed)

A worker holds the item by a lease (`lease_until`, renewed with every progress write, at
most every PROGRESS_SECONDS). A worker that dies without a word (a timeout, memory) stops
renewing: the queue delivers the message again and the next worker takes the lapsed lease
over, up to JOB_ATTEMPTS attempts. So no job stays "running" for ever: one whose lease has
lapsed by more than JOB_RETRY_SECONDS (the queue's redelivery time) is reported failed
(`stale`), and written so once its status is read.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from typing import Optional

from ..clock import Clock, iso, parse_iso
from ..progress import Progress
from ..storage import Table, Update, absent, eq, lt

QUEUED, RUNNING, COMPLETE, FAILED = "queued", "running", "complete", "failed"
DONE_STATES = (COMPLETE, FAILED)
JOB_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
PROGRESS_SECONDS = 2.0   # at most one progress write per item this often
KEEP_DAYS = 7            # job items expire by TTL after this (the files after a day)


class JobLost(RuntimeError):
    """Another worker took this job over (our lease had lapsed), or it was ended."""


def new_job_id(now: dt.datetime) -> str:
    """Time-ordered (a letter's jobs list newest first by sort key) and unguessable enough."""
    return f"{now.astimezone(dt.timezone.utc):%Y%m%dT%H%M%S}Z-{secrets.token_hex(4)}"


def expires(now: dt.datetime) -> int:
    return int(now.timestamp()) + KEEP_DAYS * 86_400


def stale(item: dict, now: dt.datetime, retry_seconds: int) -> bool:
    """A job not done whose lease lapsed so long ago that no redelivery is coming."""
    if item.get("state") in DONE_STATES or not item.get("lease_until"):
        return False
    return parse_iso(item["lease_until"]) + dt.timedelta(seconds=retry_seconds) < now


class Lease:
    """One worker's hold on one job (or part) item."""

    def __init__(self, store: Table, clock: Clock, key: dict, owner: str,
                 lease_seconds: int) -> None:
        self.store, self.clock, self.key = store, clock, key
        self.owner, self.lease_seconds = owner, lease_seconds

    def _until(self) -> str:
        return iso(self.clock() + dt.timedelta(seconds=self.lease_seconds))

    def mine(self):
        return eq("owner", self.owner) & eq("state", RUNNING)

    def take(self, attempts: int) -> bool:
        """Take the item: queued, or running on a lapsed lease; with attempts left."""
        now = iso(self.clock())
        takeable = (eq("state", QUEUED) | (eq("state", RUNNING) & lt("lease_until", now))) & \
            (absent("attempts") | lt("attempts", attempts))
        if self.store.update(self.key, Update(
                set={"state": RUNNING, "owner": self.owner, "lease_until": self._until(),
                     "updated_at": now}, set_if_absent={"started_at": now}, add={"attempts": 1}),
                condition=takeable):
            return True
        return self._ours(RUNNING)

    def _ours(self, state: str) -> bool:
        """After a failed condition: whether the item is ours all the same. A request the
        client retried (a timeout) may have been applied the first time: its retry then
        fails its own condition."""
        item = self.store.get(self.key) or {}
        return item.get("owner") == self.owner and item.get("state") == state

    def renew(self, fields: Optional[dict] = None) -> None:
        if not self.store.update(self.key, Update(set={**(fields or {}),
                                                       "lease_until": self._until(),
                                                       "updated_at": iso(self.clock())}),
                                 condition=self.mine()) and not self._ours(RUNNING):
            raise JobLost(f"{self.key['SK']}: the job was taken over")

    def finish(self, state: str, fields: dict) -> bool:
        """Complete or fail the item; False if it was not ours any more."""
        # The owner stays on a finished item: a retried request can tell it was its own.
        return self.store.update(self.key, Update(set={**fields, "state": state,
                                                       "finished_at": iso(self.clock()),
                                                       "updated_at": iso(self.clock())}),
                                 condition=self.mine()) or self._ours(state)

    def give_back(self, delay_seconds: int, error: str) -> bool:
        """After a failure with attempts left: queued again, picked up after `delay`."""
        until = iso(self.clock() + dt.timedelta(seconds=delay_seconds))
        return self.store.update(self.key, Update(set={"state": QUEUED, "lease_until": until,
                                                       "last_error": error,
                                                       "updated_at": iso(self.clock())}),
                                 condition=self.mine()) or self._ours(QUEUED)


class TableProgress(Progress):
    """Progress written to the job's item (for a part: to the part's item, and its rows added
    to the job's) at most every PROGRESS_SECONDS; each write renews the lease."""

    def __init__(self, lease: Lease, job_key: Optional[dict] = None,
                 every: float = PROGRESS_SECONDS, now=time.monotonic) -> None:
        super().__init__()
        self.lease, self.job_key, self.every, self._now = lease, job_key, every, now
        self._last = now()
        self._sent = (0, 0)
        self._phase = ""
        self._lock = threading.Lock()  # a part may tick from several threads (anonymisation)

    def read(self, n: int = 1) -> None:
        self.rows_read += n
        if self.rows_read % 500 == 0:
            self.flush()

    def wrote(self, n: int = 1) -> None:
        self.rows_written += n
        if self.rows_written % 500 == 0:
            self.flush()

    def phase(self, name: str) -> None:
        self._phase = name
        self.flush(force=True)

    def flush(self, force: bool = False) -> None:
        if not force and self._now() - self._last < self.every:
            return
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        self._last = self._now()
        now_read, now_written = self.rows_read, self.rows_written  # one reading of both
        fields = {"rows_read": now_read, "rows_written": now_written}
        if self._phase:
            fields["phase"] = self._phase
        self.lease.renew(fields)
        if self.job_key is not None:  # a part: the job shows the sum of its parts
            read, wrote = now_read - self._sent[0], now_written - self._sent[1]
            if read or wrote:
                self.lease.store.update(self.job_key, Update(add={"rows_read": read,
                                                                  "rows_written": wrote}))
            self._sent = (now_read, now_written)
