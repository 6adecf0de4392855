"""The local stand-in for Lambda's stream event source: feeds the table's stream to the
mail worker (the same `MailWorker.handle` the deployed function runs).

`make run` runs it in a thread; tests and benchmarks call `drain()`.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)


def stream_of(services: Any) -> Callable[[], list[dict]]:
    """What reads the services' table stream: MemoryStore's own, or DynamoDB Streams."""
    store = services.store
    if hasattr(store, "changes"):
        return store.changes
    from chalicelib.wiring import boto_client
    return StreamReader(boto_client("dynamodbstreams"), boto_client("dynamodb"), store.table).read


class MailPump:
    def __init__(self, services: Any, read: Callable[[], list[dict]] | None = None) -> None:
        self.services = services
        self._read = read or stream_of(services)
        self._held: list[dict] = []  # a batch given back (RetryLater): delivered again first
        self._lock = threading.Lock()

    def drain(self, rounds: int = 50) -> dict[str, int]:
        """Deliver batches until the stream has nothing new (or a batch is given back)."""
        from chalicelib.mail_worker import RetryLater
        total: dict[str, int] = {}
        with self._lock:
            for _ in range(rounds):
                batch = self._held or self._read()
                self._held = []
                if not batch:
                    break
                try:
                    report = self.services.mail_worker.handle(batch)
                except RetryLater:
                    self._held = batch
                    break
                for k, v in report.items():
                    total[k] = total.get(k, 0) + v
        return total

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Until `stop`: deliver what arrives, every `interval` seconds."""
        while not stop.wait(interval):
            try:
                self.drain()
            except Exception:  # the next round tries again; the records are still there
                log.exception("mail pump round failed")


class StreamReader:
    """Reads a table's stream from DynamoDB Streams (DynamoDB Local serves it), every shard
    from its oldest record, each in order; `read()` returns what arrived since the last call.

    At-least-once, as Lambda's: a reader started again reads the shards from their start,
    and the worker skips what it has done.
    """

    def __init__(self, streams: Any, dynamodb: Any, table: str) -> None:
        self._streams, self._db, self.table = streams, dynamodb, table
        self._arn: Optional[str] = None
        self._iterators: dict[str, Optional[str]] = {}  # shard id → next iterator (None: closed)

    def _shards(self) -> list[str]:
        if self._arn is None:
            self._arn = self._db.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        out, start = [], None
        while True:
            kwargs = {"StreamArn": self._arn, **({"ExclusiveStartShardId": start} if start else {})}
            desc = self._streams.describe_stream(**kwargs)["StreamDescription"]
            out += [s["ShardId"] for s in desc.get("Shards", [])]
            start = desc.get("LastEvaluatedShardId")
            if not start:
                return out

    def read(self, limit: int = 1000) -> list[dict]:
        for shard in self._shards():
            if shard not in self._iterators:
                self._iterators[shard] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records: list[dict] = []
        for shard, iterator in list(self._iterators.items()):
            while iterator and len(records) < limit:
                resp = self._streams.get_records(ShardIterator=iterator, Limit=limit)
                records += resp.get("Records", [])
                iterator = resp.get("NextShardIterator")
                if not resp.get("Records"):
                    break
            self._iterators[shard] = iterator
        return records
