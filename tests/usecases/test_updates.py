"""Updates to signers who opted in, over either store: who an update reaches, its reach
against an independent recount, the mail's RFC 8058 headers, the one-click unsubscribe (a
POST without a session, idempotent; a forged token changes nothing), and a fan-out run again
mails nobody twice."""
from __future__ import annotations

import re

import pytest

from chalicelib import wiring
from chalicelib.models import signature_in
from chalicelib.principal import Principal
from chalicelib.storage import keys
from chalicelib.updates.models import UpdateIn
from chalicelib.updates.unsubscribe import token_for
from helpers import individual, make_letter, organisation, post
from tools.job_pump import JobPump
from tools.update_pump import UpdatePump

IP = "192.0.2.50"
WHO = "Organiser (t1)"
BOSS = Principal(token_id="t1", name="Organiser", letters=())
TEXT = {"en": {"subject": "News about the letter", "body": "We met the **office** today."},
        "ko": {"subject": "서한 소식", "body": "오늘 사무실을 만났습니다."}}


def sign(services, letter, tag: str, *, opt_in=True, confirm=True, language="en", org=False):
    """A signer; their (withdraw token, signature)."""
    body = (organisation if org else individual)(
        letter, email=f"{tag}@example.org", name=f"Person {tag}", updates_opt_in=opt_in,
        language=language)
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)
    withdraw = services.mailer.last_withdraw_token()
    if confirm:
        services.signing.confirm(services.mailer.last_token(), IP)
    return withdraw, by_name(services, letter, f"Person {tag}")


def by_name(services, letter, name):
    item = services.letters.letter_item(letter.slug, fresh=True)
    return next(s for n in range(item["shards"])
                for s in services.store.query(services.store.shard_query(letter.slug, n))
                if s.get("name") == name)


def population(services, letter) -> dict[str, str]:
    """Signers of every kind: tag → what should happen to them."""
    want = {}
    sign(services, letter, "reached")
    want["reached"] = "mailed"
    sign(services, letter, "korean", language="ko")
    want["korean"] = "mailed"
    sign(services, letter, "org", org=True)
    want["org"] = "mailed"
    sign(services, letter, "noopt", opt_in=False)
    sign(services, letter, "pending", confirm=False)
    withdraw, _ = sign(services, letter, "withdrawn")
    services.signing.withdraw(withdraw, IP)
    _, sig = sign(services, letter, "suppressed")
    services.store.put({**keys.suppression_key(sig["email_hash"]), "reason": "bounced"})
    _, sig = sign(services, letter, "hidden")
    services.actions.act(letter.slug, sig["sig_id"], "hide", BOSS)
    _, sig = sign(services, letter, "rejected")
    services.actions.act(letter.slug, sig["sig_id"], "reject", BOSS)
    _, sig = sign(services, letter, "unsubscribed")
    services.unsubscribe.unsubscribe(token_for(services.settings.email_hash_key.encode(), sig))
    return want


def recount(services, letter, seq: int) -> int:
    """The reached population by a full scan with no filter, decided here by hand."""
    item = services.letters.letter_item(letter.slug, fresh=True)
    n = 0
    for shard in range(item["shards"]):
        for sig in services.store.query(services.store.shard_query(letter.slug, shard)):
            if sig["state"] not in ("listed", "awaiting_approval") or sig.get("updates_opt_in") is not True:
                continue
            if services.store.get(keys.suppression_key(sig["email_hash"])) is not None:
                continue
            n += sig.get("update_sent", 0) < seq
    return n


def update_mails(mailer) -> list:
    return [m for m in mailer.sent if m.headers]


def send(services, letter, texts=TEXT):
    update = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": texts}), WHO)
    services.updates.send(letter.slug, update.seq, WHO)
    assert "complete" in JobPump(services).drain()
    UpdatePump(services).drain()
    return services.updates.get(letter.slug, update.seq)


def test_an_update_reaches_only_confirmed_opted_in_signers_still_subscribed(services, mailer):
    letter = make_letter(services, approval=True)  # the organisation waits for approval
    want = population(services, letter)
    before = len(mailer.sent)
    done = send(services, letter)
    mails = mailer.sent[before:]
    assert sorted(m.to for m in mails) == sorted(f"{t}@example.org" for t in want)
    assert (done.state, done.queued, done.sent, done.failed) == ("sent", 3, 3, 0)
    korean = next(m for m in mails if m.to == "korean@example.org")
    assert korean.subject == "서한 소식" and "소식 그만 받기" in korean.html
    assert next(m for m in mails if m.to == "reached@example.org").subject == TEXT["en"]["subject"]


