"""Coalitions on the organisers' page: a lookalike organisation held beside its match, an
XLSX import's dry run and apply, a partner's own token with its export, and the partners,
imports, delivery and updates panels (and a partner's own page) in Korean."""
from __future__ import annotations

import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from test_admin import EXAMPLE, api, row, sign, sign_in

CYRILLIC_HRW = "\u041dum\u0430n Rights W\u0430t\u0441h"  # Н, а, а, с: reads "Human Rights Watch"


@pytest.fixture(scope="module")
def coalition_site(stack, tmp_path_factory):
    from support import start_site
    site = start_site(tmp_path_factory.mktemp("coalition-outbox"))
    yield site
    site.stop()


@pytest.fixture
def site(coalition_site):
    from chalicelib import wiring
    wiring.configure(coalition_site.service)
    return coalition_site


@pytest.fixture(scope="module")
def token(coalition_site):
    return coalition_site.service.organisers.create("test", []).token


def test_a_cyrillic_human_rights_watch_waits_beside_the_listed_one(page, site, token, shot):
    assert sign(site, EXAMPLE, CYRILLIC_HRW, email=f"x-{uuid.uuid4().hex[:8]}@example.org") \
        == "awaiting_approval"
    sign_in(page, site, token)
    page.select_option("#q-state", "quarantined")
    page.click("#filter-form button[type=submit]")
    held = row(page, CYRILLIC_HRW)
    expect(held).to_have_count(1)
    match = held.locator(".lookalike")
    expect(match).to_contain_text("Looks like, already on the letter")
    expect(match.locator(".match-side").nth(1).locator(".sig-name")).to_have_text("Human Rights Watch")
    held.scroll_into_view_if_needed()
    shot(page, "admin-lookalike.png")
    held.get_by_role("button", name=f"Same organisation: keep the first {CYRILLIC_HRW}").click()
    expect(page.locator("#queue-result")).to_contain_text(f"Rejected: “{CYRILLIC_HRW}”.")
    names = [s["name"] for s in api(site, "GET", f"/letters/{EXAMPLE}/signatures?limit=100")[1]["signatures"]]
    assert CYRILLIC_HRW not in names and names.count("Human Rights Watch") == 1
    assert not page.errors, page.errors


def test_an_xlsx_import_is_checked_then_imported(page, site, token, tmp_path, shot):
    from helpers import make_letter
    from openpyxl import Workbook
    slug = f"i-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug)
    book = Workbook()
    book.active.append(["Full name", "Type", "Country"])
    for r in (["Geoffrey Nice Foundation", "organisation", "NL"], ["=2+3", "individual", "GB"],
              ["Vitit Muntarbhorn", "individual", "XX"], ["The Geoffrey Nice Foundation", "organisation", "NL"]):
        book.active.append(r)
    path = tmp_path / "paper.xlsx"
    book.save(path)
    sign_in(page, site, token, slug)
    page.set_input_files("#import-file", str(path))
    page.fill("#import-map-name", "Full name")
    page.fill("#import-map-kind", "Type")
    page.fill("#import-map-country", "Country")
    page.fill("#import-source", "paper, 2020-02-20")
    page.click("#import-dry")
    expect(page.locator("#import-result")).to_have_text(
        "Dry run: 4 rows read; 2 would be listed, 1 held for review. Nothing was stored.")
    report = page.locator("#import-report")
    expect(report.locator("[data-row='4']")).to_contain_text("column Country")
    expect(report.locator("[data-row='3']")).to_contain_text("Formula signs removed")
    expect(report.locator("[data-group=lookalikes]")).to_contain_text("row 2: Geoffrey Nice Foundation")
    report.scroll_into_view_if_needed()
    shot(page, "admin-import-dry-run.png")
    assert api(site, "GET", f"/letters/{slug}")[1]["counts"]["total"] == 0
    page.click("#import-apply")
    expect(page.locator("#import-result")).to_have_text(
        "Imported: 3 stored (2 listed, 1 held for review).")
    expect(page.locator("#f-total")).to_have_text("2")
    public = api(site, "GET", f"/letters/{slug}/signatures")[1]["signatures"]
    assert sorted(s["name"] for s in public) == ["2+3", "Geoffrey Nice Foundation"]
    assert not page.errors, page.errors


