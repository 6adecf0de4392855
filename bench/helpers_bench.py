"""A letter's Markdown for benchmarks (tests/helpers.py's, without importing the tests)."""


def letter_text(slug: str) -> str:
    return f"""---
slug: {slug}
title: "A benchmark letter"
date: 2026-01-15
addressee: "The Addressee"
salutation: "Dear Addressee,"
closing: "Sincerely,"
language: en
organisations_need_approval: false
---

We, {{{{total}}}} signatories, ask for change.
"""
