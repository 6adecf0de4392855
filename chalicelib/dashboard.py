"""The organisers' dashboard of a letter: sign-ons and confirmations per hour for its first
days and per day after, by kind; listed names by country; the queues.

Every figure comes from counters written in the transaction of the move they count (the
hourly counters, keys.py pattern 18, and the counter shards, pattern 7), never from reading
signatures: one Query per shard of HOURS#{slug}#{shard} (an item per hour that saw any
activity, ~100 bytes), one BatchGetItem of the counter shards, and two GSI2 Queries of
keys only, stopped at QUEUE_CAP.
"""
from __future__ import annotations

import datetime as dt

from .clock import Clock, parse_iso
from .models import Counts
from .letter_service import LetterService
from .states import AWAITING, QUARANTINED
from .storage import Query, Table, keys
from .workspace_models import Bucket, CountryCount, DashboardOut, Queues

FIRST_HOURS = 72  # per hour for the first three days
MAX_DAYS = 400
QUEUE_CAP = 5000
EVENTS = tuple(f for f in Bucket.model_fields if f != "at")


def _add(into: dict, item: dict) -> None:
    for name in EVENTS:
        value = item.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            into[name] = into.get(name, 0) + value


class Dashboard:
    def __init__(self, store: Table, letters: LetterService, clock: Clock) -> None:
        self.store = store
        self.letters = letters
        self.clock = clock

    def hourly(self, slug: str, shards: int) -> dict[str, dict]:
        """{hour: summed counts} over every shard of the letter."""
        hours: dict[str, dict] = {}
        for shard in range(shards):
            for item in self.store.query(Query(pk=keys.hourly_partition(slug, shard))):
                _add(hours.setdefault(item["SK"], {}), item)
        return hours

    def view(self, slug: str) -> DashboardOut:
        letter = self.letters.letter_item(slug)
        now = self.clock()
        hours = self.hourly(slug, letter["shards"])
        start = parse_iso(letter.get("created_at") or now.isoformat()).replace(
            minute=0, second=0, microsecond=0)
        if hours:  # a letter older than its counters: begin at its first counted hour
            start = min(start, dt.datetime.strptime(min(hours), "%Y-%m-%dT%H").replace(
                tzinfo=dt.timezone.utc))
        hour_series = []
        at = start
        while at <= now and len(hour_series) < FIRST_HOURS:
            label = at.strftime("%Y-%m-%dT%H")
            hour_series.append(Bucket(at=label, **hours.get(label, {})))
            at += dt.timedelta(hours=1)
        per_day: dict[str, dict] = {}
        for label, counts in hours.items():
            _add(per_day.setdefault(label[:10], {}), counts)
        first_day = max(start.date(), now.date() - dt.timedelta(days=MAX_DAYS - 1))
        day_series = [Bucket(at=d.isoformat(), **per_day.get(d.isoformat(), {}))
                      for d in (first_day + dt.timedelta(days=n)
                                for n in range((now.date() - first_day).days + 1))]
        totals: dict = {}
        for counts in hours.values():
            _add(totals, counts)
        signed = totals.get("signed_organisation", 0) + totals.get("signed_individual", 0)
        confirmed = totals.get("confirmed_organisation", 0) + totals.get("confirmed_individual", 0)
        raw = self.store.counter_totals(slug, letter["shards"])
        countries = sorted((CountryCount(country=k[2:], listed=v) for k, v in raw.items()
                            if k.startswith("c_") and v > 0), key=lambda c: (-c.listed, c.country))
        young = now - start < dt.timedelta(hours=FIRST_HOURS)
        return DashboardOut(
            slug=slug, unit="hour" if young else "day",
            series=hour_series if young else day_series, hours=hour_series, days=day_series,
            totals=Bucket(at="total", **totals),
            confirmation_rate=round(confirmed / signed, 4) if signed else None,
            counts=Counts.from_counters(raw), countries=countries, queues=self.queues(slug))

    def queues(self, slug: str) -> Queues:
        sizes, capped = {}, False
        for state in (AWAITING, QUARANTINED):
            n = 0
            for _ in self.store.query(Query(pk=keys.queue_partition(slug, state), index=keys.GSI2,
                                            fields=("PK", "SK"))):
                n += 1
                if n >= QUEUE_CAP:
                    capped = True
                    break
            sizes[state] = n
        status = self.store.get(keys.mail_status_key(), consistent=False) or {}
        return Queues(awaiting_approval=sizes[AWAITING], quarantined=sizes[QUARANTINED],
                      capped=capped, mail_lag_seconds=int(status.get("lag_seconds", 0)))
