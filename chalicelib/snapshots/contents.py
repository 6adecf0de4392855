"""A snapshot's files, from sorted streams of the letter's signatures, streamed to S3.

Two steps, so that a large letter's read can be split over workers (snapshots/runs.py):
- `read_range`: one pass over a range of the letter's shards (all of them on one worker)
  makes the counts (`Stats`), the id list ("id,state" of every state, sorted by id: the
  shards' merge is in id order already) and the listed signatures sorted into the letter's
  printed order (`ExternalSort`, runs spilled to /tmp).
- `write_files`: from those sorted streams (one range's, or every part's merged), every file
  in one pass each: the listed signatures once for their CSV, JSON, HTML and DOCX together
  (each decoded once, its row and printed line made once), the id list once for
  ids.csv.gz. Each file streams into its own multipart upload (`MultipartWriter`: one
  part held at a time, hashed as it goes), so nothing of the lists is kept in memory or in
  /tmp; the PDF (at most PDF_MAX_NAMES names) is built from lines kept during that pass.

The same streams give the same bytes, whichever worker cut them: a split snapshot's files
and manifest are the single worker's.
"""
from __future__ import annotations

import gzip
import itertools
from contextlib import ExitStack
from typing import Any, Callable, Iterable, Iterator, Optional

from ..exports.delivery_docx import docx_document, iter_docx_lines
from ..exports.delivery_html import groups, iter_delivery_html_lines, signatory_line
from ..exports.delivery_pdf import (PDF_MAX_NAMES, PdfGlyphsMissingError, PdfTooLongError,
                                    write_delivery_pdf_lines)
from ..exports.external_sort import ExternalSort, item_of
from ..exports.rows import ROW_ATTRIBUTES, iter_csv, iter_json, letter_order, row_of
from ..models import Counts
from ..progress import NO_PROGRESS, Progress
from ..states import LISTED
from ..storage import Table
from ..storage.s3_objects import PART_SIZE, MultipartWriter
from ..storage.signature_streams import iter_signatures
from . import published

ID_CHUNK = 2000  # id lines joined per write
SNAPSHOT_ATTRIBUTES = (*ROW_ATTRIBUTES, "GSI1SK")
GZIP_LEVEL = 6  # ids.csv.gz: zlib's default (gzip's own 9 is slower for a few % less)


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

    # a part's counts travel on its job item (JSON), and are summed by the combining step
    def to_json(self) -> dict:
        return {"total": self.total, "by_kind": self.by_kind, "by_state": self.by_state,
                "by_country": self.by_country, "listed_kind": self.listed_kind,
                "listed_countries": sorted(self.listed_countries)}

    @classmethod
    def summed(cls, parts: Iterable[dict]) -> "Stats":
        out = cls()
        for p in parts:
            out.total += p["total"]
            for name in ("by_kind", "by_state", "by_country", "listed_kind"):
                mine = getattr(out, name)
                for k, v in p[name].items():
                    mine[k] = mine.get(k, 0) + v
            out.listed_countries.update(p["listed_countries"])
        return out


def read_range(store: Table, letter: dict, cut: str, shards: Optional[range], listed: ExternalSort,
               write_ids: Callable[[str], Any], progress: Progress = NO_PROGRESS) -> Stats:
    """One pass over the shards in `shards` (None: all): the counts, each signature's
    "id,state" line to `write_ids` (in id order, ID_CHUNK lines at a time) and the listed
    ones into `listed`. Signatures created after `cut` are left out (tomorrow's)."""
    stats = Stats()
    buf: list[str] = []
    progress.phase("reading")
    for sig in iter_signatures(store, letter, fields=SNAPSHOT_ATTRIBUTES, shards=shards,
                               keep=("GSI1SK",)):
        progress.read()
        listed_at = sig.pop("GSI1SK", None)
        if (sig.get("created_at") or "") > cut:
            continue  # signed after the cut: tomorrow's snapshot
        stats.add(sig)
        state = sig.get("state")
        if state == LISTED:
            # Where the public list (GSI1) has it: the letter's order, stored, not worked out
            # again from the name (letter_order, which builds the same key, is the fallback).
            listed.add(listed_at or letter_order(sig), sig)
        buf.append(f"{sig['sig_id']},{state}\n")
        if len(buf) >= ID_CHUNK:
            write_ids("".join(buf))
            buf.clear()
    if buf:
        write_ids("".join(buf))
    return stats


