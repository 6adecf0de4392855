"""The nightly snapshot of every live letter's signatures into the exports bucket (issue 5).

Layout, per letter:

    letters/{slug}/snapshots/{YYYY-MM-DD}/signatories.csv    every signature, all states
    letters/{slug}/snapshots/{YYYY-MM-DD}/signatories.json   the same rows + letter metadata
    letters/{slug}/snapshots/{YYYY-MM-DD}/letter.html        the delivery letter, print-ready
    letters/{slug}/snapshots/{YYYY-MM-DD}/letter.docx        the delivery letter for Word
    letters/{slug}/snapshots/{YYYY-MM-DD}/ids.csv.gz         "id,state" lines sorted by id (for diffs)
    letters/{slug}/snapshots/{YYYY-MM-DD}/manifest.json      written after every file it lists
    letters/{slug}/latest.json                               moved last, after verification

No emails: the nightly files never hold an email address (nor hash, token or IP). They
are kept for a long time and read by many; organisers get emails only from an on-demand
organiser export (`exports.export_csv(..., include_email=True)`).

Exactly one snapshot per (letter, date): a claim item (PK=SNAP#{slug}, SK={date}) is taken
by a conditional put, held by a lease renewed after each file, and marked complete at the
end. A replay of a complete day is a no-op; a second run while the first holds the lease
reports "busy"; a run that died leaves the lease to expire and the next run takes the day
over and writes it again from the start. latest.json only moves once the manifest has
been read back and every file's size and ETag match what was uploaded, so readers never
see a half-written snapshot; a failed run leaves the previous latest in place.

Memory stays flat as a letter grows: signatures stream from DynamoDB (exports.py) into
temporary files (hashed as they are written), which are uploaded by multipart upload in
8 MiB parts; the diff is a merge of two sorted id streams.

Time is injected: `now` cuts the snapshot (signatures created after it are left out)
and names its date; lease times come from the service's clock.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import heapq
import io
import itertools
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, Optional

from botocore.exceptions import ClientError

from . import exports
from .errors import LetterNotFoundError
from .models import Counts
from .services import iso, parse_iso
from .store import letter_key, list_sort_key
from .text import sort_key

if TYPE_CHECKING:
    from .admin_models import SnapshotList

PART_SIZE = 8 * 1024 * 1024
RUNNING, COMPLETE = "running", "complete"
DIFF_STATES = ("withdrawn", "hidden", "rejected", "quarantined")
PUBLIC_STATES = ("listed", "awaiting_approval")
FILES = {  # name → content type, in upload order; the manifest comes after them
    "signatories.csv": "text/csv; charset=utf-8",
    "signatories.json": "application/json",
    "ids.csv.gz": "application/gzip",
    "letter.html": "text/html; charset=utf-8",
    "letter.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MANIFEST, LATEST = "manifest.json", "latest.json"


class SnapshotLost(RuntimeError):
    """Another run took this snapshot's claim over (our lease had expired)."""


# ---- keys ------------------------------------------------------------------

def claim_key(slug: str, date: str) -> dict:
    return {"PK": f"SNAP#{slug}", "SK": date}


def snapshot_prefix(slug: str, date: str) -> str:
    return f"letters/{slug}/snapshots/{date}/"


def latest_key(slug: str) -> str:
    return f"letters/{slug}/{LATEST}"


# ---- S3 --------------------------------------------------------------------

