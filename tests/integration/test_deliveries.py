"""Delivering the letter through the API: a snapshot's PDF sent as one MIME message, the
record that proves it, SES's events read back onto it, the public note and a withdrawal that
came after it (DynamoDB Local + moto server S3; mail recorded, as SES would take it)."""
from __future__ import annotations

import email
import hashlib
import json
import uuid
from email import policy

import pytest

from chalicelib import wiring
from chalicelib.snapshots import published
from chalicelib.storage import keys
from helpers import post
from support import store_signature, with_mail_pump

SLUG = "eu-hrc43-dprk"
TO = ["cabinet@eeas.example", "hrvp-office@eeas.example"]
COVER = "Your Excellency,\n\nPlease find **our joint letter** attached.\n\n- one\n- two\n"


@pytest.fixture
def svc(settings, mailer, clock):
    from tools import localstack, seed
    bucket = f"d-{uuid.uuid4().hex[:12]}"
    localstack.bootstrap(settings.table_name, bucket)
    instance = with_mail_pump(wiring.build(settings.model_copy(update={"exports_bucket": bucket}),
                                           mailer=mailer, clock=clock))
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
def auth(svc):
    return {"authorization": f"Bearer {svc.organisers.create('Delivery organiser', []).token}"}


def cut(client, auth, **body) -> dict:
    """Cut a snapshot: a job, run here by the job worker; its report."""
    from tools.job_pump import JobPump
    started = post(client, f"/admin/letters/{SLUG}/snapshots", body, auth)
    assert started.status_code == 202, started.json_body
    JobPump(wiring.get()).drain()
    job = client.http.get(f"/admin/letters/{SLUG}/jobs/{started.json_body['id']}", headers=auth)
    assert job.json_body["state"] == "complete", job.json_body
    return job.json_body["result"]


@pytest.fixture
def snapshot(client, auth):
    report = cut(client, auth)
    assert report["status"] == "complete", report
    return report["date"]


def manifest_of(svc, date):
    raw = wiring.s3().get_object(Bucket=svc.settings.exports_bucket,
                                 Key=published.snapshot_prefix(SLUG, date) + "manifest.json")["Body"].read()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def body(snapshot, **kw):
    return {"snapshot": snapshot, "recipients": TO, "message": COVER, **kw}


def attachments(raw: bytes) -> dict[str, bytes]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}


def test_a_delivery_sends_the_pdf_whose_sha256_it_records(client, svc, auth, mailer, snapshot):
    manifest, manifest_sha = manifest_of(svc, snapshot)
    preview = post(client, f"/admin/letters/{SLUG}/deliveries/preview", body(snapshot), auth)
    assert preview.status_code == 200, preview.json_body
    p = preview.json_body
    assert mailer.raw == []                                   # a preview sends nothing
    assert p["manifest_sha256"] == manifest_sha and p["signatures"] == 35
    assert p["attachments"][0]["sha256"] == manifest["files"]["letter.pdf"]["sha256"]
    assert "<strong>our joint letter</strong>" in p["html"] and "<li>one</li>" in p["html"]
    assert p["addressee"] == "Josep Borrell Fontelles" and p["subject"].startswith("Joint open")
    assert manifest_sha in p["text"]

    sent = post(client, f"/admin/letters/{SLUG}/deliveries",
                body(snapshot, manifest_sha256=manifest_sha), auth)
    assert sent.status_code == 201, sent.json_body
    record = sent.json_body
    assert record["status"] == "sent" and record["ses_message_id"] == "recorded-1"
    assert record["snapshot"] == snapshot and record["manifest_sha256"] == manifest_sha
    assert record["sent_by"].startswith("Delivery organiser")
    assert [r["recipient"] for r in record["recipients"]] == TO

    (raw, recipients), = mailer.raw                           # one MIME message
    assert recipients == TO
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == ", ".join(TO) and msg["Subject"] == p["subject"]
    files = attachments(raw)
    assert list(files) == ["letter.pdf"] and files["letter.pdf"].startswith(b"%PDF-")
    assert hashlib.sha256(files["letter.pdf"]).hexdigest() == record["pdf_sha256"] \
        == manifest["files"]["letter.pdf"]["sha256"]
    assert "our joint letter" in msg.get_body(("plain",)).get_content()

    listed = client.http.get(f"/admin/letters/{SLUG}/deliveries", headers=auth).json_body
    assert [d["id"] for d in listed["deliveries"]] == [record["id"]]
    audit = client.http.get(f"/admin/letters/{SLUG}/audit", headers=auth).json_body["entries"]
    assert audit[0]["action"] == "deliver" and audit[0]["after"]["pdf_sha256"] == record["pdf_sha256"]
    public = client.http.get(f"/letters/{SLUG}").json_body
    assert public["delivered"] == {"addressee": "Josep Borrell Fontelles",
                                   "date": record["sent_at"][:10], "signatures": 35}
    assert "cabinet@eeas.example" not in json.dumps(public)


