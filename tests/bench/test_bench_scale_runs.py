"""The scale benchmark still runs (tiny size; its own stack in a subprocess)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_scale_runs_tiny():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--sizes", "120",
                          "--workers", "1,2", "--shards", "4"],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    for kind in ("snapshot", "export", "recount", "anonymise", "daily ret."):
        assert kind in out.stdout
    assert "projection to 10,000,000 signatures" in out.stdout
    assert "FAILED" not in out.stdout  # a job that fails is reported and the run goes on
