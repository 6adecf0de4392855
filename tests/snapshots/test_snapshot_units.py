"""Pure parts of the snapshot: the id diff and the bounded-memory sort (no I/O beyond tmp)."""
from __future__ import annotations

import random
from chalicelib.storage import s3_objects
from chalicelib.exports.external_sort import ExternalSort
from chalicelib.snapshots import diff as snap_diff


def test_diff_ids_merges_two_sorted_streams():
    old = [("a", "listed"), ("b", "listed"), ("c", "pending"), ("d", "listed"), ("f", "hidden")]
    new = [("a", "listed"), ("b", "hidden"), ("d", "withdrawn"), ("e", "listed"),
           ("f", "listed"), ("g", "pending")]
    got = sorted(snap_diff.diff_ids(iter(old), iter(new)))
    assert got == sorted([("hidden", "b"), ("removed", "c"), ("withdrawn", "d"),
                          ("added", "e"), ("added", "f")])
    assert list(snap_diff.diff_ids(iter([("x", "listed")]), iter([]))) == [("withdrawn", "x")]


def test_external_sort_spills_and_merges_in_order(tmp_path):
    rng = random.Random(1)
    keys = [f"{rng.choice('12')}#{rng.random():.12f}" for _ in range(1000)]
    sorter = ExternalSort(tmp_path, run=64)
    for k in keys:
        sorter.add(k, {"k": k, "name": "김철수"})
    assert len(sorter.files) >= 15
    assert [i["k"] for i in sorter] == sorted(keys)
    assert [i["k"] for i in sorter] == sorted(keys)  # iterable twice


def test_external_sort_keeps_keys_with_tabs_and_line_breaks(tmp_path):
    """Names from an old import may hold a tab, a CR or a line separator: they must survive."""
    keys = ["2#a\tb", "2#d\re", "2#f\u2028g", "2#h\ni", "1#plain"] * 30
    sorter = ExternalSort(tmp_path, run=16)
    for k in keys:
        sorter.add(k, {"k": k})
    assert len(sorter.files) >= 5
    assert [i["k"] for i in sorter] == sorted(keys)


class RecordingS3:
    def __init__(self):
        self.parts, self.done, self.aborted = [], None, False

    def create_multipart_upload(self, **kw):
        return {"UploadId": "u1"}

    def upload_part(self, **kw):
        body = kw["Body"]
        data = body if isinstance(body, bytes) else body.read()
        assert len(data) == kw.get("ContentLength", len(data))
        self.parts.append(data)
        return {"ETag": f'"{len(self.parts)}"'}

    def complete_multipart_upload(self, **kw):
        self.done = kw["MultipartUpload"]["Parts"]

    def abort_multipart_upload(self, **kw):
        self.aborted = True


def test_upload_streams_the_file_in_parts(tmp_path):
    import hashlib
    data = bytes(range(256)) * 41  # 10,496 bytes
    path = tmp_path / "f"
    path.write_bytes(data)
    s3 = RecordingS3()
    meta = s3_objects.upload(s3, "b", "k", path, "x/y", part_size=1000)
    assert b"".join(s3.parts) == data and len(s3.parts) == 11
    assert [p["PartNumber"] for p in s3.done] == list(range(1, 12))
    assert meta["size"] == len(data) and meta["sha256"] == hashlib.sha256(data).hexdigest()
    md5s = b"".join(hashlib.md5(data[i:i + 1000]).digest() for i in range(0, len(data), 1000))
    assert meta["etag"] == f"{hashlib.md5(md5s).hexdigest()}-11"
    exact = tmp_path / "g"
    exact.write_bytes(data[:3000])
    s3 = RecordingS3()
    s3_objects.upload(s3, "b", "k", exact, "x/y", part_size=1000)
    assert [len(p) for p in s3.parts] == [1000, 1000, 1000]


def test_a_streamed_upload_sends_its_parts_in_order_while_the_next_fills():
    import hashlib
    data = bytes(range(256)) * 41
    s3 = RecordingS3()
    with s3_objects.MultipartWriter(s3, "b", "k", "x/y", part_size=1000) as w:
        for i in range(0, len(data), 333):
            w.write(data[i:i + 333])
    assert b"".join(s3.parts) == data and [len(p) for p in s3.parts][-1] == 496
    assert [p["PartNumber"] for p in s3.done] == list(range(1, 12))
    md5s = b"".join(hashlib.md5(data[i:i + 1000]).digest() for i in range(0, len(data), 1000))
    assert w.report["etag"] == f"{hashlib.md5(md5s).hexdigest()}-11"
    assert w.report["sha256"] == hashlib.sha256(data).hexdigest()
    empty = RecordingS3()
    with s3_objects.MultipartWriter(empty, "b", "k", "x/y", part_size=1000):
        pass
    assert empty.parts == [b""] and len(empty.done) == 1  # an empty object: one empty part


def test_a_part_that_fails_in_the_background_aborts_the_upload():
    class Failing(RecordingS3):
        def upload_part(self, **kw):
            if kw["PartNumber"] == 2:
                raise OSError("connection reset")
            return super().upload_part(**kw)
    s3 = Failing()
    try:
        with s3_objects.MultipartWriter(s3, "b", "k", "x/y", part_size=1000) as w:
            for _ in range(10):
                w.write(b"x" * 500)
    except OSError as exc:
        assert "connection reset" in str(exc)
    else:
        raise AssertionError("the failed part was not raised")
    assert s3.aborted and s3.done is None and w.report is None
