"""Every benchmark still runs (tiny sizes): `make test` checks they work, not their figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_at_a_tiny_size_and_reports_its_rows():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--tiny",
                          "--only", "hot_paths", "cold_import", "surge", "page_weight"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rows = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())["rows"]
    benches = {r["bench"] for r in rows}
    assert benches == {"hot_paths", "cold_import", "surge", "page_weight"}
    for r in rows:
        assert {"what", "ours", "floor", "unit", "ratio", "goal"} <= set(r)
