"""S3 objects: streamed multipart upload (hashed in the same pass), JSON reads, presigned links.

Exports and snapshots both write through here; nothing else talks to S3.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from botocore.exceptions import ClientError

PART_SIZE = 8 * 1024 * 1024


@contextmanager
def _multipart(s3: Any, bucket: str, key: str, content_type: str) -> Iterator[tuple[str, list]]:
    """(upload id, parts): the upload is completed with the parts the block appended, or
    aborted if the block fails."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key,
                                           ContentType=content_type)["UploadId"]
    parts: list[dict] = []
    try:
        yield upload_id, parts
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    except BaseException:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception:  # the original failure matters more; a lifecycle rule sweeps leftovers
            pass
        raise


def _report(key: str, size: int, sha: Any, md5s: list[bytes], content_type: str) -> dict:
    """What an upload wrote, with the ETag S3 reports for it (md5 of the parts' md5s)."""
    etag = f"{hashlib.md5(b''.join(md5s)).hexdigest()}-{len(md5s)}"
    return {"key": key, "size": size, "sha256": sha.hexdigest(), "etag": etag,
            "content_type": content_type}


def upload(s3: Any, bucket: str, key: str, path: Path, content_type: str, *,
           part_size: int = PART_SIZE) -> dict:
    """Stream a file to S3 by multipart upload, `part_size` at a time; abort on any failure.

    Returns size, sha256 and the ETag S3 will report (md5 of the parts' md5s).
    """
    md5s, sha, size = [], hashlib.sha256(), 0
    total = path.stat().st_size
    with _multipart(s3, bucket, key, content_type) as (upload_id, parts), path.open("rb") as f:
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
    return _report(key, size, sha, md5s, content_type)


class MultipartWriter(io.RawIOBase):
    """A write-only stream into one S3 object by multipart upload: each `part_size` of bytes
    written is sent as a part, hashed as it passes, no file. A part is sent by a thread of
    its own while the next one fills (at most one in flight: two parts held at a time), so
    the writer does not wait on S3. Not seekable (a zip written here uses data
    descriptors). `close()` completes the upload; leaving the `with` block on an exception
    aborts it. `report` says what it wrote."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, *,
                 part_size: int = PART_SIZE) -> None:
        super().__init__()
        self.s3, self.bucket, self.key, self.content_type = s3, bucket, key, content_type
        self.part_size = part_size
        self.upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key,
                                                    ContentType=content_type)["UploadId"]
        self.parts: list[dict] = []
        self.md5s: list[bytes] = []
        self.sha, self.size, self.buf = hashlib.sha256(), 0, bytearray()
        self.report: Optional[dict] = None
        self._sender: Optional[ThreadPoolExecutor] = None
        self._sending: Optional[Future] = None

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.sha.update(data)
        self.size += len(data)
        self.buf += data
        while len(self.buf) >= self.part_size:
            self._send(bytes(self.buf[:self.part_size]))
            del self.buf[:self.part_size]
        return len(data)

    def _send(self, data: bytes) -> None:
        """Hand the part to the sender once the one before it is sent (its failure raised)."""
        self._wait()
        number = len(self.parts) + 1
        if self._sender is None:
            self._sender = ThreadPoolExecutor(1, thread_name_prefix="upload-part")
        self._sending = self._sender.submit(self._upload_part, number, data)

    def _upload_part(self, number: int, data: bytes) -> None:
        self.md5s.append(hashlib.md5(data).digest())
        resp = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                   PartNumber=number, Body=data)
        self.parts.append({"PartNumber": number, "ETag": resp["ETag"]})

    def _wait(self) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            sending.result()

    def _stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self.report is None and self.upload_id is not None:
                if self.buf or not self.parts and self._sending is None:
                    self._send(bytes(self.buf))  # the last part (an empty object: one empty)
                    self.buf.clear()
                self._wait()
                self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key,
                                                  UploadId=self.upload_id,
                                                  MultipartUpload={"Parts": self.parts})
                self.report = _report(self.key, self.size, self.sha, self.md5s,
                                      self.content_type)
        finally:
            self._stop_sender()
        super().close()

    def abort(self) -> None:
        try:
            self._wait()
        except Exception:  # the part in flight failed too: the upload is aborted anyway
            pass
        self._stop_sender()
        if self.report is None and self.upload_id is not None:
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key,
                                               UploadId=self.upload_id)
            except Exception:  # the original failure matters more; a lifecycle rule sweeps
                pass
            self.upload_id = None
        super().close()

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            self.abort()
            return
        try:
            self.close()
        except BaseException:
            self.abort()
            raise

    def __del__(self) -> None:  # never completed by the collector: only by close()
        if not self.closed:
            self.abort()


def upload_chunks(s3: Any, bucket: str, key: str, chunks: Iterable[bytes], content_type: str,
                  *, part_size: int = PART_SIZE) -> dict:
    """Stream bytes to S3 by multipart upload as they come (one part held at a time, no
    file): for a file made by merging streams. Same report as `upload`."""
    with MultipartWriter(s3, bucket, key, content_type, part_size=part_size) as w:
        for chunk in chunks:
            w.write(chunk)
    return w.report


def get_json(s3: Any, bucket: str, key: str) -> Optional[tuple[dict, bytes]]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return json.loads(body), body


def presign(s3: Any, bucket: str, key: str, expires: int = 300) -> str:
    """A short-lived GET link to one file, served as a download under its own name."""
    name = key.rsplit("/", 1)[-1]
    return s3.generate_presigned_url("get_object", ExpiresIn=expires, Params={
        "Bucket": bucket, "Key": key,
        "ResponseContentDisposition": f'attachment; filename="{name}"'})
