"""Items sorted by a key with bounded memory, for the exports and snapshots that list a
letter in its printed order: sorted runs spill to files, then a lazy k-way merge.

A run is text, a line per item: `{key}\\t{item as JSON}\\n`. The key is written as it is,
except that a key holding a control character or a backslash (an old import's odd name)
has those written as `\\xNN`: so no key holds a tab or a line break, every key character
sorts after the tab, and comparing whole lines orders them by (key, item). Runs are
sorted, merged and copied (a snapshot's parts upload theirs) as plain strings: only the
consumer decodes an item, once.
"""
from __future__ import annotations

import heapq
import json
import re
from pathlib import Path
from typing import IO, Iterable, Iterator

RUN_ITEMS = 10_000  # items held before a run is sorted and spilled (a few MB)
_ESCAPE = re.compile(r"[\x00-\x1f\\]")
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_DECODE = json.JSONDecoder().raw_decode


def _escaped(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}"


def line_of(key: str, item: dict) -> str:
    """One run line (see the module docstring)."""
    if _ESCAPE.search(key):
        key = _ESCAPE.sub(_escaped, key)
    return f"{key}\t{_ENCODE(item)}\n"


def item_of(line: str) -> dict:
    """The item a run line holds."""
    return _DECODE(line, line.index("\t") + 1)[0]


def merge_lines(runs: Iterable[Iterable[str]]) -> Iterator[str]:
    """Sorted runs' lines merged into one sorted stream (lazily)."""
    return heapq.merge(*runs)


class ExternalSort:
    """Items sorted by a key with bounded memory: sorted runs of `run` items spill to files
    in `tmp`, then a lazy k-way merge. Iterable more than once."""

    def __init__(self, tmp: Path, run: int = RUN_ITEMS) -> None:
        self.tmp, self.run = tmp, run
        self.buf: list[str] = []
        self.files: list[Path] = []
        self.count = 0

    def add(self, key: str, item: dict) -> None:
        self.buf.append(line_of(key, item))
        self.count += 1
        if len(self.buf) >= self.run:
            self._spill()

    def _spill(self) -> None:
        path = self.tmp / f"run-{id(self):x}-{len(self.files):05d}.txt"
        self.buf.sort()
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.writelines(self.buf)
        self.files.append(path)
        self.buf = []

    def _read(self, path: Path) -> Iterator[str]:
        with path.open(encoding="utf-8", newline="\n") as f:
            yield from f

    def lines(self) -> Iterator[str]:
        """The sorted run lines (undecoded)."""
        if self.files and self.buf:
            self._spill()
        if not self.files:
            return iter(sorted(self.buf))
        return merge_lines([self._read(p) for p in self.files])

    def write_lines(self, out: IO[str]) -> None:
        out.writelines(self.lines())

    def __iter__(self) -> Iterator[dict]:
        for line in self.lines():
            yield item_of(line)