def test_a_partners_link_carries_its_code_through_sign_and_confirm(page, site):
    from chalicelib.partner_models import PartnerIn
    from helpers import make_letter
    from test_page import fill_individual
    slug = f"p-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug)
    site.service.partners.add(slug, PartnerIn(name="NK Watch", code="nkw", public_count=True))
    page.goto(f"{site.url}/l/{slug}?via=nkw")
    expect(page.locator("#f-partner-label")).to_have_text(
        "NK Watch may contact me about this letter (optional).")
    expect(page.locator("#partner-note")).to_have_text("Signed through NK Watch: 0")
    fill_individual(page, name="Grace Hopper", email=f"g-{uuid.uuid4().hex[:8]}@example.org")
    page.check("#f-partner")
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("confirmed")
    figures = site.service.partners.view(slug, "nkw").figures
    assert (figures.signed, figures.confirmed, figures.listed.individuals) == (1, 1, 1)
    page.goto(f"{site.url}/l/{slug}?via=nkw")
    expect(page.locator("#partner-note")).to_have_text("Signed through NK Watch: 1")
    assert not page.errors, page.errors


def referral(site, slug, name, email, code, consent):
    """A sign-on through the partner's link (its consent ticked or not), confirmed."""
    sha = api(site, "GET", f"/letters/{slug}")[1]["text_sha256"]
    before = set(site.links())
    status, resp = api(site, "POST", f"/letters/{slug}/signatures", {
        "kind": "individual", "name": name, "email": email, "consent": True,
        "letter_sha256": sha, "via": code, "partner_consent": consent})
    assert status == 202, resp
    link = next(link for link in site.links() if link not in before)
    assert api(site, "POST", "/confirmations", {"token": link.split("#token=", 1)[1]})[0] == 200


def test_a_partners_token_sees_its_own_figures_and_export_and_nothing_else(page, site):
    from chalicelib.partner_models import PartnerIn
    from helpers import make_letter
    slug = f"p-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug)
    for code, name in (("nkw", "NK Watch"), ("lumen", "LUMEN")):
        site.service.partners.add(slug, PartnerIn(name=name, code=code, may_download=True))
    staff = site.service.organisers.create("NK Watch staff", [], partner=f"{slug}/nkw").token
    mail = {}
    for name, consent in (("Ada Consenting", True), ("Ben Silent", False)):
        mail[name] = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@example.org"
        referral(site, slug, name, mail[name], "nkw", consent)
    page.goto(f"{site.url}/admin.html")
    page.fill("#token", staff)
    page.click("#signin-submit")
    expect(page.locator("#partner-view-h")).to_have_text("NK Watch: your referrals")
    expect(page.locator("#partner-view-figures")).to_contain_text("2 signed through the link, 2 confirmed")
    expect(page.locator("#workspace")).to_be_hidden()
    page.click("#partner-view-export")  # a job: its progress, then its link
    link = page.locator("#partner-view-result a")
    expect(link).to_contain_text("Download the CSV of your consenting referrals")
    with urllib.request.urlopen(link.get_attribute("href"), timeout=10) as r:
        csv_text = r.read().decode("utf-8-sig")
    assert "Ada Consenting" in csv_text and mail["Ada Consenting"] in csv_text
    assert "Ben Silent" not in csv_text and mail["Ben Silent"] not in csv_text
    for method, path, body in (("GET", f"/admin/letters/{slug}/partners/lumen", None),
                               ("POST", f"/admin/letters/{slug}/partners/lumen/exports", {}),
                               ("GET", f"/admin/letters/{slug}/signatures", None),
                               ("GET", f"/admin/letters/{slug}/partners", None),
                               ("POST", f"/admin/letters/{slug}/bulk", {"ids": ["a" * 26], "action": "hide"})):
        status, resp = api(site, method, path, body, token=staff)
        assert (status, resp["error"]["code"]) == (403, "forbidden"), (path, resp)
    assert not page.errors, page.errors


