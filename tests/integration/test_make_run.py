"""`make run`, `make snapshot` and the CLI's choice of stack, with real processes and ports.

Each `make run` here is `python -m tools.run` in its own state directory
(UNDERSIGNED_LOCAL_DIR) on free ports, so it never meets a developer's stack.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tools import localstack, run, stackfile

ROOT = localstack.ROOT
SLUG = "eu-hrc43-dprk"
GUARD = 180  # seconds: only so a hang fails the test instead of the whole run; never asserted


def free_base() -> int:
    """A port P with P, P+1 and P+2 free (as PORT=P uses them)."""
    for _ in range(50):
        base = localstack.free_port()
        if base < 65000 and all(localstack.port_free(p, "0.0.0.0") for p in range(base, base + 3)):
            return base
    raise RuntimeError("no three free ports in a row")


def held_port(port: int) -> socket.socket:
    """Really take `port` on 127.0.0.1, as another stack's server would."""
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen()
    return s


class Run:
    """One `python -m tools.run [snapshot]` process and its console."""

    def __init__(self, local: Path, *args: str, **env: str) -> None:
        self.local = local
        self.lines: "queue.Queue[str | None]" = queue.Queue()
        self.output = ""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.run", *args], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "UNDERSIGNED_LOCAL_DIR": str(local), **env})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str) -> bool:
        """Read the console until `text` appears (True) or the process ends (False)."""
        while True:
            line = self.lines.get(timeout=GUARD)
            if line is None:
                return False
            self.output += line
            if text in line:
                return True

    def finish(self) -> int:
        self.wait_for("\0never")
        return self.proc.wait(timeout=GUARD)

    def record(self) -> dict:
        return json.loads((self.local / "run.json").read_text())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def runs(tmp_path):
    started: list[Run] = []

    def start(*args: str, **env: str) -> Run:
        r = Run(tmp_path / "local", *args, **env)
        started.append(r)
        return r
    yield start
    for r in started:  # a failed test must not leave a stack behind: stop what it recorded
        r.kill()
        rec = stackfile.read(r.local / "run.json")
        for child in (rec or {}).get("children", {}).values():
            if child:
                stackfile.stop_recorded(child)


# ---- ports -------------------------------------------------------------------------

def test_port_moves_the_whole_stack_unless_one_is_set_on_its_own():
    p = localstack.Ports.from_env({"PORT": "8100"})
    assert (p.site, p.dynamodb, p.moto) == (8100, 8101, 8102)
    p = localstack.Ports.from_env({"PORT": "8100", "MOTO_PORT": "9002"})
    assert (p.site, p.dynamodb, p.moto) == (8100, 8101, 9002)
    assert "MOTO_PORT" in p.in_use_message(9002, "moto server")
    assert "PORT=" in p.in_use_message(8101, "DynamoDB Local")
    p = localstack.Ports.from_env({})
    assert (p.site, p.dynamodb, p.moto) == (8000, 8001, 8002)


def test_make_run_refuses_a_dynamodb_port_another_process_holds(runs):
    base = free_base()
    with held_port(base + 1):
        r = runs(PORT=str(base))
        assert r.finish() == 1
    assert f"Port {base + 1} (DynamoDB Local) is already in use" in r.output
    assert f"PORT={base + 100} gives" in r.output  # the one setting that moves the stack
    assert "Undersigned is running" not in r.output
    assert not (r.local / "run.json").exists()


def test_make_run_refuses_a_taken_moto_port_and_names_its_own_setting(runs):
    base, moto = free_base(), localstack.free_port()
    with held_port(moto):
        r = runs(PORT=str(base), MOTO_PORT=str(moto))
        assert r.finish() == 1
    assert f"Port {moto} (moto server) is already in use" in r.output and "MOTO_PORT" in r.output


def test_make_run_refuses_a_taken_site_port(runs):
    base = free_base()
    with held_port(base):
        r = runs(PORT=str(base))
        assert r.finish() == 1
    assert f"Port {base} (the site) is already in use" in r.output


