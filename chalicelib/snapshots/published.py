"""What a snapshot publishes in the exports bucket, and how a reader checks it.

Layout, per letter:

    letters/{slug}/snapshots/{YYYY-MM-DD}/signatories.csv    the listed signatures, in the letter's order
    letters/{slug}/snapshots/{YYYY-MM-DD}/signatories.json   the same rows + letter metadata
    letters/{slug}/snapshots/{YYYY-MM-DD}/letter.html        the delivery letter, print-ready
    letters/{slug}/snapshots/{YYYY-MM-DD}/letter.docx        the delivery letter for Word
    letters/{slug}/snapshots/{YYYY-MM-DD}/letter.pdf         the delivery letter as sent (A4);
                                                             left out, with the reason under the
                                                             manifest's "refused", when a name is
                                                             in a script its fonts lack
    letters/{slug}/snapshots/{YYYY-MM-DD}/ids.csv.gz         "id,state" of every signature in
                                                             every state, sorted by id (for diffs)
    letters/{slug}/snapshots/{YYYY-MM-DD}/manifest.json      written after every file it lists;
                                                             its counts cover every state
    letters/{slug}/latest.json                               moved last, after verification

The letter's order is the public list's: organisations, then individuals, each alphabetical
(individuals by surname). Rejected, withdrawn, unconfirmed and other unlisted signatures are
only in ids.csv.gz (an id and a state, nothing personal) and in the manifest's counts and diff.

latest.json only moves once the manifest has been read back and every file's size and
ETag match what was uploaded, so readers never see a half-written snapshot.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..storage.s3_objects import get_json

FILES = {  # name → content type, in upload order; the manifest comes after them
    "signatories.csv": "text/csv; charset=utf-8",
    "signatories.json": "application/json",
    "ids.csv.gz": "application/gzip",
    "letter.html": "text/html; charset=utf-8",
    "letter.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "letter.pdf": "application/pdf",
}
# A manifest may lack these: snapshots cut before the PDF existed, or a PDF its fonts refused.
OPTIONAL = {"letter.pdf"}
MANIFEST, LATEST = "manifest.json", "latest.json"


def snapshot_prefix(slug: str, date: str) -> str:
    return f"letters/{slug}/snapshots/{date}/"


def latest_key(slug: str) -> str:
    return f"letters/{slug}/{LATEST}"


def list_snapshots(s3: Any, bucket: str, slug: str) -> list[dict]:
    """Every snapshot date of a letter, oldest first: {"date", "complete" (has a manifest), "keys"}."""
    prefix = f"letters/{slug}/snapshots/"
    found: dict[str, dict] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            date, _, name = obj["Key"][len(prefix):].partition("/")
            entry = found.setdefault(date, {"date": date, "complete": False, "files": {}})
            entry["files"][name] = obj["Size"]
            if name == MANIFEST:
                entry["complete"] = True
    return [found[d] for d in sorted(found)]


def verify_snapshot(s3: Any, bucket: str, slug: str, date: str) -> list[str]:
    """Download every file a snapshot's manifest lists and check size and sha256 (and ETag).

    Returns the problems found; an empty list means the snapshot is intact.
    """
    got = get_json(s3, bucket, snapshot_prefix(slug, date) + MANIFEST)
    if got is None:
        return [f"{slug} {date}: no manifest"]
    manifest, raw = got
    problems = []
    if manifest.get("slug") != slug or manifest.get("date") != date:
        problems.append("manifest names another snapshot")
    for name, meta in manifest.get("files", {}).items():
        try:
            obj = s3.get_object(Bucket=bucket, Key=meta["key"])
        except ClientError as exc:
            problems.append(f"{name}: {exc.response.get('Error', {}).get('Code', 'unreadable')}")
            continue
        sha, size = hashlib.sha256(), 0
        for chunk in iter(lambda: obj["Body"].read(1 << 20), b""):
            sha.update(chunk)
            size += len(chunk)
        if size != meta["size"]:
            problems.append(f"{name}: size {size} != {meta['size']}")
        if sha.hexdigest() != meta["sha256"]:
            problems.append(f"{name}: sha256 does not match the manifest")
        if obj.get("ETag", "").strip('"') != meta.get("etag"):
            problems.append(f"{name}: ETag does not match the manifest")
    missing = set(FILES) - OPTIONAL - set(manifest.get("files", {}))
    problems += [f"{name}: not in manifest" for name in sorted(missing)]
    latest = get_json(s3, bucket, latest_key(slug))
    if latest and latest[0].get("date") == date and \
            latest[0].get("manifest_sha256") != hashlib.sha256(raw).hexdigest():
        problems.append("latest.json points at this date with another manifest hash")
    return problems


def previous_date(s3: Any, bucket: str, slug: str, date: str) -> Optional[str]:
    earlier = [s["date"] for s in list_snapshots(s3, bucket, slug)
               if s["complete"] and s["date"] < date]
    return earlier[-1] if earlier else None


def check_uploaded(s3: Any, bucket: str, manifest_key: str, manifest_sha: str) -> dict:
    """Re-read the manifest and check every file it lists against S3 (size and ETag)."""
    got = get_json(s3, bucket, manifest_key)
    if got is None or hashlib.sha256(got[1]).hexdigest() != manifest_sha:
        raise RuntimeError(f"{manifest_key}: not the manifest this run wrote")
    manifest = got[0]
    for name, meta in manifest["files"].items():
        head = s3.head_object(Bucket=bucket, Key=meta["key"])
        if head["ContentLength"] != meta["size"] or head["ETag"].strip('"') != meta["etag"]:
            raise RuntimeError(f"{meta['key']}: differs from the manifest")
    return manifest


def retract(s3: Any, bucket: str, slug: str, date: str, updated_at: str) -> None:
    """Before a day already written is written again (forced, or after a run that died):
    latest.json steps back to the previous complete day, then the day's manifest goes. So
    while its files are rewritten one by one, nothing points at them as complete: the day
    lists as incomplete (no links), and a failed rewrite leaves it so, not half-changed."""
    manifest_key = snapshot_prefix(slug, date) + MANIFEST
    if get_json(s3, bucket, manifest_key) is None:
        return
    latest = get_json(s3, bucket, latest_key(slug))
    if latest and latest[0].get("date") == date:
        prev = previous_date(s3, bucket, slug, date)
        got = get_json(s3, bucket, snapshot_prefix(slug, prev) + MANIFEST) if prev else None
        if got:
            write_latest(s3, bucket, slug, prev, {
                "key": snapshot_prefix(slug, prev) + MANIFEST,
                "sha256": hashlib.sha256(got[1]).hexdigest(), "size": len(got[1])}, updated_at)
        else:
            s3.delete_object(Bucket=bucket, Key=latest_key(slug))
    s3.delete_object(Bucket=bucket, Key=manifest_key)


def move_latest(s3: Any, bucket: str, slug: str, date: str, manifest: dict,
                updated_at: str) -> bool:
    """Point latest.json at this snapshot, unless it already points at a newer one."""
    current = get_json(s3, bucket, latest_key(slug))
    if current and current[0].get("date", "") > date:
        return False
    write_latest(s3, bucket, slug, date, manifest, updated_at)
    return True


def write_latest(s3: Any, bucket: str, slug: str, date: str, manifest: dict,
                 updated_at: str) -> None:
    body = json.dumps({"slug": slug, "date": date, "manifest": manifest["key"],
                       "manifest_sha256": manifest["sha256"], "manifest_size": manifest["size"],
                       "updated_at": updated_at}, indent=1).encode()
    s3.put_object(Bucket=bucket, Key=latest_key(slug), Body=body,
                  ContentType="application/json", CacheControl="no-cache")
