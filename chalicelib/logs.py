"""Log hygiene: no email address, token or IP reaches a log line.

Our own code never logs them; this is the second line, for messages we do not write
(a traceback's exception text, a library's debug line). Records are redacted as they
are created, so every handler (CloudWatch, the console, a test's capture) sees only the
redacted text.
"""
from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[^\s@<>\"'(),;:]{2,}"), "[email]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
    (re.compile(r"[^\s@<>\"'(),;:%=?&/]+%40[^\s@<>\"'(),;:%=?&/]+\.[A-Za-z]{2,}"),
     "[email]"),  # in a URL
    # IPv6 with "::" (2001:db8::1, ::1, fe80::1ff:fe23:4567:890a); a time (12:30:45) has none
    (re.compile(r"(?<![0-9A-Za-z:])(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::"
                r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?(?![0-9A-Za-z:])"), "[ip]"),
    (re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b"), "[ip]"),
    (re.compile(r"\bus_[A-Za-z0-9_-]{20,}"), "[token]"),
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{60,}"), "[token]"),  # link tokens
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    message = record.getMessage()
    if record.exc_info:
        message += "\n" + logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    record.msg, record.args, record.exc_text = redact(message), (), None
    return record


_installed = False


def install() -> None:
    """Redact every log record as it is created, whichever logger creates it."""
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _redact_record(base(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
