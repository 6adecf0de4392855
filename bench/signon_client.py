"""A sign-on through chalice.test.Client against DynamoDB Local, beside the bare
TransactWriteItems it issues, in one run (issue 2's figure; bench/hot_paths.py is the full one).

    .venv/bin/python bench/signon_client.py [--n 300]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=300)
    a = p.parse_args(argv)
    from chalice.test import Client

    from chalicelib import wiring
    from helpers import individual, make_letter
    from support import make_settings  # abuse limits off: every call comes from 127.0.0.1
    from tools import localstack

    import app
    with localstack.Stack(log_dir=ROOT / ".local" / "bench-logs") as stack:
        os.environ.update(stack.env())
        settings = make_settings(count_shards=32)
        localstack.bootstrap(settings.table_name, f"bench-{uuid.uuid4().hex[:8]}")

        class Null:
            def send(self, m):
                pass
        svc = wiring.build(settings, mailer=Null())
        wiring.configure(svc)
        letter = make_letter(svc, "bench")
        tx: list[dict] = []
        svc.store._db.meta.events.register(
            "provide-client-params.dynamodb.TransactWriteItems",
            lambda params, **kw: tx.append(copy.deepcopy(params)))
        raw = wiring.boto_client("dynamodb")
        app_s, bare_s = [], []
        with Client(app.app) as client:
            for i in range(a.n):
                body = json.dumps(individual(letter, email=f"s{i}@example.org"))
                t0 = time.perf_counter()
                resp = client.http.post("/letters/bench/signatures", body=body,
                                        headers={"content-type": "application/json"})
                app_s.append(time.perf_counter() - t0)
                assert resp.status_code == 202
                params = tx.pop()
                for action in params["TransactItems"]:  # the same payload on fresh keys
                    for b in action.values():
                        b["Item"]["PK"]["S"] += "#bare"
                params["ClientRequestToken"] = uuid.uuid4().hex[:36]
                t0 = time.perf_counter()
                raw.transact_write_items(**params)
                bare_s.append(time.perf_counter() - t0)
        wiring.configure(None)
    o, b = statistics.median(app_s) * 1000, statistics.median(bare_s) * 1000
    print(f"sign-on via chalice.test.Client: {o:.2f} ms median of {a.n}; bare TransactWriteItems: "
          f"{b:.2f} ms; ratio {o / b:.2f} (the sign-on also reads the letter; limits off here)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
