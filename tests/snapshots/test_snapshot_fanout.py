"""A large letter's snapshot split over workers (shard ranges, then the runs merged) gives
the very files and manifest one worker gives, and a part that dies half-way through its
range is tried again without a row counted or listed twice. MemoryStore; moto server S3."""
from __future__ import annotations

import io
import uuid

import pytest

from chalicelib import wiring
from chalicelib.exports import delivery_html, rows
from chalicelib.snapshots import contents
from chalicelib.snapshots import published
from chalicelib.storage import keys
from chalicelib.storage.memory import MemoryStore
from support import FakeClock, RecordingMailer, make_settings, store_signature
from tools import seed
from tools.job_pump import JobPump

SLUG = "eu-hrc43-dprk"
STATES = ["listed"] * 5 + ["pending", "hidden", "rejected", "withdrawn", "awaiting_approval"]


@pytest.fixture
def svc(stack):
    wiring.configure(None)  # the jobs' S3 client afresh, for this stack (not an earlier test's)
    clock = FakeClock()
    bucket = f"fan-{uuid.uuid4().hex[:12]}"
    wiring.boto_client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    settings = make_settings(exports_bucket=bucket)
    service = wiring.build(settings, store=MemoryStore(settings.table_name, clock),
                           mailer=RecordingMailer(), clock=clock)
    seed.load(service, seed.EXAMPLE)
    letter = service.store.get(keys.letter_key(SLUG))
    for i in range(60):  # every state, both kinds, names in several scripts
        kind = "organisation" if i % 7 == 0 else "individual"
        name = ["Zoé Ångström", "김민준", "Иван Петров", "O'Connor Siobhán", "Γιώργος Παπαδόπουλος"][i % 5]
        store_signature(service, letter, uuid.uuid4().hex[:26], kind, f"{name} {i}",
                        affiliation="Professor" if i % 3 else None, country="FR",
                        state=STATES[i % len(STATES)])
    return service


def cut(service, part_rows: int) -> tuple[object, dict[str, bytes]]:
    """A forced snapshot job of the letter, split into parts of `part_rows` signatures;
    the job and the day's files (the manifest among them) as bytes."""
    service.settings = service.settings.model_copy(update={"job_part_rows": part_rows,
                                                           "job_max_parts": 4})
    service.jobs.svc.settings = service.settings
    job = service.jobs.submit(SLUG, "snapshot", {"force": True}, "test")
    JobPump(service).drain()
    s3, bucket = wiring.s3(), service.settings.exports_bucket
    prefix = published.snapshot_prefix(SLUG, "2026-03-01")
    names = [o["Key"][len(prefix):] for o in
             s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    files = {n: s3.get_object(Bucket=bucket, Key=prefix + n)["Body"].read() for n in names}
    assert published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []
    left = s3.list_objects_v2(Bucket=bucket, Prefix=f"exports/{SLUG}/jobs/").get("KeyCount")
    assert left == 0  # the parts' runs are deleted once merged
    return service.jobs.status(SLUG, job.id), files


def test_a_split_snapshot_is_the_single_workers_file_for_file(svc):
    one_job, one = cut(svc, 10_000)
    split_job, split = cut(svc, 10)
    assert (one_job.parts, split_job.parts) == (1, 4)
    assert split_job.state == "complete" and split_job.result["status"] == "complete"
    assert sorted(split) == sorted(one) == sorted(
        [*published.FILES, published.MANIFEST])
    for name in one:  # byte for byte, so each sha256 in the manifest, and the manifest itself
        assert split[name] == one[name], name
    # the snapshot's lists are the on-demand exports' of the same list, byte for byte
    letter = svc.store.get(keys.letter_key(SLUG))
    csv_out, html_out = io.BytesIO(), io.BytesIO()
    rows.export_csv(svc.store, letter, csv_out)
    delivery_html.export_delivery_html(svc.store, letter, html_out)
    assert one["signatories.csv"] == csv_out.getvalue()
    assert one["letter.html"] == html_out.getvalue()
    listed = 35 + 30
    assert split_job.rows_read == one_job.rows_read == 35 + 60
    assert split_job.rows_written == one_job.rows_written == listed


def test_a_part_that_dies_half_way_is_tried_again_without_a_row_twice(svc, monkeypatch):
    _, one = cut(svc, 10_000)
    real, died = contents.iter_signatures, []

    def dies_once(store, letter, **kw):
        for n, sig in enumerate(real(store, letter, **kw)):
            if kw.get("shards") == range(1, 2) and not died and n == 3:
                died.append(n)
                raise ConnectionError("the worker's connection dropped")
            yield sig
    monkeypatch.setattr(contents, "iter_signatures", dies_once)
    job, split = cut(svc, 10)
    assert died and job.parts == 4 and job.state == "complete" and job.attempts == 2
    assert split == one
    assert (job.rows_read, job.rows_written) == (35 + 60, 35 + 30)


def test_the_nightly_run_queues_a_large_letters_cut_as_a_split_job(svc):
    from chalicelib.snapshots import job as snap_job
    svc.settings = svc.jobs.svc.settings = svc.settings.model_copy(
        update={"job_part_rows": 10, "job_max_parts": 4})
    submitted = []

    def submit(slug):
        submitted.append(svc.jobs.submit(slug, "snapshot", {"force": False}, "nightly snapshot"))
        return submitted[-1].id
    reports = snap_job.run_nightly(svc, wiring.s3(), svc.clock(), submit=submit)
    assert [(r["slug"], r["status"]) for r in reports] == [(SLUG, "queued")]
    assert reports[0]["job"] == submitted[0].id and submitted[0].parts == 4
    assert published.list_snapshots(wiring.s3(), svc.settings.exports_bucket, SLUG) == []
    JobPump(svc).drain()
    done = svc.jobs.status(SLUG, submitted[0].id)
    assert done.state == "complete" and done.result["status"] == "complete"
    assert published.verify_snapshot(wiring.s3(), svc.settings.exports_bucket, SLUG,
                                     "2026-03-01") == []
