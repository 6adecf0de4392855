"""The table's access patterns, written once over a handful of primitives.

`DynamoStore` (DynamoDB) and `MemoryStore` (a dict, for unit tests) implement the
primitives; everything a use case asks of the table goes through them, with keys from
`keys.py` and conditions/updates from `expressions.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from . import keys
from .expressions import Cond, Query, Step, Update

# Items a shard's Query reads at a time (its Limit), unless the caller says. DynamoDB pages
# at 1 MB anyway (about this many signatures); DynamoDB Local, without a Limit, gets slower
# with every page as a shard grows: a recount of a million signatures took 138 s, against
# 4.3 s at 100,000, and one shard of 22,000 read in 3.0-4.6 s instead of 1.1 s.
SHARD_PAGE = 1000


@dataclass
class TransactionConflict(Exception):
    """A transaction's condition failed; `reasons` has one code per step ('None' if fine)."""

    reasons: list[str]

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"


class Table:
    """Access patterns shared by both stores (numbered as in keys.py)."""

    table: str

    # ---- primitives (each store implements them) ----------------------------------
    def get(self, key: dict, *, consistent: bool = True) -> Optional[dict]:
        raise NotImplementedError

    def put(self, item: dict, *, condition: Optional[Cond] = None) -> bool:
        """Put an item; False if its condition failed."""
        raise NotImplementedError

    def update(self, key: dict, update: Update, *, condition: Optional[Cond] = None) -> bool:
        """Update (or create) an item; False if its condition failed."""
        raise NotImplementedError

    def increment(self, key: dict, attributes: list[str], expires_at: int) -> dict[str, int]:
        """Add one to each named counter of an item (created if absent, expiring by TTL)
        in one write; the new values."""
        raise NotImplementedError

    def transact(self, steps: list[Step], *operation: str) -> None:
        """All steps or none; raises TransactionConflict. `operation` names the logical
        operation: its hash is the request token, so a retry cannot apply twice."""
        raise NotImplementedError

    def query(self, q: Query, *, start: Optional[dict] = None) -> Iterator[dict]:
        """Every item of a Query, page by page, resuming after the key `start`."""
        raise NotImplementedError

    def batch_get(self, keys_: list[dict]) -> list[dict]:
        raise NotImplementedError

    def merged_page(self, queries: list[Query], sort_attr: str,
                    limit: int) -> tuple[list[dict], bool]:
        """The first `limit` items of several queries merged on `sort_attr`, and whether
        there are more."""
        raise NotImplementedError

    # ---- 1, 2: letters ---------------------------------------------------------------
    def list_letters(self) -> list[dict]:
        return list(self.query(Query(pk=keys.LETTERS_PK)))

    def get_letter(self, slug: str, *, consistent: bool = False) -> Optional[dict]:
        return self.get(keys.letter_key(slug), consistent=consistent)

    # ---- 7: counts -------------------------------------------------------------------
    def counter_totals(self, slug: str, shards: int) -> dict[str, int]:
        """Sum of every counter attribute over the letter's shards."""
        total: dict[str, int] = {}
        for item in self.batch_get([keys.counter_key(slug, s) for s in range(shards)]):
            for name, value in item.items():
                if isinstance(value, int) and not isinstance(value, bool) \
                        and name not in ("PK", "SK"):
                    total[name] = total.get(name, 0) + value
        return total

    def counter_shard(self, slug: str, shard: int) -> dict[str, int]:
        return {k: v for k, v in (self.get(keys.counter_key(slug, shard)) or {}).items()
                if isinstance(v, int) and not isinstance(v, bool)}

    # ---- 6: the public list ------------------------------------------------------------
    def list_page(self, slug: str, shards: int, after: str, limit: int,
                  prefix: str = "") -> tuple[list[dict], bool]:
        """Up to `limit` listed signatures after sort key `after`, merged over every shard.

        `prefix` ("1#" organisations, "2#" individuals) narrows to one kind.
        """
        # after+"\x01" is just past `after`: no sort key extends another (ids have fixed length).
        low = max(after + "\x01" if after else "", prefix) or " "
        high = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
        if low.encode() > high.encode():  # a cursor past the end of this kind
            return [], False
        return self.merged_page(
            [Query(pk=keys.list_partition(slug, s), index=keys.GSI1, sk_between=(low, high),
                   page_size=limit + 1) for s in range(shards)], "GSI1SK", limit)

    # ---- 4, 8: signatures ----------------------------------------------------------------
    def signature(self, letter: dict, sig_id: str) -> Optional[dict]:
        return self.get(keys.signature_key(letter["slug"], sig_id, letter["shards"]))

    def shard_query(self, slug: str, shard: int, *, filter: Optional[Cond] = None,
                    fields: Optional[Iterable[str]] = None,
                    page_size: Optional[int] = SHARD_PAGE) -> Query:
        """One shard of a letter's signatures, in id order (a consistent read), SHARD_PAGE
        items a request unless told."""
        return Query(pk=keys.signature_partition(slug, shard), sk_prefix=keys.SIGNATURE_PREFIX,
                     filter=filter, consistent=True, page_size=page_size,
                     fields=tuple(fields) if fields else None)

    # ---- 13: organiser tokens ----------------------------------------------------------------
    def organiser_tokens(self) -> Iterator[dict]:
        return self.query(Query(pk=keys.ORGTOKENS_PK))
