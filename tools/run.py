"""`make run`: the whole product on http://127.0.0.1:8000, state kept in .local/.

Starts DynamoDB Local (data in .local/dynamodb) and moto server, creates the table
and bucket, loads the example letter (and its 35 signatories on first run),
serves page and API on one origin, and prints each confirmation link that lands
in .local/outbox/. Ctrl-C stops what it started.
"""
from __future__ import annotations

import email
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import localstack, seed  # noqa: E402

LOCAL = ROOT / ".local"
PORT = int(os.environ.get("PORT", "8000"))
TABLE, BUCKET = "undersigned-local", "undersigned-exports-local"


def watch_outbox(outbox: Path, stop: threading.Event) -> None:
    """Print the link of every new message (the address itself stays out of the console)."""
    seen = {p.name for p in outbox.glob("*.eml")}
    while not stop.wait(0.5):
        for path in sorted(outbox.glob("*.eml")):
            if path.name in seen:
                continue
            seen.add(path.name)
            msg = email.message_from_bytes(path.read_bytes())
            body = msg.get_payload(decode=True) or b""
            links = re.findall(rb"https?://\S+#token=\S+", body)
            print(f"  mail: {msg['Subject']}  ({path.relative_to(ROOT)})", flush=True)
            for link in links:
                print(f"        {link.decode()}", flush=True)


def main() -> int:
    LOCAL.mkdir(exist_ok=True)
    outbox = LOCAL / "outbox"
    outbox.mkdir(exist_ok=True)
    stack = localstack.Stack(data_dir=LOCAL / "dynamodb",
                             dynamodb_port=int(os.environ.get("DYNAMODB_PORT", "8001")),
                             moto_port=int(os.environ.get("MOTO_PORT", "8002")))
    hash_key = localstack.secret_file(LOCAL / "email-hash-key")
    os.environ.update(localstack.app_env(stack, table=TABLE, bucket=BUCKET,
                                         site_url=f"http://127.0.0.1:{PORT}", outbox=outbox,
                                         hash_key=hash_key))
    print("Starting DynamoDB Local and moto server ...", flush=True)
    stack.start()
    stop = threading.Event()
    server = None
    try:
        from chalicelib import wiring
        from tools.serve import Server
        import app as chalice_app

        localstack.bootstrap(TABLE, BUCKET)
        slug, added = seed.load(wiring.get(), seed.EXAMPLE)
        server = Server(chalice_app.app, PORT).start()
        threading.Thread(target=watch_outbox, args=(outbox, stop), daemon=True).start()
        print(f"""
Undersigned is running.
  Site:      {server.url}/
  Letter:    {server.url}/l/{slug}
  API:       {server.url}/api/letters/{slug}
  Outbox:    {outbox.relative_to(ROOT)}/ (confirmation links are printed below)
  DynamoDB:  {stack.dynamodb_url} (data in .local/dynamodb), S3: {stack.moto_url}
  {'Loaded the ' + str(added) + ' original signatories.' if added else 'Data kept from the last run.'}
Press Ctrl-C to stop.
""", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
    finally:
        stop.set()
        if server is not None:
            server.stop()
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
