"""Surge simulation: which DynamoDB partition key would a viral letter make hot?

The real sign-on and confirmation code (chalicelib.signing, keys from storage/keys.py, the real
counter sharding and rate limiting) runs against the in-memory store, which records every
write's partition key (table and indexes) with its simulated second. Arrivals: 10,000
sign-ons a second (300× the ~33/s peak of the UK Parliament's biggest petition), 80%
confirmed 1-5 minutes later. The busiest key's writes per second are reported against
DynamoDB's 1,000 per partition. The code is exercised for `--seconds` simulated seconds
of the steady state; rates per key do not depend on how long the surge lasts.

Then a read storm: 50,000 page views a second for 60 s behind CloudFront with the API's
`s-maxage=10`, simulated per regional edge cache: how many reach Lambda.

    .venv/bin/python bench/surge.py [--rate 10000] [--seconds 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def recording_store(clock):
    """The in-memory store (chalicelib.storage.memory), counting each write's partition key
    (table and indexes) per simulated second."""
    from chalicelib.storage.expressions import Change, Delete, Put
    from chalicelib.storage.memory import MemoryStore

    class RecordingStore(MemoryStore):
        def __init__(self) -> None:
            super().__init__("surge")
            self.writes: collections.Counter = collections.Counter()  # (index, pk, second) → n

        def _count(self, key: dict) -> None:
            second = int((clock() - T0).total_seconds())
            self.writes[("table", key["PK"], second)] += 1
            item = self._items.get(self._k(key), {})
            for index, attr in (("GSI1", "GSI1PK"), ("GSI2", "GSI2PK")):
                if attr in item:
                    self.writes[(index, item[attr], second)] += 1

        def put(self, item, **kw):
            done = super().put(item, **kw)
            self._count(item)
            return done

        def update(self, key, update, **kw):
            done = super().update(key, update, **kw)
            self._count(key)
            return done

        def increment(self, key, attributes, expires_at):
            out = super().increment(key, attributes, expires_at)
            self._count(key)
            return out

        def transact(self, steps, *operation):
            super().transact(steps, *operation)
            for step in steps:
                key = step.item if isinstance(step, Put) else step.key
                assert isinstance(step, (Put, Change, Delete))
                self._count(key)

    return RecordingStore()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def simulate_writes(rate: int, seconds: float, seed: int = 7) -> dict:
    from chalicelib.errors import TooManyRequestsError
    from chalicelib.models import signature_in
    from chalicelib.wiring import build
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER, individual
    from support import make_settings

    rnd = random.Random(seed)
    clock = Clock()
    table = recording_store(clock)
    defaults = {k: f.default for k, f in type(make_settings()).model_fields.items()
                if k.startswith(("sign_", "quarantine_ip", "confirm_ip", "mail_per", "count_"))}
    settings = make_settings(**defaults)
    app = build(settings, store=table, mailer=_Null(), clock=clock)
    letter = parse_letter(OPEN_LETTER.format(slug="viral", approval="false"))
    app.letters.upsert_letter(letter)
    table.writes.clear()
    common = settings.common_email_domains.split(",")
    n = int(rate * seconds)
    nat_ips = [f"198.51.100.{i}" for i in range(40)]  # campuses, offices, mobile carriers' NAT
    refused = collections.Counter()
    tokens = []
    for i in range(n):
        clock.now = T0 + dt.timedelta(seconds=i / rate)
        ip = rnd.choice(nat_ips) if rnd.random() < 0.02 else f"10.{rnd.randrange(256)}." \
            f"{rnd.randrange(256)}.{rnd.randrange(256)}"
        if rnd.random() < 0.7:
            domain = rnd.choice(common)
        else:  # organisations' and universities' domains, a long tail (Zipf-like)
            domain = f"org{int(rnd.paretovariate(1.2)) % 5000}.example"
        body = individual(letter, name=f"Person {i}", email=f"p{i}@{domain}", country="KR")
        try:
            app.signing.sign("viral", signature_in.validate_python(body), ip)
            if rnd.random() < 0.8:
                tokens.append(app.mailer.token)
        except TooManyRequestsError:
            refused["sign"] += 1
    # confirmations arrive over the same span (in steady state, at 80% of the sign-on rate)
    for j, token in enumerate(tokens):
        clock.now = T0 + dt.timedelta(seconds=j / (rate * 0.8))
        try:
            app.signing.confirm(token, f"10.9.{j // 256 % 256}.{j % 256}")
        except TooManyRequestsError:
            refused["confirm"] += 1
    per_key: dict[tuple[str, str], int] = collections.Counter()
    for (index, pk, second), count in table.writes.items():
        per_key[(index, pk)] = max(per_key[(index, pk)], count)
    by_index = {}
    for (index, pk), count in per_key.items():
        if count > by_index.get(index, ("", 0))[1]:
            by_index[index] = (pk, count)
    top = sorted(per_key.items(), key=lambda kv: -kv[1])[:6]
    return {"sign_ons": n, "confirmations": len(tokens), "refused": dict(refused),
            "shards": settings.count_shards, "max_by_index": by_index, "top": top}


class _Null:
    token = ""

    def send(self, message) -> None:
        import re
        self.token = re.search(r"/confirm\.html#token=([A-Za-z0-9_-]+)", message.text).group(1)


def simulate_reads(views_per_second: int, seconds: int, ttl: int, caches: int,
                   urls_per_view: int, seed: int = 11) -> float:
    """Lambda invocations per second behind `caches` regional edge caches with a TTL."""
    rnd = random.Random(seed)
    expires: dict[tuple[int, int], float] = {}
    misses = 0
    step = 1.0 / views_per_second
    t = 0.0
    for _ in range(views_per_second * seconds):
        t += step
        cache = rnd.randrange(caches)
        for url in range(urls_per_view):
            if expires.get((cache, url), -1.0) <= t:
                misses += 1
                expires[(cache, url)] = t + ttl
    return misses / seconds


def run(rate: int, seconds: float, read_seconds: int) -> list[dict]:
    w = simulate_writes(rate, seconds)
    rows = []
    for index, (pk, count) in sorted(w["max_by_index"].items()):
        kind = pk.split("#")[0]
        rows.append({"what": f"surge: busiest {index} partition key ({kind}#…)", "ours": count,
                     "floor": 1000, "unit": "writes/s", "ratio": round(count / 1000, 3),
                     "goal": "≤ 1,000 writes/s",
                     "note": f"{rate:,} sign-ons/s, {w['shards']} shards; refused: {w['refused']}"})
    # API GETs per page view: the letter and the first list page (both s-maxage=10)
    for caches, label in ((13, "13 regional edge caches"), (450, "450 edge locations, no regional tier")):
        per_s = simulate_reads(50_000 if read_seconds >= 60 else 5_000, read_seconds, 10, caches, 2)
        rows.append({"what": f"read storm 50,000 views/s: Lambda invocations/s ({label})",
                     "ours": round(per_s, 1), "floor": 50_000 * 2, "unit": "invocations/s",
                     "ratio": round(per_s / 100_000, 6), "goal": "(info)",
                     "note": "2 API GETs per view, cached 10 s at the edge"})
    rows.append({"what": "top partition keys (table)", "ours": None, "floor": None, "unit": "",
                 "ratio": None, "goal": "(info)",
                 "note": "; ".join(f"{i}:{pk.split('#')[0]}#…={c}/s" for (i, pk), c in w["top"])})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=2.0,
                   help="simulated seconds of steady state driven through the real code")
    p.add_argument("--read-seconds", type=int, default=60)
    p.add_argument("--json")
    a = p.parse_args(argv)
    rows = run(a.rate, a.seconds, a.read_seconds)
    for r in rows:
        print(f"{r['what']:<70} {r['ours'] if r['ours'] is not None else '':>10} {r['unit']:<14} "
              f"{r['goal']}  {r['note']}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
