"""The local stand-in for the update queue's Lambda event source: hands each message of the
services' `LocalUpdateQueue` to `UpdateMailer.handle`, as the `update_mailer` function gets
them from SQS. `make run` runs it in a thread; tests call `drain()`. The loop and the
redelivery are the job pump's (tools/job_pump.py).

A message whose handling raises (SES throttling) is delivered again after a pause, as SQS
does after its visibility timeout.
"""
from __future__ import annotations

import threading
from typing import Any

from tools.job_pump import JobPump


class UpdatePump(JobPump):
    def __init__(self, services: Any) -> None:
        super().__init__(services, workers=1)

    @property
    def queue(self) -> Any:
        return self.services.update_queue

    def handle(self, message: dict) -> dict:
        return self.services.update_mailer.handle(message)

    def redelivered(self) -> dict:
        return {}

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Until `stop`: one message at a time (the send rate is the mail worker's anyway)."""
        while not stop.wait(interval):
            for message in self.queue.take():
                self._one(message)
