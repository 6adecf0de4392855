"""The snapshot benchmark still runs (tiny size; its own stack in a subprocess)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_snapshot_runs_tiny():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "snapshot.py"), "--sizes", "60,120",
                          "--shards", "4", "--repeat", "1"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "snapshot vs bare read" in out.stdout
    assert "worst snapshot/read ratio" in out.stdout and "memory growth" in out.stdout
