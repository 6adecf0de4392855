"""Lookalike organisations are held for an organiser with the match shown, on letters
whose organisations are not vetted too (org_names)."""
from __future__ import annotations

from chalicelib.models import signature_in
from chalicelib.organiser_models import Filters
from chalicelib.principal import Principal
from helpers import individual, make_letter, organisation

IP = "192.0.2.10"
CYRILLIC_HRW = "\u041dum\u0430n Rights W\u0430t\u0441h"  # Н, а, а, с
ORGANISER = Principal(token_id="t1", name="Organiser", letters=())


def sign_and_confirm(services, mailer, letter, body):
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)
    return services.signing.confirm(mailer.last_token(), IP)


def queued(services, letter):
    return services.queue.search(letter.slug, Filters(state="quarantined"), None, 50).signatures


def test_a_cyrillic_spelling_of_a_listed_organisation_is_held_with_the_match(services, mailer):
    letter = make_letter(services)  # organisations are not vetted on this letter
    services.imports.import_rows(letter.slug, [
        {"kind": "organisation", "name": "Human Rights Watch", "country": "US"}])
    out = sign_and_confirm(services, mailer, letter,
                           organisation(letter, name=CYRILLIC_HRW, email="hrw@evil.example"))
    assert out.state == "awaiting_approval"
    [held] = queued(services, letter)
    assert held.name == CYRILLIC_HRW and held.quarantine_reason == "lookalike"
    assert (held.lookalike_of.name, held.lookalike_of.state) == ("Human Rights Watch", "listed")
    assert services.letters.get_letter(letter.slug).counts.total == 1


def test_a_pending_organisation_is_matched_too_and_the_first_keeps_its_place(services, mailer):
    letter = make_letter(services)
    services.signing.sign(letter.slug, signature_in.validate_python(
        organisation(letter, name="Open Society Lab", email="a@osl.example")), IP)
    first_token = mailer.last_token()
    sign_and_confirm(services, mailer, letter,
                     organisation(letter, name="The Open Society Lab, Inc.", email="b@x.example"))
    assert services.signing.confirm(first_token, IP).state == "listed"
    [held] = queued(services, letter)
    assert held.lookalike_of.name == "Open Society Lab"


def test_an_individual_named_like_an_organisation_is_held(services, mailer):
    letter = make_letter(services)
    services.imports.import_rows(letter.slug, [
        {"kind": "organisation", "name": "Human Rights Watch", "country": "US"}])
    out = sign_and_confirm(services, mailer, letter, individual(letter, name="HUMAN RIGHTS WATCH"))
    assert out.state == "awaiting_approval"
    assert queued(services, letter)[0].lookalike_of.name == "Human Rights Watch"
    # a person's name no organisation has is listed at once
    sign_and_confirm(services, mailer, letter, individual(letter, name="Grace Hopper",
                                                          email="grace@example.org"))
    assert services.letters.get_letter(letter.slug).counts.total == 2


def test_approving_a_different_organisation_lists_it_and_keep_first_rejects(services, mailer):
    letter = make_letter(services)
    services.imports.import_rows(letter.slug, [
        {"kind": "organisation", "name": "Human Rights Watch", "country": "US"}])
    sign_and_confirm(services, mailer, letter, organisation(letter, name="Human Rights Watch e.V.",
                                                            email="a@hrw.example"))
    sign_and_confirm(services, mailer, letter, organisation(letter, name=CYRILLIC_HRW,
                                                            email="b@evil.example"))
    german, cyrillic = sorted(queued(services, letter), key=lambda s: s.created_at)
    services.actions.act(letter.slug, german.id, "approve", ORGANISER)
    services.actions.act(letter.slug, cyrillic.id, "reject", ORGANISER,
                         reason="same organisation as Human Rights Watch")
    assert services.letters.get_letter(letter.slug).counts.total == 2
    assert queued(services, letter) == []


def test_a_withdrawn_organisation_no_longer_holds_its_name(services, mailer):
    letter = make_letter(services)
    sign_and_confirm(services, mailer, letter, organisation(letter))
    services.signing.withdraw(mailer.last_withdraw_token(), IP)
    assert sign_and_confirm(services, mailer, letter,
                            organisation(letter, email="new@osl.example")).state == "listed"


def test_an_import_row_like_a_listed_organisation_is_held_not_listed(services):
    letter = make_letter(services)
    rows = [{"kind": "organisation", "name": "Human Rights Watch", "country": "US"},
            {"kind": "organisation", "name": "Human Rights Watch (HRW)", "country": "US"}]
    assert services.imports.import_rows(letter.slug, rows) == 2
    assert services.letters.get_letter(letter.slug).counts.total == 1
    assert queued(services, letter)[0].name == "Human Rights Watch (HRW)"
    assert services.imports.import_rows(letter.slug, rows) == 0  # idempotent still


