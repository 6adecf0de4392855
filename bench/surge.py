"""Surge simulation: which DynamoDB partition key would a viral letter make hot?

The real sign-on and confirmation code (chalicelib.signing, keys from storage/keys.py, the real
counter sharding and rate limiting) runs against the in-memory store, which records every
write's partition key (table and indexes) with its simulated second. Arrivals: 10,000
sign-ons a second (300× the ~33/s peak of the UK Parliament's biggest petition), 80%
confirmed 1-5 minutes later. The busiest key's writes per second are reported against
DynamoDB's 1,000 per partition. The code is exercised for `--seconds` simulated seconds
of the steady state; rates per key do not depend on how long the surge lasts.

Then the mail queue: `--mail-seconds` (default 1: every sign-on and mail goes through the
real code, and the drain time scales with the surge) of the surge's sign-ons, second by
simulated second, and the real mail worker (chalicelib.mail_worker) reading the table's
stream (MemoryStore's, in Lambda's record shape) in batches of 100, one worker per stream
shard, every worker keeping the one shared send-rate counter and sleeping on the simulated
clock. A counting stand-in for SES
records each (address, link). Reported per send rate: the queue depth (mails due, not sent)
after the surge, the time until the last mail is out, lost mails (an accepted sign-on without
its link) and duplicates, both 0 or the run fails; then SES throttling injected `--throttles`
times at the higher rate: nothing lost, the mails later.

Then a read storm: 50,000 page views a second for 60 s behind CloudFront with the API's
`s-maxage=10`, simulated per regional edge cache: how many reach Lambda.

    .venv/bin/python bench/surge.py [--rate 10000] [--seconds 2] [--send-rates 14,500]
        [--mail-seconds 1] [--workers 4] [--throttles 40] [--ses-ms 0] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def recording_store(clock):
    """The in-memory store (chalicelib.storage.memory), counting each write's partition key
    (table and indexes) per simulated second."""
    from chalicelib.storage.expressions import Change, Check, Delete, Put
    from chalicelib.storage.memory import MemoryStore

    class RecordingStore(MemoryStore):
        def __init__(self) -> None:
            super().__init__("surge", clock=clock)  # stream records carry simulated times
            self.writes: collections.Counter = collections.Counter()  # (index, pk, second) → n
            self.counting = True

        def _count(self, key: dict) -> None:
            if not self.counting:
                return
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
            for step in steps:  # (a ConditionCheck is billed as a transaction's write)
                key = step.item if isinstance(step, Put) else step.key
                assert isinstance(step, (Put, Change, Delete, Check))
                self._count(key)

    return RecordingStore()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def surge_app(clock, mailer, **overrides):
    """The real services over a recording store, with the production abuse limits and one
    open letter ("viral")."""
    from chalicelib.letters import parse_letter
    from chalicelib.wiring import build
    from helpers import OPEN_LETTER
    from support import make_settings

    table = recording_store(clock)
    defaults = {k: f.default for k, f in type(make_settings()).model_fields.items()
                if k.startswith(("sign_", "quarantine_ip", "confirm_ip", "mail_per", "count_"))}
    settings = make_settings(**{**defaults, **overrides})
    app = build(settings, store=table, mailer=mailer, clock=clock)
    letter = parse_letter(OPEN_LETTER.format(slug="viral", approval="false"))
    app.letters.upsert_letter(letter)
    table.writes.clear()
    return app, letter


class SignOns:
    """Sign-on number i at i / rate seconds, through the real Signing.sign: the email
    domains and source IPs of a viral letter's public."""

    def __init__(self, app, letter, rate: int, seed: int = 7) -> None:
        self.app, self.letter, self.rate = app, letter, rate
        self.rnd = random.Random(seed)
        self.common = app.settings.common_email_domains.split(",")
        self.nat_ips = [f"198.51.100.{i}" for i in range(40)]  # campuses, offices, carriers' NAT
        self.refused = 0

    def sign(self, i: int, clock) -> str | None:
        """The address, if the sign-on was accepted (2xx); None if refused (429)."""
        from chalicelib.errors import TooManyRequestsError
        from chalicelib.models import signature_in
        from helpers import individual

        rnd = self.rnd
        clock.now = T0 + dt.timedelta(seconds=i / self.rate)
        ip = rnd.choice(self.nat_ips) if rnd.random() < 0.02 else f"10.{rnd.randrange(256)}." \
            f"{rnd.randrange(256)}.{rnd.randrange(256)}"
        if rnd.random() < 0.7:
            domain = rnd.choice(self.common)
        else:  # organisations' and universities' domains, a long tail (Zipf-like)
            domain = f"org{int(rnd.paretovariate(1.2)) % 5000}.example"
        email = f"p{i}@{domain}"
        body = individual(self.letter, name=f"Person {i}", email=email, country="KR")
        try:
            self.app.signing.sign("viral", signature_in.validate_python(body), ip)
        except TooManyRequestsError:
            self.refused += 1
            return None
        return email


class CountingMailer:
    """SES's stand-in: records each mail as (address, link, simulated time); raises
    MailThrottled for `throttle` calls after the first `throttle_after`; each call takes
    `call_ms` of simulated time (0: the send rate alone bounds the worker)."""

    LINK = re.compile(r"/confirm\.html#token=([A-Za-z0-9_-]+)")

    def __init__(self, clock, throttle: int = 0, throttle_after: int = 0, call_ms: float = 0) -> None:
        self.clock, self.call = clock, dt.timedelta(milliseconds=call_ms)
        self.sent: list[tuple[str, str, float]] = []
        self.calls = self.throttled = 0
        self._throttle = range(throttle_after + 1, throttle_after + throttle + 1)

    def send(self, message) -> None:
        from chalicelib.mail import MailThrottled
        self.calls += 1
        self.clock.now += self.call
        if self.calls in self._throttle:
            self.throttled += 1
            raise MailThrottled("TooManyRequestsException (injected)")
        link = self.LINK.search(message.text).group(1)
        self.sent.append((message.to, link, (self.clock() - T0).total_seconds()))


def sim_sleep(clock):
    """The workers' `sleep`: moves the simulated clock, never waits."""
    def sleep(seconds: float) -> None:
        clock.now += dt.timedelta(seconds=seconds)
    return sleep


def mail_worker(app, clock):
    """The real MailWorker, as wiring builds it, but with its own rate limiter (a Lambda
    instance's process) over the shared table, and the simulated sleep."""
    from chalicelib.abuse import Abuse
    from chalicelib.mail_worker import MailWorker
    from chalicelib.ratelimit import RateLimiter

    limiter = RateLimiter(app.store, app.settings.email_hash_key.encode())
    return MailWorker(app.settings, app.store, app.letters, Abuse(app.settings, limiter), limiter,
                      app.mailer, clock, app.unsealer, sleep=sim_sleep(clock))


def simulate_writes(rate: int, seconds: float, seed: int = 7) -> dict:
    from chalicelib.errors import TooManyRequestsError

    clock = Clock()
    mailer = CountingMailer(clock)
    app, letter = surge_app(clock, mailer)
    table, settings = app.store, app.settings
    n = int(rate * seconds)
    surge = SignOns(app, letter, rate, seed)
    worker = mail_worker(app, clock)
    for i in range(n):
        surge.sign(i, clock)
        if i % 1000 == 999 or i == n - 1:
            # The links come by mail: the real worker sends them (its writes are not
            # counted here: the mail rows below measure the queue).
            table.counting = False
            worker.handle(table.changes())
            table.counting = True
    refused = collections.Counter({"sign": surge.refused} if surge.refused else {})
    pick = random.Random(seed + 1)
    tokens = [link for _, link, _ in mailer.sent if pick.random() < 0.8]
    # confirmations arrive over the same span (in steady state, at 80% of the sign-on rate)
    for j, token in enumerate(tokens):
        if j % 1000 == 0:
            table.changes()  # no worker reads the stream from here on
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


class StreamShards:
    """The table's stream as Lambda reads it: records split into shards by partition key,
    in order within each; a record can be read once the second it was written in has
    ended (the stream's lag, at most ~1 s)."""

    def __init__(self, store, shards: int) -> None:
        self.store = store
        self.queues: list[collections.deque] = [collections.deque() for _ in range(shards)]

    def pull(self) -> None:
        epoch0 = T0.timestamp()
        for rec in self.store.changes():
            body = rec["dynamodb"]
            visible = body["ApproximateCreationDateTime"] + 1 - epoch0
            shard = zlib.crc32(body["Keys"]["PK"]["S"].encode()) % len(self.queues)
            self.queues[shard].append((visible, rec))

    def take(self, shard: int, now: float, limit: int) -> list[dict]:
        q, out = self.queues[shard], []
        while q and q[0][0] <= now and len(out) < limit:
            out.append(q.popleft()[1])
        return out

    def next_visible(self, shard: int) -> float | None:
        q = self.queues[shard]
        return q[0][0] if q else None


def simulate_mail(rate: int, seconds: float, send_rate: int, workers: int = 4, batch: int = 100,
                  throttles: int = 0, call_ms: float = 0, seed: int = 7) -> dict:
    """The surge's sign-ons, then its mails through the real worker, in simulated time.

    Each worker (one per stream shard, as Lambda runs one batch per shard at a time) keeps
    its own time; the one furthest behind runs next, for one batch, with the clock at its
    time; its sleeps (the send rate, SES backoff) move the clock. Sign-ons for second s are
    made before the workers run through second s + 1, so a worker never sees a record from
    its future.
    """
    from chalicelib.mail_worker import RetryLater

    clock = Clock()
    n = int(rate * seconds)
    mailer = CountingMailer(clock, throttle=throttles, throttle_after=n // 4, call_ms=call_ms)
    app, letter = surge_app(clock, mailer, mail_send_per_second=send_rate)
    surge = SignOns(app, letter, rate, seed)
    stream = StreamShards(app.store, workers)
    pool = [mail_worker(app, clock) for _ in range(workers)]
    at = [0.0] * workers  # each worker's time (seconds after T0)
    held: list[list[dict] | None] = [None] * workers  # a batch given back (RetryLater)
    retries = 0
    accepted: dict[str, float] = {}  # address → second its sign-on was accepted

    def run_workers(until: float | None) -> None:
        nonlocal retries
        while True:
            ready = [w for w in range(workers) if until is None or at[w] < until]
            if not ready:
                return
            w = min(ready, key=at.__getitem__)
            records = held[w] or stream.take(w, at[w], batch)
            if not records:
                nxt = stream.next_visible(w)
                if nxt is None and until is None and not any(held):
                    if all(stream.next_visible(v) is None for v in range(workers)):
                        return  # drained
                    at[w] = min(at[v] for v in range(workers) if v != w) + 1
                    continue
                at[w] = max(at[w] + 0.25, nxt or 0.0)  # Lambda polls a shard ~4× a second
                if until is not None:
                    at[w] = min(at[w], until)
                continue
            clock.now = T0 + dt.timedelta(seconds=at[w])
            try:
                pool[w].handle(records)
                held[w] = None
            except RetryLater:
                held[w] = records  # Lambda delivers the batch again
                retries += 1
                clock.now += dt.timedelta(seconds=1)
            at[w] = (clock.now - T0).total_seconds()
            stream.pull()

    per_second = rate
    for second in range(int(-(-n // per_second))):
        for i in range(second * per_second, min(n, (second + 1) * per_second)):
            email = surge.sign(i, clock)
            if email is not None:
                accepted[email] = i / rate
        stream.pull()
        run_workers(second + 1.0)
    end = n / rate
    run_workers(None)

    sent = mailer.sent
    by_address = collections.Counter(address for address, _, _ in sent)
    lost = sum(1 for address in accepted if by_address[address] == 0)
    duplicates = sum(c - 1 for c in by_address.values() if c > 1) + \
        sum(1 for address in by_address if address not in accepted)
    last = max((t for _, _, t in sent), default=end)
    depth = []
    for label, t in (("end of surge", end), ("+1 min", end + 60), ("+10 min", end + 600),
                     ("+1 h", end + 3600), ("+6 h", end + 6 * 3600)):
        due = sum(1 for a in accepted.values() if a <= t) - sum(1 for _, _, s in sent if s <= t)
        depth.append((label, round(t, 1), due))
        if t >= last:
            break
    return {"send_rate": send_rate, "workers": workers, "sign_ons": n, "accepted": len(accepted),
            "sent": len(sent), "lost": lost, "duplicates": duplicates, "drain_seconds": round(last, 1),
            "surge_seconds": end, "depth": depth, "throttled": mailer.throttled,
            "retries": retries, "call_ms": call_ms}


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


def mail_rows(m: dict, label: str) -> list[dict]:
    """The queue's rows for one run: drain time against the send rate's floor, lost, duplicates."""
    floor = round(m["accepted"] / m["send_rate"], 1)
    depth = "; ".join(f"{name} {due:,}" for name, _, due in m["depth"])
    figures = {k: m[k] for k in ("send_rate", "workers", "sign_ons", "accepted", "sent", "lost",
                                 "duplicates", "drain_seconds", "throttled", "retries", "call_ms")}
    figures["depth"] = [{"at": name, "seconds": t, "due": due} for name, t, due in m["depth"]]
    size = f"{m['sign_ons']:,} sign-ons in {m['surge_seconds']:g} s, {m['workers']} workers" + \
        (f", SES call {m['call_ms']:g} ms" if m["call_ms"] else "")
    extra = f", SES throttled {m['throttled']}×, {m['retries']} batches given back" \
        if m["throttled"] else ""
    return [
        {"what": f"mail queue {label}: last mail out, after surge start", "ours": m["drain_seconds"],
         "floor": floor, "unit": "s", "ratio": round(m["drain_seconds"] / floor, 3) if floor else None,
         "goal": "≈ accepted ÷ send rate", "mail": figures,
         "note": f"{size}{extra}; {m['sent']:,} sent of {m['accepted']:,} accepted; due: {depth}"},
        {"what": f"mail queue {label}: due at the surge's end", "ours": m["depth"][0][2],
         "floor": None, "unit": "mails", "ratio": None, "goal": "(info)",
         "note": f"due: {depth}"},
        {"what": f"mail queue {label}: lost (accepted, no mail)", "ours": m["lost"], "floor": 0,
         "unit": "mails", "ratio": None, "goal": "= 0", "note": size},
        {"what": f"mail queue {label}: duplicates", "ours": m["duplicates"], "floor": 0,
         "unit": "mails", "ratio": None, "goal": "= 0", "note": size},
    ]


def run(rate: int, seconds: float, read_seconds: int, send_rates: list[int] = (),
        workers: int = 4, throttles: int = 0, mail_seconds: float = 1.0,
        call_ms: float = 0) -> list[dict]:
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
    for send_rate in send_rates:
        m = simulate_mail(rate, mail_seconds, send_rate, workers, call_ms=call_ms)
        rows += mail_rows(m, f"{send_rate}/s")
    if throttles and send_rates:
        m = simulate_mail(rate, mail_seconds, max(send_rates), workers, throttles=throttles,
                          call_ms=call_ms)
        rows += mail_rows(m, f"{max(send_rates)}/s, {throttles} SES throttles")
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
    p.add_argument("--send-rates", default="14,500",
                   help="mail send rates (MAIL_SEND_PER_SECOND) to drain the surge at; '' for none")
    # Each mail run drives every sign-on and every mail through the real code (~2 ms each
    # here): a 1 s surge keeps the default run near a minute. The drain time scales with
    # the surge (accepted ÷ send rate).
    p.add_argument("--mail-seconds", type=float, default=1.0,
                   help="simulated seconds of sign-ons whose mail is drained (each mail run)")
    p.add_argument("--workers", type=int, default=4, help="mail workers (stream shards)")
    p.add_argument("--throttles", type=int, default=40,
                   help="SES calls throttled in one more run at the highest send rate (0: none)")
    p.add_argument("--ses-ms", type=float, default=0,
                   help="simulated time an SES call takes (a worker sends one at a time)")
    p.add_argument("--json")
    a = p.parse_args(argv)
    send_rates = [int(r) for r in a.send_rates.split(",") if r.strip()]
    rows = run(a.rate, a.seconds, a.read_seconds, send_rates, a.workers, a.throttles,
               a.mail_seconds, a.ses_ms)
    for r in rows:
        print(f"{r['what']:<70} {r['ours'] if r['ours'] is not None else '':>10} {r['unit']:<14} "
              f"{r['goal']}  {r['note']}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    bad = [r["what"] for r in rows if r["goal"] == "= 0" and r["ours"]]
    if bad:
        print(f"FAILED: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
