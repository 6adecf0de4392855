"""Benchmark: an import of N rows (dry run, then the import) and the lookalike check on a
letter that already holds M organisations, against DynamoDB Local.

    .venv/bin/python bench/coalition.py                   # 2,000 rows; 20,000 organisations
    .venv/bin/python bench/coalition.py --rows 50 --orgs 200   # tiny

The lookalike check is one GetItem of the name item whatever the letter's size (keys.py,
access pattern 15): its time at M organisations is printed beside the time of a plain
GetItem, and beside name_key's own cost. Goals: the 2,000-row import within the API's 28 s;
the check within 1.5× a GetItem.
"""
from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--orgs", type=int, default=20000)
    a = p.parse_args(argv)
    from tools import localstack
    localstack.isolate_from_aws()
    with localstack.Stack(log_dir=ROOT / ".local" / "logs") as stack:
        os.environ.update(stack.env())
        from chalicelib import wiring
        from chalicelib.import_models import ImportIn
        from chalicelib.lookalike import name_key
        from chalicelib.mail import FileMailer
        from chalicelib.settings import Settings
        from helpers_bench import letter_text
        table = f"bench-{uuid.uuid4().hex[:8]}"
        localstack.bootstrap(table, f"b-{uuid.uuid4().hex[:8]}")
        settings = Settings(stage="test", table_name=table, exports_bucket="x" * 3,
                            site_url="http://127.0.0.1", email_hash_key="b" * 40,
                            mail_backend="file", max_import_rows=max(a.rows, a.orgs))
        svc = wiring.build(settings, mailer=FileMailer(str(ROOT / ".local" / "bench-outbox"), "x@invalid"))
        from chalicelib.letters import parse_letter
        svc.letters.upsert_letter(parse_letter(letter_text("bench-coalition")))
        slug = "bench-coalition"

        def upload(csv: bytes, dry: bool):
            return svc.imports.upload(slug, ImportIn.model_validate({
                "format": "csv", "content": base64.b64encode(csv).decode(),
                "mapping": {"name": "name", "kind": "kind", "email": "email"},
                "source": "bench", "dry_run": dry}))

        orgs = b"name,kind,email\n" + b"".join(b"Organisation number %d,organisation,\n" % i
                                               for i in range(a.orgs))
        t = time.perf_counter()
        for start in range(0, a.orgs, 2000):  # the letter's organisations, 2,000 a file
            chunk = b"name,kind,email\n" + b"".join(orgs.splitlines(True)[1 + start:1 + start + 2000])
            upload(chunk, False)
        loaded = time.perf_counter() - t
        rows = b"name,kind,email\n" + b"".join(
            b"Person %d Example,individual,p%d@example.org\n" % (i, i) for i in range(a.rows))
        t = time.perf_counter()
        dry = upload(rows, True)
        dry_s = time.perf_counter() - t
        t = time.perf_counter()
        done = upload(rows, False)
        apply_s = time.perf_counter() - t
        t = time.perf_counter()
        again = upload(rows, False)
        again_s = time.perf_counter() - t
        assert dry.accepted == a.rows and done.added == a.rows and again.added == 0

        letter = svc.store.get_letter(slug, consistent=True)
        probes = ["Organisation numbеr 7", "Нuman Rights Watch", "Organisation Number 12345 Inc."]
        check, plain = [], []
        for _ in range(200):
            for name in probes:
                t = time.perf_counter()
                svc.signing.names.check(letter, name)
                check.append(time.perf_counter() - t)
                t = time.perf_counter()
                svc.store.get({"PK": "LETTERS", "SK": slug}, consistent=False)
                plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(10000):
            name_key(f"Committee for Human Rights in North Korea (HRNK) {i}")
        key_us = (time.perf_counter() - t) * 100
    med = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"\nDynamoDB Local on loopback; {a.orgs:,} organisations loaded by import in {loaded:.1f} s")
    print(f"import of {a.rows:,} rows with emails: dry run {dry_s:.2f} s, import {apply_s:.2f} s, "
          f"the same file again {again_s:.2f} s (added {again.added})")
    print(f"lookalike check (median of {len(check)}): {med(check):.2f} ms; a plain GetItem "
          f"{med(plain):.2f} ms; ratio {med(check) / med(plain):.2f}; name_key {key_us:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
