"""A snapshot's files, written in one pass over the letter's signatures into a temporary
directory: CSV and JSON of every signature, the sorted id list, the delivery letter."""
from __future__ import annotations

import gzip
import heapq
import itertools
import json
from pathlib import Path
from typing import Any, Iterator

from ..exports.delivery_docx import write_delivery_docx
from ..exports.delivery_html import iter_delivery_html
from ..exports.rows import ROW_ATTRIBUTES, iter_csv, iter_json, row_of, write_chunks
from ..models import Counts
from ..states import LISTED
from ..storage import Table, keys
from ..storage.signature_streams import iter_signatures
from ..text import sort_key


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


class ExternalSort:
    """Items sorted by a key with bounded memory: sorted runs of `run` items spill to files,
    then a lazy k-way merge. Iterable more than once."""

    def __init__(self, tmp: Path, run: int = 10_000) -> None:
        self.tmp, self.run = tmp, run
        self.buf: list[tuple[str, str]] = []
        self.files: list[Path] = []

    def add(self, key: str, item: dict) -> None:
        self.buf.append((key, json.dumps(item, ensure_ascii=False)))
        if len(self.buf) >= self.run:
            self._spill()

    def _spill(self) -> None:
        path = self.tmp / f"run-{len(self.files):05d}.jsonl"
        self.buf.sort()
        # "{key as a JSON string}\t{item as JSON}": a sort key may hold a tab or a line break
        # (an old import's name), which JSON escapes; the item is JSON already.
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.writelines(f"{json.dumps(k, ensure_ascii=False)}\t{v}\n" for k, v in self.buf)
        self.files.append(path)
        self.buf = []

    def _read(self, path: Path) -> Iterator[tuple[str, str]]:
        with path.open(encoding="utf-8", newline="\n") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                yield json.loads(k), v

    def __iter__(self) -> Iterator[dict]:
        if self.files and self.buf:
            self._spill()
        runs = [self._read(p) for p in self.files] or [iter(sorted(self.buf))]
        for _, v in heapq.merge(*runs):
            yield json.loads(v)


def write_signature_files(store: Table, letter: dict, cut: str, tmp: Path) -> dict:
    """One pass over every signature: CSV, JSON, the sorted id list and (sorted locally,
    so DynamoDB is read once) the listed signatures in the letter's printed order."""
    stats = Stats()
    listed = ExternalSort(tmp)
    with (tmp / "signatories.csv").open("wb") as fc, \
            (tmp / "signatories.json").open("wb") as fj, \
            (tmp / "ids.csv.gz").open("wb") as fi, \
            gzip.GzipFile(filename="", fileobj=fi, mode="wb", mtime=0) as ids:
        def rows() -> Iterator[dict]:
            buf: list[str] = []
            for sig in iter_signatures(store, letter, fields=ROW_ATTRIBUTES):
                if (sig.get("created_at") or "") > cut:
                    continue  # signed after the cut: tomorrow's snapshot
                stats.add(sig)
                if sig.get("state") == LISTED:
                    public = {k: sig.get(k) for k in keys.GSI1_FIELDS}
                    listed.add(keys.list_sort_key(sig["kind"], sort_key(sig["kind"], sig["name"]),
                                                  sig["sig_id"]), public)
                buf.append(f"{sig['sig_id']},{sig.get('state')}\n")
                if len(buf) >= 1000:
                    ids.write("".join(buf).encode())
                    buf.clear()
                yield row_of(sig)
            ids.write("".join(buf).encode())

        # Both writers read one stream; tee holds at most a chunk's worth of rows between them.
        to_csv, to_json = itertools.tee(rows())
        extra = {"time_cut": cut}
        for c, j in itertools.zip_longest(iter_csv(to_csv),
                                          iter_json(letter, to_json, extra=extra)):
            if c:
                fc.write(c)
            if j:
                fj.write(j)
    return {"stats": stats, "listed": listed}


def write_letter_files(letter: dict, listed: Any, counts: Counts, tmp: Path) -> None:
    """The delivery letter from the listed signatures in printed order (iterable twice)."""
    with (tmp / "letter.html").open("wb") as f:
        write_chunks(iter_delivery_html(letter, iter(listed), counts), f)
    with (tmp / "letter.docx").open("wb") as f:
        write_delivery_docx(letter, iter(listed), counts, f)
