"""The withdrawal page: the link from the confirmation email, a click (never on load), the outcomes."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from test_page import fill_individual, open_letter

ASK = "Remove my name from this letter"
DONE = "Your name has been removed from the letter and your details deleted."
ALREADY = "Your name was already removed from this letter. Nothing more to do."
INVALID = "This link is not valid. Check that you copied all of it."
WELL_FORMED = "W" * 80
EXAMPLE_TITLE = ("Joint open letter concerning the UN Human Rights Council's 2020 resolution on "
                 "North Korean Human Rights")


def withdrawals(page) -> list:
    posts = []
    page.on("request", lambda r: posts.append(r) if r.url.endswith("/api/withdrawals") else None)
    return posts


def fake(page, status, code, headers=None):
    page.route("**/api/withdrawals", lambda route: route.fulfill(
        status=status, content_type="application/json", headers=headers or {},
        body=json.dumps({"error": {"status": status, "code": code, "message": "x", "fields": [],
                                   "request_id": "r1"}})))


def test_withdraw_link_removes_the_name_after_a_click(page, site, letter, email):
    open_letter(page, site, letter)
    fill_individual(page, name="Withdrawing Signer", email=email, affiliation="", country="FR")
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("now listed")
    open_letter(page, site, letter)
    expect(page.locator("#tally")).to_have_text("0 organisations and 1 individual from 1 country")
    expect(page.locator(".sig-list li")).to_have_text(["Withdrawing Signer — France"])

    link = site.links("withdraw")[-1]
    posts = withdrawals(page)
    page.goto(link)
    button = page.get_by_role("button", name=ASK)
    expect(button).to_be_visible()
    assert urllib.parse.urlsplit(page.url).fragment == ""  # token cleared from the address bar
    page.wait_for_timeout(300)
    assert posts == []  # nothing happens on load (mail scanners open links)
    assert site.service.letters.get_letter(letter).counts.total == 1
    button.click()
    expect(page.locator(".outcome")).to_have_text(DONE)
    expect(page.locator(".w-letter")).to_have_text("Letter: A test letter")  # named, from the API's slug
    expect(page.locator(".w-letter cite")).to_have_attribute("lang", "en")
    expect(page.locator("#w-result")).to_be_focused()
    assert len(posts) == 1 and posts[0].post_data_json == {"token": link.split("#token=")[1]}
    page.click("text=Go to the letter")
    expect(page).to_have_url(re.compile(rf"/l/{letter}$"))
    expect(page.locator("#tally")).to_have_text("0 organisations and 0 individuals from 0 countries")
    expect(page.locator(".sig-list li")).to_have_count(0)
    expect(page.locator("#signatories")).not_to_contain_text("Withdrawing Signer")

    # The same link again: already withdrawn.
    page.goto(link)
    page.get_by_role("button", name=ASK).click()
    expect(page.locator(".outcome")).to_have_text(ALREADY)
    expect(page.locator(".w-letter")).to_have_text("Letter: A test letter")


def test_withdraw_invalid_links(page, site):
    posts = withdrawals(page)
    for bad in ("", "#token=short", "#token=" + "a" * 79 + "." + "a" * 5, "#token=" + "a" * 161):
        page.goto("about:blank")
        page.goto(f"{site.url}/withdraw.html{bad}")
        expect(page.locator(".outcome")).to_have_text(INVALID)
        expect(page.locator("#w-actions button")).to_have_count(0)
    assert posts == []
    # Well formed, but the API does not know it: 404 token_invalid.
    page.goto("about:blank")
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    with page.expect_response("**/api/withdrawals") as resp:
        page.get_by_role("button", name=ASK).click()
    assert resp.value.status == 404
    expect(page.locator(".outcome")).to_have_text(INVALID)
    expect(page.get_by_role("button", name=ASK)).to_have_count(0)
    expect(page.get_by_role("link", name="See the open letters")).to_be_visible()


def test_withdraw_429_and_server_errors_offer_a_retry(page, site):
    fake(page, 429, "too_many_requests", {"Retry-After": "30"})
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    page.get_by_role("button", name=ASK).click()
    expect(page.locator(".outcome")).to_have_text("Too many requests. Please wait 30 seconds and try again.")
    page.unroute("**/api/withdrawals")
    fake(page, 503, "service_unavailable")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".outcome")).to_have_text("Something went wrong on our side. Please try again later.")
    page.unroute("**/api/withdrawals")
    page.route("**/api/withdrawals", lambda route: route.abort())
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".outcome")).to_have_text(
        "The server could not be reached. Check your connection and try again.")
    page.unroute("**/api/withdrawals")
    page.route("**/api/withdrawals", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"letter": "eu-hrc43-dprk", "state": "withdrawn", "already_withdrawn": False})))
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".outcome")).to_have_text(DONE)
    expect(page.locator(".w-letter cite")).to_have_text(EXAMPLE_TITLE)
    expect(page.get_by_role("link", name="Go to the letter")).to_have_attribute("href", "/l/eu-hrc43-dprk")
    assert not page.errors, page.errors


def test_withdrawn_without_the_letter_title_still_says_so(page, site):
    """The title is a second request: when it fails, the outcome and the way back stay."""
    page.route("**/api/withdrawals", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"letter": "eu-hrc43-dprk", "state": "withdrawn", "already_withdrawn": True})))
    page.route("**/api/letters/eu-hrc43-dprk", lambda route: route.abort())
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    page.get_by_role("button", name=ASK).click()
    expect(page.locator(".outcome")).to_have_text(ALREADY)
    expect(page.locator(".w-letter")).to_have_count(0)
    expect(page.get_by_role("link", name="Go to the letter")).to_have_attribute("href", "/l/eu-hrc43-dprk")
    assert not page.errors, page.errors


def test_withdraw_page_in_korean(new_page, site):
    page = new_page("ko")
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_have_text("서명 철회")
    expect(page).to_have_title("서명 철회 · Undersigned")
    page.get_by_role("button", name="이 서한에서 내 이름 빼기").click()
    expect(page.locator(".outcome")).to_have_text("유효하지 않은 링크입니다. 링크 전체를 복사했는지 확인해 주세요.")
    page.click("button.lang-btn[lang=en]")
    expect(page.locator(".outcome")).to_have_text(INVALID)
    expect(page.locator("h1")).to_have_text("Remove your signature")


def test_withdraw_page_in_korean_names_the_letter_in_its_own_language(new_page, site):
    page = new_page("ko")
    page.route("**/api/withdrawals", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"letter": "eu-hrc43-dprk", "state": "withdrawn", "already_withdrawn": False})))
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    page.get_by_role("button", name="이 서한에서 내 이름 빼기").click()
    expect(page.locator(".outcome")).to_have_text("서한에서 이름을 뺐으며 입력하신 정보를 삭제했습니다.")
    expect(page.locator(".w-letter")).to_have_text(f"서한: {EXAMPLE_TITLE}")
    expect(page.locator(".w-letter cite")).to_have_attribute("lang", "en")
    page.click("button.lang-btn[lang=en]")
    expect(page.locator(".w-letter")).to_have_text(f"Letter: {EXAMPLE_TITLE}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_on_the_withdraw_page(new_page, site, axe, lang):
    fmt = lambda v: json.dumps(v, indent=1)  # noqa: E731
    page = new_page(lang, bypass_csp=True)  # axe is injected as an inline script
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    expect(page.locator("#w-actions button")).to_be_visible()
    assert axe(page) == [], fmt(axe(page))
    page.locator("#w-actions button").click()
    expect(page.locator(".outcome")).to_be_visible()
    assert axe(page) == [], fmt(axe(page))
    page.goto(f"{site.url}/withdraw.html")
    expect(page.locator(".outcome")).to_be_visible()
    assert axe(page) == [], fmt(axe(page))


@pytest.mark.parametrize("lang,said", [
    ("en", "Your name was withdrawn after the letter was delivered to The Office on 2026-03-01 "
           "with 35 signatures; it remains on that delivered copy"),
    ("ko", "서한이 2026-03-01에 서명 35개와 함께 The Office에게 전달된 뒤에 이름을 뺐습니다.")])
def test_a_withdrawal_after_a_delivery_says_the_name_stays_on_that_copy(new_page, site, lang, said):
    page = new_page(lang)
    page.route("**/api/withdrawals", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({
            "letter": "eu-hrc43-dprk", "state": "withdrawn", "already_withdrawn": False,
            "after_delivery": {"addressee": "The Office", "date": "2026-03-01", "signatures": 35}})))
    page.goto(f"{site.url}/withdraw.html#token={WELL_FORMED}")
    page.locator("#w-actions button").click()
    expect(page.locator(".w-after-delivery")).to_contain_text(said)
