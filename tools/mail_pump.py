"""The local stand-in for Lambda's stream event source: feeds the table's stream to the
mail worker (the same `MailWorker.handle` the deployed function runs).

`make run` runs it in a thread; tests and benchmarks call `drain()`.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)


def stream_of(services: Any) -> Callable[[], list[dict]]:
    """What reads the services' table stream: MemoryStore's own, or DynamoDB Streams."""
    store = services.store
    if hasattr(store, "changes"):
        return store.changes
    from chalicelib.storage.stream import StreamReader
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
