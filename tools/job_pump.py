"""The local stand-in for the job queue's Lambda event source: hands each message of the
services' `LocalJobQueue` to `Jobs.handle`, as the `job_worker` function gets them from
SQS. `make run` runs it in a thread (`workers` messages at once); tests call `drain()`.

A message whose handling raises is delivered again after a pause, as SQS does after its
visibility timeout.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)
REDELIVERY_SECONDS = 5


class JobPump:
    def __init__(self, services: Any, workers: int = 2) -> None:
        self.services = services
        self.workers = workers

    @property
    def queue(self) -> Any:
        return self.services.jobs.queue

    def handle(self, message: dict) -> Any:
        return self.services.jobs.handle(message)

    def redelivered(self) -> Any:
        """What `drain` reports for a message whose handling raised."""
        return "redelivered"

    def _one(self, message: dict) -> Any:
        try:
            return self.handle(message)
        except Exception:
            log.exception("%s message failed; delivered again in %ss", type(self).__name__,
                          REDELIVERY_SECONDS)
            self.queue.send(message, REDELIVERY_SECONDS)
            return self.redelivered()

    def drain(self, rounds: int = 100, *, ignore_delay: bool = True) -> list:
        """Handle messages (and those they queue) until none is left; what each did."""
        done: list = []
        for _ in range(rounds):
            batch = self.queue.take(ignore_delay=ignore_delay)
            if not batch:
                break
            done += [self._one(m) for m in batch]
        return done

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Until `stop`: up to `workers` messages at once, as they become due."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="job") as pool:
            while not stop.wait(interval):
                for message in self.queue.take():
                    pool.submit(self._one, message)
