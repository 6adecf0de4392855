"""Load letters from their folders: `letter.md` (front matter + Markdown) and optional `signatories.csv`."""
from __future__ import annotations

import csv
from pathlib import Path

from chalicelib.letters import Letter, parse_letter
from chalicelib.wiring import Services
from tools.localstack import ROOT

EXAMPLE = ROOT / "letters" / "eu-hrc43-dprk"
SOURCE = "the letter as delivered"  # where the seed's signatories were collected


def read_letter(folder: Path) -> Letter:
    return parse_letter((folder / "letter.md").read_text(encoding="utf-8"))


def read_signatories(folder: Path) -> list[dict]:
    path = folder / "signatories.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [row for row in csv.DictReader(f)]


def load(app: Services, folder: Path, *, with_signatories: bool = True) -> tuple[str, int]:
    """Store the letter (idempotent) and import its original signatories once, through the
    organisers' import (chalicelib/imports): the same checks, lookalikes held."""
    letter = read_letter(folder)
    app.letters.upsert_letter(letter)
    app.sealer.ensure(letter.slug)
    # A table seeded before name items existed: its organisations take their names now.
    app.signing.names.backfill(app.letters.letter_item(letter.slug, fresh=True))
    added = app.imports.import_rows(letter.slug, read_signatories(folder), source=SOURCE) \
        if with_signatories else 0
    return letter.slug, added
