"""Load N synthetic signatures into this clone's running `make run`, as a letter of their
own (`scale-N`), to try the jobs at scale through the organiser page and the CLI:

    make run                                        # in one terminal
    .venv/bin/python bench/load_local.py 1000000    # ≈ 10 min on 2 cores
    .venv/bin/python -m tools.cli export scale-1000000 --format csv
    .venv/bin/python -m tools.cli snapshot-cut scale-1000000
    .venv/bin/python -m tools.cli recount scale-1000000

The signatures are bench/scale.py's (names in nine scripts with their countries, 90%
listed); they carry no sealed address, so an export with emails is not for this letter,
and the mail worker parks each pending one's confirmation (a log line each, ~4% of N).
The stack is found through .local/run.json, like every tool here: never a fixed port.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("n", type=int, help="how many signatures")
    p.add_argument("--slug", help="the letter (default scale-N); refused if it exists")
    a = p.parse_args(argv)
    from tools import stackfile
    record = stackfile.running()
    if record is None:
        print("no `make run` is running in this clone (.local/run.json): start it first",
              file=sys.stderr)
        return 2
    stackfile.configure_env(record)
    from chalicelib import wiring
    import scale
    slug = a.slug or f"scale-{a.n}"
    shards = wiring.get().settings.count_shards
    if wiring.get().store.get_letter(slug) is not None:
        print(f"letter {slug} exists already: choose another --slug", file=sys.stderr)
        return 2
    seconds = scale.load(record["table"], record["bucket"], slug, a.n, shards)
    print(f"loaded {a.n:,} signatures into {slug} in {seconds:.0f} s "
          f"(site http://127.0.0.1:{record['ports']['site']}/admin/)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
