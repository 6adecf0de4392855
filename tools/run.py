"""`make run` and `make snapshot`: the whole product on loopback, state kept in .local/.

    python tools/run.py            serve http://127.0.0.1:8000 (Ctrl-C stops what it started)
    python tools/run.py snapshot   run the nightly snapshot once, as EventBridge would

`serve` starts DynamoDB Local (data in .local/dynamodb) and moto server (S3, in memory:
its objects are saved to .local/s3/ on stop and restored on start), creates the table
and bucket, loads the example letter (and its 35 signatories on first run), creates the
local organiser token (.local/organiser-token, mode 600), serves page and API on one
origin, and prints each confirmation link that lands in .local/outbox/.
"""
from __future__ import annotations

import email
import json
import os
import re
import signal
import socket
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import localstack, seed  # noqa: E402
from chalicelib.storage import s3_objects

LOCAL = ROOT / ".local"
PORT = int(os.environ.get("PORT", "8000"))
DYNAMODB_PORT = int(os.environ.get("DYNAMODB_PORT", "8001"))
MOTO_PORT = int(os.environ.get("MOTO_PORT", "8002"))
TABLE, BUCKET = "undersigned-local", "undersigned-exports-local"
TOKEN_FILE = LOCAL / "organiser-token"
S3_DIR = LOCAL / "s3"


def configure_env(stack: localstack.Stack) -> None:
    """Point the app at the local stack (the same variables the tests use)."""
    os.environ.update(localstack.app_env(
        stack, table=TABLE, bucket=BUCKET, site_url=f"http://127.0.0.1:{PORT}",
        outbox=LOCAL / "outbox", hash_key=localstack.secret_file(LOCAL / "email-hash-key")))


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
            print(f"  mail: {msg['Subject']}  ({path.relative_to(ROOT)})", flush=True)
            for link in re.findall(rb"https?://\S+#token=\S+", body):
                print(f"        {link.decode()}", flush=True)


def ensure_token() -> bool:
    """Create the local organiser token on first start; True if it was created now."""
    from chalicelib import wiring
    from tools.cli import write_secret
    if TOKEN_FILE.exists() and wiring.get().organisers.authenticate(TOKEN_FILE.read_text().strip()):
        return False
    write_secret(TOKEN_FILE, wiring.get().organisers.create("local organiser", []).token)
    return True


def _s3_index() -> Path:
    return S3_DIR / f"{BUCKET}.index.json"


def restore_s3() -> int:
    """Put back the objects saved from the last run (moto server keeps nothing on disk).

    Each goes back as it was written, so its ETag is the same and `us snapshots verify`
    still matches the manifest: snapshot files by multipart upload (the same part size),
    the rest by a single put, with their content types.
    """
    from chalicelib.wiring import boto_client
    s3, n = boto_client("s3"), 0
    base = S3_DIR / BUCKET
    index = json.loads(_s3_index().read_text()) if _s3_index().exists() else {}
    for path in sorted(base.rglob("*")) if base.exists() else []:
        if not path.is_file():
            continue
        key = path.relative_to(base).as_posix()
        meta = index.get(key, {})
        content_type = meta.get("content_type", "binary/octet-stream")
        if meta.get("multipart"):
            s3_objects.upload(s3, BUCKET, key, path, content_type)
        else:
            with path.open("rb") as body:
                s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)
        n += 1
    return n


