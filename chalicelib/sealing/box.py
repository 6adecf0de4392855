"""The sealed box: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-128-GCM, from `cryptography`. No I/O.

A sealed value is the text `{kid}.{base64url(enc || ciphertext)}`: `kid` names the letter's
key version that opens it. HPKE's `info` binds the letter, the signature and the field, so
a ciphertext copied onto another signature (or into another field) does not open.
"""
from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, \
    NoEncryption

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
FORMAT = b"undersigned/sealed/v1"


class SealError(Exception):
    """A sealed value that does not open: not sealed for this signature, damaged, or its
    key is gone (shredded)."""


def new_kid() -> str:
    return secrets.token_hex(6)


def new_key_pair() -> tuple[bytes, bytes]:
    """(private, public) raw X25519 keys, 32 bytes each."""
    private = X25519PrivateKey.generate()
    return (private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_of(private_raw: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def _info(slug: str, sig_id: str, field: str) -> bytes:
    return b"\x00".join((FORMAT, slug.encode(), sig_id.encode(), field.encode()))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(public_raw: bytes, kid: str, slug: str, sig_id: str, field: str, value: str) -> str:
    public = X25519PublicKey.from_public_bytes(public_raw)
    return f"{kid}.{b64(SUITE.encrypt(value.encode(), public, info=_info(slug, sig_id, field)))}"


def kid_of(sealed: str) -> str:
    kid, sep, _ = sealed.partition(".")
    if not sep or not kid:
        raise SealError("not a sealed value")
    return kid


def open_sealed(private_raw: bytes, sealed: str, slug: str, sig_id: str, field: str) -> str:
    _, _, body = sealed.partition(".")
    try:
        private = X25519PrivateKey.from_private_bytes(private_raw)
        return SUITE.decrypt(unb64(body), private, info=_info(slug, sig_id, field)).decode()
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed value does not open for this signature") from exc
