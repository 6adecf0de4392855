"""What a use case asks of the table, as data: conditions, updates, queries, transaction steps.

Use cases never write DynamoDB expression strings or wire values. They build these small
objects; `DynamoStore` compiles them (`Compiler`) and `MemoryStore` evaluates them, so one
use-case test runs against either store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .codec import to_av

# ---- conditions ----------------------------------------------------------------


class Cond:
    """A condition on one item's attributes; combine with & and |."""

    def __and__(self, other: "Cond") -> "Cond":
        return All((self, other))

    def __or__(self, other: "Cond") -> "Cond":
        return Any_((self, other))


@dataclass(frozen=True)
class Compare(Cond):
    attr: str
    op: str  # one of = <> < <= > >=
    value: Any


@dataclass(frozen=True)
class Exists(Cond):
    attr: str


@dataclass(frozen=True)
class Absent(Cond):
    attr: str


@dataclass(frozen=True)
class BeginsWith(Cond):
    attr: str
    prefix: str


@dataclass(frozen=True)
class All(Cond):
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_(Cond):
    parts: tuple[Cond, ...]


def eq(attr: str, value: Any) -> Cond:
    return Compare(attr, "=", value)


def lt(attr: str, value: Any) -> Cond:
    return Compare(attr, "<", value)


def ge(attr: str, value: Any) -> Cond:
    return Compare(attr, ">=", value)


def exists(attr: str) -> Cond:
    return Exists(attr)


def absent(attr: str) -> Cond:
    return Absent(attr)


def all_of(*conds: Optional[Cond]) -> Optional[Cond]:
    parts = tuple(c for c in conds if c is not None)
    return None if not parts else parts[0] if len(parts) == 1 else All(parts)


NEW_ITEM = absent("PK")  # a Put that must not overwrite


# ---- updates -------------------------------------------------------------------


@dataclass
class Update:
    """SET / REMOVE / ADD on one item. A `set` value of None removes the attribute."""

    set: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    add: dict[str, int] = field(default_factory=dict)
    append: dict[str, list] = field(default_factory=dict)  # list_append(attr, value)
    set_if_absent: dict[str, Any] = field(default_factory=dict)  # if_not_exists(attr, value)

    def removed(self) -> list[str]:
        return sorted({*self.remove, *(k for k, v in self.set.items() if v is None)}
                      - {k for k, v in self.set.items() if v is not None})


# ---- queries ---------------------------------------------------------------------

INDEX_KEYS = {None: ("PK", "SK"), "GSI1": ("GSI1PK", "GSI1SK"), "GSI2": ("GSI2PK", "GSI2SK"),
              "GSI3": ("GSI3PK", "GSI3SK")}


@dataclass(frozen=True)
class Query:
    """One partition of the table or of an index, in sort-key order."""

    pk: str
    index: Optional[str] = None
    sk_prefix: Optional[str] = None
    sk_between: Optional[tuple[str, str]] = None
    filter: Optional[Cond] = None
    fields: Optional[tuple[str, ...]] = None  # what to read (default: every attribute)
    forward: bool = True
    consistent: bool = False
    page_size: Optional[int] = None  # items evaluated per request (before the filter)


# ---- transaction steps ---------------------------------------------------------------


@dataclass(frozen=True)
class Put:
    item: dict
    condition: Optional[Cond] = None


@dataclass(frozen=True)
class Change:
    key: dict
    update: Update
    condition: Optional[Cond] = None


@dataclass(frozen=True)
class Delete:
    key: dict
    condition: Optional[Cond] = None


@dataclass(frozen=True)
class Check:
    """A condition on an item the transaction does not write (DynamoDB's ConditionCheck)."""
    key: dict
    condition: Cond


Step = Union[Put, Change, Delete, Check]


# ---- compiling for DynamoDB -------------------------------------------------------------

_FUNCS = {Exists: "attribute_exists", Absent: "attribute_not_exists"}


class Compiler:
    """Turns the objects above into one request's expressions, names and values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, dict] = {}
        self._refs: dict[str, str] = {}

    def name(self, attr: str) -> str:
        ref = self._refs.get(attr)
        if ref is None:
            ref = self._refs[attr] = f"#n{len(self._refs)}"
            self.names[ref] = attr
        return ref

    def value(self, v: Any) -> str:
        ref = f":v{len(self.values)}"
        self.values[ref] = to_av(v)
        return ref

    def condition(self, c: Cond) -> str:
        if isinstance(c, Compare):
            return f"{self.name(c.attr)} {c.op} {self.value(c.value)}"
        if isinstance(c, (Exists, Absent)):
            return f"{_FUNCS[type(c)]}({self.name(c.attr)})"
        if isinstance(c, BeginsWith):
            return f"begins_with({self.name(c.attr)}, {self.value(c.prefix)})"
        if isinstance(c, (All, Any_)):
            joint = " AND " if isinstance(c, All) else " OR "
            return "(" + joint.join(self.condition(p) for p in c.parts) + ")"
        raise TypeError(f"not a condition: {c!r}")

    def update(self, u: Update) -> str:
        sets = [f"{self.name(k)} = {self.value(v)}" for k, v in u.set.items() if v is not None]
        sets += [f"{self.name(k)} = list_append({self.name(k)}, {self.value(v)})"
                 for k, v in u.append.items()]
        sets += [f"{self.name(k)} = if_not_exists({self.name(k)}, {self.value(v)})"
                 for k, v in u.set_if_absent.items()]
        parts = []
        if sets:
            parts.append("SET " + ", ".join(sets))
        if u.removed():
            parts.append("REMOVE " + ", ".join(self.name(k) for k in u.removed()))
        if u.add:
            parts.append("ADD " + ", ".join(f"{self.name(k)} {self.value(v)}"
                                           for k, v in u.add.items()))
        return " ".join(parts)

    def key_condition(self, q: Query) -> str:
        pk, sk = INDEX_KEYS[q.index]
        expr = f"{self.name(pk)} = {self.value(q.pk)}"
        if q.sk_prefix is not None:
            expr += f" AND begins_with({self.name(sk)}, {self.value(q.sk_prefix)})"
        elif q.sk_between is not None:
            low, high = q.sk_between
            expr += f" AND {self.name(sk)} BETWEEN {self.value(low)} AND {self.value(high)}"
        return expr

    def projection(self, fields: tuple[str, ...]) -> str:
        return ", ".join(self.name(f) for f in fields)

    def arguments(self) -> dict:
        """ExpressionAttributeNames/Values, when any were used."""
        out: dict = {}
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out