# The words of a panel's visible text that are still English (4+ Latin letters), leaving out
# what i18n.js never translates (typed or stored values: [translate="no"], code, …).
ENGLISH_LEFT = """(sel) => {
  const keep = '[translate="no"], .sig-name, .token-name, code, textarea, script, style';
  const out = [], it = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
  for (let n = it.nextNode(); n; n = it.nextNode())
    if (!n.parentElement.closest(keep)) out.push(...(n.nodeValue.match(/[A-Za-z]{4,}/g) || []));
  return out; }"""
NOT_WORDS = {"XLSX", "DOCX", "Markdown"}


def test_the_partners_imports_delivery_and_updates_panels_read_in_korean(new_page, site, token, tmp_path):
    from chalicelib.partner_models import PartnerIn
    from helpers import make_letter
    slug = f"k-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug)
    # a partner named like a label: its name is shown as typed, never translated
    site.service.partners.add(slug, PartnerIn(name="Partners", code="nkw", may_download=True))
    page = new_page("ko")
    sign_in(page, site, token, slug)
    card = page.locator("#partner-list .partner")
    expect(card.locator("h3")).to_have_text("Partners (nkw)")
    card.get_by_role("button", name="실무자용 토큰 발급").click()
    expect(card).to_contain_text("토큰 (한 번만 표시")
    csv = tmp_path / "paper.csv"  # a Korean organiser's file: its headers are Korean
    csv.write_text("이름,유형,국가\n맑은하늘,organisation,KR\n맑은하늘,organisation,KR\n=1+1,individual,KR\n"
                   "김하늘,individual,XX\n", encoding="utf-8")
    page.set_input_files("#import-file", str(csv))
    for field, header in (("name", "이름"), ("kind", "유형"), ("country", "국가")):
        page.fill(f"#import-map-{field}", header)
    page.fill("#import-source", "종이")
    page.click("#import-dry")
    expect(page.locator("#import-result")).to_have_text(
        "모의 실행: 4행 읽음. 게재 예정 2건, 검토 보류 0건. 아무것도 저장하지 않았습니다.")
    expect(page.locator("#import-report li")).to_have_count(3)
    page.click("#deliver-preview")  # no snapshot yet: refused, in Korean
    expect(page.locator("#deliver-status")).to_have_text("아직 PDF가 있는 완성된 스냅숏이 없습니다. 먼저 하나 만드세요.")
    page.click("#recount-run")
    expect(page.locator("#recount-status")).to_have_text(
        "집계가 서명과 일치합니다: 게재 0건 — 단체 0, 개인 0, 나라 0.")
    for panel, korean in (("#partner-section", "협력 단체 추가"), ("#import-section", "2행 가져오기"),
                          ("#deliver-section", "아직 전달하지 않았습니다."), ("#updates-section", "아직 소식이 없습니다."),
                          ("#recount-section", "집계 확인")):
        expect(page.locator(panel)).to_contain_text(korean)
        assert set(page.evaluate(ENGLISH_LEFT, panel)) <= NOT_WORDS, panel
    staff = site.service.organisers.create("Partners staff", [], partner=f"{slug}/nkw").token
    own = new_page("ko")  # the partner's own page
    own.goto(f"{site.url}/admin.html")
    own.fill("#token", staff)
    own.click("#signin-submit")
    expect(own.locator("#partner-view-h")).to_have_text("Partners: 링크로 온 서명자")
    expect(own.locator("#partner-view-figures")).to_have_text(
        "링크로 서명 0건, 확인 0건. 현재 게재: 단체 0, 개인 0, 0개국.")
    assert set(own.evaluate(ENGLISH_LEFT, "#partner-view")) <= NOT_WORDS
    assert not page.errors and not own.errors, (page.errors, own.errors)
