"""Benchmark: an update's reach count and fan-out at scale (issue 17), against a recount.

    .venv/bin/python bench/updates.py                               # 100,000 signatures
    .venv/bin/python bench/updates.py --sizes 20000,100000 --workers 1,4
    .venv/bin/python bench/updates.py --sizes 300 --workers 1,2 --shards 4   # tiny (the test)

Loads N signatures straight into DynamoDB Local (bench/scale.py's loader: 90% listed, the
rest pending, awaiting approval, hidden, rejected, withdrawn; one in seven opted in to
updates), then gives them link salts, unsubscribes one opted-in signer in ten and suppresses
the address of another one in ten (SUPPRESS#). Then, through the real job code, each part in
its own process as on Lambda:
  * the reach job (update_reach): wall time, peak RSS, the reach;
  * the fan-out job (update_send), its mails queued to a counting stand-in for SQS (the
    messages and SendMessageBatch calls it would make), the queue's own memory left out;
  * an independent recount: every signature read with no filter (one raw Query per shard,
    paginated) and the rule applied here, suppressions by GetItem.
The reach, the fan-out's count and the recount must agree; the script fails if not.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (the loader, the service, the child runner's pattern)


class CountingQueue:
    """SQS as the fan-out sees it: counts messages, batches and signatures; keeps nothing."""

    def __init__(self) -> None:
        self.messages = self.batches = self.sigs = 0

    def send_batch(self, messages: list[dict]) -> None:
        self.batches += -(-len(messages) // 10)
        self.messages += len(messages)
        self.sigs += sum(len(m["sigs"]) for m in messages)


def prepare(table: str, slug: str, shards: int, seed: int = 17) -> dict[str, int]:
    """Salts for every signature with an address; unsubscribe and suppress a tenth each."""
    from chalicelib.storage import Update, keys
    from chalicelib.wiring import boto_client
    svc = scale.service(table, "unused", shards)
    rng = random.Random(seed)
    db = boto_client("dynamodb")
    done = {"unsubscribed": 0, "suppressed": 0}

    def shard(n: int) -> dict[str, int]:
        out = {"unsubscribed": 0, "suppressed": 0}
        for sig in list(svc.store.query(svc.store.shard_query(slug, n))):
            if not sig.get("email_hash"):
                continue
            sets = {"link_salt": f"salt{sig['sig_id'][:8]}"}
            if sig.get("updates_opt_in") is True:
                roll = rng.random()
                if roll < 0.1:
                    sets.update(updates_opt_in=False, updates_unsubscribed_at="2026-03-01T00:00:00Z")
                    out["unsubscribed"] += 1
                elif roll < 0.2:
                    svc.store.put({**keys.suppression_key(sig["email_hash"]), "reason": "bounced"})
                    out["suppressed"] += 1
            svc.store.update(keys.key_of(sig), Update(set=sets))
        return out
    del db
    with ThreadPoolExecutor(8) as pool:
        for r in pool.map(shard, range(shards)):
            for k, v in r.items():
                done[k] += v
    return done


def recount(table: str, slug: str, shards: int) -> int:
    """Independent of updates/audience.py: raw Queries with no filter, the rule written out."""
    from chalicelib.storage.codec import from_item
    from chalicelib.wiring import boto_client
    db = boto_client("dynamodb")
    n = 0
    for shard in range(shards):
        pages = db.get_paginator("query").paginate(
            TableName=table, ConsistentRead=True, KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"SIGS#{slug}#{shard:03d}"}})
        for page in pages:
            for raw in page["Items"]:
                sig = from_item(raw)
                if sig.get("state") not in ("listed", "awaiting_approval") or \
                        sig.get("updates_opt_in") is not True or not sig.get("email_hash") \
                        or not sig.get("link_salt"):
                    continue
                got = db.get_item(TableName=table, Key={"PK": {"S": f"SUPPRESS#{sig['email_hash']}"},
                                                        "SK": {"S": "SUPPRESS"}})
                n += "Item" not in got
    return n


def child(args: dict) -> dict:
    """One message of a job, measured (as scale.child), the fan-out's queue counted."""
    svc = scale.service(args["table"], args["bucket"], args["shards"], **args.get("settings", {}))
    queue = CountingQueue()
    svc.__dict__["update_queue"] = queue
    from chalicelib import wiring
    from chalicelib.storage import NEW_ITEM, keys
    svc.store.put({**keys.update_key(args["slug"], 1), "slug": args["slug"], "seq": 1,
                   "state": "sending", "texts": {}, "created_by": "bench",
                   "created_at": "2026-03-01T00:00:00Z"}, condition=NEW_ITEM)
    t = time.perf_counter()
    outcome = svc.jobs.handle(args["message"])
    wiring.configure(None)
    seconds = time.perf_counter() - t
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    return {"seconds": seconds, "rss_mb": rss, "outcome": outcome, "messages": queue.messages,
            "batches": queue.batches, "sigs": queue.sigs}


