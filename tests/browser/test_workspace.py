"""The organisers' workspace in a real browser: a letter written from nothing (fields, body,
server-side preview), opened, signed from the public page in Korean, and seen on the
dashboard's chart; a read-only co-organiser; axe on every organiser screen in English and
Korean at 375 and 1366 px."""
from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from test_page import fill_individual

WIDE, NARROW = {"width": 1366, "height": 900}, {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def ws_site(stack, tmp_path_factory):
    from support import start_site
    site = start_site(tmp_path_factory.mktemp("workspace-outbox"))
    yield site
    site.stop()


@pytest.fixture
def site(ws_site):
    from chalicelib import wiring
    wiring.configure(ws_site.service)
    return ws_site


@pytest.fixture(scope="module")
def token(ws_site):
    return ws_site.service.organisers.create("coordinator", []).token


def settle(page):
    page.wait_for_load_state("networkidle")


def sign_in(page, site, token, slug=None):
    page.goto(f"{site.url}/admin.html" + (f"#letter={slug}" if slug else ""))
    page.fill("#token", token)
    page.click("#signin-submit")
    expect(page.locator("#workspace")).to_be_visible()
    settle(page)


def test_a_letter_from_nothing_to_a_korean_sign_on_on_the_dashboard(new_page, site, token, axe):
    slug = f"w-{uuid.uuid4().hex[:8]}"
    page = new_page("ko", viewport=WIDE)
    sign_in(page, site, token)
    expect(page.locator("#editor-h")).to_have_text("서한 쓰기")  # the organiser page in Korean
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.click("#ed-new")
    page.fill("#ed-slug", slug)
    page.fill("#ed-title", "Open letter on clean air")
    page.fill("#ed-date", "2026-12-01")
    page.fill("#ed-addressee", "To the Minister of Environment\nSejong")
    page.fill("#ed-salutation", "Dear Minister,")
    page.fill("#ed-closing", "Respectfully,")
    page.fill("#ed-body", "We, **{{total}}** signatories from {{countries}} countries, ask for "
                          "clean air.\n\n<script>alert(1)</script>")
    page.fill("#ed-org-name", "Clean Air Coalition")
    page.fill("#ed-org-contact", "hello@cleanair.example")
    page.fill("#ed-org-privacy", "https://cleanair.example/privacy")
    page.fill("#ed-org-controller", "Clean Air Coalition, Seoul")
    preview = page.locator("#ed-preview")
    expect(preview.locator("strong")).to_have_text("0")  # rendered by the server, tally filled
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    page.click("#ed-save")
    expect(page.locator("#ed-status")).to_contain_text("초안")
    expect(page.locator("#letter-select")).to_have_value(slug)
    page.locator("#editor-section").screenshot(path=str(_docs("admin-editor.png")))
    # a draft is not public
    assert page.request.get(f"{site.url}/api/letters/{slug}").status == 404
    # a Korean translation, previewed by the server
    page.select_option("#tr-language", "ko")
    page.fill("#tr-title", "맑은 공기를 위한 공개 서한")
    page.fill("#tr-addressee", "환경부 장관 귀하\n세종")
    page.fill("#tr-salutation", "장관님께,")
    page.fill("#tr-closing", "삼가 드림,")
    page.fill("#tr-body", "우리 서명자 **{{total}}** 명은 맑은 공기를 요청합니다.")
    expect(page.locator("#tr-preview strong")).to_have_text("0")
    page.click("#tr-save")
    expect(page.locator("#tr-status")).to_contain_text("번역을 저장했습니다")
    page.click("#open-letter")
    expect(page.locator("#f-status")).to_have_text("열림")

    public = new_page("ko", viewport=NARROW, bypass_csp=True)  # axe is injected inline
    public.goto(f"{site.url}/l/{slug}")
    expect(public.locator("html")).to_have_attribute("lang", "ko")
    expect(public.locator("#l-title")).to_have_text("맑은 공기를 위한 공개 서한")  # the visitor's language
    expect(public.locator("#l-translations")).to_contain_text("English (원문)")  # which is authoritative
    expect(public.locator("#l-organisers")).to_contain_text("Clean Air Coalition")
    public.screenshot(path=str(_docs("letter-translated-ko-375.png")))
    assert axe(public) == [], json.dumps(axe(public), ensure_ascii=False)  # the switch, the names
    fill_individual(public, name="김서연", email=f"k-{uuid.uuid4().hex[:8]}@example.org",
                    affiliation="교사", country="KR")
    public.click("#f-submit")
    expect(public.locator("#sent-h")).to_be_visible()
    public.goto(site.links()[-1])
    expect(public.locator(".outcome")).to_be_visible()
    from chalicelib.storage.signature_streams import iter_signatures
    item = site.service.letters.letter_item(slug, fresh=True)
    korean = item["translations"]["ko"]
    assert [s["letter_sha256"] for s in iter_signatures(site.service.store, item)] == [korean]

    page.click("#dash-refresh")
    bar = page.locator('#dash-hours rect[data-series="signed"][data-value="1"]')
    expect(bar).to_have_count(1)
    expect(page.locator('#dash-hours rect[data-series="confirmed"][data-value="1"]')).to_have_count(1)
    expect(page.locator("#dash-hours-table tbody td").first).to_be_attached()
    expect(page.locator("#dash-body")).to_contain_text("대한민국")
    page.locator("#dash-section").screenshot(path=str(_docs("admin-dashboard.png")))
    # the mail came from the organisers (their name, their Reply-To), and the withdrawal page
    # names them too
    import email.policy
    newest = max(site.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    mail = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    assert mail["From"].addresses[0].display_name == "Clean Air Coalition"
    assert str(mail["Reply-To"]) == "hello@cleanair.example"
    public.goto(site.links("withdraw")[-1])
    public.locator("#w-actions button").click()
    expect(public.locator("#w-result .organisers")).to_contain_text("Clean Air Coalition")
    assert not page.errors and not public.errors, (page.errors, public.errors)


def _docs(name):
    from conftest import ROOT
    path = ROOT / "docs" / "screenshots" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_read_only_co_organiser_sees_but_gets_403_on_moderation(new_page, site, token):
    from helpers import make_letter
    slug = f"r-{uuid.uuid4().hex[:8]}"
    make_letter(site.service, slug)
    page = new_page(viewport=WIDE)
    sign_in(page, site, token, slug)
    page.click("#team-create")  # no name: asked for one, nothing created
    expect(page.locator("#team-name")).to_have_attribute("aria-invalid", "true")
    page.fill("#team-name", "Reader")
    page.select_option("#team-role", "read")
    page.click("#team-create")
    expect(page.locator("#team-token")).not_to_have_value("")
    reader = page.locator("#team-token").input_value()
    assert reader.startswith("us_")
    expect(page.locator("#team-body tr", has_text="Reader")).to_contain_text("Read only")
    page.click("#team-done")
    expect(page.locator("#team-new")).to_be_hidden()

    other = new_page(viewport=WIDE)
    sign_in(other, site, reader, slug)
    expect(other.locator("#session-role")).to_have_text("Read only")
    expect(other.locator("#editor-section")).to_be_hidden()
    expect(other.locator("#team-section")).to_be_hidden()
    expect(other.locator("#dash-body .stats")).to_be_visible()
    sig = site.service.letters.public_list("eu-hrc43-dprk", cursor=None, limit=1, kind=None).signatures[0]
    resp = other.request.post(f"{site.url}/api/admin/letters/eu-hrc43-dprk/signatures/{sig.id}/actions",
                              data=json.dumps({"action": "hide"}), headers={
                                  "Authorization": f"Bearer {reader}", "Content-Type": "application/json"})
    assert resp.status == 403 and resp.json()["error"]["code"] == "role_forbidden"
    # revoking it: asked first, then it no longer signs in
    page.locator("#team-body tr", has_text="Reader").get_by_role("button").click()
    page.click("#ask-ok")
    expect(page.locator("#team-body tr", has_text="Reader")).to_contain_text("Revoked")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_on_every_organiser_screen(new_page, site, token, axe, lang):
    page = new_page(lang, viewport=NARROW, bypass_csp=True)  # axe is injected inline
    found = {}
    for size in (NARROW, WIDE):
        page.set_viewport_size(size)
        page.goto(f"{site.url}/admin.html#letter=eu-hrc43-dprk")
        found[f"sign-in {size['width']}"] = axe(page)
        page.fill("#token", token)
        page.click("#signin-submit")
        expect(page.locator("#dash-body .stats")).to_be_visible()
        settle(page)
        page.locator("#dash-days-table, #dash-hours-table").first.evaluate(
            "t => t.closest('details').open = true")
        found[f"workspace {size['width']}"] = axe(page)
        page.click("#close-letter")
        expect(page.locator("#ask")).to_be_visible()
        found[f"close dialog {size['width']}"] = axe(page)
        page.click("#ask-cancel")
        page.fill("#team-name", f"axe {lang}")
        page.click("#team-create")
        expect(page.locator("#team-new")).to_be_visible()
        found[f"new token {size['width']}"] = axe(page)
        page.click("#team-done")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), size
        page.click("#sign-out")
    bad = {k: v for k, v in found.items() if v}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


def test_a_letter_only_organisations_may_sign_offers_only_that(page, site):
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER
    slug = f"o-{uuid.uuid4().hex[:8]}"
    source = OPEN_LETTER.format(slug=slug, approval="false").replace("---\n", "---\nsigners: organisations\n", 1)
    site.service.letters.upsert_letter(parse_letter(source))
    page.goto(f"{site.url}/l/{slug}")
    expect(page.locator("#f-kind-org")).to_be_checked()
    expect(page.locator("label", has=page.locator("#f-kind-ind"))).to_be_hidden()
    expect(page.locator("#row-authorised")).to_be_visible()