class HashingFile:
    """A write-only file that counts and sha256-hashes what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def upload(s3: Any, bucket: str, key: str, path: Path, content_type: str, *,
           part_size: int = PART_SIZE) -> dict:
    """Stream a file to S3 by multipart upload, `part_size` at a time; abort on any failure.

    Returns size, sha256 and the ETag S3 will report (md5 of the parts' md5s).
    """
    mpu = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
    upload_id = mpu["UploadId"]
    parts, md5s, sha, size = [], [], hashlib.sha256(), 0
    total = path.stat().st_size
    try:
        with path.open("rb") as f:
            for number in itertools.count(1):
                start = (number - 1) * part_size
                length = min(part_size, total - start)
                if length <= 0 and number > 1:
                    break
                md5 = hashlib.md5()
                for block in iter(lambda: f.read(min(1 << 20, start + length - f.tell())), b""):
                    sha.update(block)
                    md5.update(block)
                size += length
                md5s.append(md5.digest())
                from s3transfer.utils import ReadFileChunk
                # The part streams from the file (never a whole 8 MiB bytes object in memory).
                with ReadFileChunk.from_filename(str(path), start, length) as body:
                    resp = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                          PartNumber=number, Body=body, ContentLength=length)
                parts.append({"PartNumber": number, "ETag": resp["ETag"]})
                if length < part_size:
                    break
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    except BaseException:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception:  # the original failure matters more; a lifecycle rule sweeps leftovers
            pass
        raise
    etag = f"{hashlib.md5(b''.join(md5s)).hexdigest()}-{len(md5s)}"
    return {"key": key, "size": size, "sha256": sha.hexdigest(), "etag": etag,
            "content_type": content_type}


def _get_json(s3: Any, bucket: str, key: str) -> Optional[tuple[dict, bytes]]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return json.loads(body), body


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


def presign(s3: Any, bucket: str, key: str, expires: int = 300) -> str:
    """A short-lived GET link to one file, served as a download under its own name."""
    name = key.rsplit("/", 1)[-1]
    return s3.generate_presigned_url("get_object", ExpiresIn=expires, Params={
        "Bucket": bucket, "Key": key,
        "ResponseContentDisposition": f'attachment; filename="{name}"'})


def verify_snapshot(s3: Any, bucket: str, slug: str, date: str) -> list[str]:
    """Download every file a snapshot's manifest lists and check size and sha256 (and ETag).

    Returns the problems found; an empty list means the snapshot is intact.
    """
    got = _get_json(s3, bucket, snapshot_prefix(slug, date) + MANIFEST)
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
    missing = set(FILES) - set(manifest.get("files", {}))
    problems += [f"{name}: not in manifest" for name in sorted(missing)]
    latest = _get_json(s3, bucket, latest_key(slug))
    if latest and latest[0].get("date") == date and \
            latest[0].get("manifest_sha256") != hashlib.sha256(raw).hexdigest():
        problems.append("latest.json points at this date with another manifest hash")
    return problems


# ---- the claim (one snapshot per letter and date) ---------------------------

# A run cut from the API (its function lives at most 28 s) holds the day this long: if it dies,
# the nightly run waits that out and takes over, rather than losing the day.
API_LEASE_SECONDS = 60
NIGHTLY_WAIT_SECONDS = API_LEASE_SECONDS + 30


def _claim(service: Any, slug: str, date: str, owner: str, force: bool, lease_seconds: int) -> str:
    """Take the day's claim: "claimed", or why not: "complete" / "busy"."""
    store, now = service.store, service.clock()
    lease = now + dt.timedelta(seconds=lease_seconds)
    takeable = "attribute_not_exists(PK) OR (#s = :running AND lease_until < :now)"
    if force:
        takeable += " OR #s = :complete"
    try:
        store._db.put_item(
            TableName=store.table,
            Item={"PK": {"S": f"SNAP#{slug}"}, "SK": {"S": date}, "state": {"S": RUNNING},
                  "owner": {"S": owner}, "lease_until": {"S": iso(lease)},
                  "started_at": {"S": iso(now)}},
            ConditionExpression=takeable, ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":running": {"S": RUNNING}, ":now": {"S": iso(now)},
                                       **({":complete": {"S": COMPLETE}} if force else {})})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        current = store.get(claim_key(slug, date)) or {}
        return COMPLETE if current.get("state") == COMPLETE else "busy"
    return "claimed"


def _renew(service: Any, slug: str, date: str, owner: str, lease_seconds: int) -> None:
    lease = service.clock() + dt.timedelta(seconds=lease_seconds)
    if not service.store.update(claim_key(slug, date), "SET lease_until = :l",
                                {":l": iso(lease), ":me": owner, ":running": RUNNING},
                                condition="#o = :me AND #s = :running",
                                names={"#o": "owner", "#s": "state"}):
        raise SnapshotLost(f"{slug} {date}: another run took the snapshot over")


def _release(service: Any, slug: str, date: str, owner: str) -> None:
    """After a failure we saw: let the next run start at once rather than after the lease."""
    try:
        service.store.update(claim_key(slug, date), "SET lease_until = :past",
                             {":past": "0000", ":me": owner, ":running": RUNNING},
                             condition="#o = :me AND #s = :running",
                             names={"#o": "owner", "#s": "state"})
    except Exception:
        pass  # the lease expires anyway


def _complete(service: Any, slug: str, date: str, owner: str, manifest_sha: str) -> None:
    if not service.store.update(
            claim_key(slug, date), "SET #s = :done, completed_at = :t, manifest_sha256 = :m",
            {":done": COMPLETE, ":t": iso(service.clock()), ":m": manifest_sha, ":me": owner},
            condition="#o = :me", names={"#o": "owner", "#s": "state"}):
        raise SnapshotLost(f"{slug} {date}: another run took the snapshot over")


# ---- the diff --------------------------------------------------------------

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


# ---- building one snapshot ---------------------------------------------------

class _Stats:
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
        if state == "listed":
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


class _ExternalSort:
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


def _write_signature_files(service: Any, letter: dict, cut: str, tmp: Path) -> dict:
    """One pass over every signature: CSV, JSON, the sorted id list and (sorted locally,
    so DynamoDB is read once) the listed signatures in the letter's printed order."""
    stats = _Stats()
    listed = _ExternalSort(tmp)
    with (tmp / "signatories.csv").open("wb") as fc, \
            (tmp / "signatories.json").open("wb") as fj, \
            (tmp / "ids.csv.gz").open("wb") as fi, \
            gzip.GzipFile(filename="", fileobj=fi, mode="wb", mtime=0) as ids:
        def rows() -> Iterator[dict]:
            buf: list[str] = []
            for sig in exports.iter_signatures(service.store, letter,
                                               fields=exports.ROW_ATTRIBUTES):
                if (sig.get("created_at") or "") > cut:
                    continue  # signed after the cut: tomorrow's snapshot
                stats.add(sig)
                if sig.get("state") == "listed":
                    public = {k: sig.get(k) for k in exports.PUBLIC_FIELDS}
                    listed.add(list_sort_key(sig["kind"], sort_key(sig["kind"], sig["name"]),
                                             sig["sig_id"]), public)
                buf.append(f"{sig['sig_id']},{sig.get('state')}\n")
                if len(buf) >= 1000:
                    ids.write("".join(buf).encode())
                    buf.clear()
                yield exports.row_of(sig)
            ids.write("".join(buf).encode())

        # Both writers read one stream; tee holds at most a chunk's worth of rows between them.
        to_csv, to_json = itertools.tee(rows())
        extra = {"time_cut": cut}
        for c, j in itertools.zip_longest(exports.iter_csv(to_csv),
                                          exports.iter_json(letter, to_json, extra=extra)):
            if c:
                fc.write(c)
            if j:
                fj.write(j)
    return {"stats": stats, "listed": listed}


def _write_letter_files(letter: dict, listed: Any, counts: Counts, tmp: Path) -> None:
    """The delivery letter from the listed signatures in printed order (iterable twice)."""
    with (tmp / "letter.html").open("wb") as f:
        exports.write_chunks(exports.iter_delivery_html(letter, iter(listed), counts), f)
    with (tmp / "letter.docx").open("wb") as f:
        exports.write_delivery_docx(letter, iter(listed), counts, f)


def _previous_date(s3: Any, bucket: str, slug: str, date: str) -> Optional[str]:
    earlier = [s["date"] for s in list_snapshots(s3, bucket, slug)
               if s["complete"] and s["date"] < date]
    return earlier[-1] if earlier else None


def _write_diff(s3: Any, bucket: str, slug: str, prev: Optional[str], new_ids: Path,
                tmp: Path) -> dict[str, Path]:
    """The changes since `prev` into one file of ids per kind of change (sorted)."""
    if prev is None:
        return {}
    old = s3.get_object(Bucket=bucket, Key=snapshot_prefix(slug, prev) + "ids.csv.gz")["Body"]
    files: dict[str, Any] = {}
    try:
        with new_ids.open("rb") as fnew:
            for change, sig_id in diff_ids(_id_lines(old), _id_lines(fnew)):
                if change not in files:
                    files[change] = (tmp / f"diff-{change}.txt").open("w", encoding="utf-8")
                files[change].write(sig_id + "\n")
    finally:
        for f in files.values():
            f.close()
    return {change: tmp / f"diff-{change}.txt" for change in files}


