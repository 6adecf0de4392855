"""`Jobs`: start a job, report on it, and run it (the worker's one entry point, `handle`).

A job is one item (`JOB#{slug}` / `{job_id}`); a job split over shard ranges also has one
item per part. Starting one puts its items and sends one message per part (or one for the
whole job) to the job queue (jobs/dispatch.py), and answers at once (202). A worker takes a
message, leases its item (records.Lease), runs the kind's work (work.py) writing its
progress as it goes, and records the result. The part that finds every part complete
sends a "combine" message: the job's result is made from the parts' (and, for an export,
fresh presigned links are made on each read of it).

Failures: an exception is retried (the item queued again, the message sent again after a
delay) until JOB_ATTEMPTS, then the job is failed; a refusal (a domain error below 500: a
font that lacks a name's script, a partner whose download was switched off) fails the job at
once, with its error code; a worker that dies silently is replaced
by the queue's redelivery, which takes the lapsed lease over; a job whose lease lapsed
longer ago than JOB_RETRY_SECONDS is reported failed (and written so) when read.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any, Callable, Optional

from ..clock import iso
from ..errors import AppError, NotFoundError, ServiceUnavailableError
from ..organiser_models import JobOut
from ..storage import Query, Update, eq, keys
from ..storage.s3_objects import presign
from .records import (COMPLETE, DONE_STATES, FAILED, JOB_ID, QUEUED, RUNNING, JobLost, Lease,
                      TableProgress, expires, new_job_id, stale)
from .work import KINDS, Context, rows_total, shard_ranges

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 10  # × the attempt: a failed attempt is tried again after this


class Jobs:
    def __init__(self, services: Any, queue: Any, s3: Callable[[], Any]) -> None:
        self.svc, self.queue, self._s3 = services, queue, s3

    @property
    def _store(self):
        return self.svc.store

    @property
    def _settings(self):
        return self.svc.settings

    # ---- start, report ------------------------------------------------------------------

    def submit(self, slug: str, kind: str, params: dict, who: str) -> JobOut:
        """Put the job's items and queue its messages; the job as it stands (queued)."""
        letter = self.svc.letters.letter_item(slug)
        now = self.svc.clock()
        job_id = new_job_id(now)
        counters = self._store.counter_totals(slug, letter["shards"])
        total = rows_total(kind, params, counters)
        rows = sum(v for k, v in counters.items() if k.startswith("n_"))
        ranges = shard_ranges(letter["shards"], rows, self._settings.job_part_rows,
                              self._settings.job_max_parts) if KINDS[kind].splits(params) \
            else [range(letter["shards"])]
        common = {"slug": slug, "job_id": job_id, "created_at": iso(now), "ttl": expires(now),
                  "state": QUEUED, "attempts": 0, "lease_until": self._lease_from(now)}
        job = {**keys.job_key(slug, job_id), **common, "kind": kind, "params": params,
               "who": who, "parts": len(ranges), "parts_done": 0, "rows_read": 0,
               "rows_written": 0, "rows_total": total}
        if len(ranges) > 1:
            del job["lease_until"]  # a split job's own lease starts when its parts are done
        self._store.put(job)
        messages = [{"slug": slug, "job": job_id}]
        if len(ranges) > 1:
            for n, r in enumerate(ranges):
                self._store.put({**keys.job_part_key(slug, job_id, n), **common, "part": n,
                                 "shard_from": r.start, "shard_to": r.stop,
                                 "rows_read": 0, "rows_written": 0})
            messages = [{"slug": slug, "job": job_id, "part": n} for n in range(len(ranges))]
        try:
            for m in messages:
                self.queue.send(m)
        except Exception:
            log.exception("job %s: could not queue it", job_id)
            self._store.update(keys.job_key(slug, job_id),
                               Update(set={"state": FAILED, "error": "could not be queued"}))
            raise ServiceUnavailableError(5) from None
        return self._view(job, [])

    def status(self, slug: str, job_id: str, kind: Optional[str] = None,
               params: Optional[dict] = None) -> JobOut:
        """The job as it stands; a job whose worker stopped for good is failed here. With
        `kind` (and `params`), a job of another kind (or other params) is not found."""
        if not JOB_ID.fullmatch(job_id or ""):
            raise NotFoundError("There is no such job.")
        self.svc.letters.letter_item(slug)  # 404 for an unknown letter
        items = list(self._store.query(Query(pk=keys.job_partition(slug), sk_prefix=job_id,
                                             consistent=True)))
        job = next((i for i in items if i["SK"] == job_id), None)
        if job is None or (kind is not None and job["kind"] != kind) or \
                any((job.get("params") or {}).get(k) != v for k, v in (params or {}).items()):
            raise NotFoundError("There is no such job.")
        parts = [i for i in items if i["SK"] != job_id]
        now = self.svc.clock()
        retry = self._settings.job_retry_seconds
        if job["state"] not in DONE_STATES:
            failed = next((p for p in parts if p["state"] == FAILED), None)
            if failed is not None or stale(job, now, retry) or \
                    any(stale(p, now, retry) for p in parts):
                error = (failed or {}).get("error") or "the worker stopped"
                self._fail(job, error)
                job = {**job, "state": FAILED, "error": error}
        return self._view(job, parts)

    def _view(self, job: dict, parts: list[dict]) -> JobOut:
        state = job["state"]
        if state == QUEUED and any(p["state"] != QUEUED for p in parts):
            state = RUNNING
        result = json.loads(job["result"]) if job.get("result") else None
        if state == COMPLETE and KINDS[job["kind"]].link and result:
            bucket, seconds = self._settings.exports_bucket, self._settings.export_url_seconds
            result = {**result, "url": presign(self._s3(), bucket, result["key"], seconds),
                      "expires_in": seconds}
        return JobOut(id=job["job_id"], kind=job["kind"], state=state, phase=job.get("phase"),
                      rows_read=job.get("rows_read", 0), rows_written=job.get("rows_written", 0),
                      rows_total=job.get("rows_total"), parts=job.get("parts", 1),
                      parts_done=sum(p["state"] == COMPLETE for p in parts),
                      attempts=max([job.get("attempts", 0), *(p.get("attempts", 0) for p in parts)]),
                      created_at=job["created_at"], updated_at=job.get("updated_at"),
                      finished_at=job.get("finished_at"), error=job.get("error"), result=result)

    def _fail(self, job: dict, error: str) -> None:
        self._store.update(keys.job_key(job["slug"], job["job_id"]),
                           Update(set={"state": FAILED, "error": error,
                                       "finished_at": iso(self.svc.clock())}, remove=("owner",)),
                           condition=eq("state", job["state"]))

    def _lease_from(self, now: dt.datetime) -> str:
        return iso(now + dt.timedelta(seconds=self._settings.job_lease_seconds))

    # ---- the worker -------------------------------------------------------------------------

    def handle(self, message: dict) -> str:
        """One message: a whole job, one part of it, or the combining of its parts. Returns
        what happened; raises only what should make the queue deliver it again."""
        slug, job_id, part = message["slug"], message["job"], message.get("part")
        combine = message.get("step") == "combine"
        key = keys.job_part_key(slug, job_id, part) if part is not None else \
            keys.job_key(slug, job_id)
        item = self._store.get(key)
        if item is None or item["state"] in DONE_STATES:
            return "done already"
        job = item if part is None else self._store.get(keys.job_key(slug, job_id))
        if job is None or job["state"] == FAILED:
            return "job failed"
        lease = Lease(self._store, self.svc.clock, key, uuid.uuid4().hex,
                      self._settings.job_lease_seconds)
        if not lease.take(self._settings.job_attempts):
            now = self.svc.clock()
            fresh = self._store.get(key) or {}
            if fresh.get("state") == RUNNING and fresh.get("lease_until", "") >= iso(now):
                return "busy"  # another worker holds it
            if fresh.get("attempts", 0) >= self._settings.job_attempts:
                self._fail(job, "gave up after repeated failures")
                return "failed"
            return "not taken"
        progress = TableProgress(lease, keys.job_key(slug, job_id) if part is not None else None)
        if combine:  # the parts' rows count on from their sum (not the job's: a combining
            # step tried again would count its first attempt's rows twice)
            parts = self._part_items(slug, job_id)
            progress.rows_read = sum(p.get("rows_read", 0) for p in parts)
            progress.rows_written = sum(p.get("rows_written", 0) for p in parts)
        elif part is not None and (item.get("rows_read") or item.get("rows_written")):
            # a part tried again reads its range from the start: its first attempt's rows
            # come off the job's sum
            self._store.update(keys.job_key(slug, job_id), Update(add={
                "rows_read": -item.get("rows_read", 0),
                "rows_written": -item.get("rows_written", 0)}))
            self._store.update(key, Update(set={"rows_read": 0, "rows_written": 0}))
        ctx = Context(self.svc, self._s3(), slug, job, progress)
        kind = KINDS[job["kind"]]
        try:
            if combine:
                result = kind.combine(ctx, self._part_results(slug, job_id))
            elif part is not None:
                result = kind.run(ctx, range(item["shard_from"], item["shard_to"]))
            else:
                result = kind.combine(ctx, [kind.run(ctx, range(self._shards(slug)))])
        except JobLost:
            return "lost"
        except Exception as exc:
            return self._failed(message, item, job, lease, exc)
        # JSON, not a map: a result may hold keys DynamoDB refuses (a count by country "")
        result = json.dumps(result, ensure_ascii=False, sort_keys=True)
        if part is not None:
            progress.flush(force=True)  # the last rows, on the part and the job
            done = {"result": result}
        else:  # (a combining step: the rows read are the parts' sum, kept above)
            done = {"result": result, "rows_read": progress.rows_read,
                    "rows_written": progress.rows_written, "phase": "done"}
        if not lease.finish(COMPLETE, done):
            return "lost"
        if part is not None:
            self._maybe_combine(slug, job_id)
        return "complete"

    def _shards(self, slug: str) -> int:
        return self.svc.letters.letter_item(slug)["shards"]

    def _part_items(self, slug: str, job_id: str) -> list[dict]:
        return list(self._store.query(Query(pk=keys.job_partition(slug),
                                            sk_prefix=f"{job_id}#", consistent=True)))

    def _part_results(self, slug: str, job_id: str) -> list[dict]:
        return [json.loads(i["result"]) if i.get("result") else {}
                for i in self._part_items(slug, job_id)]

    def _maybe_combine(self, slug: str, job_id: str) -> None:
        """The part that finds every part complete queues the combining (more than one may:
        the job's lease lets one combine)."""
        items = list(self._store.query(Query(pk=keys.job_partition(slug), sk_prefix=f"{job_id}#",
                                             consistent=True)))
        if items and all(i["state"] == COMPLETE for i in items):
            self._store.update(keys.job_key(slug, job_id),
                               Update(set={"lease_until": self._lease_from(self.svc.clock())}),
                               condition=eq("state", QUEUED))
            self.queue.send({"slug": slug, "job": job_id, "step": "combine"})

    def _failed(self, message: dict, item: dict, job: dict, lease: Lease,
                exc: Exception) -> str:
        # The log has the detail; the job's item only the kind of failure (no data in it).
        log.exception("job %s (%s) failed", job["job_id"], job["kind"])
        attempts = (self._store.get(lease.key) or {}).get("attempts", 1)
        error = type(exc).__name__
        if refused(exc):  # the same input is refused again: say why at once, do not retry
            error = exc.CODE
        elif attempts < self._settings.job_attempts:
            delay = RETRY_DELAY_SECONDS * attempts
            if lease.give_back(delay, error):
                self.queue.send(message, delay)
            return "retry"
        lease.finish(FAILED, {"error": error})
        if item is not job:
            self._fail(job, error)
        return "failed"


def refused(exc: Exception) -> bool:
    """A domain error the API would answer with a 4xx: trying again changes nothing."""
    return isinstance(exc, AppError) and exc.STATUS_CODE < 500