def test_the_reach_count_equals_an_independent_recount(services, mailer):
    settings = services.settings.model_copy(update={"job_part_rows": 2, "job_max_parts": 3})
    services.settings = services.jobs.svc.settings = settings
    letter = make_letter(services, approval=True)
    population(services, letter)
    update = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": TEXT}), WHO)
    job = services.updates.count_reach(letter.slug, update.seq, WHO)
    assert job.parts > 1  # split over shard ranges, as at scale
    JobPump(services).drain()
    counted = services.updates.get(letter.slug, update.seq)
    assert counted.reach == recount(services, letter, update.seq) == 3
    assert services.jobs.status(letter.slug, job.id).result == {"update": 1, "reach": 3}


def test_the_mail_carries_rfc_8058_one_click_unsubscribe_and_a_visible_link(services, mailer):
    letter = make_letter(services)
    sign(services, letter, "reached")
    send(services, letter)
    mail = update_mails(mailer)[-1]
    mime = mail.to_mime("Undersigned <no-reply@undersigned.invalid>")
    raw = bytes(mime).replace(b"\r\n", b"\n")  # as it leaves: not folded, not RFC 2047 words
    one_click = re.search(rb"\nList-Unsubscribe: <(http://127\.0\.0\.1:8000/api/unsubscribe"
                          rb"\?token=[A-Za-z0-9_-]+)>\n", raw)
    assert one_click and b"\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n" in raw
    one_click = re.fullmatch(r"<(.+)>", mime["List-Unsubscribe"])
    token = one_click.group(1).split("token=")[1]
    assert f"/unsubscribe.html#token={token}" in mail.text  # a link the reader can see
    assert f'href="http://127.0.0.1:8000/unsubscribe.html#token={token}"' in mail.html
    assert "reached@example.org" not in one_click.group(1)  # the token names a signature
    assert {p.get_content_type() for p in mime.walk()} >= {"text/plain", "text/html"}


@pytest.fixture
def client(services):
    from chalice.test import Client

    import app
    wiring.configure(services)
    with Client(app.app) as c:
        yield c
    wiring.configure(None)


def one_click(client, token: str):
    return client.http.post(f"/unsubscribe?token={token}", body="List-Unsubscribe=One-Click",
                            headers={"content-type": "application/x-www-form-urlencoded"})


def test_unsubscribe_is_a_post_without_a_session_and_idempotent(services, mailer, client):
    letter = make_letter(services)
    sign(services, letter, "reached")
    send(services, letter)
    token = update_mails(mailer)[-1].headers[0][1].split("token=")[1].rstrip(">")
    page = client.http.get(f"/unsubscribe?token={token}")  # a scanner's GET changes nothing
    assert page.status_code == 303 and page.headers["Location"].endswith(f"#token={token}")
    assert by_name(services, letter, "Person reached")["updates_opt_in"] is True
    first = one_click(client, token)
    assert first.status_code == 200 and first.json_body == {
        "letter": letter.slug, "unsubscribed": True, "already_unsubscribed": False}
    assert "example.org" not in first.body.decode()
    sig = by_name(services, letter, "Person reached")
    assert sig["updates_opt_in"] is False and sig["updates_unsubscribed_at"]
    again = one_click(client, token)
    assert again.status_code == 200 and again.json_body["already_unsubscribed"] is True
    assert by_name(services, letter, "Person reached")["updates_unsubscribed_at"] == \
        sig["updates_unsubscribed_at"]
    before = len(mailer.sent)
    send(services, letter, {"en": {"subject": "Second", "body": "Again."}})
    assert len(mailer.sent) == before  # nobody left to reach


def test_a_forged_or_broken_token_is_refused_and_changes_nothing(services, mailer, client):
    letter = make_letter(services)
    _, sig = sign(services, letter, "reached")
    good = token_for(services.settings.email_hash_key.encode(), sig)
    forged = good[:26] + ("A" if good[26] != "A" else "B") + good[27:]
    withdraw = services.mailer.last_withdraw_token()  # another kind of link's token
    for token in (forged, withdraw, "x" * 80, "", good[:-1] + "z"):
        answer = one_click(client, token)
        assert answer.status_code == 404, token
        assert answer.json_body["error"]["code"] == "token_invalid"
    stored = by_name(services, letter, "Person reached")
    assert stored["updates_opt_in"] is True and "updates_unsubscribed_at" not in stored


