"""First-load weight of the letter page: every response's bytes, uncompressed and gzip.

Starts the local stack (DynamoDB Local + moto, free loopback ports), serves the site
with tools.serve.Server, loads /l/{example} in Debian's chromium with an empty cache,
and prints a table. Goal: HTML+CSS+JS+fonts <= 30 KB gzip, no third-party request.

    .venv/bin/python bench/page_weight.py
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.localstack import isolate_from_aws  # noqa: E402

isolate_from_aws()

GOAL_GZIP = 30 * 1024
ASSET_TYPES = ("document", "stylesheet", "script", "font")


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--json", help="write the result rows here (bench/run.py)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tools import localstack, seed
    from tools.serve import Server

    with localstack.Stack(log_dir=ROOT / ".local" / "bench-logs") as stack, \
            tempfile.TemporaryDirectory() as outbox:
        os.environ.update(stack.env())
        from chalicelib import wiring
        from chalicelib.mail import FileMailer
        from chalicelib.settings import Settings

        import app
        server = Server(app.app, 0)
        settings = Settings(stage="test", table_name=f"w-{uuid.uuid4().hex[:12]}",
                            exports_bucket="exports", site_url=server.url, email_hash_key="k" * 40,
                            mail_backend="file", mail_outbox_dir=outbox, count_shards=4)
        localstack.bootstrap(settings.table_name, f"b-{uuid.uuid4().hex[:12]}")
        wiring.configure(wiring.build(settings, mailer=FileMailer(outbox, settings.mail_from)))
        slug, _ = seed.load(wiring.get(), seed.EXAMPLE)
        server.start()
        rows, third_party = [], []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page()
                responses = []
                page.on("response", lambda r: responses.append(r))
                page.on("request", lambda r: third_party.append(r.url) if urllib.parse.urlsplit(
                    r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
                page.goto(f"{server.url}/l/{slug}", wait_until="networkidle")
                for resp in responses:
                    try:
                        body = resp.body()
                    except Exception:  # redirects, aborted
                        body = b""
                    path = urllib.parse.urlsplit(resp.url).path
                    rows.append((resp.request.resource_type, path, len(body),
                                 len(gzip.compress(body, 6)),
                                 resp.headers.get("content-encoding", "")))
                browser.close()
        finally:
            server.stop()
            wiring.configure(None)

    print(f"First load of /l/{slug}\n")
    print(f"{'type':<11} {'path':<44} {'bytes':>8} {'gzip':>7}  wire")
    for kind, path, raw, gz, enc in rows:
        print(f"{kind:<11} {path[:44]:<44} {raw:>8,} {gz:>7,}  {enc or '-'}")
    assets = [r for r in rows if r[0] in ASSET_TYPES]
    other = [r for r in rows if r[0] not in ASSET_TYPES]
    a_raw, a_gz = sum(r[2] for r in assets), sum(r[3] for r in assets)
    o_raw, o_gz = sum(r[2] for r in other), sum(r[3] for r in other)
    print()
    print(f"{'HTML+CSS+JS+fonts':<30} {len(assets):>3} files {a_raw:>9,} B {a_gz:>8,} B gzip"
          f"   goal <= {GOAL_GZIP:,} B gzip: {'OK' if a_gz <= GOAL_GZIP else 'OVER'}")
    print(f"{'API data, icons (fetch/other)':<30} {len(other):>3} files {o_raw:>9,} B {o_gz:>8,} B gzip")
    print(f"{'total':<30} {len(rows):>3} files {a_raw + o_raw:>9,} B {a_gz + o_gz:>8,} B gzip")
    print(f"third-party requests: {len(third_party)}")
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"what": "page weight: first load of the letter page (HTML+CSS+JS+fonts)",
             "ours": a_gz, "floor": GOAL_GZIP, "unit": "bytes gzip", "ratio": round(a_gz / GOAL_GZIP, 3),
             "goal": f"≤ {GOAL_GZIP:,} B", "note": f"{a_raw:,} B uncompressed; API data "
                                                  f"{o_gz:,} B gzip; third-party requests {len(third_party)}"}],
            indent=1))
    for url in third_party:
        print(f"  {url}")
    return 0 if a_gz <= GOAL_GZIP and not third_party else 1


if __name__ == "__main__":
    sys.exit(main())
