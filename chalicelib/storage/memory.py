"""The table in a dict: the same primitives as `DynamoStore`, for unit tests without Java.

It keeps DynamoDB's semantics where the use cases depend on them: conditions see the
item as stored (an absent item has no attributes), an update creates its item, a
transaction applies all its steps or none, a repeated request token is a no-op,
strings sort by code point (as UTF-8 bytes do), GSI1 projects only its public fields (GSI3 only keys),
and an item without an index's keys is not in that index.
"""
from __future__ import annotations

import copy
import datetime as dt
import heapq
import threading
from typing import Callable, Iterator, Optional

from . import keys
from .expressions import (INDEX_KEYS, Absent, All, Any_, BeginsWith, Change, Compare, Cond,
                          Delete, Exists, Put, Query, Step, Update)
from .stream import record as stream_record
from .table import Table, TransactionConflict

_OPS = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def holds(cond: Optional[Cond], item: dict) -> bool:
    """Whether `cond` holds for `item` (DynamoDB's rules: a missing attribute compares false)."""
    if cond is None:
        return True
    if isinstance(cond, Compare):
        if cond.attr not in item:
            return False
        value = item[cond.attr]
        if type(value) is not type(cond.value) and not (
                isinstance(value, str) and isinstance(cond.value, str)):
            return cond.op == "<>"
        return _OPS[cond.op](value, cond.value)
    if isinstance(cond, Exists):
        return cond.attr in item
    if isinstance(cond, Absent):
        return cond.attr not in item
    if isinstance(cond, BeginsWith):
        value = item.get(cond.attr)
        return isinstance(value, str) and value.startswith(cond.prefix)
    if isinstance(cond, All):
        return all(holds(p, item) for p in cond.parts)
    if isinstance(cond, Any_):
        return any(holds(p, item) for p in cond.parts)
    raise TypeError(f"not a condition: {cond!r}")


def applied(item: dict, u: Update) -> dict:
    out = dict(item)
    for k, v in u.set.items():
        if v is not None:
            out[k] = copy.deepcopy(v)
    for k, v in u.append.items():
        out[k] = [*out.get(k, []), *copy.deepcopy(v)]
    for k, v in u.set_if_absent.items():
        out.setdefault(k, copy.deepcopy(v))
    for k in u.removed():
        out.pop(k, None)
    for k, v in u.add.items():
        out[k] = out.get(k, 0) + v
    return out


