"""Signature ids and the tokens in confirmation and withdrawal links.

A link's token is the signature's id, a 256-bit secret, then the letter's slug. Fixed
widths make it parseable while staying within [A-Za-z0-9_-]; only the secret's sha256 is
stored (on the signature), so no token item is written or read.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Optional

ID_LEN = 26
SECRET_LEN = 43  # secrets.token_urlsafe(32)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def new_id() -> str:
    """A public signature id: 128 random bits, base32, 26 characters."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def derived_id(*parts: str) -> str:
    """A signature id fixed by its parts (imports: the same row gets the same id)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_salt() -> str:
    """A signature's own random salt for its link secrets (128 bits, base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def derived_secret(key: bytes, sig_id: str, salt: str, purpose: str, n: int = 0) -> str:
    """A link's secret, derived so the mail worker can write the link later without any
    secret being stored: HMAC-SHA256 of the signature's id, its random salt, the link's
    purpose ("confirm", "withdraw") and number. Forging one needs both the key and the
    salt (the item); the item alone holds only the secret's sha256."""
    mac = hmac.new(key, f"link|{sig_id}|{salt}|{purpose}|{n}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")  # 43 characters, as token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What a signature stores of a link's secret: its sha256, base64url (43 characters;
    hex would be 64, and the bytes saved keep a confirmed signature under 1 KB)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode().rstrip("=")


def secret_digests(secret: str) -> tuple[str, str]:
    """The forms a stored hash may take: base64url, and hex (links sent before the change)."""
    return secret_hash(secret), hashlib.sha256(secret.encode()).hexdigest()


def make_token(sig_id: str, secret: str, slug: str) -> str:
    return f"{sig_id}{secret}{slug}"


def parse_token(token: str) -> Optional[tuple[str, str, str]]:
    """(signature id, secret, slug), or None if the token cannot be one."""
    if len(token) <= ID_LEN + SECRET_LEN or not _TOKEN.fullmatch(token):
        return None
    return token[:ID_LEN], token[ID_LEN:ID_LEN + SECRET_LEN], token[ID_LEN + SECRET_LEN:]
