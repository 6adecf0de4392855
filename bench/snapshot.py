"""Benchmark: a letter's nightly snapshot beside a bare paginated read of the same items.

    .venv/bin/python bench/snapshot.py                 # 10,000 and 100,000 signatures
    .venv/bin/python bench/snapshot.py --sizes 200     # tiny, as the test suite runs it

Starts its own DynamoDB Local + moto server (tools.localstack.Stack, free loopback ports),
bulk-loads listed signatures with parallel BatchWriteItem (GSI keys as the service writes
them), then measures each step in a fresh subprocess: wall time and peak RSS (VmHWM).

Goals: snapshot ≤ 1.3× the bare read; peak memory growth 10k → 100k ≤ 20 MB (the snapshot's
and the organiser's CSV export's).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTRIES = ["KR", "GB", "US", "FR", "DE", "JP", "PH", "NL", "BE", "CA", "VN", "RS", "TH", None]
NOW = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)


def _settings(table: str, bucket: str, shards: int):
    from chalicelib.settings import Settings
    return Settings(stage="test", table_name=table, exports_bucket=bucket,
                    site_url="http://127.0.0.1", email_hash_key="b" * 40, mail_backend="file",
                    count_shards=shards)


def _service(table: str, bucket: str, shards: int):
    from chalicelib import wiring
    from chalicelib.mail import FileMailer
    return wiring.build(_settings(table, bucket, shards),
                        mailer=FileMailer(str(ROOT / ".local" / "bench-outbox"), "x@invalid"),
                        clock=lambda: NOW)


def load(table: str, bucket: str, slug: str, n: int, shards: int, threads: int = 8) -> float:
    """The letter, then n listed signatures, written 25 at a time from `threads` threads."""
    from chalicelib.storage import keys
    from chalicelib.storage.codec import to_item
    from chalicelib.letters import parse_letter
    from chalicelib.text import sort_key
    from chalicelib.wiring import boto_client
    from tools.seed import EXAMPLE

    service = _service(table, bucket, shards)
    source = (EXAMPLE / "letter.md").read_text(encoding="utf-8")
    service.letters.upsert_letter(parse_letter(source.replace("slug: eu-hrc43-dprk", f"slug: {slug}")))
    rng = random.Random(n)
    created = (NOW - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def item(i: int) -> dict:
        kind = "organisation" if i % 10 == 0 else "individual"
        name = (f"Organisation {rng.randrange(10**9)}" if kind == "organisation"
                else f"Person{i} Surname{rng.randrange(10**9)}")
        sig_id = uuid.UUID(int=rng.getrandbits(128)).hex[:26]
        shard = keys.shard_of(sig_id, shards)
        return to_item({
            **keys.signature_key(slug, sig_id, shards), "sig_id": sig_id, "letter": slug,
            "kind": kind, "name": name,
            "affiliation": "Researcher, Institute of Things" if kind == "individual" else None,
            "country": COUNTRIES[i % len(COUNTRIES)], "letter_sha256": "0" * 64,
            "state": "listed", "v": 1, "created_at": created, "confirmed_at": created,
            "listed_at": created, "source": "bench",
            "GSI1PK": keys.list_partition(slug, shard),
            "GSI1SK": keys.list_sort_key(kind, sort_key(kind, name), sig_id)})

    batches = [[item(i) for i in range(s, min(n, s + 25))] for s in range(0, n, 25)]
    db = boto_client("dynamodb")

    def write(batch: list) -> None:
        request = {table: [{"PutRequest": {"Item": it}} for it in batch]}
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or None

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, batches))
    return time.perf_counter() - t


# ---- measured steps (each in its own process) ---------------------------------

def step(name: str, table: str, bucket: str, slug: str, shards: int) -> dict:
    from chalicelib.snapshots import job as snap_job
    from chalicelib.storage import keys, signature_streams
    from chalicelib.wiring import boto_client

    service = _service(table, bucket, shards)
    letter = service.store.get(keys.letter_key(slug))
    s3 = boto_client("s3")
    t = time.perf_counter()
    n = 0
    if name == "read":            # bare: a paginated consistent Query of each shard in turn
        for shard in range(letter["shards"]):
            for _ in service.store.query(service.store.shard_query(slug, shard)):
                n += 1
    elif name == "read-parallel":  # the export reader: shards in threads, merged by id
        for _ in signature_streams.iter_signatures(service.store, letter):
            n += 1
    elif name == "snapshot":
        report = snap_job.snapshot_letter(service, s3, slug, NOW, force=True)
        assert report["status"] == "complete", report
        n = report["counts"]["total"]
    elif name == "export":         # the organiser's CSV export with emails, to a file
        from chalicelib.exports.rows import export_csv
        sink = LineCount()
        export_csv(service.store, letter, sink, include_email=True, unsealer=service.unsealer)
        n = sink.lines - 1  # the header
    elif name == "xlsx":           # the organiser's XLSX export with emails, to a file
        import tempfile
        import zipfile
        from chalicelib.exports.xlsx import export_xlsx
        with tempfile.TemporaryFile() as out:
            export_xlsx(service.store, letter, out, include_email=True, unsealer=service.unsealer)
            with zipfile.ZipFile(out) as z, z.open("xl/worksheets/sheet1.xml") as sheet:
                n, tail = -1, b""  # -1: the header row
                for chunk in iter(lambda: sheet.read(1 << 20), b""):
                    data = tail + chunk  # a "</row>" may straddle two chunks
                    n += data.count(b"</row>")
                    tail = data[-5:] if not data.endswith(b"</row>") else b""
    seconds = time.perf_counter() - t
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec.
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    return {"step": name, "items": n, "seconds": seconds, "maxrss_mb": rss}


class LineCount:
    """A file-like that keeps nothing: counts CSV rows (CRLF; bench names hold no line break)."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\r\n")
        return len(data)