def test_a_server_that_answers_is_not_taken_for_a_child_that_could_not_bind():
    """The port answers (another stack), but our child failed to bind and exits: refused."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    other = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = other.server_address[1]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    child = subprocess.Popen([sys.executable, "-c", "import socket; socket.socket().bind("
                              f"('127.0.0.1', {port}))"], stderr=subprocess.DEVNULL)
    try:
        with pytest.raises(RuntimeError, match="exited with code 1"):
            localstack.wait_ready(f"http://127.0.0.1:{port}/", child, port, "the child")
    finally:
        other.shutdown()
        other.server_close()
        child.wait()


# ---- stopping ----------------------------------------------------------------------

def s3_client(port: int):
    import boto3
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_a_burst_of_sigterms_stops_it_once_and_saves_s3(runs):
    """make passes SIGTERM on, so several arrive at once; each used to re-enter Event.set."""
    base = free_base()
    r = runs(PORT=str(base))
    assert r.wait_for("Press Ctrl-C"), r.output
    children = r.record()["children"]
    s3_client(base + 2).put_object(Bucket=localstack.BUCKET, Key="a.txt", Body=b"kept")
    for _ in range(20):
        os.kill(r.proc.pid, signal.SIGTERM)
    assert r.finish() == 0
    assert (r.local / "s3" / localstack.BUCKET / "a.txt").read_bytes() == b"kept"
    assert not (r.local / "run.json").exists()
    assert not any(stackfile.alive_as_recorded(c) for c in children.values())


def test_after_kill_9_the_next_run_stops_the_orphans_and_keeps_their_s3_objects(runs):
    base = free_base()
    first = runs(PORT=str(base))
    assert first.wait_for("Press Ctrl-C"), first.output
    orphans = first.record()["children"]
    s3 = s3_client(base + 2)
    s3.put_object(Bucket=localstack.BUCKET, Key="written/after-the-last-stop.txt", Body=b"kept")
    first.proc.kill()  # kill -9: no clean-up; DynamoDB Local and moto keep running
    first.proc.wait()
    assert all(stackfile.alive_as_recorded(c) for c in orphans.values())

    second = runs(PORT=str(base))
    assert second.wait_for("Press Ctrl-C"), second.output
    assert "left running by a `make run` that was killed" in second.output
    assert not any(stackfile.alive_as_recorded(c) for c in orphans.values())
    mine = second.record()["children"]
    assert all(stackfile.alive_as_recorded(c) for c in mine.values())
    assert localstack.holds_port(mine["moto"]["pid"], base + 2)
    body = s3.get_object(Bucket=localstack.BUCKET, Key="written/after-the-last-stop.txt")["Body"]
    assert body.read() == b"kept"
    second.proc.send_signal(signal.SIGINT)
    assert second.finish() == 0


def _client(service: str, port: int):
    import boto3
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _letter_key_opens(base: int) -> bool:
    """The example letter's private key unwraps with this stack's KMS and is the half of the
    public key its item seals with: its sealed addresses can be opened."""
    from chalicelib.sealing import box
    letter = _client("dynamodb", base + 1).get_item(
        TableName=localstack.TABLE, Key={"PK": {"S": "LETTERS"}, "SK": {"S": SLUG}})["Item"]
    kid, public = letter["seal_kid"]["S"], letter["seal_public"]["S"]
    where = f"/undersigned/local/letter-keys/{SLUG}/{kid}"
    stored = json.loads(_client("ssm", base + 2).get_parameter(Name=where)["Parameter"]["Value"])
    private = _client("kms", base + 2).decrypt(
        CiphertextBlob=box.unb64(stored["wrapped"]), KeyId="alias/undersigned-signer-data",
        EncryptionContext={"letter": SLUG, "kid": kid})["Plaintext"]
    return box.public_of(private) == box.unb64(public)


def test_letters_keys_survive_a_restart_so_their_sealed_addresses_still_open(runs):
    """moto keeps KMS and SSM in memory: the keys are saved on stop and put back on start."""
    base = free_base()
    first = runs(PORT=str(base))
    assert first.wait_for("Press Ctrl-C"), first.output
    assert _letter_key_opens(base)
    first.proc.send_signal(signal.SIGINT)
    assert first.finish() == 0
    assert (first.local / "keys" / "letter-keys.json").stat().st_mode & 0o777 == 0o600
    second = runs(PORT=str(base))
    assert second.wait_for("Press Ctrl-C"), second.output
    assert _letter_key_opens(base)
    second.proc.send_signal(signal.SIGINT)
    assert second.finish() == 0


def test_stale_record_stops_only_processes_that_are_provably_ours(tmp_path):
    path = tmp_path / "run.json"
    ours = subprocess.Popen(["sleep", "600"])
    someone_elses = subprocess.Popen(["sleep", "601"])
    try:
        stackfile.write(path, localstack.Ports(), {"moto": ours.pid, "dynamodb": someone_elses.pid},
                        table="t", bucket="b")
        record = json.loads(path.read_text())
        record["run"]["pid"] = ours.pid  # the run itself is gone (its PID is now a sleep)
        record["children"]["dynamodb"]["cmdline"] = ["java", "-jar", "DynamoDBLocal.jar"]  # PID reused
        path.write_text(json.dumps(record))
        assert stackfile.clear_stale(path) == ["moto"]
        assert ours.wait() == -signal.SIGTERM
        assert someone_elses.poll() is None and not path.exists()
    finally:
        for p in (ours, someone_elses):
            p.kill()
            p.wait()


def test_a_running_make_run_is_not_mistaken_for_a_stale_one(tmp_path):
    path = tmp_path / "run.json"
    stackfile.write(path, localstack.Ports(), {}, table="t", bucket="b")  # this process: alive
    with pytest.raises(stackfile.AlreadyRunningError, match="already running"):
        stackfile.clear_stale(path)
    assert path.exists()


# ---- finding the stack: CLI and make snapshot --------------------------------------

def record_live_site(local: Path, live_site, stack) -> None:
    """A run.json for the test's own stack, as if `make run` served it (this process runs it)."""
    ports = localstack.Ports(int(live_site.url.rsplit(":", 1)[1]), stack.dynamodb_port, stack.moto_port)
    stackfile.write(local / "run.json", ports, {}, table=live_site.settings.table_name,
                    bucket=live_site.bucket)


