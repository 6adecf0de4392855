"""Fixed-window rate limits kept in DynamoDB: one object, one question (`exceeded`).

A rule allows `limit` hits per `window` seconds for one subject (an IP, an email
domain, an address). Subjects are stored only as keyed hashes, and every window
item expires by TTL.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional

from . import store as keys
from .store import Store


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds


class RateLimiter:
    def __init__(self, store: Store, secret: bytes) -> None:
        self.store = store
        self._secret = secret

    def subject_hash(self, subject: str) -> str:
        return hmac.new(self._secret, f"rate|{subject}".encode(), hashlib.sha256).hexdigest()[:32]

    def hit(self, rule: Rule, subject: str, now: dt.datetime) -> Optional[int]:
        """Count one hit; None if within the limit, else the seconds until the window ends."""
        if rule.limit <= 0:
            return None
        epoch = int(now.timestamp())
        start = epoch - epoch % rule.window
        n = self.store.increment(keys.rate_key(rule.name, self.subject_hash(subject), start),
                                 expires_at=start + rule.window + 60)
        if n > rule.limit:
            return max(1, start + rule.window - epoch)
        return None

    def exceeded(self, rules: list[Rule], subject: str, now: dt.datetime) -> Optional[int]:
        """Hit every rule; the longest wait among those exceeded, or None."""
        waits = [w for w in (self.hit(r, subject, now) for r in rules) if w is not None]
        return max(waits) if waits else None
