"""The import route through the app: its own body limit, the one error shape naming the row
and column, and a dry run that stores nothing."""
from __future__ import annotations

import base64
import json

from helpers import make_letter, post


def body(csv: bytes, **kw) -> dict:
    return {"format": "csv", "content": base64.b64encode(csv).decode(),
            "mapping": {"name": "name", "kind": "kind"}, "source": "paper", **kw}


def test_an_import_larger_than_other_organiser_bodies_is_taken(client, service):
    token = service.organisers.create("t", []).token
    make_letter(service, "imp-letter")
    big = body(b"name,kind,note\r\n" + b"".join(b"P%d Q,individual,%s\r\n" % (i, b"n" * 150)
                                                 for i in range(1500)))
    assert len(json.dumps(big)) > service.settings.max_admin_body_bytes
    resp = post(client, "/admin/letters/imp-letter/imports", big, {"authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.body
    report = json.loads(resp.body)
    assert report["dry_run"] and report["accepted"] == 1500 and report["added"] == 0
    assert service.letters.get_letter("imp-letter").counts.total == 0


def test_a_malformed_row_is_a_422_naming_the_row_and_column(client, service):
    token = service.organisers.create("t", []).token
    make_letter(service, "imp-bad")
    resp = post(client, "/admin/letters/imp-bad/imports",
                body(b"name,kind\r\nA B,individual\r\nC D,individual,surplus\r\n", dry_run=False),
                {"authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    error = json.loads(resp.body)["error"]
    assert error["fields"] == [{"loc": ["body", "content", "row 3", "column C"],
                                "type": "extra_cells"}]
    assert error["message"].startswith("Row 3, column C:")
    assert service.letters.get_letter("imp-bad").counts.total == 0
