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

    def _window(self, check: str, rules: list[Rule], subject: str, now: dt.datetime) -> "_Window":
        epoch = int(now.timestamp())
        subject_hash = self.subject_hash(subject)
        longest = max(r.window for r in rules)
        start = epoch - epoch % longest
        return _Window(
            epoch=epoch, subject_hash=subject_hash,
            key=keys.rate_key(check, subject_hash, start), expires_at=start + longest + 60,
            attrs={r: f"{r.name}_{epoch - epoch % r.window}" for r in rules},
            left={r: (epoch - epoch % r.window) + r.window - epoch for r in rules})

    def _blocked_for(self, check: str, w: "_Window") -> Optional[tuple[int, frozenset[str]]]:
        """(seconds left, rule names) if this process remembers the subject over a hard limit."""
        blocked = self._blocked.get((check, w.subject_hash))
        return (blocked[0] - w.epoch, blocked[1]) if blocked and blocked[0] > w.epoch else None

    def _remember(self, check: str, w: "_Window", over: list[Rule]) -> None:
        """Only a refusing (hard) rule may be remembered: while a subject is remembered its
        hits are not counted, so remembering a soft one would switch the hard ones off."""
        hard = [r for r in over if not r.soft]
        if hard:
            if len(self._blocked) >= self.MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[(check, w.subject_hash)] = (
                w.epoch + max(w.left[r] for r in hard), frozenset(r.name for r in hard))

    def counts(self, check: str, rules: list[Rule], subject: str,
               now: dt.datetime) -> dict[Rule, tuple[int, int]]:
        """Count one hit against every rule; rule → (hits in its window, seconds left in it)."""
        rules = [r for r in rules if r.limit > 0]
        if not rules:
            return {}
        w = self._window(check, rules, subject, now)
        blocked = self._blocked_for(check, w)
        if blocked is not None:
            return {r: (r.limit + 1 if r.name in blocked[1] else 0, blocked[0]) for r in rules}
        values = self.store.increment(w.key, list(w.attrs.values()), expires_at=w.expires_at)
        out = {r: (values[a], w.left[r]) for r, a in w.attrs.items()}
        self._remember(check, w, [r for r, (n, _) in out.items() if n > r.limit])
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
        w = self._window(check, rules, subject, now)
        blocked = self._blocked_for(check, w)
        if blocked is not None:
            raise Blocked(blocked[0])
        under = all_of(*(absent(a) | lt(a, r.limit) for r, a in w.attrs.items()
                         if soft or not r.soft))
        return Change(w.key, Update(add={a: 1 for a in w.attrs.values()},
                                    set_if_absent={keys.TTL_ATTRIBUTE: w.expires_at}),
                      condition=under)

    def over(self, check: str, rules: list[Rule], subject: str,
             now: dt.datetime) -> dict[Rule, int]:
        """After a step's condition failed: the rules at their limit, with the seconds left
        in each one's window (the hard ones are remembered, as `counts` does)."""
        rules = [r for r in rules if r.limit > 0]
        w = self._window(check, rules, subject, now)
        item = self.store.get(w.key) or {}
        out = {r: w.left[r] for r in rules if item.get(w.attrs[r], 0) >= r.limit}
        self._remember(check, w, list(out))
        return out


@dataclass(frozen=True)
class _Window:
    """One check's item and attributes at one moment: every rule's window in one item."""

    epoch: int
    subject_hash: str
    key: dict
    expires_at: int
    attrs: dict[Rule, str]   # rule → the attribute counting its current window
    left: dict[Rule, int]    # rule → seconds left in its current window


class Blocked(Exception):
    """The subject is over a hard limit (remembered in this process)."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait
