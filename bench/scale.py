"""Benchmark: every job at scale (issue 14): snapshot, CSV export, recount and retention,
with 1, 4 and 16 workers, and a projection to 10 million signatures against Lambda's limits.

    .venv/bin/python bench/scale.py                          # 100,000 (make bench-scale)
    .venv/bin/python bench/scale.py --sizes 100000,1000000   # and a million (≈ 5 min to load)
    .venv/bin/python bench/scale.py --sizes 300 --workers 1,2 --shards 4   # tiny (the test)

Starts its own DynamoDB Local + moto server, loads N signatures straight into the table
(parallel BatchWriteItem; names in Latin, Hangul, Kana/Kanji, Han, Cyrillic, Arabic,
Devanagari, Greek and Thai scripts with their countries; 90% listed, the rest pending,
awaiting approval, hidden, rejected, withdrawn; counters as the service keeps them), then
runs each job through the real job code (`Jobs.submit`, then `Jobs.handle` of each message)
with each worker, a part of a split job, in its own process, as Lambda would: each
reports wall time, peak RSS (VmHWM) and peak /tmp bytes (its own TMPDIR, polled). A job's
wall time is its slowest worker's plus the combining step.

The retention pass is measured twice: the daily job (one Query of the due items) beside the
full read of every signature the old daily job made; and the anonymisation job of a closed
letter at its due date, on a letter a tenth the size (--anonymise-share; it changes what it
reads, so each worker count gets a fresh letter), projected per row.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)
LAMBDA = {"seconds": 900, "memory_mb": 10_240, "tmp_bytes": 10 * 1024 ** 3}
TARGET = 10_000_000
# (country, given names, surnames, surname first?) per script
NAMES = [
    ("GB", ["Oliver", "Amelia", "Siobhán", "Rhys"], ["Smith", "O'Connor", "Davies", "Hughes"], False),
    ("FR", ["Amélie", "Étienne", "Zoé", "Loïc"], ["Dubois", "Lefèvre", "Girard", "Moreau"], False),
    ("DE", ["Jürgen", "Lena", "Jörg", "Anneliese"], ["Müller", "Schröder", "Weiß", "Groß"], False),
    ("US", ["Maya", "Jackson", "Aaliyah", "Mateo"], ["Johnson", "García", "Nguyen", "Williams"], False),
    ("KR", ["민준", "서연", "지훈", "하은"], ["김", "이", "박", "최"], True),
    ("JP", ["花子", "一郎", "さくら", "翔太"], ["佐藤", "鈴木", "高橋", "田中"], True),
    ("CN", ["伟", "娜", "秀英", "杰"], ["王", "李", "张", "刘"], True),
    ("RS", ["Јована", "Марко", "Милица", "Стефан"], ["Јовановић", "Петровић", "Николић"], False),
    ("RU", ["Иван", "Анастасия", "Дмитрий", "Ольга"], ["Петров", "Смирнова", "Кузнецов"], False),
    ("EG", ["محمد", "فاطمة", "أحمد", "مريم"], ["علي", "حسن", "الزهراء", "إبراهيم"], False),
    ("IN", ["अनीता", "राहुल", "प्रिया", "विकास"], ["शर्मा", "वर्मा", "गुप्ता"], False),
    ("GR", ["Γιώργος", "Ελένη", "Νίκος", "Μαρία"], ["Παπαδόπουλος", "Οικονόμου", "Γεωργίου"], False),
    ("TH", ["สมชาย", "สุดา", "อนันต์", "มาลี"], ["ใจดี", "ศรีสุข", "ทองดี"], False),
    ("PH", ["José", "Maria Clara", "Andres", "Luzviminda"], ["Santos", "Reyes", "Bautista"], False),
]
AFFILIATIONS = ["Researcher, Institute of Human Rights Studies", "Professor of Law",
                "서울대학교 법학전문대학원", "Journalist", "Université de Genève", None,
                "Member of Parliament", "Student", "東京大学", "Human Rights Watch volunteer"]
STATES = ["listed"] * 90 + ["pending"] * 4 + ["awaiting_approval"] * 2 + ["hidden", "rejected"] + \
    ["withdrawn"] * 2


def settings(table: str, bucket: str, shards: int, **over):
    from chalicelib.settings import Settings
    return Settings(stage="test", table_name=table, exports_bucket=bucket,
                    site_url="http://127.0.0.1", email_hash_key="b" * 40, mail_backend="file",
                    count_shards=shards, **over)


def service(table: str, bucket: str, shards: int, **over):
    from chalicelib import wiring
    from chalicelib.mail import FileMailer
    return wiring.build(settings(table, bucket, shards, **over),
                        mailer=FileMailer(str(ROOT / ".local" / "bench-outbox"), "x@invalid"),
                        clock=lambda: NOW)


def signature(rng: random.Random, slug: str, i: int, shards: int) -> dict:
    from chalicelib.states import QUEUE_STATES, pending_ttl
    from chalicelib.storage import keys
    from chalicelib.text import sort_key
    country, given, surnames, surname_first = NAMES[i % len(NAMES)]
    kind = "organisation" if i % 12 == 0 else "individual"
    g, s = rng.choice(given), rng.choice(surnames)
    name = (f"{s}{g}" if surname_first else f"{g} {s}") if kind == "individual" \
        else f"{s} {rng.choice(['Foundation', 'Centre', 'Network', 'Association'])} {i}"
    sig_id = uuid.UUID(int=rng.getrandbits(128)).hex[:26]
    state = rng.choice(STATES)
    created = (NOW - dt.timedelta(days=2, seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = {**keys.signature_key(slug, sig_id, shards), "sig_id": sig_id, "letter": slug,
            "kind": kind, "name": name, "affiliation": AFFILIATIONS[i % len(AFFILIATIONS)],
            "country": country, "letter_sha256": "0" * 64, "state": state, "v": 1,
            "created_at": created, "language": "en", "consent": True, "consent_version": "1",
            "email": f"signer.{i}@example-{i % 97}.org", "email_hash": f"{i:040x}",
            "email_domain": f"example-{i % 97}.org", "updates_opt_in": i % 7 == 0,
            "confirm_hashes": ["x" * 43], "withdraw_hash": "y" * 43, "source": "bench"}
    shard = keys.shard_of(sig_id, shards)
    if state == "pending":
        expires = NOW + dt.timedelta(hours=48)
        item.update(confirm_expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), sends=1,
                    ttl=pending_ttl(expires, 7))
    else:
        item["confirmed_at"] = created
    if state == "listed":
        item.update(listed_at=created, GSI1PK=keys.list_partition(slug, shard),
                    GSI1SK=keys.list_sort_key(kind, sort_key(kind, name), sig_id))
    elif state in QUEUE_STATES:
        item.update(keys.queue_keys(slug, state, created, sig_id))
    elif state == "withdrawn":
        for f in ("name", "affiliation", "country", "email", "email_hash", "email_domain"):
            item.pop(f, None)
    return item


def load(table: str, bucket: str, slug: str, n: int, shards: int, threads: int = 8,
         closed: bool = False) -> float:
    """The letter, n signatures and the counter shards, 25 items a request, `threads` at once."""
    from chalicelib.letters import parse_letter
    from chalicelib.storage import Update, keys
    from chalicelib.storage.codec import to_item
    from chalicelib.wiring import boto_client
    from tools.seed import EXAMPLE
    svc = service(table, bucket, shards)
    source = (EXAMPLE / "letter.md").read_text(encoding="utf-8")
    svc.letters.upsert_letter(parse_letter(source.replace("slug: eu-hrc43-dprk", f"slug: {slug}")))
    if closed:  # closed long enough ago: due for anonymisation now
        ago = NOW - dt.timedelta(days=svc.settings.retention_days + 1)
        svc.store.update(keys.letter_key(slug), Update(set={
            "status": "closed", "closed_at": ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}))
    rng = random.Random(f"{slug}{n}")
    counters: dict[int, dict[str, int]] = {}
    db = boto_client("dynamodb")

    def write(batch: list) -> None:
        request = {table: [{"PutRequest": {"Item": to_item(it)}} for it in batch]}
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or None

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        pending = []
        for start in range(0, n, 25):
            batch = [signature(rng, slug, i, shards) for i in range(start, min(n, start + 25))]
            for it in batch:
                if it["state"] == "listed":
                    c = counters.setdefault(keys.shard_of(it["sig_id"], shards), {})
                    c[f"n_{it['kind']}"] = c.get(f"n_{it['kind']}", 0) + 1
                    c[f"c_{it['country']}"] = c.get(f"c_{it['country']}", 0) + 1
            pending.append(pool.submit(write, batch))
            if len(pending) > 4 * threads:  # bounded: the generator runs ahead of the writes
                pending.pop(0).result()
        for f in pending:
            f.result()
    for shard, add in counters.items():
        svc.store.update(keys.counter_key(slug, shard), Update(add=add))
    return time.perf_counter() - t


# ---- one worker (a child process) ------------------------------------------------

class TmpWatch:
    """The peak size of a directory tree, polled (the worker's /tmp)."""

    def __init__(self, path: Path, every: float = 0.1) -> None:
        self.path, self.every, self.peak = path, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _size(self) -> int:
        total = 0
        for root, _, files in os.walk(self.path):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self._size())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self._size())


def child(args: dict) -> dict:
    """Run one message of a job (or a bare read) and measure it."""
    watch = TmpWatch(Path(tempfile.gettempdir()))
    svc = service(args["table"], args["bucket"], args["shards"], **args.get("settings", {}))
    t = time.perf_counter()
    if args["what"] == "read":  # the floor: the shards read in parallel, merged by id,
        # with the attributes the snapshot and the export read (their projection)
        from chalicelib.exports.rows import ROW_ATTRIBUTES
        from chalicelib.storage import signature_streams
        letter = svc.store.get_letter(args["slug"], consistent=True)
        shards = range(*args["shards_range"]) if args.get("shards_range") else None
        n = sum(1 for _ in signature_streams.iter_signatures(svc.store, letter, shards=shards,
                                                             fields=ROW_ATTRIBUTES))
        outcome = str(n)
    elif args["what"] == "daily-retention":
        outcome = json.dumps(svc.retention.run(NOW))
    else:
        from chalicelib import wiring
        outcome = svc.jobs.handle(args["message"])
        wiring.configure(None)
    seconds = time.perf_counter() - t
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    return {"seconds": seconds, "rss_mb": rss, "tmp_bytes": watch.stop(), "outcome": outcome}


def run_child(env: dict, args: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)],
                             env={**env, "TMPDIR": tmp}, capture_output=True, text=True,
                             timeout=7200)
    if out.returncode:
        raise RuntimeError(f"worker failed:\n{out.stderr[-3000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "stderr": out.stderr[-3000:]}


# ---- one job, with W workers --------------------------------------------------------

def split_of(base: dict, slug: str, workers: int, rows: int) -> tuple[dict, list[range]]:
    """The settings that split a job over `workers` parts, and the shard ranges they give."""
    from chalicelib.jobs.work import shard_ranges
    over = {"job_max_parts": workers, "job_part_rows": max(1, -(-rows // workers))}
    svc = service(base["table"], base["bucket"], base["shards"], **over)
    counters = svc.store.counter_totals(slug, base["shards"])
    listed = sum(v for k, v in counters.items() if k.startswith("n_"))
    return over, shard_ranges(base["shards"], listed, over["job_part_rows"], workers)


def run_floor(env: dict, base: dict, slug: str, ranges: list[range]) -> dict:
    """The floor of a job split over these ranges: each range read bare by its own process,
    all at once (on this machine they share its cores, as the job's parts do)."""
    t = time.perf_counter()
    with ThreadPoolExecutor(len(ranges)) as pool:
        reads = list(pool.map(lambda r: run_child(env, {**base, "what": "read", "slug": slug,
                                                        "shards_range": [r.start, r.stop]}),
                              ranges))
    return {"seconds": max(r["seconds"] for r in reads), "wall": time.perf_counter() - t,
            "rows": sum(int(r["outcome"]) for r in reads), "parts": len(ranges),
            "rss_mb": max(r["rss_mb"] for r in reads)}

def run_job(env: dict, base: dict, slug: str, kind: str, params: dict, workers: int,
            rows: int) -> dict:
    """Submit the job as the API would, run each part's message in its own process at
    once, then the combining step; the job's wall time, its worst worker's RSS and /tmp."""
    over, _ = split_of(base, slug, workers, rows)
    svc = service(base["table"], base["bucket"], base["shards"], **over)
    job = svc.jobs.submit(slug, kind, params, "bench")
    messages = svc.jobs.queue.take(ignore_delay=True)
    t = time.perf_counter()
    with ThreadPoolExecutor(len(messages)) as pool:
        parts = list(pool.map(lambda m: run_child(env, {**base, "what": "job", "message": m,
                                                        "settings": over}), messages))
    slowest = max(p["seconds"] for p in parts)
    combine = None
    if job.parts > 1:
        combine = run_child(env, {**base, "what": "job", "settings": over,
                                  "message": {"slug": slug, "job": job.id, "step": "combine"}})
    wall = time.perf_counter() - t
    status = svc.jobs.status(slug, job.id)
    if status.state != "complete":  # the worker logged why (a retry is "queued" again)
        logs = "\n".join(p["stderr"] for p in parts + ([combine] if combine else []))
        print(f"{kind} x{workers} job not complete: {status}\n{logs}", file=sys.stderr)
        return {"kind": kind, "workers": workers, "parts": job.parts, "failed": status.state}
    return {"kind": kind, "workers": workers, "parts": job.parts, "wall": wall,
            "slowest_part": slowest, "combine": combine["seconds"] if combine else 0.0,
            "rss_mb": max(p["rss_mb"] for p in parts + ([combine] if combine else [])),
            "tmp_bytes": max(p["tmp_bytes"] for p in parts + ([combine] if combine else [])),
            "rows_read": status.rows_read, "rows_written": status.rows_written}


def projection(r: dict, n: int, alone: dict, floor: float) -> str:
    """10 million with r's worker count, from per-row costs. A part's work at the cost one
    worker alone measured (`alone`: on this 2-core machine the parts of a split job share two
    cores, in Lambda each has its own), less what the combining step does instead (it merges
    the runs and writes the file), but never less than the bare read of its rows (`floor`);
    the combining step's as measured."""
    part = alone["slowest_part"] if r["parts"] == 1 else \
        max(alone["slowest_part"] - r["combine"], floor)
    t10 = part / n * TARGET / r["parts"] + r["combine"] * TARGET / n
    tmp10 = alone["tmp_bytes"] / n * TARGET / r["parts"]
    ok = t10 < LAMBDA["seconds"] * 0.8 and tmp10 < LAMBDA["tmp_bytes"] * 0.8
    return (f"{r['kind']:<10} {r['workers']:>3} workers ({r['parts']:>2} parts): "
            f"{t10:>6.0f} s per worker, /tmp {tmp10 / 1e9:>5.2f} GB, "
            f"RSS {r['rss_mb']:.0f} MB -> {'within' if ok else 'PAST'} 15 min / 10 GB (20% margin)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100000", help="comma-separated signature counts")
    p.add_argument("--workers", default="1,4,16", help="comma-separated worker counts")
    p.add_argument("--shards", type=int, default=32)
    p.add_argument("--anonymise-share", type=float, default=0.1,
                   help="the anonymised letter's size, as a share of each size (a fresh "
                        "letter per worker count: anonymising changes what it reads)")
    p.add_argument("--jobs", default="snapshot,export,recount,anonymise",
                   help="comma-separated jobs to run (default: all)")
    p.add_argument("--json", help="write the result rows here")
    p.add_argument("--data-dir", type=Path,
                   help="keep DynamoDB Local's table here: a size loaded once is reused by "
                        "the next run with the same directory (the jobs only read it)")
    p.add_argument("--report", help="print the tables of a run saved with --json")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(json.loads(a.child))))
        return 0
    if a.report:
        report(json.loads(Path(a.report).read_text()))
        return 0

    from tools import localstack
    sizes = [int(s) for s in a.sizes.split(",") if s]
    workers = [int(w) for w in a.workers.split(",") if w]
    jobs = set(a.jobs.split(","))
    results: list[dict] = []
    marks = a.data_dir / "loaded.json" if a.data_dir else None
    with localstack.Stack(data_dir=a.data_dir, log_dir=ROOT / ".local" / "logs") as stack:
        env = {**os.environ, **stack.env()}
        os.environ.update(stack.env())
        run_id = uuid.uuid4().hex[:8]
        table = f"scale-{a.shards}" if a.data_dir else f"scale-{run_id}"
        bucket = f"scale-{run_id}"
        localstack.bootstrap(table, bucket)
        base = {"table": table, "bucket": bucket, "shards": a.shards}
        loads = json.loads(marks.read_text()) if marks and marks.exists() else {}
        for n in sizes:
            slug = f"scale-{n}"
            if slug in loads:
                loaded = loads[slug]
                print(f"reusing {n:,} signatures loaded in {loaded:.1f} s", file=sys.stderr)
            else:
                loaded = load(table, bucket, slug, n, a.shards)
                print(f"loaded {n:,} signatures in {loaded:.1f} s", file=sys.stderr, flush=True)
                if marks:
                    loads[slug] = loaded
                    marks.write_text(json.dumps(loads))
            floor = run_child(env, {**base, "what": "read", "slug": slug})
            assert int(floor["outcome"]) == n, floor
            row = {"n": n, "load_s": loaded, "read": floor, "jobs": [], "floors": {}}
            for w in workers:
                _, ranges = split_of(base, slug, w, n)
                if len(ranges) > 1:  # the same split, read bare: the floor of a split job
                    row["floors"][w] = run_floor(env, base, slug, ranges)
                    assert row["floors"][w]["rows"] == n, row["floors"][w]
                for kind, params in (("snapshot", {"force": True}),
                                     ("export", {"format": "csv", "include_email": False}),
                                     ("recount", {"fix": False})):
                    if kind not in jobs:
                        continue
                    r = run_job(env, base, slug, kind, params, w, n)
                    row["jobs"].append(r)
                    print(f"  {n:,} {kind} x{w}: " + (f"{r['wall']:.1f} s" if "failed" not in r
                          else "FAILED"), file=sys.stderr, flush=True)
            daily = run_child(env, {**base, "what": "daily-retention"})
            row["daily_retention"] = daily
            small = max(1, int(n * a.anonymise_share))
            for w in workers if "anonymise" in jobs else ():
                aslug = f"anon-{n}-{w}-{run_id}"
                load(table, bucket, aslug, small, a.shards, closed=True)
                r = run_job(env, base, aslug, "anonymise", {"at": NOW.isoformat()}, w, small)
                r["n"] = small
                row["jobs"].append(r)
                print(f"  {small:,} anonymise x{w}: " + (f"{r['wall']:.1f} s" if "failed" not in r
                      else "FAILED"), file=sys.stderr, flush=True)
            results.append(row)
    report(results)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


def report(results: list[dict]) -> None:
    print("\nJobs at scale (DynamoDB Local + moto server on this machine; each worker its own "
          "process; wall = slowest worker + combining)\n")
    print("job s = slowest worker + combining, inside the workers (the floor likewise);\n"
          "wall s adds starting each worker's process (a Lambda cold start is apart too);\n"
          "÷ floor: to the bare read by one process; ÷ same split: to the bare read of the\n"
          "job's own shard ranges, one process each, all at once (they share this machine's\n"
          "cores as the parts do; in Lambda each part has its own)\n")
    print(f"{'signatures':>10} {'job':<10} {'workers':>7} {'parts':>5} {'job s':>8} "
          f"{'÷ floor':>7} {'÷ same split':>12} {'wall s':>7} {'peak RSS MB':>11} "
          f"{'peak /tmp MB':>12} {'rows read':>10} {'written':>9}")
    for row in results:
        n, floor = row["n"], row["read"]["seconds"]
        floors = {int(w): f for w, f in (row.get("floors") or {}).items()}
        print(f"{n:>10,} {'bare read':<10} {1:>7} {1:>5} {floor:>8.1f} {1:>7.2f} {'':>12} "
              f"{'':>7} {row['read']['rss_mb']:>11.1f} {row['read']['tmp_bytes'] / 1e6:>12.1f}")
        for w, f in sorted(floors.items()):
            print(f"{n:>10,} {'bare read':<10} {w:>7} {f['parts']:>5} {f['seconds']:>8.1f} "
                  f"{f['seconds'] / floor:>7.2f} {1:>12.2f} {'':>7} {f['rss_mb']:>11.1f}")
        for r in row["jobs"]:
            rows = r.get("n", n)
            if "failed" in r:
                print(f"{rows:>10,} {r['kind']:<10} {r['workers']:>7} {r['parts']:>5} "
                      f"FAILED: the job ended {r['failed']} (its workers' logs above)")
                continue
            job_s = r["slowest_part"] + r["combine"]
            ratio = job_s / (floor * rows / n)
            split = floors.get(r["workers"]) if r["parts"] > 1 and rows == n else None
            same = f"{job_s / split['seconds']:>12.2f}" if split else \
                f"{ratio:>12.2f}" if r["parts"] == 1 else f"{'':>12}"
            print(f"{rows:>10,} {r['kind']:<10} {r['workers']:>7} {r['parts']:>5} "
                  f"{job_s:>8.1f} {ratio:>7.2f} {same} {r['wall']:>7.1f} {r['rss_mb']:>11.1f} "
                  f"{r['tmp_bytes'] / 1e6:>12.1f} {r['rows_read']:>10,} {r['rows_written']:>9,}")
        d = row["daily_retention"]
        print(f"{n:>10,} {'daily ret.':<10} {1:>7} {'-':>5} {d['seconds']:>8.2f} "
              f"{d['seconds'] / floor:>7.3f} {'':>7} {d['rss_mb']:>11.1f} "
              f"{d['tmp_bytes'] / 1e6:>12.1f}"
              f"   (the old daily job read every signature: ≥ the bare read, {floor:.1f} s)")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"\npeak RSS growth {first['n']:,} → {last['n']:,} (goal ≤ 20 MB):")
        for a, b in zip(first["jobs"], last["jobs"]):
            if "failed" in a or "failed" in b:
                continue
            print(f"  {a['kind']:<10} x{a['workers']:<3} {b['rss_mb'] - a['rss_mb']:+.1f} MB")
    big = results[-1]
    print(f"\nprojection to {TARGET:,} signatures (per-row costs measured at {big['n']:,}; "
          f"Lambda: 15 min, 10 GB memory, 10 GB /tmp):")
    done = [r for r in big["jobs"] if "failed" not in r]
    alone = {r["kind"]: r for r in done if r["parts"] == 1}
    for r in done:
        if r["kind"] in alone:
            rows = r.get("n", big["n"])
            floor = big["read"]["seconds"] * rows / big["n"]
            print("  " + projection(r, rows, alone[r["kind"]], floor))


if __name__ == "__main__":
    raise SystemExit(main())
