"""An import: the file read and checked (a dry run stores nothing), then each accepted row
stored as a confirmed signature, built by the sign-on's own code
(`Signing.imported_signature`).

Against the letter, a row with an email is a duplicate when its keyed email hash already
has a claim (one GetItem); one without, when an earlier import stored it (its id is
derived from the row, one GetItem). An organisation row like one on the letter, or like an
earlier row of the file, is stored held in the moderation queue with the match
(org_names). Each row is one TransactWriteItems (the signature `attribute_not_exists`, its
counter shard, its email claim, its name item), so importing the same file again adds
nothing. Rows are read and stored by a few threads: 2,000 rows fit in the API's time.
"""
from __future__ import annotations

import base64
import binascii
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..import_models import ImportIn, ImportIssue, ImportReport
from ..lookalike import name_key
from ..org_names import HELD, NameCheck, OrgNames, hold
from ..settings import Settings
from ..states import LISTED, QUARANTINED
from ..storage import NEW_ITEM, Put, Table, TransactionConflict, keys
from ..transitions import Transitions
from . import plan as planning
from .reader import Sheet, file_error, read

THREADS = 8


@dataclass
class Prepared:
    row: planning.Row
    sig: dict
    claim: Optional[dict]
    names: NameCheck
    duplicate: Optional[str] = None  # why the letter has it already


class Importer:
    def __init__(self, settings: Settings, store: Table, letters: Any, signing: Any,
                 transitions: Transitions, names: OrgNames) -> None:
        self.settings, self.store, self.letters = settings, store, letters
        self.signing, self.transitions, self.names = signing, transitions, names

    def upload(self, slug: str, data: ImportIn) -> ImportReport:
        """POST /admin/letters/{slug}/imports: a dry run, or the import itself."""
        letter = self.letters.letter_item(slug)
        try:
            raw = base64.b64decode(data.content, validate=True)
        except (binascii.Error, ValueError):
            raise file_error("The content is not base64.", kind="not_base64") from None
        sheet = read(data.format, raw, max_bytes=self.settings.max_import_bytes,
                     max_rows=self.settings.max_import_rows)
        return self.run(letter, sheet, data.mapping.model_dump(), data.default_kind,
                        data.source, notify=data.notify, dry_run=data.dry_run)

    def run(self, letter: dict, sheet: Sheet, mapping: dict, default_kind: Optional[str],
            source: str, *, notify: bool, dry_run: bool) -> ImportReport:
        planned = planning.plan(sheet, mapping, default_kind)
        with ThreadPoolExecutor(THREADS) as pool:
            prepared = list(pool.map(lambda r: self._prepare(letter, r, source, notify, dry_run),
                                     planned.rows))
        duplicates = [_issue(planning.Issue(p.row.number, "duplicate_on_letter", p.duplicate))
                      for p in prepared if p.duplicate]
        fresh = [p for p in prepared if not p.duplicate]
        lookalikes = self._within_file(fresh)
        report = ImportReport(
            dry_run=dry_run, rows=len(sheet.rows),
            accepted=sum(1 for p in fresh if p.sig["state"] == LISTED),
            held=sum(1 for p in fresh if p.sig["state"] != LISTED), added=0,
            notified=sum(1 for p in fresh if p.sig.get("added")),
            invalid=[_issue(i) for i in planned.invalid],
            duplicates=[_issue(i) for i in planned.duplicates] + duplicates,
            neutralised=[_issue(i) for i in planned.neutralised], lookalikes=lookalikes)
        if dry_run:
            return report
        run = uuid.uuid4().hex
        with ThreadPoolExecutor(THREADS) as pool:
            stored = list(pool.map(lambda p: self._store(letter, p, run), fresh))
        report.added = sum(stored)
        report.notified = sum(1 for p, ok in zip(fresh, stored) if ok and p.sig.get("added"))
        return report

    def import_rows(self, slug: str, rows: Iterable[dict], source: str = "import") -> int:
        """Rows already read (dicts of kind, name, affiliation, country, email), imported
        as a file of those columns would be (the seed's signatories); how many were new."""
        rows = list(rows)
        headers = list(planning.FIELDS)
        sheet = Sheet(headers, [(n, [str(r.get(h) or "") for h in headers])
                                for n, r in enumerate(rows, 2)])
        report = self.run(self.letters.letter_item(slug), sheet, {h: h for h in headers}, None,
                          source, notify=False, dry_run=False)
        return report.added

    # ---- one row --------------------------------------------------------------------

    def _prepare(self, letter: dict, row: planning.Row, source: str, notify: bool,
                 dry_run: bool) -> Prepared:
        sig, claim = self.signing.imported_signature(letter, row, source, notify,
                                                     seal=not dry_run)
        if claim is not None and self.store.get(keys.key_of(claim), consistent=False):
            return Prepared(row, sig, claim, NameCheck(None, None, None),
                            "An address in this row has signed the letter already.")
        if claim is None and self.store.signature(letter, sig["sig_id"]):
            return Prepared(row, sig, claim, NameCheck(None, None, None),
                            "An earlier import stored this row.")
        names = self.names.check(letter, row.name, own_id=sig["sig_id"])
        _held(sig, names)
        return Prepared(row, sig, claim, names)

    def _within_file(self, fresh: list[Prepared]) -> list[ImportIssue]:
        """An organisation like an earlier row of the file is held against that row (so a
        dry run and the import agree, whatever order the threads store them in)."""
        issues, first = [], {}
        for p in fresh:
            if p.names.match is not None:
                issues.append(_lookalike(p, p.names.match.get("name") or p.names.match["id"]))
                continue
            folded = name_key(p.row.name)
            if not folded:
                continue
            earlier = first.get(folded)
            if earlier is None:
                if p.row.kind == "organisation":
                    first[folded] = p
                continue
            p.names = NameCheck(p.names.key, earlier.sig["sig_id"], {
                "id": earlier.sig["sig_id"], "name": earlier.row.name, "kind": earlier.row.kind,
                "country": earlier.row.country, "state": earlier.sig["state"]})
            _held(p.sig, p.names)
            issues.append(_lookalike(p, f"row {earlier.row.number}: {earlier.row.name}"))
        return issues

    def _store(self, letter: dict, p: Prepared, run: str) -> bool:
        for _ in range(2):
            name_step = self.names.claim(p.names, p.sig) if p.row.kind == "organisation" else None
            also = [Put(p.claim, condition=NEW_ITEM)] if p.claim else []
            try:
                self.transitions.create(letter, p.sig, run, also=also + ([name_step] if name_step else []))
                return True
            except TransactionConflict as conflict:
                if not (name_step and conflict.failed(len(conflict.reasons) - 1)) or \
                        conflict.failed(0):
                    return False  # stored already (a second run of the same file)
                # another organisation of this name was stored meanwhile: held against it
                p.names = self.names.check(letter, p.row.name, own_id=p.sig["sig_id"],
                                           consistent=True)
                _held(p.sig, p.names)
        return False


def _held(sig: dict, names: NameCheck) -> None:
    hold(sig, names)
    if names.match is not None:
        sig["state"] = QUARANTINED


def _lookalike(p: Prepared, match: str) -> ImportIssue:
    return ImportIssue(row=p.row.number, type=HELD, match=match,
                       message="Looks like an organisation already there: stored in the "
                               "moderation queue with the match, for an organiser to decide.")


def _issue(i: planning.Issue) -> ImportIssue:
    return ImportIssue(row=i.row, column=i.column, type=i.type, message=i.message, match=i.match)
