"""The nightly snapshot against DynamoDB Local + moto server S3 (a fresh bucket per test)."""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from chalicelib.storage.codec import to_item
from chalicelib.storage import Update
from chalicelib import wiring
from tools.seed import EXAMPLE
from support import store_signature
from chalicelib.clock import iso
from chalicelib.storage import keys
from chalicelib.storage import s3_objects
from chalicelib.snapshots import claim as snap_claim
from chalicelib.snapshots import job as snap_job
from chalicelib.snapshots import published as snap_published

SLUG = "eu-hrc43-dprk"
DAY1 = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)
DAY2 = DAY1 + dt.timedelta(days=1)


@pytest.fixture
def s3(stack):
    return wiring.boto_client("s3")


@pytest.fixture
def bucket(s3):
    name = f"snap-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return name


@pytest.fixture
def snap(settings, mailer, clock, bucket, example):
    """The service over the example letter, with its exports bucket set to this test's."""
    return wiring.build(settings.model_copy(update={"exports_bucket": bucket}),
                        mailer=mailer, clock=clock)


def get(s3, bucket, key) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def manifest(s3, bucket, date="2026-03-01"):
    return json.loads(get(s3, bucket, f"letters/{SLUG}/snapshots/{date}/manifest.json"))


def latest(s3, bucket):
    try:
        return json.loads(get(s3, bucket, f"letters/{SLUG}/latest.json"))
    except ClientError:
        return None


def keys_in(s3, bucket) -> list[str]:
    resp = s3.list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in resp.get("Contents", []))


def add_listed(service, name, kind="individual", country="FR"):
    letter = service.store.get(keys.letter_key(SLUG))
    sig_id = uuid.uuid4().hex[:26]
    store_signature(service, letter, sig_id, kind, name, country=country)
    return sig_id


def set_state(service, sig_id, state):
    letter = service.store.get(keys.letter_key(SLUG))
    key = keys.signature_key(SLUG, sig_id, letter["shards"])
    assert service.store.update(key, Update(set={"state": state}, remove=("GSI1PK", "GSI1SK")))


def id_of(s3, bucket, name, date="2026-03-01"):
    rows = csv.DictReader(io.StringIO(
        get(s3, bucket, f"letters/{SLUG}/snapshots/{date}/signatories.csv").decode("utf-8-sig")))
    return next(r["id"] for r in rows if r["name"] == name)


