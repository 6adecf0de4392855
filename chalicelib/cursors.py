"""Page cursors: opaque to callers, checked on the way back in (a forged one is a 422).

The public list's cursor is the last sort key of a page ("v1:" + GSI1SK); an organiser
cursor is a small JSON object whose keys and types are fixed by the caller.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Optional

from .errors import ValidationFailedError

PUBLIC_KEY = re.compile(r"[12]#.*#[a-z2-7]{26}", re.S)


def bad_cursor() -> ValidationFailedError:
    return ValidationFailedError(fields=[{"loc": ["query", "cursor"], "type": "invalid_cursor"}])


def _b64decode(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def encode_public(sort_key_value: str) -> str:
    return base64.urlsafe_b64encode(f"v1:{sort_key_value}".encode()).decode().rstrip("=")


def decode_public(cursor: str) -> str:
    try:
        raw = _b64decode(cursor).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    # A cursor is the last sort key of a page: "{1|2}#{sortkey}#{26-char id}".
    # (DynamoDB refuses a sort key over 1,024 bytes: so does this.)
    if not raw.startswith("v1:") or len(raw[3:].encode()) > 1024 \
            or not PUBLIC_KEY.fullmatch(raw[3:]):
        raise bad_cursor()
    return raw[3:]


def encode(value: Optional[dict]) -> Optional[str]:
    if value is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def decode(cursor: Optional[str], shape: dict[str, type]) -> dict:
    """Decode a cursor and check it has exactly the expected keys and types (else 422)."""
    if not cursor:
        return {}
    try:
        value = json.loads(_b64decode(cursor))
        ok = isinstance(value, dict) and set(value) == set(shape) and all(
            isinstance(value[k], t) for k, t in shape.items())
    except Exception:
        ok = False
    if not ok:
        raise bad_cursor()
    return value
