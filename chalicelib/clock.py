"""Time as the service stores it: one format, one parser, an injectable clock."""
from __future__ import annotations

import datetime as dt
from typing import Callable

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    """UTC, microseconds, "Z": fixed width, so stored times sort as strings."""
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(s: str) -> dt.datetime:
    """Any time this service stored (also the older second-precision form)."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