class FailingS3:
    """A proxy over the real client that fails the k-th upload_part call."""

    def __init__(self, inner, fail_at: int) -> None:
        self._inner = inner
        self.fail_at = fail_at
        self.parts = 0

    def upload_part(self, **kw):
        self.parts += 1
        if self.parts == self.fail_at:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}},
                              "UploadPart")
        return self._inner.upload_part(**kw)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_snapshot_of_the_example_letter_matches_its_list(snap, s3, bucket):
    report = snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    assert report["status"] == "complete" and report["latest_moved"] is True
    prefix = f"letters/{SLUG}/snapshots/2026-03-01/"
    assert keys_in(s3, bucket) == sorted(
        [f"letters/{SLUG}/latest.json"] + [prefix + n for n in (
            "ids.csv.gz", "letter.docx", "letter.html", "letter.pdf", "manifest.json",
            "signatories.csv", "signatories.json")])
    m = manifest(s3, bucket)
    pdf = get(s3, bucket, prefix + "letter.pdf")
    assert pdf.startswith(b"%PDF-") and "refused" not in m and "refused" not in report
    assert m["files"]["letter.pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert m["slug"] == SLUG and m["text_sha256"] == snap.store.get(
        keys.letter_key(SLUG))["text_sha256"]
    assert m["counts"]["by_kind"] == {"individual": 4, "organisation": 31}
    assert m["counts"]["by_state"] == {"listed": 35}
    assert m["counts"]["by_country"]["KR"] == 19 and m["counts"]["by_country"][""] == 1
    assert m["counts"]["listed"] == {"organisations": 31, "individuals": 4, "total": 35,
                                     "countries": 10}
    assert m["diff"] is None and m["previous"] is None and m["emails"] is False
    with open(EXAMPLE / "signatories.csv", encoding="utf-8") as f:
        expected = sorted(r["name"] for r in csv.DictReader(f))
    rows = list(csv.DictReader(io.StringIO(get(s3, bucket, prefix + "signatories.csv")
                                           .decode("utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == expected
    assert "email" not in rows[0]
    doc = json.loads(get(s3, bucket, prefix + "signatories.json"))
    assert sorted(r["name"] for r in doc["signatures"]) == expected
    page = get(s3, bucket, prefix + "letter.html").decode()
    assert "on behalf of 35 non-governmental organizations" in page
    assert "from 10 different countries" in page
    ids = gzip.decompress(get(s3, bucket, prefix + "ids.csv.gz")).decode().splitlines()
    assert ids == sorted(f"{r['id']},listed" for r in rows)
    assert latest(s3, bucket)["date"] == "2026-03-01"
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []
    assert [s["date"] for s in snap_published.list_snapshots(s3, bucket, SLUG)] == ["2026-03-01"]
    url = s3_objects.presign(s3, bucket, prefix + "letter.html")
    assert "X-Amz-Signature" in url or "Signature" in url


def test_a_name_the_pdf_fonts_lack_leaves_the_pdf_out_and_the_manifest_says_why(
        snap, s3, bucket):
    letter = snap.store.get(keys.letter_key(SLUG))
    store_signature(snap, letter, "a" * 26, "individual", "محمد علي", country="EG")
    report = snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    assert report["status"] == "complete" and report["latest_moved"] is True
    m = manifest(s3, bucket)
    assert "letter.pdf" not in m["files"] and set(m["files"]) == set(snap_published.FILES) - {
        "letter.pdf"}
    assert f"signature {'a' * 26}" in m["refused"]["letter.pdf"]
    assert report["refused"] == m["refused"]
    assert f"letters/{SLUG}/snapshots/2026-03-01/letter.pdf" not in keys_in(s3, bucket)
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []


def test_snapshot_lists_hold_the_listed_signatures_in_the_letters_order(snap, s3, bucket):
    """signatories.csv/json: listed only, in the letter's order; ids.csv.gz and the manifest's
    counts keep every state (the diff and the totals need them)."""
    from chalicelib.storage import signature_streams
    letter = snap.store.get(keys.letter_key(SLUG))
    others = {}
    for state in ("pending", "rejected", "withdrawn", "hidden"):
        others[state] = store_signature(snap, letter, (state[0] * 26), "individual",
                                        "" if state == "withdrawn" else f"Aaron {state}",
                                        country="FR", state=state)["sig_id"]
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    prefix = f"letters/{SLUG}/snapshots/2026-03-01/"
    rows = list(csv.DictReader(io.StringIO(get(s3, bucket, prefix + "signatories.csv")
                                           .decode("utf-8-sig"))))
    in_order = [s["sig_id"] for s in signature_streams.iter_listed_sorted(snap.store, letter)]
    assert [r["id"] for r in rows] == in_order and len(rows) == 35
    assert {r["state"] for r in rows} == {"listed"}
    doc = json.loads(get(s3, bucket, prefix + "signatories.json"))
    assert [r["id"] for r in doc["signatures"]] == in_order
    assert doc["states"] == ["listed"] and doc["counts"]["by_state"] == {"listed": 35}
    ids = gzip.decompress(get(s3, bucket, prefix + "ids.csv.gz")).decode().splitlines()
    assert len(ids) == 39 and ids == sorted(ids)
    assert {f"{i},{s}" for s, i in others.items()} <= set(ids)
    m = manifest(s3, bucket)
    assert m["counts"]["total"] == 39
    assert m["counts"]["by_state"] == {"hidden": 1, "listed": 35, "pending": 1, "rejected": 1,
                                       "withdrawn": 1}
    assert m["counts"]["listed"]["total"] == 35


def test_replay_is_a_no_op(snap, s3, bucket):
    first = snap_job.run_nightly(snap, s3, DAY1)
    before = {k: s3.head_object(Bucket=bucket, Key=k)["LastModified"] for k in keys_in(s3, bucket)}
    again = snap_job.run_nightly(snap, s3, DAY1 + dt.timedelta(minutes=5))
    assert [r["status"] for r in first] == ["complete"]
    assert [r["status"] for r in again] == ["exists"]
    assert {k: s3.head_object(Bucket=bucket, Key=k)["LastModified"]
            for k in keys_in(s3, bucket)} == before


def test_concurrent_runs_write_one_snapshot(snap, s3, bucket):
    uploads = []

    class Counting:
        def __init__(self, inner):
            self._inner = inner

        def create_multipart_upload(self, **kw):
            uploads.append(kw["Key"])
            return self._inner.create_multipart_upload(**kw)

        def __getattr__(self, name):
            return getattr(self._inner, name)

    results, barrier = [], threading.Barrier(4)

    def run():
        client = Counting(wiring.boto_client("s3"))
        barrier.wait()
        results.append(snap_job.snapshot_letter(snap, client, SLUG, DAY1)["status"])

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["busy", "busy", "busy", "complete"]
    assert len(uploads) == 7 and len(set(uploads)) == 7  # one run wrote the files, once
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []
    assert snap_job.snapshot_letter(snap, s3, SLUG, DAY1)["status"] == "exists"


@pytest.mark.parametrize("fail_at", [1, 3, 6, 7])
def test_an_upload_failure_keeps_latest_and_a_rerun_completes(snap, s3, bucket, fail_at):
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    day1_latest = latest(s3, bucket)
    add_listed(snap, "Marie Curie")
    failing = FailingS3(s3, fail_at)
    with pytest.raises(ClientError):
        snap_job.snapshot_letter(snap, failing, SLUG, DAY2)
    assert latest(s3, bucket) == day1_latest
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert not any(k.endswith("2026-03-02/manifest.json") for k in keys_in(s3, bucket))
    # the failed run released its claim: the next run completes the day at once
    report = snap_job.snapshot_letter(snap, s3, SLUG, DAY2)
    assert report["status"] == "complete"
    assert latest(s3, bucket)["date"] == "2026-03-02"
    assert manifest(s3, bucket, "2026-03-02")["diff"]["added"] == [
        id_of(s3, bucket, "Marie Curie", "2026-03-02")]
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-02") == []


def test_a_forced_rewrite_that_fails_leaves_no_day_pointing_at_changed_files(snap, s3, bucket):
    """Writing a complete day again (forced): while its files are rewritten nothing calls it
    complete, so a failure half-way leaves latest.json on the previous good day."""
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    day1_latest = latest(s3, bucket)
    snap_job.snapshot_letter(snap, s3, SLUG, DAY2)
    add_listed(snap, "Marie Curie")
    with pytest.raises(ClientError):
        snap_job.snapshot_letter(snap, FailingS3(s3, 2), SLUG, DAY2 + dt.timedelta(minutes=1),
                                  force=True)
    assert latest(s3, bucket) == day1_latest  # stepped back to the last complete day
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []
    days = {d["date"]: d["complete"] for d in snap_published.list_snapshots(s3, bucket, SLUG)}
    assert days == {"2026-03-01": True, "2026-03-02": False}  # no links to half-written files
    # the next run writes the day again, whole
    assert snap_job.snapshot_letter(snap, s3, SLUG, DAY2 + dt.timedelta(minutes=2))["status"] \
        == "complete"
    assert latest(s3, bucket)["date"] == "2026-03-02"
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-02") == []
    assert manifest(s3, bucket, "2026-03-02")["counts"]["total"] == 36


def test_a_run_that_died_is_taken_over_after_its_lease(snap, s3, bucket, clock):
    key = keys.snapshot_claim_key(SLUG, "2026-03-01")
    snap.store.put({**key, "state": "running", "owner": "dead",
                    "lease_until": iso(clock() + dt.timedelta(minutes=10))})
    assert snap_job.snapshot_letter(snap, s3, SLUG, DAY1)["status"] == "busy"
    assert latest(s3, bucket) is None
    clock.advance(minutes=11)
    assert snap_job.snapshot_letter(snap, s3, SLUG, DAY1)["status"] == "complete"
    assert snap.store.get(key)["state"] == "complete"


def test_the_nightly_run_takes_over_a_day_held_by_a_dead_api_run(snap, s3, bucket, clock):
    """A cut from the API whose function died keeps the day for a minute at most: the nightly
    run waits that out and writes the day, rather than reporting it busy and losing it."""
    key = keys.snapshot_claim_key(SLUG, "2026-03-01")
    snap.store.put({**key, "state": "running", "owner": "dead-api-run", "lease_until": iso(
        clock() + dt.timedelta(seconds=snap_claim.API_LEASE_SECONDS - 5))})
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.advance(seconds=seconds)
    reports = {r["slug"]: r for r in snap_job.run_nightly(snap, s3, DAY1, sleep=sleep)}
    assert reports[SLUG]["status"] == "complete"
    assert len(slept) == 1 and slept[0] <= snap_claim.API_LEASE_SECONDS
    assert latest(s3, bucket)["date"] == "2026-03-01"
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01") == []


def test_the_nightly_run_does_not_wait_for_another_nightly_run(snap, s3, bucket, clock):
    key = keys.snapshot_claim_key(SLUG, "2026-03-01")
    snap.store.put({**key, "state": "running", "owner": "other-nightly", "lease_until":
                    iso(clock() + dt.timedelta(minutes=10))})
    reports = {r["slug"]: r for r in snap_job.run_nightly(
        snap, s3, DAY1, sleep=lambda s: pytest.fail("waited for a live run"))}
    assert reports[SLUG]["status"] == "busy" and latest(s3, bucket) is None


def test_manifest_verifies_and_a_tampered_file_fails(snap, s3, bucket):
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    m = manifest(s3, bucket)
    assert set(m["files"]) == set(snap_published.FILES)
    for name, meta in m["files"].items():
        data = get(s3, bucket, meta["key"])
        import hashlib
        assert (len(data), hashlib.sha256(data).hexdigest()) == (meta["size"], meta["sha256"])
    key = m["files"]["signatories.csv"]["key"]
    s3.put_object(Bucket=bucket, Key=key, Body=get(s3, bucket, key).replace(b"Watch", b"Catch"))
    problems = snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-01")
    assert any("signatories.csv" in p and "sha256" in p for p in problems)
    assert snap_published.verify_snapshot(s3, bucket, SLUG, "2026-03-09") == [
        f"{SLUG} 2026-03-09: no manifest"]


def test_diff_reports_additions_withdrawals_and_hides(snap, s3, bucket, clock):
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    hrw, lumen = id_of(s3, bucket, "Human Rights Watch"), id_of(s3, bucket, "LUMEN")
    clock.advance(days=1)
    new = add_listed(snap, "Marie Curie")
    set_state(snap, hrw, "withdrawn")
    set_state(snap, lumen, "hidden")
    report = snap_job.snapshot_letter(snap, s3, SLUG, DAY2)
    assert report["changes"] == {"added": 1, "withdrawn": 1, "hidden": 1}
    m = manifest(s3, bucket, "2026-03-02")
    assert m["previous"] == {"date": "2026-03-01"}
    assert m["diff"] == {"since": "2026-03-01", "added": [new], "withdrawn": [hrw],
                         "hidden": [lumen], "rejected": [], "quarantined": [], "unlisted": [],
                         "removed": []}
    assert m["counts"]["by_state"] == {"hidden": 1, "listed": 34, "withdrawn": 1}
    assert "Human Rights Watch" not in get(
        s3, bucket, f"letters/{SLUG}/snapshots/2026-03-02/letter.html").decode()
    assert latest(s3, bucket)["date"] == "2026-03-02"
    # a deleted (not just re-stated) signature counts as withdrawn too
    letter = snap.store.get(keys.letter_key(SLUG))
    snap.store._db.delete_item(TableName=snap.store.table, Key=to_item(
        keys.signature_key(SLUG, new, letter["shards"])))
    snap_job.snapshot_letter(snap, s3, SLUG, DAY2 + dt.timedelta(days=1))
    assert manifest(s3, bucket, "2026-03-03")["diff"]["withdrawn"] == [new]


def test_signatures_after_the_cut_wait_for_the_next_snapshot(snap, s3, bucket, clock):
    clock.now = DAY1 + dt.timedelta(minutes=1)
    add_listed(snap, "Late Signer")
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    assert manifest(s3, bucket)["counts"]["total"] == 35


def test_nightly_picks_open_and_recently_closed_letters(snap, s3, bucket):
    from helpers import make_letter
    make_letter(snap, slug="closed-long-ago")
    make_letter(snap, slug="closed-lately")
    for slug, closes in (("closed-long-ago", "2025-12-01T00:00:00.000000Z"),
                         ("closed-lately", "2026-02-20T00:00:00.000000Z")):
        snap.store.update(keys.letter_key(slug), Update(set={"closes_at": closes}))
    reports = {r["slug"]: r for r in snap_job.run_nightly(snap, s3, DAY1)}
    assert reports[SLUG]["status"] == "complete"
    assert reports["closed-lately"]["status"] == "complete"
    assert reports["closed-long-ago"]["status"] == "skipped"


def test_snapshot_files_hold_no_email(snap, s3, bucket):
    letter = snap.store.get(keys.letter_key(SLUG))
    store_signature(snap, letter, "p" * 26, "individual", "Pending Person", country="FR",
                    email="secret@example.org", state="pending")
    snap_job.snapshot_letter(snap, s3, SLUG, DAY1)
    for key in keys_in(s3, bucket):
        data = get(s3, bucket, key)
        if key.endswith(".gz"):
            data = gzip.decompress(data)
        assert b"secret@example.org" not in data and b"example.org" not in data


def test_cli_run_list_verify(snap, s3, bucket):
    from click.testing import CliRunner

    from tools.snapshot_cli import snapshots as group
    runner = CliRunner()
    obj = {"service": snap, "s3": s3}
    ran = runner.invoke(group, ["run"], obj=obj)
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)[0]["status"] == "complete"
    assert "snapshot written" in ran.stderr
    again = runner.invoke(group, ["run", "--slug", SLUG], obj=obj)
    assert json.loads(again.stdout)[0]["status"] == "exists"
    assert "nothing was written" in again.stderr
    assert f"snapshots run --slug {SLUG} --force" in again.stderr
    forced = runner.invoke(group, ["run", "--slug", SLUG, "--force"], obj=obj)
    assert json.loads(forced.stdout)[0]["replaced"] is True
    assert "cut again" in forced.stderr
    listed = runner.invoke(group, ["list", SLUG], obj=obj)
    assert listed.exit_code == 0 and "2026-03-01  complete" in listed.output
    ok = runner.invoke(group, ["verify", SLUG, "2026-03-01"], obj=obj)
    assert ok.exit_code == 0, ok.output
    key = f"letters/{SLUG}/snapshots/2026-03-01/letter.html"
    s3.put_object(Bucket=bucket, Key=key, Body=b"<p>forged</p>")
    bad = runner.invoke(group, ["verify", SLUG, "2026-03-01"], obj=obj)
    assert bad.exit_code == 1 and "letter.html" in bad.output
