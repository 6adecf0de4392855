"""Sign → email → confirm → listed, against DynamoDB Local through the Chalice app."""
from __future__ import annotations

import json

import pytest

from helpers import individual, make_letter, organisation, post

SIGN = "/letters/test-letter/signatures"


@pytest.fixture
def letter(service):
    return make_letter(service)


def counts(client, slug="test-letter"):
    return client.http.get(f"/letters/{slug}").json_body["counts"]


def names(client, slug="test-letter", query=""):
    return [s["name"] for s in client.http.get(f"/letters/{slug}/signatures{query}")
            .json_body["signatures"]]


def test_example_letter_counts_its_original_signatories(client, example):
    body = client.http.get("/letters/eu-hrc43-dprk").json_body
    assert body["counts"] == {"organisations": 31, "individuals": 4, "total": 35, "countries": 10}
    assert "on behalf of 35 non-governmental organizations" in body["body_html"]
    assert "from 10 different countries" in body["body_html"]


def test_example_list_is_in_the_letters_order(client, example):
    import csv
    from tools.seed import EXAMPLE
    with open(EXAMPLE / "signatories.csv", encoding="utf-8") as f:
        expected = [r["name"] for r in csv.DictReader(f)]
    got, cursor = [], None
    while True:
        page = client.http.get("/letters/eu-hrc43-dprk/signatures?limit=10"
                               + (f"&cursor={cursor}" if cursor else "")).json_body
        got += [s["name"] for s in page["signatures"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == expected


def test_sign_confirm_lists_the_name_and_moves_the_count(client, letter, mailer):
    resp = post(client, SIGN, individual(letter))
    assert resp.status_code == 202
    assert resp.json_body == {"status": "pending", "mail": "queued", "resend_after": 60,
                              "queue_delay_seconds": 0}
    assert counts(client)["total"] == 0 and names(client) == []
    assert len(mailer.sent) == 1 and mailer.sent[0].to == "ada@example.org"
    confirmed = post(client, "/confirmations", {"token": mailer.last_token()})
    assert confirmed.status_code == 200
    assert confirmed.json_body == {"letter": "test-letter", "state": "listed",
                                   "already_confirmed": False}
    assert counts(client) == {"organisations": 0, "individuals": 1, "total": 1, "countries": 1}
    assert names(client) == ["Ada Lovelace"]


def dynamodb_size(value) -> int:
    """Bytes DynamoDB bills for a value (its item-size rules)."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return len(str(value).lstrip("-").replace(".", "")) // 2 + 2
    if isinstance(value, (list, tuple, set)):
        return 3 + sum(1 + dynamodb_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(1 + len(k.encode()) + dynamodb_size(v) for k, v in value.items())
    return len(value)  # bytes


def test_a_confirmed_signature_is_one_write_unit(client, letter, mailer, service):
    """Under 1 KB for a signer with a full affiliation: each later update of it costs 1 WRU,
    not 2 (docs/COST.md)."""
    from chalicelib.storage import keys
    post(client, SIGN, individual(letter, name="김민준 (Kim Min-jun)",
                                  affiliation="Professor of International Law, "
                                              "Seoul National University",
                                  email="minjun.kim@snu-law.example.ac.kr"))
    token = mailer.last_token()
    assert post(client, "/confirmations", {"token": token}).status_code == 200
    shards = service.letters.letter_item("test-letter")["shards"]
    sig = service.store.get(keys.signature_key("test-letter", token[:26], shards))
    assert sig["state"] == "listed"
    assert not {"confirm_expires_at", "last_sent_at", "sends"} & set(sig)
    size = sum(len(k.encode()) + dynamodb_size(v) for k, v in sig.items())
    assert size < 1024, size
    # The link still answers: "already confirmed", not "invalid".
    again = post(client, "/confirmations", {"token": token})
    assert again.status_code == 200 and again.json_body["already_confirmed"] is True


def test_confirming_twice_is_harmless(client, letter, mailer):
    post(client, SIGN, individual(letter))
    token = mailer.last_token()
    post(client, "/confirmations", {"token": token})
    again = post(client, "/confirmations", {"token": token})
    assert again.status_code == 200 and again.json_body["already_confirmed"] is True
    assert counts(client)["total"] == 1


@pytest.mark.parametrize("variant", ["ADA@EXAMPLE.ORG", "Ada@Example.Org", " ada@example.org "])
def test_same_email_in_another_case_is_one_signature(client, letter, mailer, variant):
    post(client, SIGN, individual(letter))
    post(client, "/confirmations", {"token": mailer.last_token()})
    again = post(client, SIGN, individual(letter, email=variant, name="Someone Else"))
    # answered as a new sign-on (no lookup of who signed); the owner is told instead
    assert again.status_code == 202 and again.json_body["mail"] == "queued"
    assert names(client) == ["Ada Lovelace"] and counts(client)["total"] == 1
    assert len(mailer.sent) == 2 and "already signed" in mailer.sent[-1].text
    assert "Ada Lovelace" in mailer.sent[-1].text and "/withdraw.html#token=" in mailer.sent[-1].text


@pytest.mark.parametrize("first,second", [
    ("ana@bücher.example", "ana@xn--bcher-kva.example"),
    ("ana@BÜCHER.example", "ana@bu\u0308cher.example"),
])
def test_unicode_forms_of_a_domain_are_one_signature(client, letter, mailer, first, second):
    post(client, SIGN, individual(letter, email=first))
    post(client, "/confirmations", {"token": mailer.last_token()})
    assert post(client, SIGN, individual(letter, email=second)).status_code == 202
    assert counts(client)["total"] == 1 and "already signed" in mailer.sent[-1].text


def test_repeat_while_pending_resends_with_a_cap_and_stores_nothing(client, letter, mailer,
                                                                   clock, service):
    post(client, SIGN, individual(letter))
    assert len(mailer.sent) == 1
    soon = post(client, SIGN, individual(letter, name="Changed Name"))
    assert soon.status_code == 202 and soon.json_body["resend_after"] == 60
    assert len(mailer.sent) == 1  # too soon: nothing more is sent
    for n in range(service.settings.resend_max):
        clock.advance(seconds=61)
        post(client, SIGN, individual(letter))
        assert len(mailer.sent) == 2 + n
    clock.advance(seconds=61)
    post(client, SIGN, individual(letter))
    assert len(mailer.sent) == 1 + service.settings.resend_max  # the cap
    # every link works; the first one confirms the one signature, with its original name
    post(client, "/confirmations", {"token": mailer.last_token()})
    assert names(client) == ["Ada Lovelace"] and counts(client)["total"] == 1


def test_a_refused_mail_is_parked_and_asking_again_recovers(client, letter, mailer, clock,
                                                            service):
    token = service.organisers.create("Organiser", []).token
    mailer.fail = True
    first = post(client, SIGN, individual(letter))
    assert first.status_code == 202 and mailer.sent == []
    parked = client.http.get("/admin/letters/test-letter/mail-failures",
                             headers={"Authorization": f"Bearer {token}"}).json_body["failures"]
    assert [p["kind"] for p in parked] == ["link"] and "@" not in json.dumps(parked)
    mailer.fail = False
    clock.advance(seconds=61)
    post(client, SIGN, individual(letter))
    assert post(client, "/confirmations", {"token": mailer.last_token()}).status_code == 200
    assert counts(client)["total"] == 1


def test_expired_link_is_refused_and_nothing_is_listed(client, letter, mailer, clock, service):
    post(client, SIGN, individual(letter))
    clock.advance(hours=service.settings.token_ttl_hours, seconds=1)
    resp = post(client, "/confirmations", {"token": mailer.last_token()})
    assert resp.status_code == 410 and resp.json_body["error"]["code"] == "token_expired"
    assert counts(client)["total"] == 0


def test_unknown_token_is_404(client, letter):
    resp = post(client, "/confirmations", {"token": "x" * 43})
    assert resp.status_code == 404 and resp.json_body["error"]["code"] == "token_invalid"


def test_organisation_waits_for_approval_when_the_letter_requires_it(client, service, mailer):
    letter = make_letter(service, "vetted", approval=True)
    post(client, "/letters/vetted/signatures", organisation(letter))
    resp = post(client, "/confirmations", {"token": mailer.last_token()})
    assert resp.json_body["state"] == "awaiting_approval"
    assert counts(client, "vetted")["total"] == 0 and names(client, "vetted") == []
    # individuals on the same letter are listed at once
    post(client, "/letters/vetted/signatures", individual(letter))
    assert post(client, "/confirmations", {"token": mailer.last_token()}).json_body["state"] == "listed"


def test_list_groups_organisations_before_individuals_alphabetically(client, letter, mailer):
    people = [("individual", "Zoe Young"), ("organisation", "Beta Group"),
              ("individual", "Émile Zola, Dr"), ("organisation", "alpha collective"),
              ("individual", "Anna Berg")]
    for i, (kind, name) in enumerate(people):
        body = (organisation if kind == "organisation" else individual)(
            letter, name=name, email=f"p{i}@example.org")
        post(client, SIGN, body)
        post(client, "/confirmations", {"token": mailer.last_token()})
    assert names(client) == ["alpha collective", "Beta Group", "Anna Berg", "Zoe Young",
                             "Émile Zola, Dr"]
    assert names(client, query="?kind=individual") == ["Anna Berg", "Zoe Young", "Émile Zola, Dr"]
    assert counts(client) == {"organisations": 2, "individuals": 3, "total": 5, "countries": 2}


def test_closed_letter_refuses_signatures(client, service, mailer, clock):
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER
    src = OPEN_LETTER.format(slug="closing", approval="false").replace(
        "language: en", "language: en\ncloses_at: 2026-03-02T00:00:00Z")
    letter = parse_letter(src)
    service.letters.upsert_letter(letter)
    assert post(client, "/letters/closing/signatures", individual(letter)).status_code == 202
    clock.advance(days=1)
    resp = post(client, "/letters/closing/signatures", individual(letter, email="b@example.org"))
    assert resp.status_code == 410 and resp.json_body["error"]["code"] == "letter_closed"
    assert client.http.get("/letters/closing").json_body["status"] == "closed"


def test_public_responses_carry_no_email_or_token(client, letter, mailer):
    post(client, SIGN, individual(letter, email="secret.person@example.org"))
    token = mailer.last_token()
    post(client, "/confirmations", {"token": token})
    for path in ("/letters", "/letters/test-letter", "/letters/test-letter/signatures"):
        text = client.http.get(path).body.decode()
        assert "secret.person" not in text and token not in text and "example.org" not in text
