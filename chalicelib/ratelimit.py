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

from .storage import Change, Table, Update, absent, all_of, keys, lt


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds
    soft: bool = False  # past it the caller flags (e.g. quarantines), it does not refuse


class RateLimiter:
    """Counts hits in DynamoDB; remembers, in this process, subjects already over a limit.

    A subject over its limit is refused without a write until its window ends: a flood
    from one address or domain costs one write per process and window, instead of making
    its counter item a hot partition (bench/surge.py measures this).
    """

    MAX_REMEMBERED = 50_000

    def __init__(self, store: Table, secret: bytes) -> None:
        self.store = store
        self._secret = secret
        self._blocked: dict[tuple[str, str], tuple[int, frozenset[str]]] = {}

    def subject_hash(self, subject: str) -> str:
        return hmac.new(self._secret, f"rate|{subject}".encode(), hashlib.sha256).hexdigest()[:32]

    def counts(self, check: str, rules: list[Rule], subject: str,
               now: dt.datetime) -> dict[Rule, tuple[int, int]]:
        """Count one hit against every rule; rule → (hits in its window, seconds left in it)."""
        rules = [r for r in rules if r.limit > 0]
        if not rules:
            return {}
        epoch = int(now.timestamp())
        subject_hash = self.subject_hash(subject)
        blocked = self._blocked.get((check, subject_hash))
        if blocked is not None and blocked[0] > epoch:
            return {r: (r.limit + 1 if r.name in blocked[1] else 0, blocked[0] - epoch)
                    for r in rules}
        longest = max(r.window for r in rules)
        start = epoch - epoch % longest
        attrs = {r: f"{r.name}_{epoch - epoch % r.window}" for r in rules}
        values = self.store.increment(keys.rate_key(check, subject_hash, start),
                                list(attrs.values()), expires_at=start + longest + 60)
        out = {r: (values[a], (epoch - epoch % r.window) + r.window - epoch)
               for r, a in attrs.items()}
        # Only a refusing (hard) rule may be remembered: while a subject is remembered its
        # hits are not counted, so remembering a soft one would switch the hard ones off.
        over = [r for r, (n, _) in out.items() if n > r.limit and not r.soft]
        if over:
            if len(self._blocked) >= self.MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[(check, subject_hash)] = (
                epoch + max(out[r][1] for r in over), frozenset(r.name for r in over))
        return out

    def exceeded(self, check: str, rules: list[Rule], subject: str,
                 now: dt.datetime) -> Optional[int]:
        """Hit every rule; None if all are within their limits, else the longest wait."""
        waits = [left for r, (n, left) in self.counts(check, rules, subject, now).items()
                 if n > r.limit]
        return max(waits) if waits else None

    def hit(self, rule: Rule, subject: str, now: dt.datetime) -> Optional[int]:
        return self.exceeded(rule.name, [rule], subject, now)

    # ---- a counter that joins a transaction ------------------------------------------------

    def step(self, check: str, rules: list[Rule], subject: str, now: dt.datetime, *,
             soft: bool = True) -> Optional[Change]:
        """Count one hit against every rule as a transaction step, conditioned on each rule
        (the soft ones too, unless `soft` is False) being under its limit; None if no rule
        is on. Raises Blocked if the subject is remembered as over a hard limit."""
        rules = [r for r in rules if r.limit > 0]
        if not rules:
            return None
        epoch = int(now.timestamp())
        subject_hash = self.subject_hash(subject)
        blocked = self._blocked.get((check, subject_hash))
        if blocked is not None and blocked[0] > epoch:
            raise Blocked(blocked[0] - epoch)
        longest = max(r.window for r in rules)
        start = epoch - epoch % longest
        attrs = {r: f"{r.name}_{epoch - epoch % r.window}" for r in rules}
        under = all_of(*(absent(a) | lt(a, r.limit) for r, a in attrs.items()
                         if soft or not r.soft))
        return Change(keys.rate_key(check, subject_hash, start),
                      Update(add={a: 1 for a in attrs.values()},
                             set_if_absent={keys.TTL_ATTRIBUTE: start + longest + 60}),
                      condition=under)

    def over(self, check: str, rules: list[Rule], subject: str,
             now: dt.datetime) -> dict[Rule, int]:
        """After a step's condition failed: the rules at their limit, with the seconds left
        in each one's window (the hard ones are remembered, as `counts` does)."""
        rules = [r for r in rules if r.limit > 0]
        epoch = int(now.timestamp())
        longest = max(r.window for r in rules)
        start = epoch - epoch % longest
        subject_hash = self.subject_hash(subject)
        item = self.store.get(keys.rate_key(check, subject_hash, start)) or {}
        out = {r: (epoch - epoch % r.window) + r.window - epoch for r in rules
               if item.get(f"{r.name}_{epoch - epoch % r.window}", 0) >= r.limit}
        hard = [r for r in out if not r.soft]
        if hard:
            if len(self._blocked) >= self.MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[(check, subject_hash)] = (epoch + max(out[r] for r in hard),
                                                    frozenset(r.name for r in hard))
        return out


class Blocked(Exception):
    """The subject is over a hard limit (remembered in this process)."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait
