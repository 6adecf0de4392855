"""The one-off migration: addresses stored in clear (before sealing) are sealed in place.

Needs only the power to seal (the letter's public key) and the table: it never opens an
address. Per letter and shard it reads the signatures that still have `email` in clear,
seals each onto its email claim (its letter and id bound into the ciphertext), writes the
keyed hash of its mailbox under today's canonical rule where that differs from its claim's
(`mailbox_hash`, so the organisers' duplicates report works without opening anything), and
removes the clear text, conditioned on it being unchanged and on the claim being the
signature's own (else it is counted as changed meanwhile and left). A dry run counts and
writes nothing.

Resumable: every CHECKPOINT_EVERY signatures the position (letter, shard, last key) is
written to MIGRATION#seal; a new run starts there, and what was sealed before has no `email`
any more, so nothing is done twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..clock import Clock, iso
from ..storage import Change, Table, TransactionConflict, Update, absent, eq, exists, keys
from ..text import TextError, parse_email
from .seal import LetterSealer

log = logging.getLogger(__name__)
CHECKPOINT_EVERY = 200


@dataclass
class MigrationReport:
    dry_run: bool
    letters: int = 0
    to_seal: int = 0
    sealed: int = 0
    changed_meanwhile: int = 0
    resumed_from: Optional[dict] = None
    per_letter: dict[str, int] = field(default_factory=dict)


class SealMigration:
    def __init__(self, store: Table, sealer: LetterSealer, email_hash: Callable[[str], str],
                 clock: Clock) -> None:
        self.store, self.sealer, self.email_hash, self.clock = store, sealer, email_hash, clock

    def run(self, *, dry_run: bool = True, limit: Optional[int] = None) -> MigrationReport:
        """Seal every clear-text address (or, dry, count them); `limit` stops after that
        many (a run in steps; the next one resumes)."""
        report = MigrationReport(dry_run=dry_run)
        mark = None if dry_run else self.store.get(keys.migration_key("seal"))
        report.resumed_from = {k: mark[k] for k in ("slug", "shard")} if mark else None
        letters = sorted(self.store.list_letters(), key=lambda i: i["slug"])
        for letter in letters:
            if mark and letter["slug"] < mark["slug"]:
                continue
            report.letters += 1
            for shard in range(letter["shards"]):
                start = None
                if mark and letter["slug"] == mark["slug"]:
                    if shard < mark["shard"]:
                        continue
                    start = mark.get("after") if shard == mark["shard"] else None
                if not self._shard(letter, shard, start, dry_run, report, limit):
                    return report
        if not dry_run:
            self.store.put({**keys.migration_key("seal"), "slug": "~", "shard": 0,
                            "done_at": iso(self.clock())})
        return report

    def _shard(self, letter: dict, shard: int, start: Optional[dict], dry_run: bool,
               report: MigrationReport, limit: Optional[int]) -> bool:
        slug = letter["slug"]
        q = self.store.shard_query(slug, shard, filter=exists("email"))
        for n, sig in enumerate(self.store.query(q, start=start), 1):
            report.to_seal += 1
            report.per_letter[slug] = report.per_letter.get(slug, 0) + 1
            if dry_run:
                continue
            if self._seal(letter, sig):
                report.sealed += 1
            else:
                report.changed_meanwhile += 1
            if n % CHECKPOINT_EVERY == 0:
                self._checkpoint(slug, shard, keys.key_of(sig))
            if limit is not None and report.sealed >= limit:
                self._checkpoint(slug, shard, keys.key_of(sig))
                return False
        if not dry_run:
            self._checkpoint(slug, shard + 1, None)
        return True

    def _seal(self, letter: dict, sig: dict) -> bool:
        """Seal one signature's clear address onto its claim and remove it, in one transaction
        (the claim must be the signature's own; the address unchanged since it was read)."""
        email = sig["email"]
        try:
            canonical = parse_email(email).canonical
        except TextError:
            canonical = None  # an old import's address that no longer validates
        ehash = sig.get("email_hash") or self.email_hash(canonical or email.strip().lower())
        letter, sealed = self.sealer.seal_email(letter, sig["sig_id"], email)
        sets: dict = {"email_hash": ehash}
        if canonical:
            if self.email_hash(canonical) != ehash:
                sets["mailbox_hash"] = self.email_hash(canonical)
            if not sig.get("email_domain"):
                sets["email_domain"] = canonical.rsplit("@", 1)[1]
        claim = keys.email_claim_key(letter["slug"], ehash)
        try:
            self.store.transact([
                Change(claim, Update(set={"sig_id": sig["sig_id"], "email_sealed": sealed},
                                     set_if_absent={"created_at": sig["created_at"]}),
                       condition=absent("PK") | eq("sig_id", sig["sig_id"])),
                Change(keys.key_of(sig), Update(set=sets, remove=("email",)),
                       condition=eq("email", email))], "seal-migrate", sig["sig_id"], sealed)
        except TransactionConflict:
            return False
        return True

    def _checkpoint(self, slug: str, shard: int, after: Optional[dict]) -> None:
        item = {**keys.migration_key("seal"), "slug": slug, "shard": shard,
                "at": iso(self.clock())}
        if after:
            item["after"] = after
        self.store.put(item)