def run_step(env: dict, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], env=env,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(f"step {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="comma-separated signature counts")
    p.add_argument("--shards", type=int, default=32, help="count_shards of the letters")
    p.add_argument("--repeat", type=int, default=2, help="runs of each step; the best counts")
    p.add_argument("--json", help="write the result rows here (bench/run.py)")
    p.add_argument("--child", nargs=5, metavar=("STEP", "TABLE", "BUCKET", "SLUG", "SHARDS"),
                   help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        step_name, table, bucket, slug, shards = a.child
        print(json.dumps(step(step_name, table, bucket, slug, int(shards))))
        return 0

    from tools import localstack
    sizes = [int(s) for s in a.sizes.split(",") if s]
    rows = []
    with localstack.Stack(log_dir=ROOT / ".local" / "logs") as stack:
        env = {**os.environ, **stack.env()}
        os.environ.update(stack.env())
        table, bucket = f"bench-{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}"
        localstack.bootstrap(table, bucket)
        for n in sizes:
            slug = f"bench-{n}"
            loaded = load(table, bucket, slug, n, a.shards)
            print(f"loaded {n:,} signatures in {loaded:.1f}s", file=sys.stderr, flush=True)
            res: dict = {}
            for _ in range(a.repeat):  # interleaved; best time and peak of each step
                for s in ("read", "read-parallel", "snapshot", "export", "xlsx"):
                    r = run_step(env, s, table, bucket, slug, str(a.shards))
                    if s not in res or r["seconds"] < res[s]["seconds"]:
                        res[s] = {**r, "maxrss_mb": max(r["maxrss_mb"], res.get(s, r)["maxrss_mb"])}
            for s, r in res.items():
                assert r["items"] == n, (s, r)
            rows.append((n, res))

    print(f"\nsnapshot vs bare read ({a.shards} shards; DynamoDB Local + moto server; "
          f"time = wall, memory = peak RSS of a fresh process)\n")
    print(f"{'signatures':>10} {'read s':>8} {'par. read s':>11} {'snapshot s':>10} "
          f"{'ratio':>6} {'ratio/par':>9} {'read MB':>8} {'snap MB':>8} {'export s':>8} "
          f"{'export MB':>9} {'xlsx s':>7} {'xlsx MB':>7}")
    for n, res in rows:
        r, pr, s = res["read"], res["read-parallel"], res["snapshot"]
        print(f"{n:>10,} {r['seconds']:>8.2f} {pr['seconds']:>11.2f} {s['seconds']:>10.2f} "
              f"{s['seconds'] / r['seconds']:>5.2f}× {s['seconds'] / pr['seconds']:>8.2f}× "
              f"{r['maxrss_mb']:>8.1f} {s['maxrss_mb']:>8.1f} {res['export']['seconds']:>8.2f} "
              f"{res['export']['maxrss_mb']:>9.1f} {res['xlsx']['seconds']:>7.2f} "
              f"{res['xlsx']['maxrss_mb']:>7.1f}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = last[1]["snapshot"]["maxrss_mb"] - first[1]["snapshot"]["maxrss_mb"]
        read_growth = last[1]["read"]["maxrss_mb"] - first[1]["read"]["maxrss_mb"]
        export_growth = last[1]["export"]["maxrss_mb"] - first[1]["export"]["maxrss_mb"]
        xlsx_growth = last[1]["xlsx"]["maxrss_mb"] - first[1]["xlsx"]["maxrss_mb"]
        print(f"\nsnapshot peak memory growth {first[0]:,} → {last[0]:,}: {growth:+.1f} MB "
              f"(goal ≤ 20 MB; bare read {read_growth:+.1f} MB; CSV export {export_growth:+.1f} MB; "
              f"XLSX export {xlsx_growth:+.1f} MB)")
    worst = max(res["snapshot"]["seconds"] / res["read"]["seconds"] for _, res in rows)
    print(f"worst snapshot/read ratio: {worst:.2f}× (goal ≤ 1.3×)")
    if a.json:
        out = [{"what": f"snapshot of {n:,} signatures vs bare paginated read",
                "ours": round(res["snapshot"]["seconds"], 2), "floor": round(res["read"]["seconds"], 2),
                "unit": "s", "ratio": round(res["snapshot"]["seconds"] / res["read"]["seconds"], 3),
                "goal": "≤ 1.3", "note": f"peak RSS {res['snapshot']['maxrss_mb']:.0f} MB"}
               for n, res in rows]
        if len(rows) > 1:
            out.append({"what": f"snapshot peak memory growth {rows[0][0]:,} → {rows[-1][0]:,}",
                        "ours": round(growth, 1), "floor": round(read_growth, 1), "unit": "MB",
                        "ratio": None, "goal": "≤ 20 MB", "note": "floor: the bare read's growth"})
        Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
