"""Sealing a signer's address with the letter's public key: what the public API may do.

The letter's item holds its current key version (`seal_kid`) and public key (`seal_public`);
sealing needs nothing else, so a sign-on makes no KMS call. A letter without a key gets one
on its first use (`ensure`): a fresh X25519 key pair whose private half is wrapped at once
by KMS (`kms:Encrypt`, with the letter and version as encryption context) and stored in
SSM Parameter Store under `{SEAL_KEY_PATH}/{slug}/{kid}`, never in the table. The private
half is in this process's memory only for that moment. `rotate` makes a new version for new
signatures; the old ones stay readable until the letter's keys are shredded.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from ..clock import Clock, iso
from ..letter_service import LetterService
from ..settings import Settings
from ..storage import Table, Update, absent, eq, keys

log = logging.getLogger(__name__)
EMAIL = "email"  # the sealed field's name, bound into its ciphertext


def parameter_name(settings: Settings, slug: str, kid: str = "") -> str:
    return f"{settings.seal_key_path.rstrip('/')}/{slug}/{kid}"


class LetterSealer:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, clients: Any,
                 clock: Clock) -> None:
        self.settings, self.store, self.letters, self.clock = settings, store, letters, clock
        self.clients = clients  # .kms and .ssm (wiring.KeyClients)

    def seal_email(self, letter: dict, sig_id: str, email: str) -> tuple[dict, str]:
        """(the letter, possibly with its new key; the sealed address)."""
        from . import box  # on first use: a request that seals nothing never loads OpenSSL
        if not letter.get("seal_kid"):
            letter = self.ensure(letter["slug"])
        sealed = box.seal(box.unb64(letter["seal_public"]), letter["seal_kid"], letter["slug"],
                          sig_id, EMAIL, email)
        return letter, sealed

    def ensure(self, slug: str) -> dict:
        """The letter's item with a sealing key (made now if it has none)."""
        letter = self.letters.letter_item(slug, fresh=True)
        if letter.get("seal_kid"):
            return letter
        return self._new_version(letter, absent("seal_kid"))

    def rotate(self, slug: str) -> dict:
        """A new key version for new signatures; the old versions keep opening theirs."""
        letter = self.letters.letter_item(slug, fresh=True)
        if not letter.get("seal_kid"):
            return self._new_version(letter, absent("seal_kid"))
        return self._new_version(letter, eq("seal_kid", letter["seal_kid"]))

    def _new_version(self, letter: dict, condition) -> dict:
        from . import box
        slug, kid = letter["slug"], box.new_kid()
        private, public = box.new_key_pair()
        wrapped = self.clients.kms.encrypt(KeyId=self.settings.seal_kms_key, Plaintext=private,
                                    EncryptionContext={"letter": slug, "kid": kid})
        del private
        value = json.dumps({"public": box.b64(public),
                            "wrapped": box.b64(wrapped["CiphertextBlob"]),
                            "created_at": iso(self.clock())})
        self.clients.ssm.put_parameter(Name=parameter_name(self.settings, slug, kid), Value=value,
                                Type="String", Overwrite=False)
        # The letter's item decides which version is current; a parallel first use that
        # lost leaves an unused parameter, which the letter's shredding deletes with the rest.
        self.store.update(keys.letter_key(slug),
                          Update(set={"seal_kid": kid, "seal_public": box.b64(public),
                                      "seal_since": iso(self.clock())}),
                          condition=condition)
        self.letters.forget_letter(slug)
        log.info("letter %s: sealing key version %s", slug, kid)
        return self.letters.letter_item(slug, fresh=True)
