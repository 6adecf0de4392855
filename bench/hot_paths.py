"""Hot paths against their floors: sign-on, confirmation and a public list page through the
Chalice app, beside the very DynamoDB calls they issue, replayed bare, in the same run.

How the floor is measured: every DynamoDB call the app makes is recorded (operation and
parameters, via botocore's provide-client-params event) and replayed on a raw client
against a second table holding the same items, so the floor does exactly the same
storage work with none of our code. Rounds alternate app and floor; medians are reported.
The app is timed as Lambda runs it: from API Gateway's event to the response (the event is
built before the clock starts, since API Gateway builds it outside the function).

    .venv/bin/python bench/hot_paths.py [--n 200] [--rounds 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


class NullMailer:
    """Keeps each address's newest confirmation link (and nothing else)."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}

    def send(self, message) -> None:
        found = re.search(r"confirm\.html#token=(\S+)", message.text)
        if found:
            self.links[message.to] = found.group(1)


class Recorder:
    """Records the DynamoDB calls of the app's client while `on`."""

    def __init__(self, client) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.on = False
        client.meta.events.register("provide-client-params.dynamodb", self._hook)

    def _hook(self, params, model, **kwargs):
        if self.on:  # a reference only: copying here would bill the copy to the app
            self.calls.append((model.name, params))

    def take(self) -> list[tuple[str, dict]]:
        calls, self.calls = self.calls, []
        return [(op, copy.deepcopy(p)) for op, p in calls]


