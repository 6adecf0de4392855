"""The organisers' workspace over either store: the dashboard's hourly counters, the letter
editor's fields and preview, drafts, and token roles."""
from __future__ import annotations

import pytest

from chalicelib.errors import LetterNotFoundError, RoleForbiddenError
from chalicelib.models import signature_in
from chalicelib.organiser_models import LetterSourceIn
from chalicelib.principal import Principal
from chalicelib.storage import Query, keys
from helpers import individual, make_letter, organisation

IP = "192.0.2.30"
WHO = Principal("t1", "Organiser", ())
FIELDS = {"slug": "from-the-form", "title": "A letter from the form", "date": "2026-12-01",
          "addressee": "To the Council", "salutation": "Dear members,",
          "closing": "Yours sincerely,", "language": "en",
          "body": "We, **{{total}}** signatories from {{countries}} countries, ask you."}


def sign(services, letter, body):
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)


def test_the_dashboard_counts_sign_ons_and_confirmations_per_hour_and_kind(services, mailer,
                                                                          clock):
    letter = make_letter(services, slug="dash-letter", approval=True)
    sign(services, letter, individual(letter, email="a@example.org"))
    services.signing.confirm(mailer.last_token(), IP)
    clock.advance(hours=2)
    sign(services, letter, individual(letter, email="b@example.org", name="Bo Ng"))
    sign(services, letter, organisation(letter))
    services.signing.confirm(mailer.last_token(), IP)  # awaits approval: still a confirmation
    view = services.dashboard.view(letter.slug)
    assert view.unit == "hour"
    busy = [b for b in view.hours if b.signed_individual or b.signed_organisation]
    assert [(b.signed_individual, b.signed_organisation, b.confirmed_individual,
             b.confirmed_organisation) for b in busy] == [(1, 0, 1, 0), (1, 1, 0, 1)]
    assert (view.totals.signed_individual, view.totals.confirmed_organisation) == (2, 1)
    assert view.confirmation_rate == pytest.approx(2 / 3, abs=1e-3)
    assert view.queues.awaiting_approval == 1
    assert [(c.country, c.listed) for c in view.countries] == [("GB", 1)]
    assert sum(b.signed_individual for b in view.days) == 2


def test_the_counters_are_kept_per_shard_not_read_from_signatures(services, mailer):
    letter = make_letter(services, slug="dash-shards")
    for i in range(6):
        sign(services, letter, individual(letter, email=f"p{i}@example.org"))
    item = services.letters.letter_item(letter.slug)
    used = [s for s in range(item["shards"])
            if list(services.store.query(Query(pk=keys.hourly_partition(letter.slug, s))))]
    assert len(used) > 1  # spread like the counter shards
    assert services.dashboard.view(letter.slug).totals.signed_individual == 6


def test_a_withdrawal_is_counted_in_its_hour(services, mailer):
    letter = make_letter(services, slug="dash-withdraw")
    sign(services, letter, individual(letter))
    services.signing.confirm(mailer.last_token(), IP)
    services.signing.withdraw(mailer.last_withdraw_token(), IP)
    view = services.dashboard.view(letter.slug)
    assert view.totals.withdrawn_individual == 1 and view.counts.total == 0


def test_an_old_letter_shows_days(services, clock):
    letter = make_letter(services, slug="dash-old")
    clock.advance(days=5)
    view = services.dashboard.view(letter.slug)
    assert view.unit == "day" and len(view.days) >= 5 and len(view.hours) == 72


def test_a_letter_made_in_the_form_is_a_draft_until_opened(services):
    out = services.letter_admin.save_letter(LetterSourceIn.model_validate({"letter": FIELDS}),
                                            WHO, create=True)
    assert out.status == "closed"
    with pytest.raises(LetterNotFoundError):
        services.letters.get_letter("from-the-form")
    assert "from-the-form" not in [s.slug for s in services.letters.list_letters()]
    assert services.letter_admin.letter_view("from-the-form").draft
    services.letter_admin.set_status("from-the-form", "open", None, WHO)
    assert services.letters.get_letter("from-the-form").status == "open"
    assert not services.letter_admin.letter_view("from-the-form").draft


def test_a_changed_text_from_the_form_is_a_new_version_and_the_source_reads_back(services):
    first = services.letter_admin.save_letter(LetterSourceIn.model_validate({"letter": FIELDS}),
                                              WHO, create=True)
    same = services.letter_admin.save_letter(LetterSourceIn.model_validate({"letter": FIELDS}),
                                             WHO, slug="from-the-form", create=False)
    assert not same.changed and same.versions == first.versions
    edited = services.letter_admin.save_letter(LetterSourceIn.model_validate(
        {"letter": {**FIELDS, "body": "A new body."}}), WHO, slug="from-the-form", create=False)
    assert edited.changed and edited.versions == [first.text_sha256, edited.text_sha256]
    source = services.letter_admin.source("from-the-form")
    assert source.body == "A new body." and source.title == FIELDS["title"]


def test_the_preview_renders_as_the_public_page_and_fills_the_tally(services, mailer):
    letter = make_letter(services, slug="preview-letter")
    sign(services, letter, individual(letter))
    services.signing.confirm(mailer.last_token(), IP)
    out = services.letter_admin.preview("**{{total}}** from {{ countries }} <script>x</script>",
                                        "preview-letter")
    assert "<strong>1</strong> from 1" in out.html
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert out.placeholders == ["total", "countries"]


def test_roles_include_the_ones_below():
    Principal("r", "r", (), "read").allow("read")
    with pytest.raises(RoleForbiddenError):
        Principal("r", "r", (), "read").allow("moderate")
    with pytest.raises(RoleForbiddenError):
        Principal("m", "m", (), "moderate").allow("manage")
    Principal("m", "m", (), "manage").allow("moderate")
    with pytest.raises(RoleForbiddenError):  # an unknown role counts as read-only
        Principal("x", "x", (), "owner").allow("moderate")


def test_a_token_keeps_its_role(services):
    created = services.organisers.create("co-organiser", ["a-letter"], "moderate")
    assert created.role == "moderate"
    assert services.organisers.authenticate(created.token).role == "moderate"
    assert [t.role for t in services.organisers.list() if t.id == created.id] == ["moderate"]
