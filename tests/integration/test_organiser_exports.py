"""Organisers' exports and snapshots through the API: options, their validation, what the
files hold (DynamoDB Local + moto server S3, a fresh bucket per test)."""
from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from chalicelib import wiring
from chalicelib.storage import keys
from helpers import post
from support import store_signature

SLUG = "eu-hrc43-dprk"


@pytest.fixture
def svc(settings, mailer, clock):
    """The service over the example letter, wired to the app, with an exports bucket of its own."""
    from tools import localstack, seed
    bucket = f"x-{uuid.uuid4().hex[:12]}"
    localstack.bootstrap(settings.table_name, bucket)
    instance = wiring.build(settings.model_copy(update={"exports_bucket": bucket}),
                            mailer=mailer, clock=clock)
    wiring.configure(instance)
    seed.load(instance, seed.EXAMPLE)
    yield instance
    wiring.configure(None)


@pytest.fixture
def client(svc):
    from chalice.test import Client

    import app
    with Client(app.app) as c:
        yield c


@pytest.fixture
def token(svc):
    return svc.organisers.create("Exports organiser", []).token


class Finished:
    """A job's answer once the worker has run it: 200 and its result (or the refusal)."""

    def __init__(self, status_code: int, json_body: dict) -> None:
        self.status_code, self.json_body = status_code, json_body


def finished(client, token, resp, path: str) -> Finished:
    """POST answered 202 with a queued job; the job worker runs it; GET reports it done."""
    from tools.job_pump import JobPump
    if resp.status_code != 202:
        return Finished(resp.status_code, resp.json_body)
    assert resp.json_body["state"] == "queued", resp.json_body
    JobPump(wiring.get()).drain()
    job = client.http.get(f"/admin/letters/{SLUG}/{path}/{resp.json_body['id']}",
                          headers={"authorization": f"Bearer {token}"})
    assert job.status_code == 200 and job.json_body["state"] == "complete", job.json_body
    return Finished(200, job.json_body["result"])


def export(client, token, **body):
    return finished(client, token, post(client, f"/admin/letters/{SLUG}/exports", body,
                                        {"authorization": f"Bearer {token}"}), "exports")


def fetch(svc, key: str) -> bytes:
    return wiring.s3().get_object(Bucket=svc.settings.exports_bucket, Key=key)["Body"].read()


def csv_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def add(svc, name: str, state: str, email: str = None) -> str:
    letter = svc.store.get(keys.letter_key(SLUG))
    sig_id = uuid.uuid4().hex[:26]
    store_signature(svc, letter, sig_id, "individual", name, country="FR", state=state,
                    email=email)
    return sig_id


def test_the_list_export_holds_listed_signatures_unless_other_states_are_named(client, svc, token):
    add(svc, "Rejected Person", "rejected")
    add(svc, "Pending Person", "pending")
    resp = export(client, token, format="csv")
    assert resp.status_code == 200, resp.json_body
    rows = csv_of(fetch(svc, resp.json_body["key"]))
    assert len(rows) == 35 and {r["state"] for r in rows} == {"listed"}
    assert resp.json_body["key"].endswith("-signatories.csv")
    named = export(client, token, format="json", states=["rejected", "pending"])
    assert named.status_code == 200, named.json_body
    assert named.json_body["key"].endswith("-pending-rejected-signatories.json")
    doc = json.loads(fetch(svc, named.json_body["key"]))
    assert doc["states"] == ["pending", "rejected"]
    assert sorted((r["name"], r["state"]) for r in doc["signatures"]) == [
        ("Pending Person", "pending"), ("Rejected Person", "rejected")]


