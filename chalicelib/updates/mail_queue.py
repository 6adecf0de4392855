"""Where update mails wait for the update mailer: an SQS queue in AWS, in memory locally.

Decision: a queue, not the table's stream (the outbox of signers' own mail). An update to
millions of signers waits at the send rate for days (10 million at 14 a second is 8 days);
the stream keeps records 24 hours, SQS up to 14 days, and its backlog holds no worker's
stream shard behind it. Each message names up to MESSAGE_SIGS signatures (never an
address); the fan-out sends ten messages a request (SendMessageBatch).
"""
from __future__ import annotations

import json
from typing import Any

from ..jobs.dispatch import LocalJobQueue

MESSAGE_SIGS = 25   # signatures per message: about 25 s of mail at the default send rate
BATCH_MESSAGES = 10  # SendMessageBatch's limit


class QueueRefused(Exception):
    """SQS kept refusing some of a batch: the fan-out part fails, and its retry queues again."""


class SqsUpdateQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs, self.url = sqs, url

    def send_batch(self, messages: list[dict]) -> None:
        for i in range(0, len(messages), BATCH_MESSAGES):
            entries = [{"Id": str(n), "MessageBody": json.dumps(m)}
                       for n, m in enumerate(messages[i:i + BATCH_MESSAGES])]
            for _ in range(3):
                resp = self._sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
                failed = {f["Id"] for f in resp.get("Failed", [])}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break
            if entries:
                raise QueueRefused(f"{len(entries)} messages refused")


class LocalUpdateQueue(LocalJobQueue):
    """In this process (make run, tests); tools/update_pump.py hands it to the mailer."""

    def send_batch(self, messages: list[dict]) -> None:
        for m in messages:
            self.send(m)
