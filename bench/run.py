"""`make bench`: every benchmark under bench/, one table, and bench/results/latest.json.

Each benchmark measures our figure and its floor side by side in one run (ratios hold on a
noisy machine, absolute times do not) and starts the local stack it needs.

    .venv/bin/python bench/run.py            the full sizes (several minutes)
    .venv/bin/python bench/run.py --tiny     a smoke run (what `make test` checks)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

BENCHES = {  # name → (full arguments, tiny arguments)
    "hot_paths": (["--n", "200", "--rounds", "3"], ["--n", "12", "--rounds", "1"]),
    "cold_import": (["--n", "15"], ["--n", "2"]),
    "snapshot": (["--sizes", "10000,100000", "--repeat", "2"],
                 ["--sizes", "60,120", "--shards", "4", "--repeat", "1"]),
    "delivery_pdf": (["--sizes", "10000,100000"], ["--sizes", "50,200"]),
    "page_weight": ([], []),
    "layout_shift": (["--runs", "5"], ["--runs", "1"]),
    "surge": (["--rate", "10000", "--seconds", "2", "--read-seconds", "60",
               "--send-rates", "14,500", "--mail-seconds", "1", "--throttles", "40"],
              ["--rate", "1000", "--seconds", "1", "--read-seconds", "2",
               "--mail-seconds", "0.3"]),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true", help="smallest sizes: checks that each runs")
    p.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    a = p.parse_args(argv)
    rows, failed = [], []
    for name, (full, tiny) in BENCHES.items():
        if a.only and name not in a.only:
            continue
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = Path(f.name)
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"),
                               *(tiny if a.tiny else full), "--json", str(out)], cwd=ROOT)
        if proc.returncode != 0:
            failed.append(name)
        got = json.loads(out.read_text()) if out.exists() and out.stat().st_size else []
        out.unlink(missing_ok=True)
        for r in got:
            r["bench"], r["seconds"] = name, round(time.perf_counter() - t0, 1)
        rows += got
    machine = {"cores": os.cpu_count(), "python": platform.python_version(),
               "machine": platform.machine(), "system": platform.system(), "tiny": a.tiny}
    print(f"\nMachine: {machine['cores']} cores, Python {machine['python']}, {machine['machine']}"
          f"{' (tiny sizes)' if a.tiny else ''}\n")
    print(f"{'what':<62} {'ours':>10} {'floor':>10} {'unit':<14} {'ratio':>7}  goal")
    for r in rows:
        fmt = lambda v: "" if v is None else f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"  # noqa: E731
        print(f"{r['what'][:62]:<62} {fmt(r['ours']):>10} {fmt(r['floor']):>10} {r['unit']:<14} "
              f"{fmt(r['ratio']):>7}  {r['goal']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    print(f"\nwritten to {(RESULTS / 'latest.json').relative_to(ROOT)}")
    if failed:
        print(f"benchmarks that failed to run: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