def test_the_docx_goes_too_when_asked(client, svc, auth, mailer, snapshot):
    sent = post(client, f"/admin/letters/{SLUG}/deliveries", body(snapshot, attach_docx=True), auth)
    assert sent.status_code == 201, sent.json_body
    assert list(attachments(mailer.raw[0][0])) == ["letter.pdf", "letter.docx"]


def test_the_same_delivery_twice_is_refused_unless_asked_again(client, auth, mailer, snapshot):
    path = f"/admin/letters/{SLUG}/deliveries"
    assert post(client, path, body(snapshot), auth).status_code == 201
    twice = post(client, path, body(snapshot), auth)
    assert twice.status_code == 409 and twice.json_body["error"]["code"] == "delivery_exists"
    assert len(mailer.raw) == 1
    again = post(client, path, body(snapshot, again=True), auth)
    assert again.status_code == 201 and len(mailer.raw) == 2


def test_a_refused_send_is_recorded_failed_and_may_be_sent_again(client, auth, mailer, snapshot):
    path = f"/admin/letters/{SLUG}/deliveries"
    mailer.fail = True
    refused = post(client, path, body(snapshot), auth)
    assert refused.status_code == 422 and refused.json_body["error"]["code"] == "delivery_refused"
    listed = client.http.get(path, headers=auth).json_body["deliveries"]
    assert [d["status"] for d in listed] == ["failed"]
    assert client.http.get(f"/letters/{SLUG}").json_body["delivered"] is None
    mailer.fail = False
    assert post(client, path, body(snapshot), auth).status_code == 201


def test_what_cannot_be_delivered_is_refused_and_nothing_is_sent(client, svc, auth, mailer, snapshot):
    path = f"/admin/letters/{SLUG}/deliveries"
    missing = post(client, path, body("2020-01-01"), auth)
    assert missing.status_code == 404
    stale = post(client, path, body(snapshot, manifest_sha256="0" * 64), auth)
    assert stale.status_code == 409 and stale.json_body["error"]["code"] == "snapshot_unusable"
    bad = post(client, path, body(snapshot, recipients=["not an address"]), auth)
    assert bad.status_code == 422 and bad.json_body["error"]["fields"][0]["loc"][:2] == \
        ["body", "recipients"]
    letter = svc.store.get(keys.letter_key(SLUG))
    store_signature(svc, letter, "a" * 26, "individual", "محمد علي", country="EG")
    assert cut(client, auth, force=True)["refused"]
    no_pdf = post(client, path, body(snapshot), auth)
    assert no_pdf.status_code == 409 and f"signature {'a' * 26}" in no_pdf.json_body["error"]["message"]
    assert mailer.raw == []


def ses_event(kind: str, message_id: str, **part) -> dict:
    """An SES event as its configuration set publishes it (eventType …)."""
    key = {"Delivery": "delivery", "Bounce": "bounce", "DeliveryDelay": "deliveryDelay"}[kind]
    return {"eventType": kind, "mail": {"messageId": message_id,
                                        "timestamp": "2026-03-01T10:00:00.000Z"},
            key: {"timestamp": "2026-03-01T10:00:02.000Z", **part}}