def cli(local: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "UNDERSIGNED_API")}
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=GUARD,
                          env={**clean, "UNDERSIGNED_LOCAL_DIR": str(local), **env})


def test_cli_finds_its_stack_from_run_json_not_port_8000(live_site, stack, tmp_path):
    record_live_site(tmp_path, live_site, stack)
    token = live_site.service.organisers.create("CLI test", []).token
    out = cli(tmp_path, "queue", SLUG, "--state", "listed", UNDERSIGNED_TOKEN=token, PORT="9")
    assert out.returncode == 0, out.stderr
    assert "35 signature(s)" in out.stderr and "Open North Korea" in out.stdout


def test_snapshot_commands_use_the_recorded_stack_with_or_without_api(live_site, stack, tmp_path):
    record_live_site(tmp_path, live_site, stack)
    made = cli(tmp_path, "--api", f"{live_site.url}/api", "snapshots", "run", "--slug", SLUG)
    assert made.returncode == 0, made.stderr
    [report] = json.loads(made.stdout)
    assert report["status"] == "complete"
    verified = cli(tmp_path, "--api", f"{live_site.url}/api", "snapshots", "verify", SLUG,
                   report["date"])
    assert verified.returncode == 0 and "every file matches" in verified.stdout, verified.stderr


def test_load_local_fills_a_letter_of_its_own_in_the_recorded_stack(live_site, stack, tmp_path):
    """bench/load_local.py: signatures for trying the jobs at scale on `make run`, in their
    own letter (the example's untouched), which the jobs then read like any other."""
    record_live_site(tmp_path, live_site, stack)
    env = {k: v for k, v in os.environ.items() if k != "TABLE_NAME"}
    env["UNDERSIGNED_LOCAL_DIR"] = str(tmp_path)
    load = [sys.executable, str(ROOT / "bench" / "load_local.py"), "240"]
    out = subprocess.run(load, cwd=ROOT, env=env, text=True, capture_output=True, timeout=GUARD)
    assert out.returncode == 0, out.stderr
    assert "loaded 240 signatures into scale-240" in out.stdout
    again = subprocess.run(load, cwd=ROOT, env=env, text=True, capture_output=True, timeout=GUARD)
    assert again.returncode == 2 and "exists already" in again.stderr
    token = live_site.service.organisers.create("CLI test", []).token
    counted = cli(tmp_path, "recount", "scale-240", UNDERSIGNED_TOKEN=token)
    assert counted.returncode == 0, counted.stderr
    assert "drift: none" in counted.stdout
    listed = cli(tmp_path, "queue", "scale-240", "--state", "listed", UNDERSIGNED_TOKEN=token)
    assert listed.returncode == 0, listed.stderr
    assert " signature(s)" in listed.stderr and "0 signature(s)" not in listed.stderr
    example = cli(tmp_path, "queue", SLUG, "--state", "listed", UNDERSIGNED_TOKEN=token)
    assert "35 signature(s)" in example.stderr


def test_snapshot_commands_without_a_stack_say_so_instead_of_a_traceback(tmp_path):
    out = cli(tmp_path, "--api", "http://127.0.0.1:9/api", "snapshots", "verify", SLUG, "2026-12-01")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "make run" in out.stderr and "TABLE_NAME" in out.stderr


def test_make_snapshot_uses_the_ports_run_json_records(live_site, stack, runs, tmp_path):
    record_live_site(tmp_path / "local", live_site, stack)
    base = free_base()
    with held_port(base + 1):  # what PORT would point at is another stack: never used
        r = runs("snapshot", PORT=str(base))
        assert r.finish() == 0, r.output
    assert "Using the running stack" in r.output and f"{SLUG}: complete" in r.output


def test_make_snapshot_without_a_running_stack_refuses_a_taken_port(runs):
    base = free_base()
    with held_port(base + 2):
        r = runs("snapshot", PORT=str(base))
        assert r.finish() == 1
    assert f"Port {base + 2} (moto server) is already in use" in r.output


def test_the_banner_shows_the_readme_alias():
    readme = (ROOT / "README.md").read_text()
    assert run.CLI_ALIAS in readme
    text = run.banner(url="http://127.0.0.1:8000", slug=SLUG, new_token=False, restored=0,
                      added=0, stack=localstack.Stack(dynamodb_port=8001, moto_port=8002))
    assert run.CLI_ALIAS in text and f"us queue {SLUG}" in text


def test_secrets_are_written_mode_600(tmp_path):
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    localstack.write_secret(path, "new")
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == "new\n"
    key = localstack.secret_file(tmp_path / "key")
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600 and len(key) > 20
