"""A snapshot's files, from sorted streams of the letter's signatures, streamed to S3.

Two steps, so that a large letter's read can be split over workers (snapshots/runs.py):
- `read_range`: one pass over a range of the letter's shards (all of them on one worker)
  makes the counts (`Stats`), the id list ("id,state" of every state, sorted by id: the
  shards' merge is in id order already) and the listed signatures, each `rendered` as every
  file prints it, sorted into the letter's printed order by their stored GSI1 key
  (`ExternalSort`, runs spilled to /tmp).
- `write_files`: from those sorted streams (one range's, or every part's merged), every file
  in one pass each: the listed signatures once for their CSV, JSON, HTML and DOCX together
  (joining the rendered pieces, with the groups' headings), the id list once for
  ids.csv.gz. Each file streams into its own multipart upload (`MultipartWriter`: one
  part held at a time, hashed as it goes), so nothing of the lists is kept in memory or in
  /tmp; the PDF (at most PDF_MAX_NAMES names) is built from lines kept during that pass.

The same streams give the same bytes, whichever worker cut them: a split snapshot's files
and manifest are the single worker's.
"""
from __future__ import annotations

import gzip
import itertools
import json
from contextlib import ExitStack
from typing import Any, Callable, Iterable, Iterator, Optional

from ..exports.delivery_docx import docx_document, heading_xml, line_xml
from ..exports.delivery_html import (html_group, html_head, html_item, html_tail,
                                     signatory_line)
from ..exports.delivery_pdf import (PDF_MAX_NAMES, PdfGlyphsMissingError, PdfTooLongError,
                                    write_delivery_pdf_lines)
from ..exports.external_sort import ExternalSort
from ..exports.rows import (CHUNK_ROWS, ROW_ATTRIBUTES, csv_header, csv_line, json_head,
                            json_tail, letter_order, row_of)
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
               write_ids: Callable[[str], Any], progress: Progress = NO_PROGRESS, *,
               render: bool = True) -> Stats:
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
            listed.add(listed_at or letter_order(sig), rendered(sig) if render else sig)
        buf.append(f"{sig['sig_id']},{state}\n")
        if len(buf) >= ID_CHUNK:
            write_ids("".join(buf))
            buf.clear()
    if buf:
        write_ids("".join(buf))
    return stats


class Source:
    """What the files are written from: the counts, the listed signatures' `rendered`
    pieces in the letter's order, and the sorted id lines."""

    def __init__(self, stats: Stats, listed: Callable[[], Iterator[list]],
                 ids: Callable[[], Iterator[str]]) -> None:
        self.stats, self.listed, self.ids = stats, listed, ids


_ENCODE_ROW = json.JSONEncoder(ensure_ascii=False).encode


def rendered(sig: dict) -> list:
    """A listed signature as each file prints it: kind, CSV line, JSON row, printed line,
    HTML and DOCX items, id. A split job's parts make these as they read (sharing the work),
    so the combining step only merges and joins them; one worker cutting a whole letter
    sorts the signatures and makes them as it writes (smaller runs to sort)."""
    row, line = row_of(sig), signatory_line(sig)
    return [sig.get("kind"), csv_line(row), _ENCODE_ROW(row), line, html_item(line),
            line_xml(line), sig.get("sig_id", "?")]


def write_files(s3: Any, bucket: str, prefix: str, letter: dict, cut: str, source: Source, *,
                part_size: int = PART_SIZE, renew: Callable[[], Any] = lambda: None,
                progress: Progress = NO_PROGRESS) -> tuple[dict, dict]:
    """Every file of the snapshot to `prefix`: ({name: upload report} in published.FILES
    order, {name: why it was left out}). The PDF is left out when its fonts cannot draw a
    name or the list is too long for one; the other files are still the day's snapshot.

    The bytes are those of exports/rows.iter_csv and iter_json, delivery_html and
    delivery_docx for the same list, made from each signature's `rendered` pieces."""
    counts = source.stats.tally()
    reports: dict[str, dict] = {}
    refused: dict[str, str] = {}
    pdf_lines: Optional[list] = [] if counts.total <= PDF_MAX_NAMES else None
    progress.phase("writing")
    names = ("signatories.csv", "signatories.json", "letter.html", "letter.docx")
    with ExitStack() as stack:
        outs = {n: stack.enter_context(MultipartWriter(s3, bucket, prefix + n, published.FILES[n],
                                                       part_size=part_size)) for n in names}
        docx = stack.enter_context(docx_document(letter, counts, outs["letter.docx"]))
        bufs: tuple[list[str], ...] = (
            [csv_header()], [json_head(letter, {"time_cut": cut, "states": [LISTED]})],
            [html_head(letter, counts)], [])
        writes = (outs["signatories.csv"].write, outs["signatories.json"].write,
                  outs["letter.html"].write, docx)
        csv_buf, json_buf, html_buf, docx_buf = bufs
        by_kind: dict[str, int] = {}
        current, opened, n = None, False, 0
        for kind, csv_l, json_l, line, html_l, docx_l, sig_id in source.listed():
            heading = None
            if kind != current:  # delivery_html.groups: a heading before each kind's first
                current = kind
                heading = "Groups" if kind == "organisation" else "Individuals"
                html_buf.append(html_group(heading, opened))
                docx_buf.append(heading_xml(heading))
                opened = True
            csv_buf.append(csv_l)
            json_buf.append(",\n" + json_l if n else json_l)
            html_buf.append(html_l)
            docx_buf.append(docx_l)
            if pdf_lines is not None:
                pdf_lines.append((heading, line, sig_id))
            by_kind[kind] = by_kind.get(kind, 0) + 1
            n += 1
            progress.wrote()
            if n % CHUNK_ROWS == 0:
                _flush(bufs, writes)
        json_buf.append(json_tail(n, by_kind, {LISTED: n} if n else {}))
        html_buf.append(html_tail(opened))
        _flush(bufs, writes)
    for name in names:
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


def _flush(bufs: tuple[list[str], ...], writes: tuple[Callable[[bytes], Any], ...]) -> None:
    for buf, write in zip(bufs, writes):
        if buf:
            write("".join(buf).encode("utf-8"))
            buf.clear()


def _joined(lines: Iterator[str]) -> Iterator[bytes]:
    while block := list(itertools.islice(lines, ID_CHUNK)):
        yield "".join(block).encode("utf-8")
