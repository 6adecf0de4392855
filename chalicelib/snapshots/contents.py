"""A snapshot's files, from one pass over the letter's signatures into a temporary
directory: the id list of every state (sorted by id, for the diff), then, from the listed
signatures put in the letter's printed order, their CSV and JSON and the delivery letter."""
from __future__ import annotations

import gzip
import itertools
from pathlib import Path
from typing import Any

from ..exports.delivery_docx import write_delivery_docx
from ..exports.delivery_html import iter_delivery_html
from ..exports.delivery_pdf import (PDF_MAX_NAMES, PdfGlyphsMissingError, PdfTooLongError,
                                    write_delivery_pdf)
from ..exports.external_sort import ExternalSort
from ..exports.rows import (ROW_ATTRIBUTES, iter_csv, iter_json, letter_order, row_of,
                            write_chunks)
from ..models import Counts
from ..progress import NO_PROGRESS, Progress
from ..states import LISTED
from ..storage import Table
from ..storage.signature_streams import iter_signatures


class Stats:
    def __init__(self) -> None:
        self.total = 0
        self.by_kind: dict[str, int] = {}
        self.by_state: dict[str, int] = {}
        self.by_country: dict[str, int] = {}
        self.listed_kind: dict[str, int] = {}
        self.listed_countries: set[str] = set()

    def add(self, sig: dict) -> None:
        kind, state, country = sig.get("kind"), sig.get("state"), sig.get("country") or ""
        self.total += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.by_state[state] = self.by_state.get(state, 0) + 1
        self.by_country[country] = self.by_country.get(country, 0) + 1
        if state == LISTED:
            self.listed_kind[kind] = self.listed_kind.get(kind, 0) + 1
            if country:
                self.listed_countries.add(country)

    def tally(self) -> Counts:
        orgs, inds = self.listed_kind.get("organisation", 0), self.listed_kind.get("individual", 0)
        return Counts(organisations=orgs, individuals=inds, total=orgs + inds,
                      countries=len(self.listed_countries))

    def as_dict(self) -> dict:
        return {"total": self.total, "by_kind": dict(sorted(self.by_kind.items())),
                "by_state": dict(sorted(self.by_state.items())),
                "by_country": dict(sorted(self.by_country.items())),
                "listed": self.tally().model_dump()}


def write_signature_files(store: Table, letter: dict, cut: str, tmp: Path,
                          progress: Progress = NO_PROGRESS) -> dict:
    """One pass over every signature: the counts and the id list of every state, and the
    listed ones sorted locally (so DynamoDB is read once) into the letter's printed order,
    from which the CSV and JSON are written. Returns the counts and the sorted listed."""
    stats = Stats()
    listed = ExternalSort(tmp)
    with (tmp / "ids.csv.gz").open("wb") as fi, \
            gzip.GzipFile(filename="", fileobj=fi, mode="wb", mtime=0) as ids:
        buf: list[str] = []
        progress.phase("reading")
        for sig in iter_signatures(store, letter, fields=ROW_ATTRIBUTES):
            progress.read()
            if (sig.get("created_at") or "") > cut:
                continue  # signed after the cut: tomorrow's snapshot
            stats.add(sig)
            if sig.get("state") == LISTED:
                listed.add(letter_order(sig), sig)
            buf.append(f"{sig['sig_id']},{sig.get('state')}\n")
            if len(buf) >= 1000:
                ids.write("".join(buf).encode())
                buf.clear()
        ids.write("".join(buf).encode())
    with (tmp / "signatories.csv").open("wb") as fc, \
            (tmp / "signatories.json").open("wb") as fj:
        # Both writers read one stream; tee holds at most a chunk's worth of rows between them.
        progress.phase("writing")
        to_csv, to_json = itertools.tee(_counted(listed, progress))
        extra = {"time_cut": cut, "states": [LISTED]}
        for c, j in itertools.zip_longest(iter_csv(to_csv),
                                          iter_json(letter, to_json, extra=extra)):
            if c:
                fc.write(c)
            if j:
                fj.write(j)
    return {"stats": stats, "listed": listed}


def _counted(listed: Any, progress: Progress) -> Any:
    for sig in listed:
        yield row_of(sig)
        progress.wrote()


def write_letter_files(letter: dict, listed: Any, counts: Counts, tmp: Path) -> dict:
    """The delivery letter from the listed signatures in printed order (iterable thrice).
    Returns {file name: reason} for a file it refused to write (the PDF, when its fonts
    cannot draw a name or the list is too long for one): the day's other files are still the
    day's snapshot."""
    with (tmp / "letter.html").open("wb") as f:
        write_chunks(iter_delivery_html(letter, iter(listed), counts), f)
    with (tmp / "letter.docx").open("wb") as f:
        write_delivery_docx(letter, iter(listed), counts, f)
    if counts.total > PDF_MAX_NAMES:
        return {"letter.pdf": PdfTooLongError.MESSAGE}
    try:
        with (tmp / "letter.pdf").open("wb") as f:
            write_delivery_pdf(letter, iter(listed), counts, f)
    except PdfGlyphsMissingError as exc:
        (tmp / "letter.pdf").unlink()
        return {"letter.pdf": exc.message}
    return {}
