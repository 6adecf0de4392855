"""The update benchmark still runs (tiny size; its own stack in a subprocess): the reach, the
fan-out's count and an independent recount agree (the script fails if they do not)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_updates_runs_tiny():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "updates.py"), "--sizes", "300",
                          "--workers", "1", "--shards", "4"],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    row = out.stdout.strip().splitlines()[-1].split("|")
    assert row[3].strip() == row[4].strip()  # the reach equals the recount
