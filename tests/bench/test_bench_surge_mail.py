"""The surge's mail queue (tiny size): the real worker drains it, nothing lost, nothing twice,
and injected SES throttling only makes the mail later."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_surge_mail_queue_drains_every_accepted_sign_on_once_even_when_ses_throttles(tmp_path):
    out = tmp_path / "surge.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "surge.py"), "--rate", "1000",
                           "--seconds", "0.2", "--read-seconds", "1", "--mail-seconds", "0.3",
                           "--send-rates", "14,500", "--throttles", "20", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = {r["what"].split(":")[0]: r["mail"] for r in json.loads(out.read_text()) if "mail" in r}
    assert set(runs) == {"mail queue 14/s", "mail queue 500/s", "mail queue 500/s, 20 SES throttles"}
    for m in runs.values():
        assert m["accepted"] > 0 and m["sent"] == m["accepted"]
        assert m["lost"] == 0 and m["duplicates"] == 0
        assert m["depth"][-1]["due"] == 0
    slow, fast = runs["mail queue 14/s"], runs["mail queue 500/s"]
    throttled = runs["mail queue 500/s, 20 SES throttles"]
    assert slow["drain_seconds"] >= slow["accepted"] / 14
    assert throttled["throttled"] == 20 and throttled["retries"] >= 1
    assert throttled["drain_seconds"] > fast["drain_seconds"]
