"""Items sorted by a key with bounded memory, for the exports and snapshots that list a
letter in its printed order: sorted runs spill to files, then a lazy k-way merge."""
from __future__ import annotations

import heapq
import json
from pathlib import Path
from typing import Iterator

RUN_ITEMS = 10_000  # items held before a run is sorted and spilled (a few MB)


class ExternalSort:
    """Items sorted by a key with bounded memory: sorted runs of `run` items spill to files
    in `tmp`, then a lazy k-way merge. Iterable more than once."""

    def __init__(self, tmp: Path, run: int = RUN_ITEMS) -> None:
        self.tmp, self.run = tmp, run
        self.buf: list[tuple[str, str]] = []
        self.files: list[Path] = []

    def add(self, key: str, item: dict) -> None:
        self.buf.append((key, json.dumps(item, ensure_ascii=False)))
        if len(self.buf) >= self.run:
            self._spill()

    def _spill(self) -> None:
        path = self.tmp / f"run-{id(self):x}-{len(self.files):05d}.jsonl"
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
