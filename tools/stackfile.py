"""`.local/run.json`: which `make run` is running here, on which ports, with which children.

`make run` writes it as soon as each child process exists and removes it when it stops.
`make snapshot` and the CLI read it to find their own stack (never a fixed port), and the
next `make run` reads it to tell a stack that is running from one left behind by a
`kill -9`. A process counts as ours only while its PID still has the identity recorded
(command line and start time, from /proc), so a PID reused by another program is never
signalled. Where /proc is missing nothing counts as ours, and the port checks refuse.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Callable, Optional

from tools import localstack

RUN_FILE = localstack.LOCAL / "run.json"


class AlreadyRunningError(RuntimeError):
    """This clone's `make run` is running (its record's process is alive and ours)."""

    def __init__(self, record: dict) -> None:
        super().__init__(f"`make run` is already running here (PID {record['run']['pid']}, "
                         f"site on port {record['ports']['site']}): stop it first.")
        self.record = record


def identity(pid: int) -> Optional[dict]:
    """What makes process `pid` this process: its command line and start time (None: gone)."""
    for _ in range(200):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        if stat[0] == "Z":
            return None  # it has exited
        if cmdline:
            # field 22 of proc(5), the start time, counted after "pid (comm)"
            return {"pid": pid, "start": stat[19],
                    "cmdline": [a.decode(errors="replace") for a in cmdline.split(b"\0")[:-1]]}
        time.sleep(0.01)  # just spawned: exec has not set the new command line yet
    return None


def alive_as_recorded(recorded: dict) -> bool:
    """True if the recorded process still runs as itself (not a reused PID)."""
    return identity(recorded["pid"]) == recorded


def write(path: Path, ports: localstack.Ports, procs: dict, *, table: str, bucket: str) -> None:
    """Record this process and its children {name: pid} (atomically: a reader never sees half)."""
    record = {"run": identity(os.getpid()),
              "ports": {"site": ports.site, "dynamodb": ports.dynamodb, "moto": ports.moto},
              "table": table, "bucket": bucket,
              "children": {name: identity(pid) for name, pid in procs.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)


def read(path: Path = RUN_FILE) -> Optional[dict]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("run"), dict) else None


def running(path: Path = RUN_FILE) -> Optional[dict]:
    """The record of the `make run` that is running here, or None."""
    record = read(path)
    return record if record is not None and alive_as_recorded(record["run"]) else None


def stop_recorded(recorded: dict, timeout: float = 10.0) -> bool:
    """Stop a process we started earlier (not our child any more); False if it was not ours."""
    if not alive_as_recorded(recorded):
        return False
    os.kill(recorded["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive_as_recorded(recorded):
        if time.monotonic() > deadline:
            os.kill(recorded["pid"], signal.SIGKILL)
            deadline += timeout
        time.sleep(0.1)
    return True


def clear_stale(path: Path = RUN_FILE,
                before_stop: Optional[Callable[[dict], None]] = None) -> list[str]:
    """Clean up after a `make run` that was killed: stop the children it left, remove its record.

    Only processes that are provably ours are stopped (see `identity`); returns their names.
    `before_stop(record)` runs first when any is still alive (to save moto's S3 objects).
    Raises AlreadyRunningError if the recorded `make run` is itself still running.
    """
    record = read(path)
    if record is None:
        path.unlink(missing_ok=True)  # unreadable: nothing in it can be proved ours
        return []
    if alive_as_recorded(record["run"]):
        raise AlreadyRunningError(record)
    left = {name: child for name, child in (record.get("children") or {}).items()
            if child and alive_as_recorded(child)}
    if left and before_stop is not None:
        try:
            before_stop(record)
        except Exception as exc:  # never keep orphans running because saving failed
            print(f"Could not save from the stack left running: {type(exc).__name__}", flush=True)
    stopped = [name for name, child in left.items() if stop_recorded(child)]
    path.unlink(missing_ok=True)
    return stopped


def stack_of(record: dict) -> localstack.Stack:
    """The (already running) stack a record describes, to point clients at."""
    return localstack.Stack(dynamodb_port=record["ports"]["dynamodb"],
                            moto_port=record["ports"]["moto"])


def configure_env(record: dict) -> None:
    """Point the app in this process at the recorded stack, its table and bucket."""
    localstack.configure_env(stack_of(record), f"http://127.0.0.1:{record['ports']['site']}",
                             table=record["table"], bucket=record["bucket"])
