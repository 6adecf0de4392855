"""The delivery PDF benchmark still runs (tiny size; no stack) and reports its rows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_delivery_pdf_runs_tiny(tmp_path):
    rows_file = tmp_path / "rows.json"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "delivery_pdf.py"),
                          "--sizes", "50,200", "--json", str(rows_file)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "largest: 200 names in" in out.stdout
    rows = json.loads(rows_file.read_text())
    assert len(rows) == 4
    for r in rows:
        assert {"what", "ours", "floor", "unit", "ratio", "goal"} <= set(r)