def run_job(env: dict, base: dict, slug: str, kind: str, workers: int, rows: int) -> dict:
    over = {"job_max_parts": workers, "job_part_rows": max(1, -(-rows // workers))}
    svc = scale.service(base["table"], base["bucket"], base["shards"], **over)
    job = svc.jobs.submit(slug, kind, {"update": 1}, "bench")
    messages = svc.jobs.queue.take(ignore_delay=True)
    t = time.perf_counter()
    with ThreadPoolExecutor(len(messages)) as pool:
        parts = list(pool.map(lambda m: run_child(env, {**base, "message": m, "slug": slug,
                                                        "settings": over}), messages))
    combine = run_child(env, {**base, "settings": over, "slug": slug, "message": {
        "slug": slug, "job": job.id, "step": "combine"}}) if job.parts > 1 else None
    wall = time.perf_counter() - t
    status = svc.jobs.status(slug, job.id)
    assert status.state == "complete", status
    return {"kind": kind, "workers": workers, "parts": job.parts, "wall": wall,
            "rss_mb": max(p["rss_mb"] for p in parts + ([combine] if combine else [])),
            "rows_read": status.rows_read, "result": status.result,
            "messages": sum(p["messages"] for p in parts), "batches": sum(p["batches"] for p in parts)}


def run_child(env: dict, args: dict) -> dict:
    import subprocess
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=7200)
    if out.returncode:
        raise RuntimeError(f"worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100000")
    p.add_argument("--workers", default="1,4")
    p.add_argument("--shards", type=int, default=32)
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(json.loads(a.child))))
        return 0
    from tools import localstack
    rows = []
    with localstack.Stack(log_dir=ROOT / ".local" / "logs") as stack:
        env = {**os.environ, **stack.env()}
        os.environ.update(stack.env())
        table, bucket = f"upd-{uuid.uuid4().hex[:8]}", f"upd-{uuid.uuid4().hex[:8]}"
        localstack.bootstrap(table, bucket)
        base = {"table": table, "bucket": bucket, "shards": a.shards}
        for n in [int(s) for s in a.sizes.split(",") if s]:
            slug = f"upd-{n}"
            loaded = scale.load(table, bucket, slug, n, a.shards)
            changed = prepare(table, slug, a.shards)
            print(f"loaded {n:,} in {loaded:.1f} s; {changed}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            recounted = recount(table, slug, a.shards)
            recount_s = time.perf_counter() - t
            for w in [int(x) for x in a.workers.split(",") if x]:
                reach = run_job(env, base, slug, "update_reach", w, n)
                send = run_job(env, base, slug, "update_send", w, n)
                assert reach["result"]["reach"] == send["result"]["queued"] == recounted, \
                    (reach["result"], send["result"], recounted)
                rows.append({"n": n, "workers": w, "reach": reach, "send": send,
                             "recount": recounted, "recount_s": recount_s, **changed})
    print("| signatures | workers | reach | recount | reach job | fan-out job | messages "
          "(batches) | peak RSS | recount scan |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['workers']} | {r['reach']['result']['reach']:,} | "
              f"{r['recount']:,} | {r['reach']['wall']:.1f} s | {r['send']['wall']:.1f} s | "
              f"{r['send']['messages']:,} ({r['send']['batches']:,}) | "
              f"{max(r['reach']['rss_mb'], r['send']['rss_mb']):.0f} MB | {r['recount_s']:.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
