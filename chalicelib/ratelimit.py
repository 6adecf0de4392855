"""Fixed-window rate limits kept in DynamoDB: one object, one question (`exceeded`).

A rule allows `limit` hits per `window` seconds for one subject (an IP, an email
domain, an address). All the rules of one check share one item (one write): its key
is the subject's keyed hash and the start of the longest window, and each rule counts
in its own attribute. Subjects are stored only as keyed hashes; every item expires by TTL.
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

    def counts(self, check: str, rules: list[Rule], subject: str,
               now: dt.datetime) -> dict[Rule, tuple[int, int]]:
        """Count one hit against every rule; rule → (hits in its window, seconds left in it)."""
        rules = [r for r in rules if r.limit > 0]
        if not rules:
            return {}
        epoch = int(now.timestamp())
        longest = max(r.window for r in rules)
        start = epoch - epoch % longest
        attrs = {r: f"{r.name}_{epoch - epoch % r.window}" for r in rules}
        values = self.store.add(keys.rate_key(check, self.subject_hash(subject), start),
                                list(attrs.values()), expires_at=start + longest + 60)
        return {r: (values[a], (epoch - epoch % r.window) + r.window - epoch)
                for r, a in attrs.items()}

    def exceeded(self, check: str, rules: list[Rule], subject: str,
                 now: dt.datetime) -> Optional[int]:
        """Hit every rule; None if all are within their limits, else the longest wait."""
        waits = [left for r, (n, left) in self.counts(check, rules, subject, now).items()
                 if n > r.limit]
        return max(waits) if waits else None

    def hit(self, rule: Rule, subject: str, now: dt.datetime) -> Optional[int]:
        return self.exceeded(rule.name, [rule], subject, now)
