"""Log redaction, the second line of defence: what a log line must never carry."""
from __future__ import annotations

import pytest

from chalicelib.logs import redact


@pytest.mark.parametrize("text, expected", [
    ("from 203.0.113.7 at", "from [ip] at"),
    ("from 2001:db8::1 at", "from [ip] at"),
    ("from ::1 at", "from [ip] at"),
    ("peer fe80::1ff:fe23:4567:890a.", "peer [ip]."),
    ("peer 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "peer [ip]"),
    ("to ada@example.org failed", "to [email] failed"),
    ("GET /x?email=ada%40example.org", "GET /x?email=[email]"),
    ("token us_" + "a" * 43, "token [token]"),
])
def test_addresses_emails_and_tokens_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "snapshot at 23:30:00 took 12:30.5 s",
    "retention eu-hrc43-dprk: 3 pending deleted, 0 anonymised",
    "TransactionConflict reasons ['None', 'ConditionalCheckFailed']",
    "std::vector and Class::method",
])
def test_ordinary_log_text_is_left_alone(text):
    assert redact(text) == text