def test_ses_events_say_per_recipient_what_became_of_the_delivery(client, svc, auth, snapshot):
    record = post(client, f"/admin/letters/{SLUG}/deliveries", body(snapshot), auth).json_body
    events, mid = svc.ses_events, record["ses_message_id"]
    assert events.apply(ses_event("Delivery", mid, recipients=[TO[0].upper()],
                                  smtpResponse="250 2.0.0 OK")) == "delivered"
    assert events.apply(ses_event("DeliveryDelay", mid, delayedRecipients=[
        {"emailAddress": TO[0]}])) == "unchanged"          # a final outcome stays
    sns = json.dumps(ses_event("Bounce", mid, bounceType="Permanent", bouncedRecipients=[
        {"emailAddress": TO[1], "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]))
    assert events.handle_sns(sns) == "bounced"
    assert events.apply(ses_event("Delivery", "not-ours", recipients=TO)) == "unknown"
    got = client.http.get(f"/admin/letters/{SLUG}/deliveries", headers=auth).json_body
    outcomes = got["deliveries"][0]["recipients"]
    assert outcomes[0] == {"recipient": TO[0], "status": "delivered",
                           "at": "2026-03-01T10:00:02.000Z", "detail": "250 2.0.0 OK"}
    assert outcomes[1]["status"] == "bounced" and "550 5.1.1" in outcomes[1]["detail"]


def test_a_withdrawal_after_a_delivery_keeps_saying_which_delivery(client, svc, auth, mailer,
                                                                  snapshot):
    letter = svc.store.get(keys.letter_key(SLUG))
    signed = post(client, f"/letters/{SLUG}/signatures", {
        "kind": "individual", "name": "Ada Lovelace", "affiliation": "Analyst", "country": "GB",
        "email": "ada@example.org", "consent": True, "letter_sha256": letter["text_sha256"]})
    assert signed.status_code == 202
    post(client, "/confirmations", {"token": mailer.last_token()})
    withdraw = mailer.last_withdraw_token() if "/withdraw.html" in mailer.sent[-1].text else None
    assert withdraw
    record = post(client, f"/admin/letters/{SLUG}/deliveries", body(snapshot), auth).json_body
    gone = post(client, "/withdrawals", {"token": withdraw})
    note = {"addressee": "Josep Borrell Fontelles", "date": record["sent_at"][:10],
            "signatures": 35}
    assert gone.status_code == 200 and gone.json_body["after_delivery"] == note
    again = post(client, f"/admin/letters/{SLUG}/deliveries", body(snapshot, again=True), auth)
    assert again.status_code == 201
    twice = post(client, "/withdrawals", {"token": withdraw})
    assert twice.json_body["already_withdrawn"] is True
    assert twice.json_body["after_delivery"] == note        # the first delivery, still


def test_a_delivery_can_tell_the_signers_who_opted_in(client, svc, auth, mailer, snapshot):
    from tools.job_pump import JobPump
    from tools.update_pump import UpdatePump
    letter = svc.store.get(keys.letter_key(SLUG))
    for name, opt_in in (("Ada Lovelace", True), ("Alan Turing", False)):
        post(client, f"/letters/{SLUG}/signatures", {
            "kind": "individual", "name": name, "country": "GB", "consent": True,
            "email": f"{name.split()[0].lower()}@example.org", "updates_opt_in": opt_in,
            "letter_sha256": letter["text_sha256"]})
        post(client, "/confirmations", {"token": mailer.last_token()})
    record = post(client, f"/admin/letters/{SLUG}/deliveries", body(snapshot, announce=True),
                  auth).json_body
    assert record["update"] == 1
    JobPump(wiring.get()).drain()
    UpdatePump(wiring.get()).drain()
    told = [m for m in mailer.sent if m.headers]
    assert [m.to for m in told] == ["ada@example.org"]   # the 35 imported signatories never opted in
    assert told[0].subject.startswith("The letter was delivered")
    assert f"delivered to Josep Borrell Fontelles on {record['sent_at'][:10]} with 35 signatures" \
        in told[0].text
    update = client.http.get(f"/admin/letters/{SLUG}/updates/1", headers=auth).json_body
    assert (update["source"], update["state"], update["sent"]) == ("delivery", "sent", 1)
