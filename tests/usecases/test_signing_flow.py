"""Signing, confirming, withdrawing and the public list, as use cases over either store."""
from __future__ import annotations

import pytest

from chalicelib.errors import (LetterChangedError, TokenExpiredError,
                               TokenInvalidError, ValidationFailedError)
from chalicelib.models import signature_in
from helpers import individual, make_letter, organisation

IP = "192.0.2.10"


def sign(services, letter, **kw):
    return services.signing.sign(letter.slug, signature_in.validate_python(individual(letter, **kw)), IP)


def test_a_confirmed_signature_is_listed_and_counted(services, mailer):
    letter = make_letter(services)
    assert sign(services, letter).mail == "queued"
    assert len(mailer.sent) == 1 and "Ada Lovelace" in mailer.sent[0].text
    out = services.signing.confirm(mailer.last_token(), IP)
    assert out.state == "listed" and not out.already_confirmed
    page = services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None)
    assert [s.name for s in page.signatures] == ["Ada Lovelace"]
    counts = services.letters.get_letter(letter.slug).counts
    assert (counts.individuals, counts.countries, counts.total) == (1, 1, 1)


def test_a_second_click_says_already_confirmed_and_counts_once(services, mailer):
    letter = make_letter(services)
    sign(services, letter)
    token = mailer.last_token()
    services.signing.confirm(token, IP)
    assert services.signing.confirm(token, IP).already_confirmed is True
    assert services.letters.get_letter(letter.slug).counts.total == 1


def test_a_repeat_while_pending_sends_the_link_again_and_both_links_work(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter)
    first = mailer.last_token()
    clock.advance(seconds=services.settings.resend_interval_seconds + 1)
    sign(services, letter, email="ADA@example.org")
    assert len(mailer.sent) == 2 and mailer.last_token() != first
    assert services.signing.confirm(first, IP).state == "listed"


def test_a_refused_mail_is_parked_not_lost_and_not_retried(services, mailer, clock):
    letter = make_letter(services)
    mailer.fail = True
    sign(services, letter)
    assert mailer.sent == []
    failures = services.queue.mail_failures(letter.slug).failures
    assert [f.kind for f in failures] == ["link"]
    mailer.fail = False
    assert mailer.sent == []  # parked: a redelivery does not send it behind the organisers' back
    clock.advance(seconds=services.settings.resend_interval_seconds + 1)
    sign(services, letter)  # the signer asks again: a new link goes
    assert len(mailer.sent) == 1 and services.signing.confirm(mailer.last_token(), IP)


def test_a_confirmed_address_signing_again_is_answered_alike_and_its_owner_told(services, mailer):
    letter = make_letter(services)
    first = sign(services, letter)
    services.signing.confirm(mailer.last_token(), IP)
    again = sign(services, letter, name="Someone Else")
    assert again == first  # no lookup of who signed
    assert len(mailer.sent) == 2 and "already signed" in mailer.sent[-1].text
    assert "Ada Lovelace" in mailer.sent[-1].text
    services.signing.withdraw(mailer.last_withdraw_token(), IP)  # its link works
    assert services.letters.get_letter(letter.slug).counts.total == 0


def test_an_expired_link_is_refused(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter)
    clock.advance(hours=services.settings.token_ttl_hours, seconds=1)
    with pytest.raises(TokenExpiredError):
        services.signing.confirm(mailer.last_token(), IP)


def test_a_tampered_link_is_refused(services, mailer):
    letter = make_letter(services)
    sign(services, letter)
    token = mailer.last_token()
    with pytest.raises(TokenInvalidError):
        services.signing.confirm(token[:30] + ("A" if token[30] != "A" else "B") + token[31:], IP)


def test_withdrawal_unlists_uncounts_and_frees_the_address(services, mailer):
    letter = make_letter(services)
    sign(services, letter)
    services.signing.confirm(mailer.last_token(), IP)
    assert services.signing.withdraw(mailer.last_withdraw_token(), IP).already_withdrawn is False
    assert services.signing.withdraw(mailer.last_withdraw_token(), IP).already_withdrawn is True
    assert services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None).signatures == []
    assert services.letters.get_letter(letter.slug).counts.total == 0
    sign(services, letter)  # signs again: the claim went too
    assert "Thank you for signing" in mailer.sent[-1].text


def test_an_organisation_on_a_vetted_letter_waits_for_approval(services, mailer):
    letter = make_letter(services, approval=True)
    body = signature_in.validate_python(organisation(letter))
    services.signing.sign(letter.slug, body, IP)
    assert services.signing.confirm(mailer.last_token(), IP).state == "awaiting_approval"
    assert services.letters.get_letter(letter.slug).counts.total == 0


def test_the_public_list_pages_in_the_letters_order(services):
    letter = make_letter(services)
    rows = [{"kind": "individual", "name": n, "country": "GB"}
            for n in ("Zed Able", "Amy Young", "Bo Kim")]
    rows.append({"kind": "organisation", "name": "Zeta Org", "country": "KR"})
    assert services.imports.import_rows(letter.slug, rows) == 4
    assert services.imports.import_rows(letter.slug, rows) == 0  # idempotent
    names, cursor = [], None
    while True:
        page = services.letters.public_list(letter.slug, cursor=cursor, limit=2, kind=None)
        names += [s.name for s in page.signatures]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert names == ["Zeta Org", "Zed Able", "Bo Kim", "Amy Young"]
    only = services.letters.public_list(letter.slug, cursor=None, limit=10, kind="organisation")
    assert [s.name for s in only.signatures] == ["Zeta Org"]
    with pytest.raises(ValidationFailedError):
        services.letters.public_list(letter.slug, cursor="bm9wZQ", limit=2, kind=None)


def test_an_edit_racing_another_is_refused(services):
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER
    letter = make_letter(services)
    stale = services.store.get_letter(letter.slug, consistent=True)
    services.letters.upsert_letter(parse_letter(OPEN_LETTER.format(slug=letter.slug, approval="false")
                                                + "\nMore.\n"))
    with pytest.raises(LetterChangedError):
        services.letters.upsert_letter(parse_letter(OPEN_LETTER.format(
            slug=letter.slug, approval="false") + "\nOther.\n"), existing=stale)


def test_a_confirmation_link_opened_after_withdrawal_says_withdrawn(services, mailer):
    from chalicelib.errors import SignatureWithdrawnError
    letter = make_letter(services)
    sign(services, letter)
    token = mailer.last_token()
    services.signing.withdraw(mailer.last_withdraw_token(), IP)
    with pytest.raises(SignatureWithdrawnError):
        services.signing.confirm(token, IP)


def test_a_withdrawal_racing_a_confirmation_still_withdraws(services, mailer):
    """The signature was confirmed between the withdrawal's read and its write: the
    withdrawal reads it again and goes through (it was a 503 before)."""
    letter = make_letter(services)
    sign(services, letter)
    confirm, withdraw = mailer.last_token(), mailer.last_withdraw_token()
    real = services.store.signature

    def read_then_confirm(letter_item, sig_id):
        stale = real(letter_item, sig_id)
        services.store.signature = real
        services.signing.confirm(confirm, IP)  # lands after the read
        return stale
    services.store.signature = read_then_confirm
    assert services.signing.withdraw(withdraw, IP).already_withdrawn is False
    assert services.letters.get_letter(letter.slug).counts.total == 0