def save_s3() -> int:
    from chalicelib.wiring import boto_client
    s3, n, index = boto_client("s3"), 0, {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            target = S3_DIR / BUCKET / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(BUCKET, obj["Key"], str(target))
            head = s3.head_object(Bucket=BUCKET, Key=obj["Key"])
            index[obj["Key"]] = {"content_type": head.get("ContentType"),
                                 "multipart": "-" in obj["ETag"]}
            n += 1
    S3_DIR.mkdir(parents=True, exist_ok=True)
    _s3_index().write_text(json.dumps(index, indent=1, sort_keys=True))
    return n


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def serve() -> int:
    LOCAL.mkdir(exist_ok=True)
    outbox = LOCAL / "outbox"
    outbox.mkdir(exist_ok=True)
    if _port_open(PORT):
        print(f"Port {PORT} is in use: is `make run` already running? (set PORT=... to use another)")
        return 1
    stack = localstack.Stack(data_dir=LOCAL / "dynamodb", dynamodb_port=DYNAMODB_PORT,
                             moto_port=MOTO_PORT, log_dir=LOCAL / "logs")
    configure_env(stack)
    print("Starting DynamoDB Local and moto server ...", flush=True)
    stack.start()
    stop = threading.Event()
    server = None
    # Ctrl-C and SIGTERM both stop cleanly (set explicitly: a shell may start us with SIGINT ignored).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        from chalicelib import wiring
        from tools.serve import Server
        import app as chalice_app

        localstack.bootstrap(TABLE, BUCKET)
        restored = restore_s3()
        slug, added = seed.load(wiring.get(), seed.EXAMPLE)
        new_token = ensure_token()
        server = Server(chalice_app.app, PORT,
                        turnstile=bool(wiring.get().settings.turnstile_site_key)).start()
        threading.Thread(target=watch_outbox, args=(outbox, stop), daemon=True).start()
        print(f"""
Undersigned is running.
  Site:       {server.url}/  (the letter: {server.url}/l/{slug})
  API:        {server.url}/api/letters/{slug}
  Organisers: token in .local/organiser-token{' (created now)' if new_token else ''}; try
              .venv/bin/python -m tools.cli queue {slug} --state awaiting_approval
  Outbox:     .local/outbox/ (confirmation links are printed below)
  Snapshots:  `make snapshot`; files in s3://{BUCKET}/letters/{slug}/ on {stack.moto_url},
              saved to .local/s3/{BUCKET}/ when this stops{f' ({restored} restored)' if restored else ''}
  DynamoDB:   {stack.dynamodb_url} (data in .local/dynamodb)
  {'Loaded the ' + str(added) + ' original signatories.' if added else 'Data kept from the last run.'}
Press Ctrl-C to stop.
""", flush=True)
        (LOCAL / "run.json").write_text(json.dumps({"pid": os.getpid(), "dynamodb": DYNAMODB_PORT,
                                                    "moto": MOTO_PORT, "port": PORT}))
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping ...", flush=True)
        stop.set()
        (LOCAL / "run.json").unlink(missing_ok=True)
        if server is not None:
            server.stop()
            try:
                print(f"Saved {save_s3()} S3 object(s) to .local/s3/", flush=True)
            except Exception as exc:  # never keep the stack running because saving failed
                print(f"Could not save S3 objects: {type(exc).__name__}", flush=True)
        stack.stop()
    return 0


def snapshot() -> int:
    """Invoke the nightly snapshot function with a scheduled event, as EventBridge would."""
    running = _port_open(DYNAMODB_PORT) and _port_open(MOTO_PORT) and (LOCAL / "run.json").exists()
    stack = localstack.Stack(data_dir=LOCAL / "dynamodb", dynamodb_port=DYNAMODB_PORT,
                             moto_port=MOTO_PORT, log_dir=LOCAL / "logs")
    configure_env(stack)
    if not running:
        stack.start()
    try:
        import app as chalice_app
        from chalice.test import Client
        if not running:
            localstack.bootstrap(TABLE, BUCKET)
            restore_s3()
        with Client(chalice_app.app) as client:
            event = client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={},
                resources=["arn:aws:events:eu-west-1:000000000000:rule/nightly_snapshot"])
            result = client.lambda_.invoke("nightly_snapshot", event)
        for report in result.payload:
            print(f"{report['slug']}: {report['status']} {report.get('date', '')} "
                  f"{report.get('reason', '')}".rstrip())
            if report["status"] in ("complete", "exists"):
                print(f"  s3://{BUCKET}/letters/{report['slug']}/snapshots/{report['date']}/"
                      + ("" if running else f"  (saved to .local/s3/{BUCKET}/)"))
        if not running:
            save_s3()
    finally:
        if not running:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(snapshot() if sys.argv[1:] == ["snapshot"] else serve())
