"""The changes since the previous snapshot: a merge of two id-sorted streams, written to
the manifest without holding the id lists in memory."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import IO, Any, Iterator, Optional

from ..states import DIFF_STATES, PUBLIC_STATES
from .published import snapshot_prefix


def _id_lines(stream: IO[bytes]) -> Iterator[tuple[str, str]]:
    with gzip.GzipFile(fileobj=stream, mode="rb") as gz:
        for line in io.TextIOWrapper(gz, encoding="utf-8", newline="\n"):
            sig_id, _, state = line.rstrip("\n").partition(",")
            yield sig_id, state


def diff_ids(old: Iterator[tuple[str, str]],
             new: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(change, id) from a merge of two id-sorted (id, state) streams.

    added: listed now, not before. withdrawn/hidden/rejected: in that state now and not
    before, or (withdrawn) public before and gone now. removed: never public and gone
    (e.g. an unconfirmed signature that expired).
    """
    end = ("\U0010ffff", "")
    a, b = next(old, end), next(new, end)
    while a is not end or b is not end:
        if a[0] < b[0]:                      # gone since
            yield ("withdrawn" if a[1] in PUBLIC_STATES else
                   a[1] if a[1] in DIFF_STATES else "removed"), a[0]
            a = next(old, end)
        elif b[0] < a[0]:                    # new since
            if b[1] == "listed":
                yield "added", b[0]
            elif b[1] in DIFF_STATES:
                yield b[1], b[0]
            b = next(new, end)
        else:
            if a[1] != b[1]:
                if b[1] == "listed":
                    yield "added", b[0]
                elif b[1] in DIFF_STATES:
                    yield b[1], b[0]
                elif a[1] == "listed":
                    yield "unlisted", b[0]
            a, b = next(old, end), next(new, end)


def write_diff(s3: Any, bucket: str, slug: str, prev: Optional[str],
               new_ids: Optional[IO[bytes]], tmp: Path) -> dict[str, Path]:
    """The changes since `prev` into one file of ids per kind of change (sorted), from
    today's ids.csv.gz (a stream)."""
    if prev is None:
        return {}
    old = s3.get_object(Bucket=bucket, Key=snapshot_prefix(slug, prev) + "ids.csv.gz")["Body"]
    files: dict[str, Any] = {}
    try:
        for change, sig_id in diff_ids(_id_lines(old), _id_lines(new_ids)):
            if change not in files:
                files[change] = (tmp / f"diff-{change}.txt").open("w", encoding="utf-8")
            files[change].write(sig_id + "\n")
    finally:
        for f in files.values():
            f.close()
    return {change: tmp / f"diff-{change}.txt" for change in files}


def write_manifest(path: Path, head: dict, prev: Optional[str],
                    diff: dict[str, Path]) -> None:
    """The manifest, streamed: the diff's id lists come from files, never all in memory."""
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2])
        f.write(',\n "diff": ')
        if prev is None:
            f.write("null\n}\n")
            return
        f.write(json.dumps({"since": prev})[:-1])
        for change in ("added", *DIFF_STATES, "unlisted", "removed"):
            f.write(f', "{change}": [')
            if change in diff:
                with diff[change].open(encoding="utf-8") as ids:
                    for i, line in enumerate(ids):
                        f.write(("," if i else "") + json.dumps(line.rstrip("\n")))
            f.write("]")
        f.write("}\n}\n")
