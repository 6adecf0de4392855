"""Opening sealed addresses: only for the functions that must write to a signer (the mail
worker) or hand organisers their addresses (export jobs "with emails"). A signature's sealed
address is on its email claim, not on the signature: withdrawal and retention delete the
claim, and the signature stays one write unit (docs/COST.md).

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
from ..storage import Table, keys
from . import box
from .seal import EMAIL, parameter_name

log = logging.getLogger(__name__)


class KeyGone(box.SealError):
    """The letter's key version does not exist (any more): its addresses are shredded."""


class Unsealer:
    """Opens the sealed address a signature's email claim holds (the claim, EMAIL#{slug}#{hash},
    is the mailbox's one signature of the letter; keys.py)."""

    def __init__(self, settings: Settings, clients: Any, store: Table) -> None:
        self.settings = settings
        self.clients = clients  # .kms and .ssm (wiring.KeyClients)
        self.store = store
        self._keys: dict[tuple[str, str], bytes] = {}

    def open(self, slug: str, sig_id: str, sealed: str, public: Optional[str] = None) -> str:
        """A sealed address, opened for this letter's signature `sig_id`; raises box.SealError
        (KeyGone once the letter's keys are shredded). `public`: the letter's current public
        key, checked when the sealed value is of the current version."""
        kid = box.kid_of(sealed)
        return box.open_sealed(self._private(slug, kid, public), sealed, slug, sig_id, EMAIL)

    def email_of(self, letter: dict, sig: dict) -> Optional[str]:
        """The signature's address, or None if it has none (withdrawn, anonymised, imported
        without one): read from its claim, which must still be its own."""
        claim = self.store.get(keys.email_claim_key(letter["slug"], sig["email_hash"])) \
            if sig.get("email_hash") else None
        if not claim or claim.get("sig_id") != sig["sig_id"] or not claim.get("email_sealed"):
            return None
        sealed = claim["email_sealed"]
        current = box.kid_of(sealed) == letter.get("seal_kid")
        return self.open(letter["slug"], sig["sig_id"], sealed,
                         letter.get("seal_public") if current else None)

    def emails_of(self, letter: dict, sigs: list[dict]) -> dict[str, str]:
        """sig_id → address for a page of signatures (one BatchGetItem per 100): exports."""
        wanted = {s["email_hash"]: s["sig_id"] for s in sigs if s.get("email_hash")}
        claims = self.store.batch_get([keys.email_claim_key(letter["slug"], h) for h in wanted])
        out, ids = {}, set(wanted.values())
        for claim in claims:
            sig_id = claim.get("sig_id")
            if sig_id in ids and claim.get("email_sealed"):
                try:
                    out[sig_id] = self.open(letter["slug"], sig_id, claim["email_sealed"])
                except box.SealError as exc:  # one that does not open: left out, and said
                    log.warning("signature %s: its address does not open: %s", sig_id, exc)
        return out

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
