"""Partners: a sign-on through a partner's link carries its code; the partner's figures are
counters moved in the same transactions as the letter's (no scan); its token sees only them."""
from __future__ import annotations

import pytest

from chalicelib import consent
from chalicelib.errors import ForbiddenError, NotFoundError
from chalicelib.models import signature_in
from chalicelib.partner_models import PartnerIn, PartnerUpdateIn
from chalicelib.partners import PartnerExistsError
from chalicelib.principal import Principal
from chalicelib.storage import keys
from helpers import individual, make_letter, organisation

IP = "192.0.2.10"


def sign(services, letter, **kw):
    body = individual(letter, **kw) if kw.pop("org", False) is False else organisation(letter, **kw)
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)


def test_a_sign_on_through_a_partners_link_is_counted_for_the_partner(services, mailer):
    letter = make_letter(services)
    services.partners.add(letter.slug, PartnerIn(name="NK Watch", code="nkw", country="KR"))
    sign(services, letter, via="nkw", partner_consent=True)
    sign(services, letter, via="nkw", email="b@example.org", country="KR")
    sign(services, letter, email="c@example.org")  # the letter's own link
    figures = services.partners.view(letter.slug, "nkw").figures
    assert (figures.signed, figures.confirmed, figures.listed.total) == (2, 0, 0)
    assert list(figures.by_day.values()) == [2]
    for n in range(3):
        services.signing.confirm(_token(mailer, n, "confirm"), IP)
    figures = services.partners.view(letter.slug, "nkw").figures
    assert (figures.signed, figures.confirmed, figures.listed.individuals) == (2, 2, 2)
    assert figures.countries == {"GB": 1, "KR": 1}
    assert services.letters.get_letter(letter.slug).counts.total == 3
    services.signing.withdraw(_token(mailer, 0, "withdraw"), IP)
    assert services.partners.view(letter.slug, "nkw").figures.listed.total == 1


def _token(mailer, n, page):
    import re
    return re.search(rf"/{page}\.html#token=([A-Za-z0-9_-]+)", mailer.sent[n].text).group(1)


def test_the_partners_consent_is_recorded_with_its_text_and_an_unknown_code_is_ignored(services):
    letter = make_letter(services)
    services.partners.add(letter.slug, PartnerIn(name="LUMEN", code="lumen"))
    sign(services, letter, via="lumen", partner_consent=True)
    sign(services, letter, via="nope", partner_consent=True, email="x@example.org",
         name="Grace Hopper")
    sigs = {s["name"]: s for s in _all(services, letter)}
    first, other = sigs["Ada Lovelace"], sigs["Grace Hopper"]
    assert first["via"] == "lumen" and first["partner_consent"] is True
    assert first["partner_consent_sha256"] == consent.partner_text_sha256(
        consent.PARTNER_VERSION, "en", "LUMEN")
    assert "via" not in other and "partner_consent" not in other


def _all(services, letter):
    from chalicelib.storage.signature_streams import iter_signatures
    return list(iter_signatures(services.store, services.store.get_letter(letter.slug)))


def test_partners_are_listed_with_links_and_a_code_is_taken_once(services):
    letter = make_letter(services)
    out = services.partners.add(letter.slug, PartnerIn(name="No Chain", code="nochain"))
    assert out.share_link.endswith(f"/l/{letter.slug}?via=nochain")
    assert f"embed.html?letter={letter.slug}&amp;via=nochain" in out.embed
    with pytest.raises(PartnerExistsError):
        services.partners.add(letter.slug, PartnerIn(name="Another", code="nochain"))
    services.partners.update(letter.slug, "nochain", PartnerUpdateIn(public_count=True))
    assert [p.code for p in services.partners.list(letter.slug).partners] == ["nochain"]
    assert services.partners.public(letter.slug, "nochain").signed_through == 0
    with pytest.raises(NotFoundError):
        services.partners.public(letter.slug, "absent")


def test_the_partners_figures_are_read_from_its_counter_shards_only(services):
    letter = make_letter(services)
    services.partners.add(letter.slug, PartnerIn(name="NK Watch", code="nkw"))
    item = services.store.get_letter(letter.slug)
    calls = []
    real = services.store.batch_get
    services.store.batch_get = lambda ks: calls.append(ks) or real(ks)
    try:
        services.partners.figures(item, "nkw")
    finally:
        services.store.batch_get = real
    assert calls == [[keys.partner_counter_key(letter.slug, "nkw", s) for s in range(item["shards"])]]


def test_a_partners_token_may_reach_only_its_own_partner():
    partner = Principal("t", "NK Watch staff", ("l1",), partner="l1/nkw")
    partner.require_partner("l1", "nkw")
    for call in (lambda: partner.require_partner("l1", "other"), lambda: partner.require("l1"),
                 lambda: partner.require_partner("l2", "nkw")):
        with pytest.raises(ForbiddenError):
            call()
    lead = Principal("u", "Lead", ("l1",))
    lead.require_partner("l1", "nkw")
    with pytest.raises(ForbiddenError):
        lead.require_partner("l2", "nkw")


def test_a_partner_token_is_scoped_to_its_letter(services):
    letter = make_letter(services)
    services.partners.add(letter.slug, PartnerIn(name="NK Watch", code="nkw"))
    created = services.organisers.create("NK Watch staff", [], partner=f"{letter.slug}/nkw")
    me = services.organisers.authenticate(created.token)
    assert me.partner == f"{letter.slug}/nkw" and me.letters == (letter.slug,)


def test_the_recount_finds_and_repairs_a_partners_listed_counters(services, mailer):
    from chalicelib.storage import Update
    letter = make_letter(services)
    services.partners.add(letter.slug, PartnerIn(name="NK Watch", code="nkw"))
    sign(services, letter, via="nkw")
    services.signing.confirm(_token(mailer, 0, "confirm"), IP)
    assert services.recount.recount(letter.slug).partners == {}
    item = services.store.get_letter(letter.slug)
    services.store.update(keys.partner_counter_key(letter.slug, "nkw", 0),
                          Update(add={"n_individual": 3, "c_GB": 1}))
    assert services.recount.recount(letter.slug).partners == {"nkw": {"n_individual": -3, "c_GB": -1}}
    assert services.recount.recount(letter.slug, fix=True).fixed
    assert services.recount.recount(letter.slug).partners == {}
    assert services.partners.figures(item, "nkw").listed.individuals == 1
