"""Crypto-shredding: a letter's private keys are deleted at its retention date, so every
address sealed to them is unreadable everywhere at once: in the table, in its point-in-time
backups (kept up to 35 days), in any export of the table. SSM Parameter Store keeps no
backup or history of a deleted parameter, and the table holds only the public half, so a
restore brings back ciphertext that nothing can open."""
from __future__ import annotations

import logging
from typing import Any

from ..settings import Settings
from .seal import parameter_name

log = logging.getLogger(__name__)


class Shredder:
    def __init__(self, settings: Settings, clients: Any) -> None:
        self.settings = settings
        self.clients = clients  # .ssm (wiring.KeyClients)

    def destroy(self, slug: str) -> int:
        """Delete every key version of the letter; returns how many. Idempotent."""
        path = parameter_name(self.settings, slug).rstrip("/")
        names: list[str] = []
        for page in self.clients.ssm.get_paginator("get_parameters_by_path").paginate(Path=path):
            names += [p["Name"] for p in page["Parameters"]]
        for start in range(0, len(names), 10):  # DeleteParameters takes 10 names a call
            self.clients.ssm.delete_parameters(Names=names[start:start + 10])
        if names:
            log.info("letter %s: %d key version(s) destroyed", slug, len(names))
        return len(names)
