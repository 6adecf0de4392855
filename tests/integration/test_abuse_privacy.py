"""Abuse controls and privacy: limits and their window edges, quarantine, honeypot,
Turnstile, consent record, withdrawal, retention, log hygiene."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support import with_mail_pump
from tools.mail_pump import MailPump

from chalicelib import consent, wiring
from chalicelib.storage import Update, keys
from chalicelib.errors import TooManyRequestsError
from chalicelib.models import signature_in
from support import RecordingMailer, make_settings
from helpers import individual, make_letter, post
from tools import localstack
from chalicelib.exports import rows as export_rows

SIGN = "/letters/test-letter/signatures"


def build(clock, **overrides):
    s = make_settings(**overrides)
    localstack.bootstrap(s.table_name, "unused-bucket")
    mailer = RecordingMailer()
    svc = with_mail_pump(wiring.build(s, mailer=mailer, clock=clock))
    wiring.configure(svc)
    return svc, mailer


@pytest.fixture
def limited(stack, clock):
    svc, mailer = build(clock, sign_ip_per_minute=3, sign_ip_per_hour=5, quarantine_ip_per_hour=0)
    letter = make_letter(svc)
    yield svc, mailer, letter
    wiring.configure(None)


def sign(svc, letter, i, ip="198.51.100.7", **kw):
    return svc.signing.sign("test-letter", signature_in.validate_python(
        individual(letter, email=f"p{i}@example.org", **kw)), ip)


def test_ip_limit_per_minute_and_its_window_edge(limited, clock):
    svc, _, letter = limited
    clock.now = dt.datetime(2026, 3, 1, 12, 0, 57, tzinfo=dt.timezone.utc)
    for i in range(3):
        sign(svc, letter, i)
    with pytest.raises(TooManyRequestsError) as err:
        sign(svc, letter, 3)
    assert err.value.retry_after == 3  # the minute ends at :00
    sign(svc, letter, 4, ip="198.51.100.8")  # another address is not affected
    clock.advance(seconds=3)  # 12:01:00, a new minute
    sign(svc, letter, 5)


def test_ip_limit_per_hour(limited, clock):
    svc, _, letter = limited
    clock.now = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    done = 0
    for minute in range(3):
        for _ in range(3):
            try:
                sign(svc, letter, done + 100 * minute)
                done += 1
            except TooManyRequestsError as exc:
                assert minute >= 1 and exc.retry_after == 3600 - 60 * minute
        clock.advance(minutes=1)
    assert done == 5
    clock.now = dt.datetime(2026, 3, 1, 13, 0, 0, tzinfo=dt.timezone.utc)
    sign(svc, letter, 999)


def test_a_burst_of_100_from_one_ip_with_default_settings(stack, clock):
    defaults = {k: f.default for k, f in type(make_settings()).model_fields.items()
                if k.startswith(("sign_", "quarantine_ip", "confirm_ip", "mail_per"))}
    svc, mailer = build(clock, **defaults)
    letter = make_letter(svc)
    from chalice.test import Client

    import app
    with Client(app.app) as client:
        answers = [post(client, SIGN, individual(letter, email=f"b{i}@example.org")).status_code
                   for i in range(100)]
    accepted, refused = answers.count(202), answers.count(429)
    assert (accepted, refused) == (defaults["sign_ip_per_minute"], 100 - defaults["sign_ip_per_minute"])
    wiring.configure(None)


def test_429_carries_retry_after_in_the_common_shape(stack, clock):
    svc, _ = build(clock, sign_ip_per_minute=1)
    letter = make_letter(svc)
    from chalice.test import Client

    import app
    with Client(app.app) as client:
        post(client, SIGN, individual(letter))
        resp = post(client, SIGN, individual(letter, email="second@example.org"))
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.json_body["error"]["code"] == "too_many_requests"
    wiring.configure(None)


def test_made_up_sign_ons_cannot_lock_a_domain_out_they_hold_its_next_ones(stack, clock):
    """Past the per-domain limit, sign-ons are accepted and held for an organiser (never
    refused: made-up ones cannot lock an organisation's staff out); common providers are
    not limited."""
    svc, mailer = build(clock, sign_domain_per_hour=2)
    letter = make_letter(svc)
    for i in range(2):
        svc.signing.sign("test-letter", signature_in.validate_python(
            individual(letter, email=f"x{i}@ngo.example")), f"203.0.113.{i}")
    staff = svc.signing.sign("test-letter", signature_in.validate_python(
        individual(letter, email="staff@ngo.example", name="Real Staff")), "203.0.113.9")
    assert staff.mail == "queued"
    token = mailer.last_token()
    assert svc.signing.confirm(token, "203.0.113.9").state == "awaiting_approval"
    held = svc.store.signature(svc.letters.letter_item("test-letter"), token[:26])
    assert held["state"] == "quarantined" and held["quarantine_reason"] == \
        "many sign-ons from one email domain"
    for i in range(5):
        svc.signing.sign("test-letter", signature_in.validate_python(
            individual(letter, email=f"y{i}@gmail.com")), f"203.0.113.{20 + i}")
        assert "quarantine_reason" not in svc.store.signature(
            svc.letters.letter_item("test-letter"), mailer.last_token()[:26])
    wiring.configure(None)


def test_mail_cap_per_address_stops_spamming_a_third_party(stack, clock):
    svc, mailer = build(clock, mail_per_address_per_day=2)
    for n in range(4):
        letter = make_letter(svc, slug=f"letter-{n}")
        svc.signing.sign(f"letter-{n}", signature_in.validate_python(
            individual(letter, email="victim@example.org")), f"192.0.2.{n}")
        assert len(mailer.sent) == min(n + 1, 2)
    assert len(mailer.sent) == 2
    clock.advance(days=1)
    letter = make_letter(svc, slug="letter-9")
    svc.signing.sign("letter-9", signature_in.validate_python(
        individual(letter, email="victim@example.org")), "192.0.2.9")
    assert len(mailer.sent) == 3
    wiring.configure(None)


def test_confirmation_attempts_per_ip_are_limited(stack, clock):
    svc, mailer = build(clock, confirm_ip_per_minute=2)
    make_letter(svc)
    from chalicelib.errors import TokenInvalidError
    for _ in range(2):
        with pytest.raises(TokenInvalidError):
            svc.signing.confirm("x" * 80, "192.0.2.1")
    with pytest.raises(TooManyRequestsError):
        svc.signing.confirm("x" * 80, "192.0.2.1")
    wiring.configure(None)


def test_quarantine_holds_a_suspicious_signature_until_an_organiser_releases_it(client, service,
                                                                                mailer, clock):
    svc, qmailer = build(clock, quarantine_name_pattern=r"\bviagra\b")
    letter = make_letter(svc)
    answer = post(client, SIGN, individual(letter, name="Cheap Viagra Seller"))
    assert answer.status_code == 202 and answer.json_body["mail"] == "queued"  # the normal answer
    confirmed = post(client, "/confirmations", {"token": qmailer.last_token()})
    assert confirmed.json_body["state"] == "awaiting_approval"
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 0
    queue = svc.queue.search("test-letter", _filters(state="quarantined"), None, 10).signatures
    assert [q.name for q in queue] == ["Cheap Viagra Seller"]
    from chalicelib.organisers import Principal
    svc.actions.act("test-letter", queue[0].id, "approve", Principal("t", "tester", ()))
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 1
    wiring.configure(None)


def _filters(**kw):
    from chalicelib.organiser_models import Filters
    return Filters(**kw)


def test_many_sign_ons_from_one_ip_past_the_soft_limit_are_quarantined(stack, clock):
    svc, mailer = build(clock, quarantine_ip_per_hour=2)
    letter = make_letter(svc)
    for i in range(3):
        sign(svc, letter, i, ip="198.51.100.50")
        svc.signing.confirm(mailer.last_token(), "198.51.100.50")
    assert svc.letters.counts(svc.store.get_letter("test-letter")).total == 2
    held = svc.queue.search("test-letter", _filters(state="quarantined"), None, 10).signatures
    assert [h.name for h in held] == ["Ada Lovelace"] and held[0].email_domain == "example.org"
    wiring.configure(None)


def test_past_the_soft_limit_the_hard_limits_still_refuse(stack, clock):
    """Quarantining a busy address must not switch its per-minute and per-hour limits off."""
    svc, mailer = build(clock, sign_ip_per_minute=3, sign_ip_per_hour=5, quarantine_ip_per_hour=2)
    letter = make_letter(svc)
    accepted = refused = 0
    for i in range(20):
        try:
            sign(svc, letter, i)
            accepted += 1
        except TooManyRequestsError:
            refused += 1
    assert (accepted, refused) == (3, 17)
    clock.advance(minutes=1)
    sign(svc, letter, 20)  # the 4th and 5th let through this hour (a refused one is not counted)
    sign(svc, letter, 21)
    with pytest.raises(TooManyRequestsError):
        sign(svc, letter, 22)  # the hourly limit
    from chalicelib.storage.signature_streams import iter_signatures
    held = [s for s in iter_signatures(svc.store, svc.letters.letter_item("test-letter"))
            if s.get("quarantine_reason")]
    assert len(held) == 3  # past the soft limit of 2, each accepted one is held
    wiring.configure(None)


def test_the_daily_cap_holds_across_resends_and_a_capped_mail_is_not_sent_later(stack, clock):
    """Over the address's daily cap no mail goes out, however often the page asks (and a
    capped link is not sent later by a redelivery of its record)."""
    svc, mailer = build(clock, mail_per_address_per_day=2, resend_max=10, resend_interval_seconds=60)
    letter = make_letter(svc)
    sign(svc, letter, 1)
    sid = mailer.last_token()[:26]
    key = keys.signature_key("test-letter", sid, svc.letters.letter_item("test-letter")["shards"])
    clock.advance(minutes=2)
    sign(svc, letter, 1)  # the second mail of the day
    assert len(mailer.sent) == 2
    for _ in range(5):
        clock.advance(minutes=2)
        sign(svc, letter, 1)
    assert len(mailer.sent) == 2
    assert svc.store.get(key)["mail_note"] == "daily cap"
    clock.advance(days=1)  # a new day: the cap allows again
    sign(svc, letter, 1)
    assert len(mailer.sent) == 3
    wiring.configure(None)


def test_a_failed_resend_while_the_signer_confirms_is_harmless(stack, clock):
    from chalicelib.mail import MailError
    svc, mailer = build(clock, resend_interval_seconds=0)
    letter = make_letter(svc)
    sign(svc, letter, 1)
    first = mailer.last_token()
    clock.advance(seconds=5)

    class Racing(RecordingMailer):
        def send(self, message):
            svc.signing.confirm(first, "198.51.100.9")  # the signer clicks the first link meanwhile
            raise MailError("SES is down")
    racing = Racing()
    svc.mail_worker.mailer = racing
    sign(svc, letter, 1)
    MailPump(svc).drain()  # parked, not a crash
    assert svc.letters.counts(svc.store.get_letter("test-letter")).total == 1
    wiring.configure(None)


def test_honeypot_gets_the_normal_answer_and_nothing_is_stored(client, service, mailer):
    letter = make_letter(service)
    trap = post(client, SIGN, individual(letter, website="http://spam.example"))
    assert trap.status_code == 202 and trap.json_body["mail"] == "queued"
    assert mailer.sent == []
    real = post(client, SIGN, individual(letter))  # the same address was not claimed
    assert real.status_code == 202 and len(mailer.sent) == 1


class _Turnstile(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        ok = "response=good" in body and "secret=s3cret" in body
        out = json.dumps({"success": ok}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


@pytest.fixture
def turnstile_stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Turnstile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/siteverify"
    server.shutdown()
    server.server_close()


def test_turnstile_is_verified_server_side_and_fails_closed(stack, clock, turnstile_stand_in):
    from chalicelib.errors import ServiceUnavailableError, ValidationFailedError
    svc, _ = build(clock, turnstile_secret="s3cret", turnstile_site_key="site-key",
                   turnstile_verify_url=turnstile_stand_in)
    letter = make_letter(svc)
    assert svc.letters.get_letter("test-letter").turnstile_site_key == "site-key"
    assert svc.signing.sign("test-letter", signature_in.validate_python(
        individual(letter, turnstile_token="good")), "192.0.2.1").mail == "queued"
    for token in (None, "bad"):
        with pytest.raises(ValidationFailedError):
            svc.signing.sign("test-letter", signature_in.validate_python(
                individual(letter, email="b@example.org", turnstile_token=token)), "192.0.2.1")
    down, _ = build(clock, turnstile_secret="s3cret", turnstile_verify_url="http://127.0.0.1:9/x")
    letter = make_letter(down)
    with pytest.raises(ServiceUnavailableError):
        down.signing.sign("test-letter", signature_in.validate_python(
            individual(letter, turnstile_token="good")), "192.0.2.1")
    wiring.configure(None)


def _item(service, sig_id, slug="test-letter"):
    letter = service.store.get_letter(slug)
    return service.store.get(keys.signature_key(slug, sig_id, letter["shards"]))


def _only_id(client, slug="test-letter"):
    [sig] = client.http.get(f"/letters/{slug}/signatures").json_body["signatures"]
    return sig["id"]


def test_consent_is_recorded_with_the_text_hash_version_and_time(client, service, mailer, clock):
    letter = make_letter(service)
    post(client, SIGN, individual(letter, language="ko", consent_version=consent.VERSION))
    post(client, "/confirmations", {"token": mailer.last_token()})
    item = _item(service, _only_id(client))
    assert item["consent_version"] == consent.VERSION
    assert item["consent_sha256"] == hashlib.sha256(consent.TEXTS["ko"].encode()).hexdigest()
    assert item["consent_at"].startswith("2026-03-01T12:00") and item["updates_opt_in"] is False
    assert "서명을 확인해 주세요" in mailer.sent[-1].subject  # the email speaks the page's language
    stale = post(client, SIGN, individual(letter, email="z@example.org", consent_version="1999"))
    assert stale.status_code == 422


def test_withdrawal_unlists_uncounts_and_forgets(client, service, mailer):
    letter = make_letter(service)
    post(client, SIGN, individual(letter))
    post(client, "/confirmations", {"token": mailer.last_token()})
    sig_id = _only_id(client)
    withdraw_token = mailer.last_withdraw_token()
    resp = post(client, "/withdrawals", {"token": withdraw_token})
    assert resp.status_code == 200 and resp.json_body == {
        "letter": "test-letter", "state": "withdrawn", "already_withdrawn": False,
        "after_delivery": None}   # the letter was not delivered before (test_deliveries.py)
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 0
    assert client.http.get("/letters/test-letter/signatures").json_body["signatures"] == []
    item = _item(service, sig_id)
    assert item["state"] == "withdrawn" and item["withdrawn_at"]
    for field in ("name", "email", "email_hash", "email_domain", "affiliation", "country"):
        assert field not in item
    import io
    out = io.BytesIO()
    export_rows.export_csv(service.store, service.store.get_letter("test-letter"), out,
                           include_email=True, unsealer=service.unsealer)
    assert b"ada@example.org" not in out.getvalue() and b"Ada Lovelace" not in out.getvalue()
    again = post(client, "/withdrawals", {"token": withdraw_token})
    assert again.json_body["already_withdrawn"] is True
    # the confirmation link cannot withdraw, nor the withdrawal link confirm
    assert post(client, "/confirmations", {"token": withdraw_token}).status_code == 404
    resigned = post(client, SIGN, individual(letter))
    assert resigned.status_code == 202
    post(client, "/confirmations", {"token": mailer.last_token()})
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 1
    assert service.recount.recount("test-letter").drift == {}


def retention_pass(service, clock) -> list[dict]:
    """The daily job, then the job worker running the anonymisation jobs it started: the
    result of each (the letter's report)."""
    from tools.job_pump import JobPump
    started = service.retention.run(clock())
    JobPump(service).drain()
    return [service.jobs.status(r["slug"], r["job"]).result for r in started if r.get("job")]


def test_retention_expires_pending_by_ttl_and_anonymises_a_closed_letter_once(client, service,
                                                                             mailer, clock):
    letter = make_letter(service)
    post(client, SIGN, individual(letter, email="never@example.org", name="Never Confirmed"))
    post(client, SIGN, individual(letter, email="keep@example.org", name="Keeps Updates",
                                  updates_opt_in=True))
    post(client, "/confirmations", {"token": mailer.last_token()})
    post(client, SIGN, individual(letter, email="plain@example.org", name="Plain Signer"))
    post(client, "/confirmations", {"token": mailer.last_token()})
    never = service.queue.search("test-letter", _filters(), None, 10).signatures
    pending = [s for s in never if s.state == "pending"]
    assert len(pending) == 1
    item = service.store.signature(service.letters.letter_item("test-letter"), pending[0].id)
    assert item["ttl"] > clock().timestamp()  # DynamoDB deletes it then (DynamoDB Local never)
    assert retention_pass(service, clock) == []  # open: nothing is due, nothing read
    from chalicelib.organisers import Principal
    service.letter_admin.set_status("test-letter", "closed", None, Principal("t", "t", ()))
    clock.advance(days=service.settings.retention_days, seconds=1)
    [report] = retention_pass(service, clock)
    assert report == {"slug": "test-letter", "status": "anonymised", "anonymised": 2,
                      "pending_deleted": 1,  # the pending one, if its TTL had not come yet
                      "keys_destroyed": 1}
    assert service.store.get(keys.email_claim_key(
        "test-letter", service.signing.email_hash("never@example.org"))) is None
    letter_item = service.letters.letter_item("test-letter", fresh=True)
    stored = [service.store.get(keys.signature_key("test-letter", s.id, letter_item["shards"]))
              for s in service.queue.search("test-letter", _filters(), None, 10).signatures]
    # Every address goes at the retention date, those kept for updates too (docs/PRIVACY.md).
    assert {s["name"] for s in stored} == {"Plain Signer", "Keeps Updates"}
    assert not any(f in s for s in stored for f in ("email_sealed", "email", "email_hash"))
    assert "seal_kid" not in letter_item and letter_item["keys_destroyed_at"]
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 2
    assert retention_pass(service, clock) == []  # done once: the letter is no longer due


def test_retention_leaves_a_signature_that_moved_since_it_was_read(client, service, mailer,
                                                                   clock):
    """An organiser unhides a signature while retention is anonymising the closed letter:
    the name stays (retention's read was of a hidden one), the next run sees it listed."""
    from chalicelib.principal import Principal
    letter = make_letter(service)
    post(client, SIGN, individual(letter))
    token = mailer.last_token()
    post(client, "/confirmations", {"token": token})
    key = keys.signature_key("test-letter", token[:26], service.letters.letter_item("test-letter")["shards"])
    who = Principal("t", "Organiser", ())
    service.actions.act("test-letter", token[:26], "hide", who)
    service.letter_admin.set_status("test-letter", "closed", None, who)
    clock.advance(days=service.settings.retention_days + 1)
    stale = service.store.get(key)  # what retention read
    service.actions.act("test-letter", token[:26], "unhide", who)
    assert service.retention._anonymise(service.letters.letter_item("test-letter"), stale, clock(),
                                        "run") == 0
    assert service.store.get(key)["name"] == "Ada Lovelace"
    assert client.http.get("/letters/test-letter/signatures").json_body["signatures"][0]["name"] \
        == "Ada Lovelace"
    assert service.recount.recount("test-letter").drift == {}
    # The next run anonymises it as what it is now: listed, so its name stays public.
    retention_pass(service, clock)
    now = service.store.get(key)
    assert now.get("anonymised_at") and now["name"] == "Ada Lovelace" and "email" not in now
    # Anonymised: no organiser action applies any more (409, not a 500).
    from chalicelib.errors import StateConflictError
    for action in ("hide", "rename"):
        with pytest.raises(StateConflictError):
            service.actions.act("test-letter", token[:26], action, who, name="X")


def test_a_withdrawn_signature_cannot_be_renamed(client, service, mailer):
    from chalicelib.errors import StateConflictError
    from chalicelib.principal import Principal
    post(client, SIGN, individual(make_letter(service)))
    token = mailer.last_token()
    post(client, "/confirmations", {"token": token})
    assert post(client, "/withdrawals", {"token": mailer.last_withdraw_token()}).status_code == 200
    with pytest.raises(StateConflictError):
        service.actions.act("test-letter", token[:26], "rename", Principal("t", "O", ()),
                               name="Someone Else")
    assert "name" not in service.store.get(
        keys.signature_key("test-letter", token[:26], service.letters.letter_item("test-letter")["shards"]))


def test_links_sent_before_the_hash_format_changed_still_work(client, service, mailer):
    """Signatures stored with hex link hashes (before base64url) keep working links."""
    post(client, SIGN, individual(make_letter(service)))
    token, withdraw = mailer.last_token(), mailer.last_withdraw_token()
    key = keys.signature_key("test-letter", token[:26], service.letters.letter_item("test-letter")["shards"])
    hexed = [hashlib.sha256(t[26:26 + 43].encode()).hexdigest() for t in (token, withdraw)]
    service.store.update(key, Update(set={"confirm_hashes": [hexed[0]], "withdraw_hash": hexed[1]}))
    assert post(client, "/confirmations", {"token": token}).json_body["state"] == "listed"
    assert post(client, "/withdrawals", {"token": withdraw}).status_code == 200


def test_no_email_token_or_ip_in_any_log_line(client, service, mailer, caplog):
    caplog.set_level(logging.DEBUG)
    letter = make_letter(service)
    email, ip = "log.probe@example.org", "127.0.0.1"
    post(client, SIGN, individual(letter, email=email))
    token = mailer.last_token()
    post(client, "/confirmations", {"token": token})
    withdraw = mailer.last_withdraw_token()
    post(client, "/withdrawals", {"token": withdraw})
    mailer.fail = True
    post(client, SIGN, individual(letter, email="second.probe@example.org"))
    org = service.organisers.create("probe", [])
    client.http.get("/admin/tokens", headers={"authorization": "Bearer us_wrong_" + "x" * 40})
    client.http.get("/admin/tokens", headers={"authorization": f"Bearer {org.token}"})

    def boom(*a, **kw):
        raise RuntimeError(f"failure mentioning {email} from {ip} with {token}")
    service.letters.list_letters = boom
    client.http.get("/letters")
    text = caplog.text
    assert "unhandled error" in text and "DEBUG" in text  # the capture did see the flows
    for secret in (email, "second.probe@example.org", token, withdraw, org.token, ip, "us_wrong_"):
        assert secret not in text