def test_a_fan_out_run_again_mails_nobody_twice(services, mailer):
    letter = make_letter(services)
    for tag in ("a", "b", "c"):
        sign(services, letter, tag)
    update = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": TEXT}), WHO)
    services.updates.send(letter.slug, update.seq, WHO)
    JobPump(services).drain()
    queued = services.update_queue.take(ignore_delay=True)
    for message in queued:  # SQS delivers a message twice
        services.update_queue.send(message)
        services.update_queue.send(message)
    UpdatePump(services).drain(rounds=1)  # a mailer dies after the first round ...
    services.jobs.submit(letter.slug, "update_send", {"update": update.seq}, WHO)
    JobPump(services).drain()   # ... and the whole fan-out is run again
    UpdatePump(services).drain()
    assert sorted(m.to for m in update_mails(mailer)) == [f"{t}@example.org" for t in "abc"]
    assert services.updates.get(letter.slug, update.seq).sent == 3


def test_the_organisers_routes_compose_preview_and_send(services, mailer, client):
    letter = make_letter(services)
    sign(services, letter, "reached")
    auth = {"authorization": f"Bearer {services.organisers.create('Lead', []).token}"}
    made = post(client, f"/admin/letters/{letter.slug}/updates", {"texts": TEXT}, auth)
    assert made.status_code == 201 and made.json_body["state"] == "draft"
    seq = made.json_body["seq"]
    preview = client.http.get(f"/admin/letters/{letter.slug}/updates/{seq}/preview", headers=auth)
    en = next(r for r in preview.json_body["rendered"] if r["language"] == "en")
    assert "<strong>office</strong>" in en["html"] and en["headers"]["List-Unsubscribe-Post"]
    no_main = post(client, f"/admin/letters/{letter.slug}/updates", {"texts": {"ko": TEXT["ko"]}}, auth)
    assert no_main.status_code == 422
    assert post(client, f"/admin/letters/{letter.slug}/updates/{seq}/reach", {}, auth).status_code == 202
    JobPump(services).drain()
    assert client.http.get(f"/admin/letters/{letter.slug}/updates/{seq}",
                           headers=auth).json_body["reach"] == 1
    sent = post(client, f"/admin/letters/{letter.slug}/updates/{seq}/send", {}, auth)
    assert sent.status_code == 202 and sent.json_body["state"] == "sending"
    assert post(client, f"/admin/letters/{letter.slug}/updates/{seq}/send", {}, auth).status_code == 409
    JobPump(services).drain()
    UpdatePump(services).drain()
    status = client.http.get(f"/admin/letters/{letter.slug}/updates/{seq}", headers=auth).json_body
    assert (status["state"], status["queued"], status["sent"], status["sent_by"]) == \
        ("sent", 1, 1, "Lead (" + status["sent_by"].split("(")[1])


def test_an_update_whose_fan_out_failed_may_be_sent_again_and_holds_no_other(services, mailer):
    from chalicelib.storage import Update
    from chalicelib.updates.service import UpdateStateError
    letter = make_letter(services)
    sign(services, letter, "a")
    first = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": TEXT}), WHO)
    sent = services.updates.send(letter.slug, first.seq, WHO)
    second = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": TEXT}), WHO)
    with pytest.raises(UpdateStateError):  # one at a time
        services.updates.send(letter.slug, second.seq, WHO)
    services.jobs.queue.take(ignore_delay=True)  # its worker never ran: the job failed
    services.store.update(keys.job_key(letter.slug, sent.send_job), Update(set={"state": "failed"}))
    again = services.updates.send(letter.slug, first.seq, WHO)
    assert again.state == "sending" and again.send_job != sent.send_job
    JobPump(services).drain()
    UpdatePump(services).drain()
    assert [m.to for m in update_mails(mailer)] == ["a@example.org"]
    assert services.updates.get(letter.slug, first.seq).state == "sent"


def test_a_refused_update_mail_is_counted_failed_noted_and_not_retried(services, mailer):
    letter = make_letter(services)
    sign(services, letter, "refused")
    update = services.updates.create(letter.slug, UpdateIn.model_validate({"texts": TEXT}), WHO)
    services.updates.send(letter.slug, update.seq, WHO)
    JobPump(services).drain()
    queued = services.update_queue.take(ignore_delay=True)
    mailer.fail = True
    for message in queued:
        services.update_mailer.handle(message)
    mailer.fail = False
    for message in queued:  # delivered again: the refusal stands
        services.update_mailer.handle(message)
    assert update_mails(mailer) == []
    done = services.updates.get(letter.slug, update.seq)
    assert (done.sent, done.failed) == (0, 1)
    sig = by_name(services, letter, "Person refused")
    assert sig["update_sent"] == 1 and sig["update_note"].startswith("refused")
    assert "update_lease" not in sig
