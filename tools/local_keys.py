"""The local stack's letter keys across restarts of `make run`.

moto server keeps its KMS key and its SSM parameters in memory only, and a KMS key's material
cannot be exported, so a restart would leave every sealed address of `.local/dynamodb`
unopenable. As S3's objects are, the letters' key pairs are saved when the stack stops and
put back when it starts: unwrapped by the old moto KMS into `.local/keys/letter-keys.json`
(mode 600, like `.local/email-hash-key`), wrapped again by the new one. This is the local
stack's convenience only: in AWS the private keys are never out of KMS's wrapping, and a
key the retention job destroyed is gone (locally, one destroyed after the last save stays
out of the file only once the stack has been saved again).
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from chalicelib.sealing import box
from tools.localstack import LOCAL, write_secret

KEYS_FILE = LOCAL / "keys" / "letter-keys.json"


@dataclass(frozen=True)
class Where:
    """The two settings these need (chalicelib.settings names them); the environment's or
    their defaults, so a killed run's stack can be saved before any settings exist."""
    seal_key_path: str
    seal_kms_key: str

    @classmethod
    def from_env(cls, env=os.environ) -> "Where":
        from chalicelib.settings import Settings
        fields = Settings.model_fields
        return cls(env.get("SEAL_KEY_PATH", fields["seal_key_path"].default),
                   env.get("SEAL_KMS_KEY", fields["seal_kms_key"].default))


def _clients():
    from chalicelib.wiring import boto_client
    return boto_client("kms"), boto_client("ssm")


def _context(settings, name: str) -> dict:
    slug, kid = name[len(settings.seal_key_path.rstrip("/")) + 1:].split("/")
    return {"letter": slug, "kid": kid}


def save(settings: Where) -> int:
    """Every letter key of the running stack, unwrapped, into KEYS_FILE; how many."""
    kms, ssm = _clients()
    saved = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=settings.seal_key_path.rstrip("/"), Recursive=True):
        for p in page["Parameters"]:
            stored = json.loads(p["Value"])
            wrapped = box.unb64(stored["wrapped"])
            private = kms.decrypt(CiphertextBlob=wrapped, KeyId=settings.seal_kms_key,
                                  EncryptionContext=_context(settings, p["Name"]))["Plaintext"]
            saved[p["Name"]] = {"public": stored["public"], "created_at": stored.get("created_at"),
                                "private": base64.b64encode(private).decode()}
    write_secret(KEYS_FILE, json.dumps(saved, indent=1, sort_keys=True))
    return len(saved)


def restore(settings: Where) -> int:
    """Put the saved letter keys back, wrapped by this stack's KMS key; how many."""
    if not KEYS_FILE.exists():
        return 0
    kms, ssm = _clients()
    saved = json.loads(KEYS_FILE.read_text())
    for name, entry in saved.items():
        wrapped = kms.encrypt(KeyId=settings.seal_kms_key,
                              Plaintext=base64.b64decode(entry["private"]),
                              EncryptionContext=_context(settings, name))["CiphertextBlob"]
        value = {"public": entry["public"], "created_at": entry.get("created_at"),
                 "wrapped": box.b64(wrapped)}
        ssm.put_parameter(Name=name, Value=json.dumps(value), Type="String", Overwrite=True)
    return len(saved)
