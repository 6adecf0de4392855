"""In-memory stand-ins for the two AWS services that hold letters' keys (KMS wraps, SSM
Parameter Store keeps), for the in-memory store's tests: the same calls the code makes on
boto3's clients, with the same failures. The wrapping is real AES-GCM under a key that
lives only in this object, with the encryption context bound as associated data."""
from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class _Errors:
    class ParameterNotFound(Exception):
        pass

    class ParameterAlreadyExists(Exception):
        pass

    class InvalidCiphertextException(Exception):
        pass


class MemoryKms:
    exceptions = _Errors

    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(256))

    def encrypt(self, *, KeyId: str, Plaintext: bytes, EncryptionContext: dict) -> dict:
        nonce = os.urandom(12)
        aad = json.dumps([KeyId, EncryptionContext], sort_keys=True).encode()
        return {"CiphertextBlob": nonce + self._aead.encrypt(nonce, Plaintext, aad)}

    def decrypt(self, *, CiphertextBlob: bytes, KeyId: str, EncryptionContext: dict) -> dict:
        aad = json.dumps([KeyId, EncryptionContext], sort_keys=True).encode()
        try:
            return {"Plaintext": self._aead.decrypt(CiphertextBlob[:12], CiphertextBlob[12:], aad)}
        except InvalidTag:
            raise _Errors.InvalidCiphertextException() from None


class _ByPath:
    def __init__(self, params: dict) -> None:
        self._params = params

    def paginate(self, *, Path: str):
        prefix = Path.rstrip("/") + "/"
        names = sorted(n for n in self._params if n.startswith(prefix))
        for start in range(0, max(len(names), 1), 10):
            yield {"Parameters": [{"Name": n, "Value": self._params[n]}
                                  for n in names[start:start + 10]]}


class MemorySsm:
    exceptions = _Errors

    def __init__(self) -> None:
        self.params: dict[str, str] = {}

    def put_parameter(self, *, Name: str, Value: str, Type: str, Overwrite: bool = False) -> dict:
        if Name in self.params and not Overwrite:
            raise _Errors.ParameterAlreadyExists(Name)
        self.params[Name] = Value
        return {"Version": 1}

    def get_parameter(self, *, Name: str) -> dict:
        if Name not in self.params:
            raise _Errors.ParameterNotFound(Name)
        return {"Parameter": {"Name": Name, "Value": self.params[Name]}}

    def get_paginator(self, operation: str) -> _ByPath:
        assert operation == "get_parameters_by_path"
        return _ByPath(self.params)

    def delete_parameters(self, *, Names: list[str]) -> dict:
        for n in Names:
            self.params.pop(n, None)
        return {"DeletedParameters": Names}


class MemoryKeyClients:
    def __init__(self) -> None:
        self.kms = MemoryKms()
        self.ssm = MemorySsm()
