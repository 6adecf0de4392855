"""Organisers' use cases over either store: actions, invalidation, audit, recount, retention,
tokens."""
from __future__ import annotations

import pytest

from chalicelib.errors import StateConflictError
from chalicelib.models import signature_in
from chalicelib.organiser_models import Filters
from chalicelib.principal import Principal
from chalicelib.storage import Update, keys
from helpers import individual, make_letter

IP = "192.0.2.20"
WHO = Principal("t1", "Organiser", ())


def confirmed(services, mailer, letter, **kw) -> str:
    services.signing.sign(letter.slug, signature_in.validate_python(individual(letter, **kw)), IP)
    token = mailer.last_token()
    services.signing.confirm(token, IP)
    return token[:26]


def test_hide_and_unhide_move_the_count_and_write_the_audit(services, mailer):
    letter = make_letter(services)
    sig_id = confirmed(services, mailer, letter)
    assert services.actions.act(letter.slug, sig_id, "hide", WHO).state == "hidden"
    assert services.letters.get_letter(letter.slug).counts.total == 0
    queue = services.queue.search(letter.slug, Filters(state="hidden"), None, 10)
    assert [s.id for s in queue.signatures] == [sig_id]
    with pytest.raises(StateConflictError):
        services.actions.act(letter.slug, sig_id, "hide", WHO)
    services.actions.act(letter.slug, sig_id, "unhide", WHO)
    assert services.letters.get_letter(letter.slug).counts.total == 1
    actions = [e.action for e in services.queue.audit(letter.slug, None, 10).entries]
    assert actions == ["unhide", "hide"]  # newest first


def test_a_rename_keeps_the_original_and_the_list_order(services, mailer):
    letter = make_letter(services)
    sig_id = confirmed(services, mailer, letter)
    services.actions.act(letter.slug, sig_id, "rename", WHO, name="Augusta Ada King")
    page = services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None)
    assert [s.name for s in page.signatures] == ["Augusta Ada King"]
    item = services.queue.signature(services.letters.letter_item(letter.slug), sig_id)
    assert item["original_name"] == "Ada Lovelace"


def test_invalidation_rejects_only_the_matches_and_a_dry_run_nothing(services, mailer):
    letter = make_letter(services)
    confirmed(services, mailer, letter, email="a@spam.example", name="Bot One")
    confirmed(services, mailer, letter, email="b@spam.example", name="Bot Two")
    keep = confirmed(services, mailer, letter, email="c@real.example", name="Real Person")
    f = Filters(email_domain="spam.example")
    dry = services.actions.invalidate(letter.slug, f, WHO, "spam", True)
    assert (dry.matched, dry.changed) == (2, 0)
    done = services.actions.invalidate(letter.slug, f, WHO, "spam", False)
    assert (done.matched, done.changed) == (2, 2)
    page = services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None)
    assert [s.id for s in page.signatures] == [keep]


def test_the_search_pages_with_a_cursor(services, mailer):
    letter = make_letter(services)
    ids = {confirmed(services, mailer, letter, email=f"p{i}@example.org", name=f"Person {i}")
           for i in range(5)}
    seen, cursor = [], None
    while True:
        page = services.queue.search(letter.slug, Filters(state="listed"), cursor, 2)
        seen += [s.id for s in page.signatures]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids)


def test_recount_finds_and_repairs_drift(services, mailer):
    letter = make_letter(services)
    confirmed(services, mailer, letter)
    services.store.update(keys.counter_key(letter.slug, 0), Update(add={"n_individual": 3}))
    report = services.recount.recount(letter.slug)
    assert report.drift == {"n_individual": -3} and not report.fixed
    assert services.recount.recount(letter.slug, fix=True).fixed
    assert services.recount.recount(letter.slug).drift == {}
    assert services.letters.get_letter(letter.slug).counts.total == 1


def test_organiser_tokens_authenticate_until_revoked(services):
    created = services.organisers.create("Press team", ["test-letter"])
    me = services.organisers.authenticate(f"Bearer {created.token}")
    assert me is not None and me.letters == ("test-letter",)
    services.organisers.revoke(created.id)
    assert services.organisers.authenticate(created.token) is None
    assert services.organisers.authenticate("us_made-up") is None
