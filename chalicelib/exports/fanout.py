"""A large list export split over workers, with no worker holding the list.

Each part reads a range of the letter's shards, sorts its rows into the letter's order
(`ExternalSort`: runs spilled to /tmp) and uploads them as one sorted run,
`exports/{slug}/jobs/{job}/run-{n}.jsonl` (a line per row: its sort key, a tab, the row).
The combining step merges the runs lazily, each streamed from S3 (a 64 KiB buffer each),
writes CSV or JSON as the rows come and uploads it by multipart upload, a part at a time
from memory (`upload_chunks`): memory is flat in the list's size and /tmp is not used.

The parts cannot simply be joined (`UploadPartCopy`): a shard range's rows interleave with
every other range's in the letter's order, so the combined file needs the merge. Its time
is one pass over the rows (~2 µs each here), not the table read the parts share.
"""
from __future__ import annotations

import heapq
import json
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from ..progress import Progress
from ..storage import Cond, Table
from ..storage.s3_objects import upload, upload_chunks
from ..states import ALL_STATES
from .rows import (EMAIL_FIELDS, LISTED_ONLY, ROW_ATTRIBUTES, iter_csv, iter_in_letter_order,
                   iter_json, letter_order, row_of, with_emails)

SPLIT_FORMATS = ("csv", "json")
RUN_CONTENT_TYPE = "application/x-ndjson"


def run_key(slug: str, job_id: str, first_shard: int) -> str:
    return f"exports/{slug}/jobs/{job_id}/run-{first_shard:03d}.jsonl"


def write_run(store: Table, s3: Any, bucket: str, letter: dict, shards: range, key: str, *,
              include_email: bool, states: Sequence[str], progress: Progress,
              unsealer: Any = None, only: Optional[Cond] = None) -> dict:
    """One part: its shard range's rows (those matching `only` too, e.g. one partner's),
    sorted, uploaded as one run (with emails, opened a page at a time as they are written)."""
    fields = ROW_ATTRIBUTES + (EMAIL_FIELDS if include_email else ())
    with tempfile.TemporaryDirectory(prefix="export-run-") as tmp:
        path, n = Path(tmp) / "run.jsonl", 0
        with path.open("w", encoding="utf-8", newline="\n") as out:
            sigs = iter_in_letter_order(store, letter, Path(tmp), states=states,
                                        fields=fields, progress=progress, shards=shards,
                                        only=only)
            for sig, email in with_emails(sigs, letter, unsealer, include_email):
                row = row_of(sig, include_email=include_email, email=email)
                out.write(f"{json.dumps(letter_order(sig), ensure_ascii=False)}\t"
                          f"{json.dumps(row, ensure_ascii=False)}\n")
                n += 1
        progress.phase("uploading")
        upload(s3, bucket, key, path, RUN_CONTENT_TYPE)
    return {"run": key, "rows": n}


def _read_run(s3: Any, bucket: str, key: str) -> Iterator[tuple[str, str]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for line in body.iter_lines(chunk_size=1 << 16):
        k, _, row = line.decode("utf-8").partition("\t")
        yield json.loads(k), row


def merge_runs(s3: Any, bucket: str, runs: list[str], letter: dict, key: str, fmt: str, *,
               include_email: bool, states: Sequence[str] = LISTED_ONLY,
               progress: Progress, content_type: str) -> dict:
    """The combining step: the runs merged into the export file, streamed to S3."""
    def rows() -> Iterator[dict]:
        for _, row in heapq.merge(*(_read_run(s3, bucket, r) for r in runs)):
            yield json.loads(row)
            progress.wrote()
    progress.phase("writing")
    if fmt == "csv":
        chunks = iter_csv(rows(), include_email=include_email)
    else:
        extra = {"states": [s for s in ALL_STATES if s in states]}
        chunks = iter_json(letter, rows(), extra=extra)
    meta = upload_chunks(s3, bucket, key, chunks, content_type)
    for r in runs:  # the runs are the parts' scratch: the file is what stays (a day)
        s3.delete_object(Bucket=bucket, Key=r)
    return {k: meta[k] for k in ("key", "size", "sha256")}