def _write_manifest(path: Path, head: dict, prev: Optional[str],
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


def _check_uploaded(s3: Any, bucket: str, manifest_key: str, manifest_sha: str) -> dict:
    """Re-read the manifest and check every file it lists against S3 (size and ETag)."""
    got = _get_json(s3, bucket, manifest_key)
    if got is None or hashlib.sha256(got[1]).hexdigest() != manifest_sha:
        raise RuntimeError(f"{manifest_key}: not the manifest this run wrote")
    manifest = got[0]
    for name, meta in manifest["files"].items():
        head = s3.head_object(Bucket=bucket, Key=meta["key"])
        if head["ContentLength"] != meta["size"] or head["ETag"].strip('"') != meta["etag"]:
            raise RuntimeError(f"{meta['key']}: differs from the manifest")
    return manifest


def snapshot_letter(service: Any, s3_client: Any, slug: str, now: dt.datetime,
                    force: bool = False, *, bucket: Optional[str] = None,
                    part_size: int = PART_SIZE, lease_seconds: Optional[int] = None) -> dict:
    """Snapshot one letter for the date of `now` (UTC); returns a report.

    status: "complete" (written now), "exists" (already complete: a no-op), "busy" (another
    run holds the day's lease). With `force`, a complete day is written again.
    Raises on failure, after aborting uploads; the previous latest.json stays in place.
    """
    bucket = bucket or service.settings.exports_bucket
    letter = service.store.get(letter_key(slug))
    if letter is None:
        raise LetterNotFoundError()
    date = now.astimezone(dt.timezone.utc).date().isoformat()
    report = {"slug": slug, "date": date}
    owner = uuid.uuid4().hex
    lease_seconds = lease_seconds or service.settings.snapshot_lease_seconds
    claimed = _claim(service, slug, date, owner, force, lease_seconds)
    if claimed != "claimed":
        return {**report, "status": "exists" if claimed == COMPLETE else "busy"}
    try:
        _retract(service, s3_client, bucket, slug, date)
        written = _build(service, s3_client, bucket, letter, now, date, owner, part_size,
                         lease_seconds)
    except BaseException:
        _release(service, slug, date, owner)
        raise
    return {**report, "status": "complete", **written}


def _build(service: Any, s3: Any, bucket: str, letter: dict, now: dt.datetime, date: str,
           owner: str, part_size: int, lease_seconds: int) -> dict:
    slug, cut = letter["slug"], iso(now)
    prefix = snapshot_prefix(slug, date)
    with tempfile.TemporaryDirectory(prefix=f"snapshot-{slug}-") as d:
        tmp = Path(d)
        read = _write_signature_files(service, letter, cut, tmp)
        stats: _Stats = read["stats"]
        _write_letter_files(letter, read["listed"], stats.tally(), tmp)
        files = {}
        for name, content_type in FILES.items():
            files[name] = upload(s3, bucket, prefix + name, tmp / name, content_type,
                                 part_size=part_size)
            if name != "ids.csv.gz":  # kept for the diff below
                (tmp / name).unlink()
            _renew(service, slug, date, owner, lease_seconds)
        prev = _previous_date(s3, bucket, slug, date)
        diff = _write_diff(s3, bucket, slug, prev, tmp / "ids.csv.gz", tmp)
        changes = {c: sum(1 for _ in p.open()) for c, p in diff.items()}
        head = {"format": "undersigned.snapshot/1", "slug": slug, "date": date,
                "title": letter["title"], "text_sha256": letter["text_sha256"],
                "time_cut": cut, "written_at": iso(service.clock()),
                "emails": False, "counts": stats.as_dict(), "files": files,
                "previous": {"date": prev} if prev else None}
        manifest_path = tmp / MANIFEST
        _write_manifest(manifest_path, head, prev, diff)
        meta = upload(s3, bucket, prefix + MANIFEST, manifest_path, "application/json",
                      part_size=part_size)
    _check_uploaded(s3, bucket, meta["key"], meta["sha256"])
    moved = _move_latest(s3, bucket, slug, date, meta, service)
    _complete(service, slug, date, owner, meta["sha256"])
    if moved:  # a withdrawal records the snapshot it came after ("withdrawn on D, after S")
        service.store.update(letter_key(slug), "SET last_snapshot = :d", {":d": date},
                             condition="attribute_not_exists(last_snapshot) OR last_snapshot < :d")
        service.forget_letter(slug)
    return {"counts": stats.as_dict(), "manifest": meta["key"], "latest_moved": moved,
            "previous": prev, "changes": changes}


def _retract(service: Any, s3: Any, bucket: str, slug: str, date: str) -> None:
    """Before a day already written is written again (forced, or after a run that died):
    latest.json steps back to the previous complete day, then the day's manifest goes. So
    while its files are rewritten one by one, nothing points at them as complete: the day
    lists as incomplete (no links), and a failed rewrite leaves it so, not half-changed."""
    manifest_key = snapshot_prefix(slug, date) + MANIFEST
    if _get_json(s3, bucket, manifest_key) is None:
        return
    latest = _get_json(s3, bucket, latest_key(slug))
    if latest and latest[0].get("date") == date:
        prev = _previous_date(s3, bucket, slug, date)
        got = _get_json(s3, bucket, snapshot_prefix(slug, prev) + MANIFEST) if prev else None
        if got:
            _write_latest(s3, bucket, slug, prev, {
                "key": snapshot_prefix(slug, prev) + MANIFEST,
                "sha256": hashlib.sha256(got[1]).hexdigest(), "size": len(got[1])}, service)
        else:
            s3.delete_object(Bucket=bucket, Key=latest_key(slug))
    s3.delete_object(Bucket=bucket, Key=manifest_key)


def _move_latest(s3: Any, bucket: str, slug: str, date: str, manifest: dict,
                 service: Any) -> bool:
    """Point latest.json at this snapshot, unless it already points at a newer one."""
    current = _get_json(s3, bucket, latest_key(slug))
    if current and current[0].get("date", "") > date:
        return False
    _write_latest(s3, bucket, slug, date, manifest, service)
    return True


def _write_latest(s3: Any, bucket: str, slug: str, date: str, manifest: dict,
                  service: Any) -> None:
    body = json.dumps({"slug": slug, "date": date, "manifest": manifest["key"],
                       "manifest_sha256": manifest["sha256"], "manifest_size": manifest["size"],
                       "updated_at": iso(service.clock())}, indent=1).encode()
    s3.put_object(Bucket=bucket, Key=latest_key(slug), Body=body,
                  ContentType="application/json", CacheControl="no-cache")


# ---- the nightly run ---------------------------------------------------------

def due(item: dict, now: dt.datetime, closed_days: int) -> tuple[bool, str]:
    """Whether the nightly run snapshots this letter: open, or closed within `closed_days`."""
    closes = parse_iso(item["closes_at"]) if item.get("closes_at") else None
    if item.get("status") == "open" and (closes is None or now < closes):
        return True, "open"
    closed = parse_iso(item["closed_at"]) if item.get("closed_at") else closes
    if closed is None:
        return False, "closed, closing time unknown"
    if now - closed <= dt.timedelta(days=closed_days):
        return True, "recently closed"
    return False, f"closed more than {closed_days} days ago"


def run_nightly(service: Any, s3_client: Any, now: dt.datetime, *,
                sleep: Any = time.sleep) -> list[dict]:
    """The scheduled event: snapshot every open and recently closed letter; a report per letter.

    One letter's failure does not stop the others; it is reported as "failed". A day held by
    a short lease (a run cut from the API, which may have died with its function) is waited
    out and taken over, so that day is not lost; a long one (another nightly run) is "busy".
    """
    days = service.settings.snapshot_closed_days
    reports = []
    for item in service.store.list_letters():
        slug = item["slug"]
        wanted, why = due(item, now, days)
        if not wanted:
            reports.append({"slug": slug, "status": "skipped", "reason": why})
            continue
        try:
            report = snapshot_letter(service, s3_client, slug, now)
            wait = _lease_left(service, slug, report["date"]) if report["status"] == "busy" else None
            if wait is not None and wait <= NIGHTLY_WAIT_SECONDS:
                sleep(wait + 1)
                report = snapshot_letter(service, s3_client, slug, now)
            reports.append(report)
        except Exception as exc:  # reported; the next run completes the day
            reports.append({"slug": slug, "status": "failed",
                            "error": f"{type(exc).__name__}: {exc}"[:500]})
    return reports


def _lease_left(service: Any, slug: str, date: str) -> Optional[float]:
    """Seconds until the day's running claim may be taken over (None: no running claim)."""
    claim = service.store.get(claim_key(slug, date)) or {}
    if claim.get("state") != RUNNING or not claim.get("lease_until"):
        return None
    return max(0.0, (parse_iso(claim["lease_until"]) - service.clock()).total_seconds())


def snapshot_list(service: Any, s3: Any, slug: str) -> "SnapshotList":
    """The letter's snapshots, newest first, with short-lived links to complete ones' files."""
    from .models import SnapshotFile, SnapshotInfo, SnapshotList
    service.letter_item(slug)
    bucket, expires = service.settings.exports_bucket, service.settings.export_url_seconds
    out = []
    for snap in reversed(list_snapshots(s3, bucket, slug)):
        files = [SnapshotFile(name=name, size=size,
                              url=presign(s3, bucket, snapshot_prefix(slug, snap["date"]) + name,
                                          expires) if snap["complete"] else None)
                 for name, size in sorted(snap["files"].items())]
        out.append(SnapshotInfo(date=snap["date"], complete=snap["complete"], files=files))
    return SnapshotList(snapshots=out)