@pytest.mark.parametrize("body, loc, kind", [
    ({"format": "csv", "states": ["deleted"]}, ["body", "states", 0], "literal_error"),
    ({"format": "csv", "states": []}, ["body", "states"], "too_short"),
    ({"format": "csv", "states": "listed"}, ["body", "states"], "list_type"),
    ({"format": "docx", "states": ["pending"]}, ["body", "states"], "list_formats_only"),
    ({"format": "docx", "date": "2026-02-30"}, ["body", "date"], "invalid_date"),
    ({"format": "docx", "date": "3 December 2026"}, ["body", "date"], "string_pattern_mismatch"),
    ({"format": "html", "date": "1999-12-31"}, ["body", "date"], "date_out_of_range"),
    ({"format": "html", "date": 20261203}, ["body", "date"], "string_type"),
    ({"format": "csv", "date": "2026-12-03"}, ["body", "date"], "letter_formats_only"),
])
def test_bad_export_options_are_422_naming_the_field(client, svc, token, body, loc, kind):
    resp = export(client, token, **body)
    assert resp.status_code == 422
    error = resp.json_body["error"]
    assert error["code"] == "invalid_fields"
    assert {"loc": loc, "type": kind} in error["fields"]


def test_the_xlsx_export_is_a_workbook_of_the_listed_signatures(client, svc, token):
    import openpyxl
    add(svc, "Rejected Person", "rejected")
    resp = export(client, token, format="xlsx", include_email=True)
    assert resp.status_code == 200, resp.json_body
    assert resp.json_body["key"].endswith("-with-emails-signatories.xlsx")
    obj = wiring.s3().get_object(Bucket=svc.settings.exports_bucket, Key=resp.json_body["key"])
    assert obj["ContentType"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(openpyxl.load_workbook(io.BytesIO(obj["Body"].read()))["Signatories"]
                .iter_rows(values_only=True))
    assert rows[0][-1] == "email" and len(rows) == 1 + 35
    assert "Rejected Person" not in {r[2] for r in rows}


def test_the_delivery_letter_carries_the_delivery_date_asked_for(client, svc, token):
    import docx
    resp = export(client, token, format="docx", date="2026-12-03")
    assert resp.status_code == 200, resp.json_body
    doc = docx.Document(io.BytesIO(fetch(svc, resp.json_body["key"])))
    assert doc.paragraphs[0].text == "3 December 2026"
    page = fetch(svc, export(client, token, format="html", date="2026-12-03").json_body["key"])
    assert b'<p class="date">3 December 2026</p>' in page


def test_the_pdf_export_is_the_dated_letter_with_its_sha256(client, svc, token):
    import hashlib
    resp = export(client, token, format="pdf", date="2026-12-03")
    assert resp.status_code == 200, resp.json_body
    pdf = fetch(svc, resp.json_body["key"])
    assert pdf.startswith(b"%PDF-") and resp.json_body["key"].endswith("-letter.pdf")
    assert resp.json_body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert b"/CreationDate (D:20261203000000Z" in pdf


def test_a_pdf_its_fonts_cannot_draw_fails_its_job_and_writes_no_file(client, svc, token):
    from tools.job_pump import JobPump
    add(svc, "محمد علي", "listed")
    auth = {"authorization": f"Bearer {token}"}
    started = post(client, f"/admin/letters/{SLUG}/exports", {"format": "pdf"}, auth)
    assert started.status_code == 202
    JobPump(wiring.get()).drain()
    job = client.http.get(f"/admin/letters/{SLUG}/exports/{started.json_body['id']}",
                          headers=auth).json_body
    assert (job["state"], job["error"], job["attempts"]) == ("failed", "pdf_glyphs_missing", 1), job
    assert "محمد" not in json.dumps(job)
    listed = wiring.s3().list_objects_v2(Bucket=svc.settings.exports_bucket,
                                         Prefix=f"exports/{SLUG}/")
    assert not [o for o in listed.get("Contents", []) if o["Key"].endswith("letter.pdf")]


def cut(client, token, **body):
    return finished(client, token, post(client, f"/admin/letters/{SLUG}/snapshots", body,
                                        {"authorization": f"Bearer {token}"}), "jobs")


def test_a_second_cut_the_same_day_says_it_exists_and_force_replaces_the_days_files(
        client, svc, token, clock):
    from chalicelib.snapshots import published
    first = cut(client, token)
    assert first.status_code == 200, first.json_body
    assert first.json_body["status"] == "complete" and first.json_body["replaced"] is False
    first_cut = first.json_body["time_cut"]
    clock.advance(minutes=90)
    add(svc, "Marie Curie", "listed")
    again = cut(client, token)
    assert again.json_body["status"] == "exists"
    assert again.json_body["time_cut"] == first_cut  # when the day's files were cut
    bucket, prefix = svc.settings.exports_bucket, published.snapshot_prefix(SLUG, "2026-03-01")
    assert "Marie Curie" not in {r["name"] for r in csv_of(fetch(svc, prefix + "signatories.csv"))}
    replaced = cut(client, token, force=True)
    body = replaced.json_body
    assert replaced.status_code == 200 and body["status"] == "complete", body
    assert body["replaced"] is True and body["replaced_cut"] == first_cut
    assert body["time_cut"] > first_cut and body["date"] == "2026-03-01"
    assert "Marie Curie" in {r["name"] for r in csv_of(fetch(svc, prefix + "signatories.csv"))}
    assert published.verify_snapshot(wiring.s3(), bucket, SLUG, "2026-03-01") == []
    listing = client.http.get(f"/admin/letters/{SLUG}/snapshots",
                              headers={"authorization": f"Bearer {token}"}).json_body
    assert [s["date"] for s in listing["snapshots"]] == ["2026-03-01"]  # one file set a day
    assert cut(client, token).json_body["time_cut"] == body["time_cut"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_large_letters_list_export_split_over_workers_is_the_same_file(client, svc, token,
                                                                         fmt):
    """Split over shard ranges (each part a sorted run in S3), merged into one file: the
    same rows in the same order as one worker writes; the runs are gone afterwards."""
    add(svc, "Émile Zola", "listed", email="emile@example.org")
    whole = export(client, token, format=fmt, include_email=True)
    svc.settings = svc.settings.model_copy(update={"job_part_rows": 10, "job_max_parts": 3})
    started = post(client, f"/admin/letters/{SLUG}/exports",
                   {"format": fmt, "include_email": True}, {"authorization": f"Bearer {token}"})
    assert started.json_body["parts"] == 3 and started.json_body["rows_total"] == 36
    split = finished(client, token, started, "exports")
    one, three = fetch(svc, whole.json_body["key"]), fetch(svc, split.json_body["key"])
    if fmt == "csv":
        assert csv_of(three) == csv_of(one) and len(csv_of(three)) == 36
    else:
        assert json.loads(three)["signatures"] == json.loads(one)["signatures"]
        assert json.loads(three)["counts"]["total"] == 36
    listed = wiring.s3().list_objects_v2(Bucket=svc.settings.exports_bucket,
                                         Prefix=f"exports/{SLUG}/jobs/")
    assert listed.get("KeyCount", 0) == 0
    job = client.http.get(f"/admin/letters/{SLUG}/exports/{started.json_body['id']}",
                          headers={"authorization": f"Bearer {token}"}).json_body
    assert (job["parts_done"], job["rows_read"], job["rows_written"]) == (3, 36, 36)


@pytest.mark.parametrize("parts", [1, 3])
def test_an_export_with_emails_opens_the_sealed_addresses_in_the_job_worker(client, svc, token,
                                                                            mailer, parts):
    """A signer's address is only sealed in the table; the export job (the one function
    besides the mail worker that may open it) writes it into the file, whole or split."""
    from chalicelib.models import signature_in
    from helpers import individual
    from support import with_mail_pump
    with_mail_pump(svc)
    sha = svc.letters.letter_item(SLUG)["text_sha256"]
    svc.signing.sign(SLUG, signature_in.validate_python(individual(
        type("L", (), {"text_sha256": sha})(), name="Kim Sealed", country="KR",
        email="kim.sealed.5d1e@example.org")), "192.0.2.8")
    token_ = mailer.last_token()
    svc.signing.confirm(token_, "192.0.2.8")
    svc.settings = svc.settings.model_copy(update={"job_part_rows": 10, "job_max_parts": parts})
    with_emails = csv_of(fetch(svc, export(client, token, format="csv",
                                           include_email=True).json_body["key"]))
    without = fetch(svc, export(client, token, format="csv").json_body["key"])
    kim = [r for r in with_emails if r["name"] == "Kim Sealed"]
    assert kim and kim[0]["email"] == "kim.sealed.5d1e@example.org"
    assert b"kim.sealed.5d1e" not in without
    assert len(with_emails) == 36
