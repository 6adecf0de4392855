"""The hourly reminders run over a large letter on DynamoDB Local: its time and what it reads
depend on the reminders due, not on the letter's size.

A letter of `--confirmed` confirmed signatures (no GSI3 keys), `--later` pending ones whose
reminder is not due yet and `--due` pending ones whose reminder is due, written straight to
the table (BatchWriteItem, as a sign-on would leave them, ~0.9 KB each); then one run
(`Reminders.run`), timed, and a second at once (which must queue nothing). No mail is sent:
the mail worker's cost per reminder is that of any mail (docs/COST.md).

    .venv/bin/python bench/reminders.py [--due 5000] [--later 5000] [--confirmed 50000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def items(letter: dict, n: int, state: str, due_at, now: dt.datetime, tag: str):
    from chalicelib import link_tokens
    from chalicelib.clock import iso
    from chalicelib.storage import keys
    for i in range(n):
        sig_id = link_tokens.derived_id("bench", tag, str(i))
        item = {**keys.signature_key(letter["slug"], sig_id, letter["shards"]), "sig_id": sig_id,
                "letter": letter["slug"], "kind": "individual", "name": f"Signer {tag} {i}",
                "affiliation": "Professor of International Law, a University", "country": "KR",
                "state": state, "v": 0, "created_at": iso(now - dt.timedelta(hours=25)),
                "email_hash": "h" * 40, "email_domain": "example.org", "language": "en",
                "consent": True, "consent_version": "1", "consent_sha256": "c" * 64,
                "letter_sha256": "l" * 64, "link_salt": "s" * 22, "confirm_hashes": ["x" * 43],
                "withdraw_hash": "w" * 43}
        if state == "pending":
            item.update(confirm_expires_at=iso(now + dt.timedelta(hours=48)), sends=1, mailed=1,
                        last_sent_at=iso(now - dt.timedelta(hours=25)),
                        **keys.reminder_keys(letter["slug"], sig_id, letter["shards"], due_at, 1))
        yield item


def load(raw, table: str, rows) -> int:
    from chalicelib.storage.codec import to_item
    batch, batches = [], []
    for item in rows:
        batch.append({"PutRequest": {"Item": to_item(item)}})
        if len(batch) == 25:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)

    def write(requests):
        while requests:
            left = raw.batch_write_item(RequestItems={table: requests})["UnprocessedItems"]
            requests = left.get(table, [])
        return 1
    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(write, batches))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--due", type=int, default=5000)
    p.add_argument("--later", type=int, default=5000)
    p.add_argument("--confirmed", type=int, default=50000)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)

    import os
    from chalicelib import wiring
    from chalicelib.letters import parse_letter
    from chalicelib.settings import Settings
    from helpers_bench import letter_text
    from tools import localstack

    with localstack.Stack(log_dir=ROOT / ".local" / "bench-logs") as stack:
        os.environ.update(stack.env())
        settings = Settings(stage="test", table_name=f"rem-{uuid.uuid4().hex[:8]}",
                            exports_bucket="unused", site_url="http://127.0.0.1:8000",
                            email_hash_key="k" * 40, mail_backend="file", count_shards=32)
        localstack.bootstrap(settings.table_name, f"b-{uuid.uuid4().hex[:8]}")
        svc = wiring.build(settings)
        svc.letters.upsert_letter(parse_letter(letter_text("bench")))
        letter = svc.letters.letter_item("bench")
        now = dt.datetime.now(dt.timezone.utc)
        raw = wiring.boto_client("dynamodb")
        t0 = time.perf_counter()
        for n, state, due, tag in ((a.confirmed, "listed", None, "c"),
                                   (a.later, "pending", now + dt.timedelta(hours=5), "l"),
                                   (a.due, "pending", now - dt.timedelta(minutes=30), "d")):
            load(raw, settings.table_name, items(letter, n, state, due, now, tag))
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = svc.reminders.run(now)
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = svc.reminders.run(now)
        again = time.perf_counter() - t0
    out = {"due": a.due, "later": a.later, "confirmed": a.confirmed,
           "load_seconds": round(loaded, 1), "run_seconds": round(seconds, 2),
           "queued": first["queued"], "per_second": round(first["queued"] / seconds),
           "second_run_seconds": round(again, 2), "second_run_queued": second["queued"]}
    print(json.dumps(out, indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    ok = first["queued"] == a.due and second["queued"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
