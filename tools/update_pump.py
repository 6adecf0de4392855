"""The local stand-in for the update queue's Lambda event source: hands each message of the
services' `LocalUpdateQueue` to `UpdateMailer.handle`, as the `update_mailer` function gets
them from SQS. `make run` runs it in a thread; tests call `drain()`.

A message whose handling raises (SES throttling) is delivered again after a pause, as SQS
does after its visibility timeout.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
REDELIVERY_SECONDS = 5


class UpdatePump:
    def __init__(self, services: Any) -> None:
        self.services = services

    @property
    def queue(self) -> Any:
        return self.services.update_queue

    def _one(self, message: dict) -> dict:
        try:
            return self.services.update_mailer.handle(message)
        except Exception:
            log.exception("update message failed; delivered again in %ss", REDELIVERY_SECONDS)
            self.queue.send(message, REDELIVERY_SECONDS)
            return {}

    def drain(self, rounds: int = 100, *, ignore_delay: bool = True) -> list[dict]:
        """Handle messages until none is left; what each did."""
        done: list[dict] = []
        for _ in range(rounds):
            batch = self.queue.take(ignore_delay=ignore_delay)
            if not batch:
                break
            done += [self._one(m) for m in batch]
        return done

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Until `stop`: one message at a time (the send rate is the mail worker's anyway)."""
        while not stop.wait(interval):
            for message in self.queue.take():
                self._one(message)
