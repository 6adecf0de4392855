"""Benchmark: the delivery letter as PDF for a long list (no stack: the rows are made here).

    .venv/bin/python bench/delivery_pdf.py                    # 1,000, 10,000 and 100,000 names
    .venv/bin/python bench/delivery_pdf.py --sizes 200        # tiny, as the test suite runs it

Each size runs in a fresh subprocess: wall time, peak RSS (VmHWM), file size and pages; the
floor is the print-ready HTML of the same rows (what the snapshot wrote before the PDF). One
signatory in ten has a Hangul name (the fallback font), one in five is an organisation.

Goal: 100,000 names within the nightly snapshot function's limits (900 s, 1,024 MB), with
room for the rest of the snapshot: under 300 s and 700 MB.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = ["Kim", "Lee", "Park", "Smith", "Dupont", "Müller", "García", "Nowak", "Rossi", "Ng"]
HANGUL = ["김철수", "이영희", "박민준", "최서연", "정하늘"]


def rows(n: int) -> list[dict]:
    out = []
    for i in range(n):
        if i % 5 == 0:
            out.append({"sig_id": f"o{i:025d}", "kind": "organisation",
                        "name": f"Human Rights Association No. {i}", "country": "KR"})
        elif i % 10 == 1:
            out.append({"sig_id": f"h{i:025d}", "kind": "individual",
                        "name": f"{HANGUL[i % 5]}{i}", "affiliation": "북한인권시민연합"})
        else:
            out.append({"sig_id": f"i{i:025d}", "kind": "individual",
                        "name": f"Alex {SURNAMES[i % 10]} {i}",
                        "affiliation": "Researcher, University of Somewhere"})
    out.sort(key=lambda r: r["kind"] != "organisation")   # the letter's order: groups first
    return out


def one(n: int) -> dict:
    from chalicelib import letters
    from chalicelib.exports.delivery_html import iter_delivery_html
    from chalicelib.exports.delivery_pdf import write_delivery_pdf
    from chalicelib.models import Counts
    letter = letters.parse_letter((ROOT / "letters" / "eu-hrc43-dprk" / "letter.md").read_text())
    item = {**letter.model_dump(mode="json"), "body_html": letters.render_body(letter.body)}
    listed = rows(n)
    counts = Counts(organisations=n // 5, individuals=n - n // 5, total=n, countries=1)
    t0 = time.perf_counter()
    html_bytes = sum(len(chunk) for chunk in iter_delivery_html(item, iter(listed), counts))
    html_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    buf = io.BytesIO()
    size = write_delivery_pdf(item, listed, counts, buf)
    seconds = time.perf_counter() - t0
    pages = len(re.findall(rb"/Type /Page\b", buf.getvalue()))
    hwm = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmHWM"))
    return {"n": n, "seconds": round(seconds, 2), "bytes": size, "pages": pages,
            "peak_mb": round(hwm / 1024, 1), "html_seconds": round(html_seconds, 3),
            "html_bytes": html_bytes}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="write the result rows here (bench/run.py)")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    print(f"{'names':>8} {'seconds':>8} {'MB file':>8} {'pages':>6} {'peak MB':>8} "
          f"{'HTML s':>8}")
    worst, results = None, []
    for n in [int(s) for s in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True, cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>8,} {r['seconds']:>8} {r['bytes'] / 1e6:>8.2f} {r['pages']:>6,} "
              f"{r['peak_mb']:>8} {r['html_seconds']:>8}")
        worst = r
        results.append({"what": f"delivery PDF, {n:,} names ({r['pages']:,} pages)",
                        "ours": r["seconds"], "floor": r["html_seconds"], "unit": "s (HTML floor)",
                        "ratio": round(r["seconds"] / max(r["html_seconds"], 1e-3), 1),
                        "goal": "< 300 s and 700 MB at 100,000"})
        results.append({"what": f"delivery PDF, {n:,} names: peak memory", "ours": r["peak_mb"],
                        "floor": None, "unit": "MB", "ratio": None, "goal": "< 700 MB"})
    ok = worst["n"] < 100_000 or (worst["seconds"] < 300 and worst["peak_mb"] < 700)
    print(f"largest: {worst['n']:,} names in {worst['seconds']} s, peak {worst['peak_mb']} MB "
          f"({'within' if ok else 'OVER'} the goal of 300 s and 700 MB at 100,000)")
    if args.json:
        args.json.write_text(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