def replay(raw, calls, table: str) -> None:
    """Issue recorded calls on `raw` against `table` (fresh ClientRequestTokens)."""
    from botocore import xform_name
    for op, params in calls:
        p = dict(params)
        if "TableName" in p:
            p["TableName"] = table
        if "TransactItems" in p:
            p["TransactItems"] = [{k: {**v, "TableName": table} for k, v in a.items()}
                                  for a in p["TransactItems"]]
            p["ClientRequestToken"] = uuid.uuid4().hex[:36]
        if "RequestItems" in p:
            p["RequestItems"] = {table: next(iter(p["RequestItems"].values()))}
        try:
            getattr(raw, xform_name(op))(**p)
        except raw.exceptions.TransactionCanceledException:
            pass  # the app met the same condition (e.g. a repeat); the work is the same


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run(n: int, rounds: int) -> list[dict]:
    from chalicelib import wiring
    from tools.serve import _Gateway
    from helpers import individual, make_letter
    from support import make_settings
    from tools import localstack

    import app
    with localstack.Stack(log_dir=ROOT / ".local" / "bench-logs") as stack:
        os.environ.update(stack.env())
        settings = make_settings(count_shards=32, **{  # the production defaults for limits
            k: f.default for k, f in type(make_settings()).model_fields.items()
            if k.startswith(("sign_", "quarantine_ip", "confirm_ip", "mail_per"))})
        floor_table = f"floor-{uuid.uuid4().hex[:8]}"
        for t in (settings.table_name, floor_table):
            localstack.bootstrap(t, f"b-{uuid.uuid4().hex[:8]}")
        mailer = NullMailer()
        svc = wiring.build(settings, mailer=mailer)
        wiring.configure(svc)
        from tools.mail_pump import MailPump
        pump = MailPump(svc)  # the mail worker, run between requests (off the clock)
        letter = make_letter(svc, "bench")
        raw = wiring.boto_client("dynamodb")
        rec = Recorder(svc.store._db)
        # the floor table gets the letter and its counters as the app's table has them
        rec.on = True
        make_letter(svc, "bench-copy")  # warm the recorder path; not replayed
        rec.on = False
        rec.take()
        for item in raw.scan(TableName=settings.table_name)["Items"]:
            raw.put_item(TableName=floor_table, Item=item)

        samples: dict[str, list[float]] = {k: [] for k in
                                           ("sign", "sign-floor", "sign-tx", "confirm",
                                            "confirm-floor", "list", "list-floor", "repeat",
                                            "repeat-floor")}
        counter = 0
        local = _Gateway(app.app).gateway
        json_headers = {"content-type": "application/json"}

        def call(method, path, body=None, ip="198.51.100.1"):
            """The Lambda handler on API Gateway's event; (status, body, seconds in the handler).

            The event is built (as API Gateway builds it, outside the function) before the
            clock starts: what is timed is what runs in Lambda, from the event to the response.
            """
            event = local._generate_lambda_event(
                method, path, dict(json_headers), json.dumps(body).encode() if body is not None else None)
            event["requestContext"]["identity"]["sourceIp"] = ip
            context = local._generate_lambda_context()
            rec.on = True
            t0 = time.perf_counter()
            resp = app.app(event, context)
            seconds = time.perf_counter() - t0
            rec.on = False
            return resp["statusCode"], resp["body"], seconds

        def measure(kind, method, path, body=None, ip="198.51.100.1"):
            """The app (samples[kind]), then its recorded calls bare (samples[kind-floor])."""
            status, out, seconds = call(method, path, body, ip)
            samples[kind].append(seconds)
            calls = rec.take()
            t0 = time.perf_counter()
            replay(raw, calls, floor_table)
            samples[f"{kind}-floor"].append(time.perf_counter() - t0)
            return status, out, calls

        for r in range(rounds):
            tokens = []
            for _ in range(n):  # sign-on: app, then its recorded calls bare
                counter += 1
                # one address per sign-on, as a crowd signs: the per-IP limits are
                # per source address, so rotate it (as many people would)
                # 7 in 10 at common providers (no per-domain count), the rest at their own
                domain = "gmail.com" if counter % 10 < 7 else f"org{counter}.example"
                body = individual(letter, name=f"Person {counter}",
                                  email=f"p{counter}@{domain}")
                ip = f"10.{counter // 65536 % 256}.{counter // 256 % 256}.{counter % 256}"
                status, out, calls = measure("sign", "POST", "/letters/bench/signatures", body, ip)
                assert status == 202, out
                tx = [c for c in calls if c[0] == "TransactWriteItems"]
                pump.drain()  # the worker sends the link (not timed: it is not the request)
                tokens.append(mailer.links[body["email"]])
                # the bare transaction alone, on a third key space (fresh ids)
                t0 = time.perf_counter()
                replay(raw, [(op, _fresh(p)) for op, p in tx], floor_table)
                samples["sign-tx"].append(time.perf_counter() - t0)
            signed = []
            for k, token in enumerate(tokens):  # confirmation, each from its signer's address
                status, out, _ = measure("confirm", "POST", "/confirmations", {"token": token},
                                         f"10.200.{k // 256 % 256}.{k % 256}")
                assert status == 200, out
                signed.append(counter - len(tokens) + 1 + k)
            for c in signed:  # the same addresses sign again: answered as a new sign-on is
                domain = "gmail.com" if c % 10 < 7 else f"org{c}.example"
                body = individual(letter, name=f"Person {c}", email=f"p{c}@{domain}")
                status, out, _ = measure("repeat", "POST", "/letters/bench/signatures", body,
                                         f"10.100.{c // 256 % 256}.{c % 256}")
                assert status == 202, out
            for _ in range(max(10, n // 10)):  # one public list page of 100 names
                status, out, _ = measure("list", "GET", "/letters/bench/signatures?limit=100")
                assert len(json.loads(out)["signatures"]) == min(100, counter)
            print(f"round {r + 1}/{rounds}: sign {median_ms(samples['sign']):.2f} ms "
                  f"(floor {median_ms(samples['sign-floor']):.2f})", file=sys.stderr, flush=True)
        wiring.configure(None)

    def row(what, ours, floor, goal, note=""):
        o, f = median_ms(samples[ours]), median_ms(samples[floor])
        return {"what": what, "ours": round(o, 3), "floor": round(f, 3), "unit": "ms",
                "ratio": round(o / f, 3), "goal": goal, "note": note}

    calls_note = "floor = the same DynamoDB calls, replayed bare"
    return [
        row("sign-on (app vs its TransactWriteItems alone)", "sign", "sign-tx", "≤ 1.10",
            "one transaction: claim, signature, rate-limit counters; no SES call"),
        row("sign-on (app vs its DynamoDB calls)", "sign", "sign-floor", "(info)", calls_note),
        row("confirmation", "confirm", "confirm-floor", "≤ 1.10", calls_note),
        row("sign-on by an address that signed (vs a new sign-on)", "repeat", "sign", "(info)",
            "the same 202; one round trip more (its request for the worker)"),
        row("public list page, 100 names", "list", "list-floor", "≤ 1.10", calls_note),
    ]


def _fresh(params: dict) -> dict:
    """The same transaction on new keys (so conditions hold when it is replayed again)."""
    suffix = uuid.uuid4().hex[:8]
    p = copy.deepcopy(params)
    for action in p["TransactItems"]:
        for body in action.values():
            for keyname in ("Item", "Key"):
                if keyname in body:
                    body[keyname]["PK"] = {"S": body[keyname]["PK"]["S"] + "#" + suffix}
    return p


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=200, help="sign-ons (and confirmations) per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", help="write the rows here")
    a = p.parse_args(argv)
    rows = run(a.n, a.rounds)
    print(f"\n{'what':<46} {'ours':>9} {'floor':>9} {'ratio':>6}  goal")
    for r in rows:
        print(f"{r['what']:<46} {r['ours']:>7.2f}ms {r['floor']:>7.2f}ms {r['ratio']:>6.2f}  {r['goal']}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
