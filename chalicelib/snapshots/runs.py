"""A large letter's snapshot split over workers: each part reads a range of the letter's
shards and uploads two sorted runs; the combining step merges every part's runs into the
snapshot's files (contents.write_files), streamed from S3, so no worker holds the list.

A part's runs, `exports/{slug}/jobs/{job}/snapshot-{first shard}-listed.txt` and
`…-ids.txt`: its listed signatures in the letter's order (external_sort's run lines) and
its "id,state" lines in id order. Its counts travel on its job item. A part that dies is
retried from the start of its range and overwrites its runs (an object appears only once
its upload completes), so a retried range is never counted or listed twice.

Why a merge and not `UploadPartCopy`: the letter's shards are by a hash of the signature
id, so every shard range's signatures interleave with every other's, both in the letter's
printed order and in id order. No part's bytes are a contiguous piece of any published
file (nor are the DOCX's and the PDF's, each one compressed document), so joining parts
by copy would not give the files; each file is one pass over the merged runs. The parts
have rendered each row already (contents.rendered), so that pass only merges and joins
strings; its time is the combining step's (bench/scale.py).
"""
from __future__ import annotations

import codecs
from typing import Any, Iterator

from ..exports.external_sort import ExternalSort, item_of, merge_lines
from ..progress import Progress
from ..storage import Table
from ..storage.s3_objects import MultipartWriter
from .contents import Source, Stats, read_range

RUN_TYPE = "text/plain; charset=utf-8"
READ_CHUNK = 1 << 18  # bytes read from each run at a time in the merge


def run_prefix(slug: str, job_id: str, first_shard: int) -> str:
    return f"exports/{slug}/jobs/{job_id}/snapshot-{first_shard:03d}-"


def write_part(store: Table, s3: Any, bucket: str, letter: dict, cut: str, shards: range,
               prefix: str, tmp: Any, progress: Progress) -> dict:
    """One part: its shard range read once, its two runs uploaded; its result (small)."""
    listed = ExternalSort(tmp)
    with MultipartWriter(s3, bucket, prefix + "ids.txt", RUN_TYPE) as ids:
        stats = read_range(store, letter, cut, shards, listed,
                           lambda text: ids.write(text.encode("utf-8")), progress)
    progress.phase("uploading")
    with MultipartWriter(s3, bucket, prefix + "listed.txt", RUN_TYPE) as out:
        block: list[str] = []
        for line in listed.lines():
            block.append(line)
            if len(block) >= 2000:
                out.write("".join(block).encode("utf-8"))
                block.clear()
        out.write("".join(block).encode("utf-8"))
    return {"stats": stats.to_json(), "listed": prefix + "listed.txt", "ids": prefix + "ids.txt",
            "rows": stats.total}


def _lines(s3: Any, bucket: str, key: str) -> Iterator[str]:
    """A run's lines, streamed (READ_CHUNK at a time), each ending in a line break."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    decode = codecs.getincrementaldecoder("utf-8")().decode
    rest = ""
    while data := body.read(READ_CHUNK):
        lines = (rest + decode(data)).split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
    rest += decode(b"", True)
    if rest:
        yield rest + "\n"


def merged(s3: Any, bucket: str, parts: list[dict]) -> Source:
    """Every part's runs, merged lazily (each stream from S3), with the parts' counts summed."""
    return Source(Stats.summed(p["stats"] for p in parts),
                  lambda: map(item_of, merge_lines([_lines(s3, bucket, p["listed"])
                                                    for p in parts])),
                  lambda: merge_lines([_lines(s3, bucket, p["ids"]) for p in parts]))


def delete_runs(s3: Any, bucket: str, parts: list[dict]) -> None:
    """The runs are the parts' scratch (the lifecycle rule on exports/ sweeps any left)."""
    for p in parts:
        for key in (p["listed"], p["ids"]):
            s3.delete_object(Bucket=bucket, Key=key)

