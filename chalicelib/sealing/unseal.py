"""Opening sealed addresses: only for the functions that must write to a signer (the mail
worker) or hand organisers their addresses (export jobs "with emails").

A letter's private key version is unwrapped once per process (`ssm:GetParameter`, then
`kms:Decrypt` with the letter and version as encryption context, which CloudTrail records
as one audited event per function instance and key), then kept in memory. Its public half
is checked against the letter's item, so a public key put there by someone else (who would
read the addresses sealed to it) is noticed and refused.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from ..settings import Settings
from . import box
from .seal import EMAIL, parameter_name

log = logging.getLogger(__name__)


class KeyGone(box.SealError):
    """The letter's key version does not exist (any more): its addresses are shredded."""


class Unsealer:
    def __init__(self, settings: Settings, clients: Any) -> None:
        self.settings = settings
        self.clients = clients  # .kms and .ssm (wiring.KeyClients)
        self._keys: dict[tuple[str, str], bytes] = {}

    def email(self, sig: dict) -> Optional[str]:
        """The signature's address, or None if it has none (withdrawn, anonymised, imported
        without one). Raises box.SealError if it does not open."""
        sealed = sig.get("email_sealed")
        if not sealed:
            return None
        slug = sig["letter"]
        return box.open_sealed(self._private(slug, box.kid_of(sealed), None),
                               sealed, slug, sig["sig_id"], EMAIL)

    def email_of(self, letter: dict, sig: dict) -> Optional[str]:
        """As `email`, checking the current key version against the letter's item."""
        sealed = sig.get("email_sealed")
        if sealed and box.kid_of(sealed) == letter.get("seal_kid"):
            self._private(letter["slug"], letter["seal_kid"], letter.get("seal_public"))
        return self.email(sig)

    def _private(self, slug: str, kid: str, public: Optional[str]) -> bytes:
        cached = self._keys.get((slug, kid))
        if cached is None:
            try:
                found = self.clients.ssm.get_parameter(Name=parameter_name(self.settings, slug, kid))
            except self.clients.ssm.exceptions.ParameterNotFound:
                raise KeyGone(f"letter {slug}: key version {kid} is gone") from None
            stored = json.loads(found["Parameter"]["Value"])
            cached = self.clients.kms.decrypt(CiphertextBlob=box.unb64(stored["wrapped"]),
                                       KeyId=self.settings.seal_kms_key,
                                       EncryptionContext={"letter": slug, "kid": kid})["Plaintext"]
            if box.public_of(cached) != box.unb64(stored["public"]):
                raise box.SealError(f"letter {slug}: key version {kid} does not match its record")
            self._keys[(slug, kid)] = cached
            log.info("letter %s: key version %s unwrapped", slug, kid)
        if public is not None and box.public_of(cached) != box.unb64(public):
            log.error("letter %s: the public key on the letter is not key version %s's", slug, kid)
            raise box.SealError(f"letter {slug}: the letter's public key is not its own")
        return cached

    def forget(self, slug: str) -> None:
        for k in [k for k in self._keys if k[0] == slug]:
            del self._keys[k]
