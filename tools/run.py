"""`make run` and `make snapshot`: the whole product on loopback, state kept in .local/.

    python -m tools.run            serve http://127.0.0.1:8000 (Ctrl-C stops what it started)
    python -m tools.run snapshot   run the nightly snapshot once, as EventBridge would

`serve` starts DynamoDB Local (data in .local/dynamodb) and moto server (S3, in memory:
its objects are saved to .local/s3/ on stop and restored on start), creates the table
and bucket, loads the example letter (and its 35 signatories on first run), creates the
local organiser token (.local/organiser-token, mode 600), serves page and API on one
origin, runs the mail worker off the table's stream (tools/mail_pump.py) and the job worker
off the local job queue (tools/job_pump.py) and the update mailer off the local update
queue (tools/update_pump.py), and prints each
confirmation link that lands in .local/outbox/. `.local/run.json`
records its ports and processes (tools/stackfile.py). PORT moves the whole stack
(tools/localstack.PORT_SETTINGS); a port held by anyone else is refused, never shared.
"""
from __future__ import annotations

import email
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from tools import local_keys, localstack, seed, stackfile
from tools.localstack import BUCKET, LOCAL, ROOT, TABLE

TOKEN_FILE = LOCAL / "organiser-token"
S3_DIR = LOCAL / "s3"
# The README's alias: the banner shows the same line, so the two cannot drift apart.
NAMES = {"dynamodb": "DynamoDB Local", "moto": "moto server"}
CLI_ALIAS = "alias us='.venv/bin/python -m tools.cli'"


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
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"  mail: {msg['Subject']}  ({shown})", flush=True)
            for link in re.findall(rb"https?://\S+#token=\S+", body):
                print(f"        {link.decode()}", flush=True)


def ensure_token() -> bool:
    """Create the local organiser token on first start; True if it was created now."""
    from chalicelib import wiring
    if TOKEN_FILE.exists() and wiring.get().organisers.authenticate(TOKEN_FILE.read_text().strip()):
        return False
    localstack.write_secret(TOKEN_FILE, wiring.get().organisers.create("local organiser", []).token)
    return True


def _s3_index() -> Path:
    return S3_DIR / f"{BUCKET}.index.json"


def restore_s3() -> int:
    """Put back the objects saved from the last run (moto server keeps nothing on disk).

    Each goes back as it was written, so its ETag is the same and `us snapshots verify`
    still matches the manifest: snapshot files by multipart upload (the same part size),
    the rest by a single put, with their content types.
    """
    from chalicelib.storage import s3_objects
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


class StopSignals:
    """SIGINT and SIGTERM stop the run once; later ones are ignored.

    make passes a SIGTERM on to us, so two usually arrive together. The first raises
    KeyboardInterrupt in the main thread (wherever it is, start-up included); the handler
    takes no lock, so a second signal cannot deadlock it, and once stopping has begun
    nothing interrupts the clean-up (saving S3, stopping the children).
    """

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> "StopSignals":
        # Set explicitly: a shell may start us with SIGINT ignored.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if not self.stopping:
            self.stopping = True
            raise KeyboardInterrupt


def _save_left_running(record: dict) -> None:
    """Before the children of a killed run are stopped, keep what its moto holds."""
    os.environ.update(stackfile.stack_of(record).env())
    print(f"Saved {save_s3()} S3 object(s) from the stack left running.", flush=True)
    print(f"Saved {local_keys.save(local_keys.Where.from_env())} letter key(s).", flush=True)


def banner(*, url: str, slug: str, new_token: bool, stack: localstack.Stack, restored: int,
           added: int) -> str:
    return f"""
Undersigned is running.
  Site:       {url}/  (the letter: {url}/l/{slug})
  API:        {url}/api/letters/{slug}
  Organisers: token in .local/organiser-token{' (created now)' if new_token else ''}; the CLI
              finds this stack through .local/run.json (README, "Organisers"):
              {CLI_ALIAS}
              us queue {slug} --state awaiting_approval
  Outbox:     .local/outbox/ (confirmation links are printed below)
  Reminders:  hourly; by hand: us reminders run [--now 2026-03-02T13:00:00Z]
  Snapshots:  `make snapshot`; files in s3://{BUCKET}/letters/{slug}/ on {stack.moto_url},
              saved to .local/s3/{BUCKET}/ when this stops{f' ({restored} restored)' if restored else ''}
  DynamoDB:   {stack.dynamodb_url} (data in .local/dynamodb)
  {'Loaded the ' + str(added) + ' original signatories.' if added else 'Data kept from the last run.'}
Press Ctrl-C to stop.
"""