class Source:
    """What the files are written from: the counts and two sorted streams of lines."""

    def __init__(self, stats: Stats, listed: Callable[[], Iterator[str]],
                 ids: Callable[[], Iterator[str]]) -> None:
        self.stats, self.listed, self.ids = stats, listed, ids


def write_files(s3: Any, bucket: str, prefix: str, letter: dict, cut: str, source: Source, *,
                part_size: int = PART_SIZE, renew: Callable[[], Any] = lambda: None,
                progress: Progress = NO_PROGRESS) -> tuple[dict, dict]:
    """Every file of the snapshot to `prefix`: ({name: upload report} in published.FILES
    order, {name: why it was left out}). The PDF is left out when its fonts cannot draw a
    name or the list is too long for one; the other files are still the day's snapshot."""
    counts = source.stats.tally()
    reports: dict[str, dict] = {}
    refused: dict[str, str] = {}
    pdf_lines: Optional[list] = [] if counts.total <= PDF_MAX_NAMES else None
    progress.phase("writing")

    def writer(stack: ExitStack, name: str) -> MultipartWriter:
        return stack.enter_context(MultipartWriter(s3, bucket, prefix + name,
                                                   published.FILES[name], part_size=part_size))

    with ExitStack() as stack:
        outs = {n: writer(stack, n) for n in ("signatories.csv", "signatories.json",
                                              "letter.html", "letter.docx")}
        docx = stack.enter_context(docx_document(letter, counts, outs["letter.docx"]))
        sigs = (item_of(line) for line in source.listed())
        for_rows, for_lines = itertools.tee(sigs)
        to_csv, to_json = itertools.tee(_rows(for_rows, progress))
        to_html, to_docx = itertools.tee(_lines(for_lines, pdf_lines))
        extra = {"time_cut": cut, "states": [LISTED]}
        streams = [(iter_csv(to_csv), outs["signatories.csv"].write),
                   (iter_json(letter, to_json, extra=extra), outs["signatories.json"].write),
                   (iter_delivery_html_lines(letter, to_html, counts), outs["letter.html"].write),
                   (iter_docx_lines(to_docx), docx)]
        # In step: tee holds at most a chunk's worth of rows between the writers.
        for chunks in itertools.zip_longest(*(s for s, _ in streams)):
            for chunk, (_, write) in zip(chunks, streams):
                if chunk:
                    write(chunk)
    for name in ("signatories.csv", "signatories.json", "letter.html", "letter.docx"):
        reports[name] = outs[name].report
    renew()
    with MultipartWriter(s3, bucket, prefix + "ids.csv.gz", published.FILES["ids.csv.gz"],
                         part_size=part_size) as w:
        with gzip.GzipFile(filename="", fileobj=w, mode="wb", mtime=0,
                           compresslevel=GZIP_LEVEL) as gz:
            for chunk in _joined(source.ids()):
                gz.write(chunk)
    reports["ids.csv.gz"] = w.report
    renew()
    if pdf_lines is None:
        refused["letter.pdf"] = PdfTooLongError.MESSAGE
    else:
        try:
            with MultipartWriter(s3, bucket, prefix + "letter.pdf", published.FILES["letter.pdf"],
                                 part_size=part_size) as w:
                write_delivery_pdf_lines(letter, pdf_lines, counts, w)
            reports["letter.pdf"] = w.report
        except PdfGlyphsMissingError as exc:  # refused before a byte was written (aborted)
            refused["letter.pdf"] = exc.message
        renew()
    return {n: reports[n] for n in published.FILES if n in reports}, refused


def _rows(sigs: Iterable[dict], progress: Progress) -> Iterator[dict]:
    for sig in sigs:
        yield row_of(sig)
        progress.wrote()


def _lines(sigs: Iterable[dict], keep: Optional[list]) -> Iterator[tuple[Optional[str], str]]:
    """(heading, printed line) per signature; kept for the PDF too when there is one."""
    for heading, sig in groups(sigs):
        line = signatory_line(sig)
        if keep is not None:
            keep.append((heading, line, sig.get("sig_id", "?")))
        yield heading, line


def _joined(lines: Iterator[str]) -> Iterator[bytes]:
    while block := list(itertools.islice(lines, ID_CHUNK)):
        yield "".join(block).encode("utf-8")