def test_the_name_search_finds_every_spelling_of_a_name(services):
    letter = make_letter(services)
    spellings = ["Human Rights Watch", CYRILLIC_HRW, "HUMAN RIGHTS WATCH", "human-rights-watch",
                 "HumanRightsWatch", "Hum\u00e0n Rights Watch", "Hurnan Rights Watch",
                 "The Human Rights Watch (HRW)", "\u0397uman Rights Watch"]
    for n in spellings:  # one import each (in one file, case-only variants are duplicates)
        services.imports.import_rows(letter.slug, [{"kind": "individual", "name": n}])
    found = services.queue.search(letter.slug, Filters(q="human rights watch"), None, 50)
    assert sorted(s.name for s in found.signatures) == sorted(spellings)


def test_a_held_lookalike_keeps_no_copy_of_the_matchs_name(services, mailer):
    letter = make_letter(services)
    sign_and_confirm(services, mailer, letter, organisation(letter, name="Open Society Lab"))
    first_withdraw = mailer.last_withdraw_token()
    sign_and_confirm(services, mailer, letter, organisation(letter, name="Open Society Lab Ltd",
                                                            email="b@x.example"))
    services.signing.withdraw(first_withdraw, IP)
    [held] = queued(services, letter)
    assert (held.lookalike_of.name, held.lookalike_of.state) == (None, "withdrawn")
    from chalicelib.lookalike import name_key
    from chalicelib.storage import keys
    name_item = services.store.get(keys.org_name_key(letter.slug, name_key("Open Society Lab")))
    assert "Open Society Lab" not in str(name_item)  # the name item names the signature by id


def test_organisations_stored_before_name_items_get_them_by_backfill(services, mailer):
    from support import store_signature
    letter = make_letter(services)
    item = services.store.get_letter(letter.slug)
    store_signature(services, item, "b" * 26, "organisation", "Human Rights Watch")
    assert services.signing.names.backfill(item) == 1
    assert services.signing.names.backfill(item) == 0  # idempotent
    assert sign_and_confirm(services, mailer, letter, organisation(
        letter, name=CYRILLIC_HRW)).state == "awaiting_approval"
    assert queued(services, letter)[0].lookalike_of.id == "b" * 26


def _name_reads(services, letter, body):
    """The GetItems of name items a sign-on makes, and its transaction's steps."""
    reads, steps = [], []
    get, transact = services.store.get, services.store.transact

    def counting_get(key, **kw):
        if key["PK"].startswith("ORGNAME#"):
            reads.append(key)
        return get(key, **kw)

    def recording(s, *op):
        steps.append(s)
        return transact(s, *op)
    services.store.get, services.store.transact = counting_get, recording
    try:
        services.signing.sign(letter.slug, signature_in.validate_python(body), IP)
    finally:
        services.store.get, services.store.transact = get, transact
    return reads, steps


def test_a_sign_on_whose_name_no_organisation_holds_reads_no_name_item(services):
    from chalicelib.lookalike import name_key
    from chalicelib.storage import Check, Put, keys
    letter = make_letter(services)
    for body, step in ((individual(letter, name="Grace Hopper"), Check),
                       (organisation(letter, name="Open Society Lab", email="o@x.example"), Put)):
        reads, [steps] = _name_reads(services, letter, body)
        assert reads == []  # the check rides in the sign-on's one transaction
        key = keys.org_name_key(letter.slug, name_key(body["name"]))
        assert [type(s) for s in steps if getattr(s, "key", getattr(s, "item", None)) and
                (getattr(s, "key", None) or s.item)["PK"] == key["PK"]] == [step]


def test_two_lookalikes_signing_at_once_the_later_one_is_held(services, mailer):
    """Each sign-on's transaction finds the other's name item at commit (a race read-first
    could lose): for an organisation against an organisation, and an individual against one."""
    for kind in ("organisation", "individual"):
        letter = make_letter(services, f"race-{kind[:3]}")
        transact, raced = services.store.transact, []

        def meanwhile(steps, *op):  # the Latin one commits between the other's start and its commit
            if not raced:
                raced.append(True)
                services.store.transact = transact
                services.signing.sign(letter.slug, signature_in.validate_python(organisation(
                    letter, name="Human Rights Watch", email="real@hrw.example")), IP)
            return transact(steps, *op)
        services.store.transact = meanwhile
        body = (organisation if kind == "organisation" else individual)(
            letter, name=CYRILLIC_HRW, email=f"{kind}@evil.example")
        try:
            services.signing.sign(letter.slug, signature_in.validate_python(body), IP)
        finally:
            services.store.transact = transact
        evil = mailer.last_token()
        assert services.signing.confirm(evil, IP).state == "awaiting_approval"
        [held] = queued(services, letter)
        assert (held.name, held.quarantine_reason) == (CYRILLIC_HRW, "lookalike")
        assert held.lookalike_of.name == "Human Rights Watch"