def serve(env=os.environ) -> int:
    signals = StopSignals().install()  # first: a stop during start-up still cleans up
    ports = localstack.Ports.from_env(env)
    run_file = stackfile.RUN_FILE
    outbox = LOCAL / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    stack = localstack.Stack(data_dir=LOCAL / "dynamodb", dynamodb_port=ports.dynamodb,
                             moto_port=ports.moto, log_dir=LOCAL / "logs")
    watching = threading.Event()
    server = None
    try:
        try:
            stopped = stackfile.clear_stale(run_file, before_stop=_save_left_running)
        except stackfile.AlreadyRunningError as exc:
            print(exc, flush=True)
            return 1
        if stopped:
            print(f"Stopped {' and '.join(NAMES[n] for n in stopped)}, left running by a "
                  "`make run` that was killed.", flush=True)
        if not localstack.port_free(ports.site):
            print(ports.in_use_message(ports.site, "the site"), flush=True)
            return 1
        configure_env(stack, ports)
        print("Starting DynamoDB Local and moto server ...", flush=True)

        def record(procs: list) -> None:
            stackfile.write(run_file, ports, dict(zip(("dynamodb", "moto"), (p.pid for p in procs))),
                            table=TABLE, bucket=BUCKET)
        try:
            stack.start(on_spawn=record)
        except localstack.PortInUseError as exc:
            print(ports.in_use_message(exc.port, exc.what), flush=True)
            return 1
        except RuntimeError as exc:
            print(f"Could not start: {exc}", flush=True)
            return 1
        from chalicelib import wiring
        from tools.job_pump import JobPump
        from tools.mail_pump import MailPump
        from tools.serve import Server
        from tools.update_pump import UpdatePump
        import app as chalice_app

        localstack.bootstrap(TABLE, BUCKET)
        restored = restore_s3()
        local_keys.restore(wiring.get().settings)  # before anything seals or opens
        slug, added = seed.load(wiring.get(), seed.EXAMPLE)
        new_token = ensure_token()
        try:
            server = Server(chalice_app.app, ports.site,
                            turnstile=bool(wiring.get().settings.turnstile_site_key)).start()
        except OSError:  # taken since the check above
            print(ports.in_use_message(ports.site, "the site"), flush=True)
            return 1
        threading.Thread(target=watch_outbox, args=(outbox, watching), daemon=True).start()
        # The mail worker, fed from the table's stream as Lambda's event source would.
        threading.Thread(target=MailPump(wiring.get()).run, args=(watching, 0.2),
                         daemon=True).start()
        # The job worker (exports, snapshots, recounts), fed from the local job queue as
        # the SQS event source would feed the job_worker function.
        threading.Thread(target=JobPump(wiring.get(), workers=2).run, args=(watching, 0.2),
                         daemon=True).start()
        # The hourly reminders, as EventBridge runs the `reminders` function (now, then hourly).
        threading.Thread(target=hourly, args=(wiring.get().reminders.run, watching),
                         daemon=True).start()
        # The update mailer, fed from the local update queue as its SQS event source would.
        threading.Thread(target=UpdatePump(wiring.get()).run, args=(watching, 0.5),
                         daemon=True).start()
        print(banner(url=server.url, slug=slug, new_token=new_token, stack=stack,
                     restored=restored, added=added), flush=True)
        while True:
            time.sleep(3600)  # until a signal raises KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        signals.stopping = True
        if stack.procs:
            print("\nStopping ...", flush=True)
        watching.set()
        if server is not None:
            server.stop()
            try:
                print(f"Saved {save_s3()} S3 object(s) to .local/s3/", flush=True)
                print(f"Saved {local_keys.save(wiring.get().settings)} letter key(s) to "
                      ".local/keys/", flush=True)
            except Exception as exc:  # never keep the stack running because saving failed
                print(f"Could not save S3 objects or letter keys: {type(exc).__name__}",
                      flush=True)
        stack.stop()
        mine = stackfile.read(run_file)
        if mine is not None and mine["run"] == stackfile.identity(os.getpid()):
            run_file.unlink()
    return 0


def hourly(run, stop: threading.Event) -> None:
    """Call `run` now and every hour until `stop`; a failed run is reported, not fatal."""
    while not stop.is_set():
        try:
            report = run()
            if report.get("queued"):
                print(f"Reminders: {report['queued']} queued", flush=True)
        except Exception as exc:  # the next hour tries again, as the scheduled function would
            print(f"Reminders run failed: {type(exc).__name__}", flush=True)
        stop.wait(3600)


def configure_env(stack: localstack.Stack, ports: localstack.Ports) -> None:
    localstack.configure_env(stack, f"http://127.0.0.1:{ports.site}")


def snapshot(env=os.environ) -> int:
    """Invoke the nightly snapshot function with a scheduled event, as EventBridge would.

    Against the running `make run` of this clone (found through .local/run.json), or else a
    stack started for it on the configured ports, which must be free.
    """
    record = stackfile.running()
    if record is not None:
        stack, bucket = stackfile.stack_of(record), record["bucket"]
        stackfile.configure_env(record)
        print(f"Using the running stack (site port {record['ports']['site']}).", flush=True)
    else:
        try:
            stopped = stackfile.clear_stale(before_stop=_save_left_running)
        except stackfile.AlreadyRunningError as exc:  # started meanwhile
            print(exc, flush=True)
            return 1
        if stopped:
            print(f"Stopped {' and '.join(NAMES[n] for n in stopped)}, left running by a "
                  "`make run` that was killed.", flush=True)
        ports = localstack.Ports.from_env(env)
        stack, bucket = localstack.Stack(data_dir=LOCAL / "dynamodb", dynamodb_port=ports.dynamodb,
                                         moto_port=ports.moto, log_dir=LOCAL / "logs"), BUCKET
        configure_env(stack, ports)
        try:
            stack.start()
        except localstack.PortInUseError as exc:
            print(ports.in_use_message(exc.port, exc.what), flush=True)
            return 1
    running = record is not None
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
                print(f"  s3://{bucket}/letters/{report['slug']}/snapshots/{report['date']}/"
                      + ("" if running else f"  (saved to .local/s3/{bucket}/)"))
        if not running:
            save_s3()
    finally:
        if not running:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(snapshot() if sys.argv[1:] == ["snapshot"] else serve())
