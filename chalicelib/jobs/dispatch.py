"""Where job messages go: an SQS queue in AWS, an in-process list locally.

Decision: SQS (`job_worker` is its Lambda event source, batch size 1) rather than an
asynchronous Lambda invocation. Both are at-least-once and cost about the same (three SQS
requests a message against one Invoke). SQS gives what the jobs need: a message that a
worker dies on (timeout, memory) comes back after the visibility timeout and the next
worker takes the lapsed lease over; after JOB_ATTEMPTS receipts it goes to a dead-letter
queue, which is alarmed; a retry can be delayed (DelaySeconds); the event source mapping's
MaximumConcurrency caps how many fan-out parts read the table at once. An asynchronous
invocation retries twice at most, drops an event after 6 hours, and caps nothing but the
function's reserved concurrency (shared with nightly runs).

Locally (`make run`, tests) `LocalJobQueue` holds the messages; `tools/job_pump.py` feeds
them to the same `Jobs.handle` the Lambda function calls.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable


class SqsJobQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs, self.url = sqs, url

    def send(self, message: dict, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(message),
                               DelaySeconds=min(900, max(0, delay_seconds)))


class LocalJobQueue:
    """Messages in memory, each handed out once when its delay has passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[float, dict]] = []
        self._clock = clock

    def send(self, message: dict, delay_seconds: int = 0) -> None:
        with self._lock:
            self._messages.append((self._clock() + delay_seconds, json.loads(json.dumps(message))))

    def pending(self) -> int:
        with self._lock:
            return len(self._messages)

    def take(self, *, ignore_delay: bool = False) -> list[dict]:
        """The messages due now (all of them with `ignore_delay`), removed from the queue."""
        now = self._clock()
        with self._lock:
            due = [m for at, m in self._messages if ignore_delay or at <= now]
            self._messages = [(at, m) for at, m in self._messages
                              if not (ignore_delay or at <= now)]
        return due