class MemoryStore(Table):
    """Also keeps the table's stream: every write's record, as Lambda would get it
    (`changes()` hands over those not taken yet)."""

    def __init__(self, table_name: str = "memory", clock: Optional[Callable[[], dt.datetime]] = None
                 ) -> None:
        self.table = table_name
        self._items: dict[tuple[str, str], dict] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.RLock()
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._feed: list[dict] = []
        self._seq = 0

    def changes(self) -> list[dict]:
        """The stream records written since the last call, oldest first."""
        with self._lock:
            out, self._feed = self._feed, []
            return out

    def items(self) -> list[dict]:
        """Every stored item (a copy), e.g. for a test that searches the whole table."""
        with self._lock:
            return copy.deepcopy(list(self._items.values()))

    @staticmethod
    def _k(key: dict) -> tuple[str, str]:
        return key["PK"], key["SK"]

    def _current(self, key: dict) -> dict:
        return self._items.get(self._k(key), {})

    def _store(self, item: dict) -> None:
        new = {k: v for k, v in item.items() if v is not None}
        old = self._items.get(self._k(item))
        self._items[self._k(item)] = new
        self._record("MODIFY" if old is not None else "INSERT", new, copy.deepcopy(new), old)

    def _remove(self, key: dict) -> None:
        old = self._items.pop(self._k(key), None)
        if old is not None:
            self._record("REMOVE", old, None, old)

    def _record(self, event: str, item: dict, new: Optional[dict], old: Optional[dict]) -> None:
        self._seq += 1
        self._feed.append(stream_record(event, {"PK": item["PK"], "SK": item["SK"]}, new, old,
                                        self._clock(), self._seq))

    def get(self, key: dict, *, consistent: bool = True) -> Optional[dict]:
        with self._lock:
            item = self._items.get(self._k(key))
            return copy.deepcopy(item) if item is not None else None

    def put(self, item: dict, *, condition: Optional[Cond] = None) -> bool:
        with self._lock:
            if not holds(condition, self._current(item)):
                return False
            self._store(copy.deepcopy(item))
            return True

    def update(self, key: dict, update: Update, *, condition: Optional[Cond] = None) -> bool:
        with self._lock:
            current = self._current(key)
            if not holds(condition, current):
                return False
            self._store(applied({**current, **key}, update))
            return True

    def increment(self, key: dict, attributes: list[str], expires_at: int) -> dict[str, int]:
        with self._lock:
            self.update(key, Update(add={a: 1 for a in attributes},
                                    set_if_absent={keys.TTL_ATTRIBUTE: expires_at}))
            item = self._current(key)
            return {a: item[a] for a in attributes}

    def transact(self, steps: list[Step], *operation: str) -> None:
        token = keys.request_token(self.table, *operation)
        touched = [(k["PK"], k["SK"]) for k in map(self._step_key, steps)]
        if len(set(touched)) != len(touched):  # as DynamoDB's ValidationException
            raise ValueError("Transaction request cannot include multiple operations on one item")
        fingerprint = repr(steps)
        with self._lock:
            seen = self._tokens.get(token)
            if seen is not None:
                if seen == fingerprint:
                    return  # the same request again: DynamoDB answers success, applies nothing
                raise TransactionConflict(["IdempotentParameterMismatch"])
            reasons = ["None" if holds(s.condition, self._current(self._step_key(s)))
                       else "ConditionalCheckFailed" for s in steps]
            if any(r != "None" for r in reasons):
                raise TransactionConflict(reasons)
            for s in steps:
                if isinstance(s, Put):
                    self._store(copy.deepcopy(s.item))
                elif isinstance(s, Change):
                    self._store(applied({**self._current(s.key), **s.key}, s.update))
                elif isinstance(s, Delete):
                    self._remove(s.key)
            self._tokens[token] = fingerprint

    @staticmethod
    def _step_key(step: Step) -> dict:
        return step.item if isinstance(step, Put) else step.key

    def _matching(self, q: Query) -> list[dict]:
        pk_attr, sk_attr = INDEX_KEYS[q.index]
        with self._lock:
            found = [copy.deepcopy(i) for i in self._items.values()
                     if i.get(pk_attr) == q.pk and sk_attr in i]
        if q.sk_prefix is not None:
            found = [i for i in found if i[sk_attr].startswith(q.sk_prefix)]
        if q.sk_between is not None:
            low, high = q.sk_between
            found = [i for i in found if low <= i[sk_attr] <= high]
        found.sort(key=lambda i: (i[sk_attr], i["PK"], i["SK"]), reverse=not q.forward)
        if q.index == keys.GSI1:
            kept = {*keys.GSI1_FIELDS, "PK", "SK", pk_attr, sk_attr}
            found = [{k: v for k, v in i.items() if k in kept} for i in found]
        elif q.index == keys.GSI3:  # keys only
            kept = {"PK", "SK", pk_attr, sk_attr}
            found = [{k: v for k, v in i.items() if k in kept} for i in found]
        return found

    @staticmethod
    def _position(q: Query, item: dict) -> tuple:
        return item[INDEX_KEYS[q.index][1]], item["PK"], item["SK"]

    def query(self, q: Query, *, start: Optional[dict] = None) -> Iterator[dict]:
        found = self._matching(q)
        if start:  # resume just after `start`, in the query's direction
            mark = self._position(q, start)
            found = [i for i in found if (self._position(q, i) > mark if q.forward
                                          else self._position(q, i) < mark)]
        for item in found:
            if not holds(q.filter, item):
                continue
            yield {k: v for k, v in item.items() if k in q.fields} if q.fields else item

    def batch_get(self, keys_: list[dict]) -> list[dict]:
        return [i for i in (self.get(k) for k in keys_) if i is not None]

    def merged_page(self, queries: list[Query], sort_attr: str,
                    limit: int) -> tuple[list[dict], bool]:
        merged = list(heapq.merge(*(self.query(q) for q in queries), key=lambda i: i[sort_attr]))
        return merged[:limit], len(merged) > limit


