"""The recount: every counter shard checked against the listed signatures it counts, and
each partner's listed counters (n_, c_) against the listed signatures that came by its link.
(A partner's `signed`, `confirmed` and by-day counters count events, not items: they are
not recounted.)"""
from __future__ import annotations

from ..errors import ServiceUnavailableError
from ..letter_service import LetterService
from ..models import Counts
from ..organiser_models import Drift
from ..progress import NO_PROGRESS, Progress
from ..states import LISTED
from ..storage import Query, Table, Update, absent, all_of, eq, exists, keys


class Recount:
    TRIES = 5

    def __init__(self, store: Table, letters: LetterService) -> None:
        self.store = store
        self.letters = letters

    def recount(self, slug: str, *, fix: bool = False,
                progress: Progress = NO_PROGRESS) -> Drift:
        """Recompute every counter from the items; report the drift and, with fix, repair it."""
        letter = self.letters.letter_item(slug)
        return drift_of([self.recount_shards(slug, range(letter["shards"]), fix=fix,
                                             progress=progress)], fix)

    def recount_shards(self, slug: str, shards: range, *, fix: bool = False,
                       progress: Progress = NO_PROGRESS) -> dict:
        """One range of the letter's shards (a fan-out part): the stored and recounted raw
        counters, summed, and how many shards were repaired."""
        stored_raw: dict[str, int] = {}
        recount_raw: dict[str, int] = {}
        repaired = 0
        for shard in shards:
            stored, tally, delta = self._shard(slug, shard, fix, progress)
            for k, v in stored.items():
                stored_raw[k] = stored_raw.get(k, 0) + v
            for k, v in tally.items():
                recount_raw[k] = recount_raw.get(k, 0) + v
            repaired += bool(delta)
        codes = [p["SK"] for p in self.store.query(Query(pk=keys.partner_partition(slug)))]
        partners: dict[str, dict[str, int]] = {}
        for shard in shards if codes else ():
            for code, delta in self._partner_shard(slug, shard, codes, fix).items():
                for k, v in delta.items():
                    partners.setdefault(code, {})[k] = partners.get(code, {}).get(k, 0) + v
        return {"stored": stored_raw, "recounted": recount_raw, "repaired": repaired,
                "partners": partners}

    def _partner_shard(self, slug: str, shard: int, codes: list[str],
                       fix: bool) -> dict[str, dict[str, int]]:
        """One shard of every partner's listed counters: the difference from its listed
        signatures that came by the partner's link, repaired as `_shard` repairs."""
        keys_ = [keys.partner_counter_key(slug, c, shard) for c in codes]

        def stored() -> dict[str, dict[str, int]]:
            got = {i["PK"]: i for i in self.store.batch_get(keys_)}
            return {c: {n: v for n, v in got.get(k["PK"], {}).items()
                        if n[:2] in ("n_", "c_") and isinstance(v, int)}
                    for c, k in zip(codes, keys_)}
        for _ in range(self.TRIES):
            before = stored()
            tally: dict[str, dict[str, int]] = {c: {} for c in codes}
            q = self.store.shard_query(slug, shard, filter=eq("state", LISTED) & exists("via"),
                                       fields=("kind", "country", "via"))
            for item in self.store.query(q):
                t = tally.get(item["via"])
                if t is None:
                    continue  # a code no partner has now
                for name in (f"n_{item['kind']}", *([f"c_{item['country']}"] if item.get("country") else [])):
                    t[name] = t.get(name, 0) + 1
            now = stored()
            if now != before:
                continue  # a move landed during the scan
            out = {}
            for code, key in zip(codes, keys_):
                have, want = now[code], tally[code]
                delta = {k: want.get(k, 0) - have.get(k, 0) for k in set(have) | set(want)
                         if want.get(k, 0) != have.get(k, 0)}
                if delta and fix:
                    unchanged = all_of(*(eq(k, have[k]) if k in have else absent(k) for k in delta))
                    if not self.store.update(key, Update(add=delta), condition=unchanged):
                        break  # moved meanwhile: read the shard again
                if delta:
                    out[code] = delta
            else:
                return out
        raise ServiceUnavailableError(1)  # the shard keeps moving: try again shortly

    def _shard(self, slug: str, shard: int, fix: bool,
               progress: Progress) -> tuple[dict, dict, dict]:
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
                progress.read()
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


def drift_of(parts: list[dict], fix: bool) -> Drift:
    """The letter's drift from its parts' raw counters (recount_shards)."""
    stored_raw: dict[str, int] = {}
    recount_raw: dict[str, int] = {}
    for part in parts:
        for total, raw in ((stored_raw, part["stored"]), (recount_raw, part["recounted"])):
            for k, v in raw.items():
                total[k] = total.get(k, 0) + v
    repaired = sum(p["repaired"] for p in parts)
    partners: dict[str, dict[str, int]] = {}
    for part in parts:
        for code, delta in (part.get("partners") or {}).items():
            for k, v in delta.items():
                partners.setdefault(code, {})[k] = partners.get(code, {}).get(k, 0) + v
    drift = {k: recount_raw.get(k, 0) - stored_raw.get(k, 0)
             for k in set(stored_raw) | set(recount_raw)
             if recount_raw.get(k, 0) != stored_raw.get(k, 0)}
    drift = drift if drift or not repaired else {"per_shard": repaired}
    return Drift(stored=Counts.from_counters(stored_raw),
                 recounted=Counts.from_counters(recount_raw), drift=drift,
                 fixed=bool((repaired or partners) and fix), partners=partners)
