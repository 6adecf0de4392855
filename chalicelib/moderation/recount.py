"""The recount: every counter shard checked against the listed signatures it counts."""
from __future__ import annotations

from ..errors import ServiceUnavailableError
from ..letter_service import LetterService
from ..models import Counts
from ..organiser_models import Drift
from ..states import LISTED
from ..storage import Table, Update, absent, all_of, eq, keys


class Recount:
    TRIES = 5

    def __init__(self, store: Table, letters: LetterService) -> None:
        self.store = store
        self.letters = letters

    def recount(self, slug: str, *, fix: bool = False) -> Drift:
        """Recompute every counter from the items; report the drift and, with fix, repair it."""
        letter = self.letters.letter_item(slug)
        stored_raw: dict[str, int] = {}
        recount_raw: dict[str, int] = {}
        repaired = 0
        for shard in range(letter["shards"]):
            stored, tally, delta = self._shard(slug, shard, fix)
            for k, v in stored.items():
                stored_raw[k] = stored_raw.get(k, 0) + v
            for k, v in tally.items():
                recount_raw[k] = recount_raw.get(k, 0) + v
            repaired += bool(delta)
        drift = {k: recount_raw.get(k, 0) - stored_raw.get(k, 0)
                 for k in set(stored_raw) | set(recount_raw)
                 if recount_raw.get(k, 0) != stored_raw.get(k, 0)}
        drift = drift if drift or not repaired else {"per_shard": repaired}
        return Drift(stored=Counts.from_counters(stored_raw),
                     recounted=Counts.from_counters(recount_raw), drift=drift,
                     fixed=bool(repaired and fix))

    def _shard(self, slug: str, shard: int, fix: bool) -> tuple[dict, dict, dict]:
        """One shard's (stored counters, tally of its listed items, difference).

        A move into or out of `listed` changes the signature and its counter shard in one
        transaction, so the counter read before and after the scan tells whether one
        landed during it: if so, the shard is read again. The repair ADDs the difference on
        the condition that the counter is still what was read, so a move landing after the
        scan is never undone.
        """
        for _ in range(self.TRIES):
            before = self.store.counter_shard(slug, shard)
            tally: dict[str, int] = {}
            listed = self.store.shard_query(slug, shard, filter=eq("state", LISTED),
                                            fields=("kind", "country"))
            for item in self.store.query(listed):
                tally[f"n_{item['kind']}"] = tally.get(f"n_{item['kind']}", 0) + 1
                if item.get("country"):
                    tally[f"c_{item['country']}"] = tally.get(f"c_{item['country']}", 0) + 1
            stored = self.store.counter_shard(slug, shard)
            if stored != before:
                continue  # a move landed during the scan
            delta = {k: tally.get(k, 0) - stored.get(k, 0) for k in set(stored) | set(tally)
                     if tally.get(k, 0) != stored.get(k, 0)}
            if not (delta and fix):
                return stored, tally, delta
            unchanged = all_of(*(eq(k, stored[k]) if k in stored else absent(k) for k in delta))
            if self.store.update(keys.counter_key(slug, shard), Update(add=delta),
                                 condition=unchanged):
                return stored, tally, delta
        raise ServiceUnavailableError(1)  # the shard keeps moving: try again shortly
