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
    assert "<strong>1</strong> from 1" in out.body_html
    assert "<script>" not in out.body_html and "&lt;script&gt;" in out.body_html
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


ORGANISERS = {"name": "Clean Air Coalition", "contact_email": "hello@cleanair.example",
              "privacy_url": "https://cleanair.example/privacy",
              "controller": "Clean Air Coalition, 1 Main St, Seoul"}


def test_the_organisers_are_named_on_the_letter_and_in_its_mail(services, mailer):
    services.letter_admin.save_letter(LetterSourceIn.model_validate(
        {"letter": {**FIELDS, "organisers": ORGANISERS}}), WHO, create=True)
    services.letter_admin.set_status("from-the-form", "open", None, WHO)
    public = services.letters.get_letter("from-the-form")
    assert public.organisers.model_dump() == ORGANISERS
    assert "no_organisers" not in services.letter_admin.letter_view("from-the-form").warnings
    sign(services, public, {**individual(public), "letter_sha256": public.text_sha256})
    mail = mailer.sent[-1]
    assert (mail.from_name, mail.reply_to) == ("Clean Air Coalition", "hello@cleanair.example")
    assert "Data controller: Clean Air Coalition, 1 Main St, Seoul" in mail.text
    assert services.letter_admin.source("from-the-form").organisers.name == "Clean Air Coalition"


def test_a_letter_without_organisers_names_no_one_and_warns_its_organisers(services, mailer):
    letter = make_letter(services, slug="nobody-behind")
    assert services.letters.get_letter(letter.slug).organisers is None
    assert "no_organisers" in services.letter_admin.letter_view(letter.slug).warnings
    sign(services, letter, individual(letter))
    mail = mailer.sent[-1]
    assert mail.from_name is None and mail.reply_to is None and "--\n" not in mail.text


def test_organisers_with_a_bad_contact_or_link_are_refused():
    from pydantic import ValidationError
    for bad in ({"contact_email": "not an address"}, {"privacy_url": "javascript:alert(1)"},
                {"name": "Evil\r\nBcc: x@y.z"}):
        with pytest.raises(ValidationError):
            LetterSourceIn.model_validate({"letter": {**FIELDS, "organisers": {**ORGANISERS, **bad}}})


KOREAN = {"title": "맑은 공기를 위한 공개 서한", "addressee": "이사회 귀중", "salutation": "이사 여러분께,",
          "closing": "삼가 드림,", "body": "우리 **{{total}}** 명은 요청합니다."}


def test_a_translation_has_its_own_hash_and_a_signer_who_read_it_signs_it(services, mailer):
    from chalicelib.workspace_models import TranslationIn
    letter = make_letter(services, slug="translated")
    ko = services.translations.save(letter.slug, "ko", TranslationIn(**KOREAN), WHO)
    assert ko.text_sha256 != letter.text_sha256 and ko.current
    public = services.letters.get_letter(letter.slug)
    assert public.language == "en" and public.text_sha256 == letter.text_sha256  # authoritative
    assert [(t.language, t.text_sha256) for t in public.translations] == [("ko", ko.text_sha256)]
    assert "<strong>0</strong>" in public.translations[0].body_html
    sign(services, letter, individual(letter, letter_sha256=ko.text_sha256, language="ko"))
    services.signing.confirm(mailer.last_token(), IP)
    item = services.letters.letter_item(letter.slug)
    from chalicelib.storage.signature_streams import iter_signatures
    assert [s["letter_sha256"] for s in iter_signatures(services.store, item)] == [ko.text_sha256]
    # a new main text leaves the translation, marked as made from an earlier one
    services.letter_admin.save_letter(LetterSourceIn.model_validate({"letter": {
        **FIELDS, "slug": letter.slug, "title": letter.title, "date": letter.date.isoformat(),
        "addressee": letter.addressee, "salutation": letter.salutation,
        "closing": letter.closing}}), WHO, slug=letter.slug, create=False)
    assert not services.letters.get_letter(letter.slug).translations[0].current
    assert [t.language for t in services.translations.sources(letter.slug)] == ["ko"]


def test_the_main_language_is_not_a_translation(services):
    from chalicelib.errors import ValidationFailedError
    from chalicelib.workspace_models import TranslationIn
    letter = make_letter(services, slug="one-language")
    with pytest.raises(ValidationFailedError):
        services.translations.save(letter.slug, "en", TranslationIn(**KOREAN), WHO)
    with pytest.raises(ValidationFailedError):
        services.translations.save(letter.slug, "ko;drop", TranslationIn(**KOREAN), WHO)


def test_a_letter_only_organisations_may_sign_refuses_an_individual_and_stores_nothing(services,
                                                                                       mailer):
    from chalicelib.errors import ValidationFailedError
    services.letter_admin.save_letter(LetterSourceIn.model_validate(
        {"letter": {**FIELDS, "signers": "organisations"}}), WHO, create=True)
    services.letter_admin.set_status("from-the-form", "open", None, WHO)
    public = services.letters.get_letter("from-the-form")
    assert public.signers == "organisations"
    with pytest.raises(ValidationFailedError) as refused:
        sign(services, public, individual(public))
    assert refused.value.fields[0]["type"] == "kind_not_allowed"
    assert services.dashboard.view("from-the-form").totals.signed_individual == 0
    sign(services, public, organisation(public))
    assert services.dashboard.view("from-the-form").totals.signed_organisation == 1
    assert services.letter_admin.source("from-the-form").signers == "organisations"
    assert services.letters.get_letter(make_letter(services, slug="anyone").slug).signers == "everyone"
