"""Cold import: `import app` in a fresh process beside `import boto3` in a fresh process.

Also checks that importing the app creates no AWS client (they are built on first use).

    .venv/bin/python bench/cold_import.py [--n 15] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = ("import app, sys; from chalicelib import wiring; "
         "assert wiring._services is None and wiring._s3 is None, 'a client was built at import'; "
         "assert 'boto3' not in sys.modules, 'boto3 imported at import time'")


def timed(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - t0


def run(n: int) -> list[dict]:
    subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, check=True)
    base = timed("pass")  # interpreter start-up, the same in both
    ours, boto = [], []
    for _ in range(n):  # interleaved, so load on the machine hits both alike
        ours.append(timed("import app"))
        boto.append(timed("import boto3"))
    o, b = statistics.median(ours), statistics.median(boto)
    return [{"what": "cold import: import app vs import boto3", "ours": round(o * 1000, 1),
             "floor": round(b * 1000, 1), "unit": "ms", "ratio": round(o / b, 3),
             "goal": "≤ 1.15", "note": f"fresh processes, median of {n}; bare interpreter "
                                       f"{base * 1000:.0f} ms; no AWS client at import"}]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=15)
    p.add_argument("--json")
    a = p.parse_args(argv)
    rows = run(a.n)
    for r in rows:
        print(f"{r['what']}: {r['ours']} ms vs {r['floor']} ms → {r['ratio']}× (goal {r['goal']}); {r['note']}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
