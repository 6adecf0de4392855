"""What readers and signers live through after the first load: the country search, the
periodic refresh, links pasted into an open tab, keyboard focus, live announcements,
Korean line breaking, the embed snippet and language marking."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from test_page import EXAMPLE, RESENT, fill_individual, open_letter

INVALID = "This link is not valid. Check that you copied all of it."
LISTED = "Thank you. Your signature is confirmed and now listed under the letter."


def pages_of_ten(page, fail=None):
    """Signatories in pages of 10 (the example has 35); with `fail` set, pages fail to load."""
    def handle(route):
        if fail and fail["on"]:
            route.abort()
        else:
            route.continue_(url=route.request.url.replace("limit=100", "limit=10"))
    page.route("**/api/letters/*/signatures?*", handle)


def json_reply(route, status, body):
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def api_error(status, code):
    return {"error": {"status": status, "code": code, "message": "x", "fields": []}}


# ---- country search ------------------------------------------------------------------

def test_country_search_filters_but_never_chooses(page, site):
    open_letter(page, site)
    search, select = page.locator("#f-country-search"), page.locator("#f-country")
    count = page.locator("#f-country-count")
    search.fill("korea")
    expect(select.locator("option")).to_have_text(["— No country —", "North Korea", "South Korea"])
    expect(select).to_have_value("")
    expect(count).to_have_text("2 countries match")
    search.fill("ger")
    expect(select.locator("option")).to_have_count(5)
    expect(select).to_have_value("")
    expect(count).to_have_text("4 countries match")
    select.select_option("DE")
    search.fill("germ")
    expect(select).to_have_value("DE")
    expect(count).to_have_text("1 country matches")
    search.fill("fra")  # Germany is no match now, but it stays the choice
    expect(select.locator("option:checked")).to_have_text("Germany")
    expect(select).to_have_value("DE")
    expect(count).to_have_attribute("role", "status")


def test_country_search_in_korean_keeps_the_choice(new_page, site):
    page = new_page("ko")
    open_letter(page, site)
    search, select = page.locator("#f-country-search"), page.locator("#f-country")
    select.select_option("KR")
    search.fill("없는나라")
    expect(select.locator("option")).to_have_count(2)  # "none", and the choice kept
    expect(select).to_have_value("KR")
    expect(page.locator("#f-country-count")).to_have_text("일치하는 국가가 없습니다")
    search.fill("")
    expect(select).to_have_value("KR")


KOREAS = {"en": {"KR": "South Korea", "KP": "North Korea"}, "ko": {"KR": "대한민국", "KP": "북한"}}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("query, codes", [
    ("한국", ["KR"]), ("남한", ["KR"]), ("Korea", ["KR", "KP"]), ("South Korea", ["KR"]),
    ("North Korea", ["KP"]), ("북한", ["KP"]), ("조선", ["KP"]), ("DPRK", ["KP"]), ("dprk", ["KP"]),
])
def test_country_search_finds_the_koreas_by_their_common_names(new_page, site, lang, query, codes):
    """CLDR's names alone ("대한민국", "북한", "South Korea") missed "한국", "조선", "DPRK", and a
    Latin "Korea" on the Korean page; the list still shows each country by its UI-language name."""
    page = new_page(lang)
    open_letter(page, site)
    page.locator("#f-country-search").fill(query)
    options = page.locator("#f-country option")
    expect(options).to_have_count(1 + len(codes))
    got = dict(zip(options.evaluate_all("os => os.slice(1).map(o => o.value)"),
                   options.all_text_contents()[1:]))
    assert got == {c: KOREAS[lang][c] for c in codes}
    expect(page.locator("#f-country")).to_have_value("")  # the search still never chooses


def test_country_search_knows_a_few_other_common_names(page, site):
    open_letter(page, site)
    search, select = page.locator("#f-country-search"), page.locator("#f-country")
    for query, name in (("Czech Republic", "Czechia"), ("Turkey", "Türkiye"), ("USA", "United States"),
                        ("Great Britain", "United Kingdom"), ("Ivory Coast", "Côte d’Ivoire"),
                        ("터키", "Türkiye")):
        search.fill(query)
        expect(select.locator("option")).to_have_text(["— No country —", name])


# ---- the periodic refresh ------------------------------------------------------------

def test_refresh_leaves_the_reader_where_they_were(page, site):
    calls = []

    def letter(route):
        calls.append(route.request.url)
        data = route.fetch().json()
        if len(calls) >= 3:  # the second refresh: somebody has signed meanwhile
            data["counts"]["individuals"] += 1
            data["counts"]["total"] += 1
        json_reply(route, 200, data)
    page.route(f"**/api/letters/{EXAMPLE}", letter)
    pages_of_ten(page)
    open_letter(page, site)
    items = page.locator(".sig-list li")
    page.click("button.more")
    expect(items).to_have_count(20)
    page.focus("button.more")
    page.evaluate("""() => {
      const p = document.querySelector("#l-body p");
      p.__original = true;
      const r = document.createRange();
      r.selectNodeContents(p);
      getSelection().removeAllRanges();
      getSelection().addRange(r);
      window.__tallyWrites = 0;
      new MutationObserver(() => { window.__tallyWrites++; }).observe(
        document.getElementById("tally"), { childList: true, characterData: true, subtree: true });
    }""")
    selected = page.evaluate("getSelection().toString()")
    assert selected
    visible = "document.dispatchEvent(new Event('visibilitychange'))"
    with page.expect_response(lambda r: r.url.endswith(f"/api/letters/{EXAMPLE}")):
        page.evaluate(visible)  # nothing has changed
    page.evaluate(visible)  # one more signatory
    expect(page.locator("#tally")).to_have_text("31 organisations and 5 individuals from 10 countries")
    assert page.evaluate("document.querySelector('#l-body p').__original === true")
    assert page.evaluate("getSelection().toString()") == selected
    assert page.evaluate("window.__tallyWrites") == 1
    fresh = page.get_by_role("button", name="New signatories: show")
    expect(fresh).to_be_visible()
    expect(page.locator("button.more")).to_be_focused()
    expect(items).to_have_count(20)
    fresh.click()  # asked for: the list starts again from its first page
    expect(items).to_have_count(10)
    expect(fresh).to_be_hidden()
    expect(page.locator(".sig-title")).to_be_focused()
    assert not page.errors, page.errors


# ---- links pasted into an open tab ---------------------------------------------------------

def test_confirm_page_follows_a_new_link_in_the_same_tab(page, site):
    tokens = []

    def answer(route):
        token = route.request.post_data_json["token"]
        tokens.append(token)
        if token.startswith("A"):
            json_reply(route, 404, api_error(404, "token_invalid"))
        else:
            json_reply(route, 200, {"letter": EXAMPLE, "state": "confirmed", "already_confirmed": False})
    page.route("**/api/confirmations", answer)
    page.goto(f"{site.url}/confirm.html#token={'A' * 80}")
    expect(page.locator(".outcome")).to_have_text(INVALID)
    page.goto(f"{site.url}/confirm.html#token={'B' * 80}")  # same document: only the fragment differs
    expect(page.locator(".outcome")).to_have_text(LISTED)
    assert tokens == ["A" * 80, "B" * 80]
    assert urllib.parse.urlsplit(page.url).fragment == ""


def test_withdraw_page_follows_a_new_link_in_the_same_tab(page, site):
    tokens = []
    page.route("**/api/withdrawals", lambda route: (
        tokens.append(route.request.post_data_json["token"]),
        json_reply(route, 200, {"letter": EXAMPLE, "state": "withdrawn", "already_withdrawn": False})))
    ask = page.get_by_role("button", name="Remove my name from this letter")
    page.goto(f"{site.url}/withdraw.html#token=short")
    expect(page.locator(".outcome")).to_have_text(INVALID)
    page.goto(f"{site.url}/withdraw.html#token={'W' * 80}")
    ask.click()
    expect(page.locator(".outcome")).to_have_text(
        "Your name has been removed from the letter and your details deleted.")
    page.goto(f"{site.url}/withdraw.html#token={'V' * 80}")
    ask.click()
    expect(page.locator(".outcome")).to_be_visible()
    assert tokens == ["W" * 80, "V" * 80]
    assert urllib.parse.urlsplit(page.url).fragment == ""


# ---- keyboard focus --------------------------------------------------------------------

def test_show_more_moves_focus_to_the_first_new_signatory(page, site):
    pages_of_ten(page)
    open_letter(page, site)
    items, more = page.locator(".sig-list li"), page.locator("button.more")
    focused = page.locator(".sig-list li:focus")
    expect(items).to_have_count(10)
    more.focus()
    for expected in (20, 30, 35):
        before = items.all_text_contents()
        page.keyboard.press("Enter")
        expect(items).to_have_count(expected)
        expect(focused).to_have_count(1)
        assert focused.text_content() not in before
        if expected < 35:
            page.keyboard.press("Tab")
            expect(more).to_be_focused()
    expect(more).to_be_hidden()


def test_a_page_of_signatories_that_fails_offers_a_retry(page, site):
    fail = {"on": False}
    pages_of_ten(page, fail)
    open_letter(page, site)
    items, more, error = page.locator(".sig-list li"), page.locator("button.more"), page.locator(".sig-error")
    expect(items).to_have_count(10)
    fail["on"] = True
    more.focus()
    page.keyboard.press("Enter")
    expect(error).to_have_text("The signatories could not be loaded.")
    expect(more).to_have_text("Try again")
    expect(more).to_be_focused()
    expect(items).to_have_count(10)
    fail["on"] = False
    page.keyboard.press("Enter")
    expect(items).to_have_count(20)
    expect(error).to_be_hidden()
    expect(more).to_have_text("Show more signatories")
    assert not page.errors, page.errors


def test_a_first_page_that_fails_offers_a_retry_in_the_ui_language(new_page, site):
    page = new_page("ko")
    fail = {"on": True}
    pages_of_ten(page, fail)
    open_letter(page, site)
    error = page.locator(".sig-error")
    expect(error).to_have_text("서명자 목록을 불러오지 못했습니다.")
    expect(error).to_have_attribute("lang", "ko")
    fail["on"] = False
    page.get_by_role("button", name="다시 시도").click()
    expect(page.locator(".sig-list li")).to_have_count(10)
    expect(error).to_be_hidden()
    assert not page.errors, page.errors


def fake_signing(page, resend_after, then=None):
    """Every sign-on POST answers the API's one 202, holding a resend `resend_after` seconds;
    with `then` (status, body, headers), the POSTs after the first get that instead."""
    posts = []

    def answer(route):
        if route.request.method != "POST":
            return route.continue_()
        posts.append(route.request)
        status, body, headers = (then if then and len(posts) > 1 else (202, {
            "status": "pending", "mail": "queued", "resend_after": resend_after,
            "queue_delay_seconds": 0}, {}))
        route.fulfill(status=status, content_type="application/json", headers=headers,
                      body=json.dumps(body))
    page.route("**/api/letters/*/signatures", answer)
    return posts


def test_resend_keeps_keyboard_focus_on_its_button(page, site):
    posts = fake_signing(page, 2)
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_focused()
    page.keyboard.press("Tab")
    resend = page.locator("#resend")
    expect(resend).to_be_focused()
    expect(resend).to_be_disabled()
    page.keyboard.press("Enter")  # held since the sign-on: nothing is sent
    expect(resend).to_be_enabled()
    expect(resend).to_be_focused()
    assert len(posts) == 1
    page.keyboard.press("Enter")
    expect(page.locator("#resend-status")).to_have_text(RESENT)
    expect(resend).to_be_disabled()
    expect(resend).to_be_focused()
    page.keyboard.press("Enter")  # still waiting: nothing is sent
    expect(resend).to_be_enabled()
    expect(resend).to_be_focused()
    assert len(posts) == 2


def test_resend_told_to_slow_down_waits_its_retry_after(page, site):
    posts = fake_signing(page, 0, then=(429, api_error(429, "too_many_requests"), {"Retry-After": "2"}))
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    page.click("#resend")
    expect(page.locator("#resend-status")).to_have_text(
        "Too many requests. Please wait 2 seconds and try again.")
    expect(page.locator("#resend")).to_be_disabled()
    expect(page.locator("#resend-status")).to_have_text("You can ask for another link now.")
    expect(page.locator("#resend")).to_be_enabled()
    assert len(posts) == 2


def test_confirm_retry_keeps_keyboard_focus_on_the_outcome(page, site):
    answers = [(503, api_error(503, "service_unavailable")),
               (200, {"letter": EXAMPLE, "state": "confirmed", "already_confirmed": False})]
    page.route("**/api/confirmations", lambda route: json_reply(route, *answers.pop(0)))
    page.goto(f"{site.url}/confirm.html#token={'E' * 80}")
    expect(page.locator(".outcome")).to_have_text("Something went wrong on our side. Please try again later.")
    page.get_by_role("button", name="Try again").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".outcome")).to_have_text(LISTED)
    expect(page.locator("#c-result")).to_be_focused()
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)


# ---- live announcements ------------------------------------------------------------------

def test_resend_countdown_announces_its_start_and_end_only(page, site):
    fake_signing(page, 2)
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    page.evaluate("""() => {
      const live = [...document.querySelectorAll("#sent [aria-live], #sent [role=status], #sent [role=alert]")];
      window.__announced = [];
      for (const el of live) new MutationObserver(() => window.__announced.push(el.textContent.trim()))
        .observe(el, { childList: true, characterData: true, subtree: true });
    }""")
    expect(page.locator("#sent")).to_contain_text("You can ask for another link in 1 second.")
    expect(page.locator("#resend")).to_be_enabled()
    page.click("#resend")
    expect(page.locator("#sent")).to_contain_text("You can ask for another link in 1 second.")
    expect(page.locator("#resend")).to_be_enabled()
    assert page.evaluate("window.__announced") == [
        "You can ask for another link now.", RESENT, "You can ask for another link now."]
    expect(page.locator("#resend-status")).to_have_text("You can ask for another link now.")


# ---- Korean line breaking ------------------------------------------------------------------

SPLIT_WORDS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const owner = node.parentElement;
    if (!owner.checkVisibility() || owner.closest("[lang]").lang !== "ko") continue;
    for (const m of node.data.matchAll(/[\\uAC00-\\uD7A3]\\S*/g)) {
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""


def test_korean_words_are_not_broken_across_lines(new_page, site):
    page = new_page("ko", viewport={"width": 320, "height": 640})
    open_letter(page, site)
    expect(page.locator("label[for=f-consent]")).not_to_be_empty()
    assert page.evaluate(SPLIT_WORDS) == []


# ---- the embed snippet --------------------------------------------------------------------

def test_suggested_embed_shows_its_link_with_a_long_title(page, new_page, site):
    open_letter(page, site)
    code = page.input_value("#embed-code")
    width = int(re.search(r'width="(\d+)"', code)[1])
    height = int(re.search(r'height="(\d+)"', code)[1])
    src = re.search(r'src="([^"]+)"', code)[1].replace("&amp;", "&")
    assert width == 360
    for lang in ("en", "ko"):
        embed = new_page(lang, viewport={"width": width, "height": height})
        embed.goto(src)
        expect(embed.locator("#e-tally")).not_to_be_empty()
        expect(embed.locator("#e-link")).to_have_text(re.compile("^Joint open letter .* Human Rights$"))
        title = embed.locator(".e-title")
        line = float(title.evaluate("e => getComputedStyle(e).lineHeight").removesuffix("px"))
        assert title.bounding_box()["height"] <= 2 * line + 1  # cut to two lines
        expect(embed.locator("#e-tally")).to_be_in_viewport(ratio=1)
        expect(embed.locator("#e-cta")).to_be_in_viewport(ratio=1)


# ---- language marking ------------------------------------------------------------------------

def test_ui_words_inside_the_letter_carry_the_ui_language(new_page, site):
    page = new_page("ko")
    pages_of_ten(page)
    open_letter(page, site)
    more = page.locator("button.more")
    expect(more).to_have_text("서명자 더 보기")
    expect(more).to_have_attribute("lang", "ko")
    page.click("button.lang-btn[lang=en]")
    expect(more).to_have_text("Show more signatories")
    expect(more).to_have_attribute("lang", "en")


def test_confirm_page_title_follows_the_language(new_page, site):
    page = new_page("ko")
    page.goto(f"{site.url}/confirm.html#token=short")
    expect(page.locator(".outcome")).to_be_visible()
    expect(page).to_have_title("서명 확인 · Undersigned")
    page.click("button.lang-btn[lang=en]")
    expect(page).to_have_title("Confirming your signature · Undersigned")


def test_error_marker_is_not_read_out(page, site):
    open_letter(page, site)
    page.click("#f-submit")
    expect(page.locator("#err-name")).to_be_visible()
    expect(page.locator("#f-name")).to_have_accessible_description("Please fill this in.")
