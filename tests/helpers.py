"""Small helpers shared by the tests."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.letters import parse_letter

OPEN_LETTER = """---
slug: {slug}
title: "A test letter"
date: 2026-01-15
addressee: "The Addressee"
salutation: "Dear Addressee,"
closing: "Sincerely,"
language: en
organisations_need_approval: {approval}
---

We, {{{{total}}}} signatories from {{{{countries}}}} countries, ask for <b>change</b>.
"""


def make_letter(service, slug: str = "test-letter", approval: bool = False):
    letter = parse_letter(OPEN_LETTER.format(slug=slug, approval=str(approval).lower()))
    service.letters.upsert_letter(letter)
    return letter


def post(client, path: str, body: Any, headers: dict | None = None):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.http.post(path, body=raw, headers={"content-type": "application/json",
                                                     **(headers or {})})


def individual(letter, **kw) -> dict:
    return {"kind": "individual", "name": "Ada Lovelace", "affiliation": "Analyst",
            "country": "GB", "email": "ada@example.org", "consent": True,
            "letter_sha256": letter.text_sha256, **kw}


def organisation(letter, **kw) -> dict:
    return {"kind": "organisation", "name": "Open Society Lab", "country": "KR",
            "email": "office@osl.example", "consent": True, "authorised": True,
            "letter_sha256": letter.text_sha256, **kw}
