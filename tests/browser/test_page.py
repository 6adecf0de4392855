"""The public page in a real browser: reading, signing, confirming, every error path."""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect


EXAMPLE = "eu-hrc43-dprk"
XSS = "<img src=x onerror=alert(1)>"


def open_letter(page, site, slug=EXAMPLE):
    page.goto(f"{site.url}/l/{slug}")
    expect(page.locator("#tally")).not_to_be_empty()
    return page


def fill_individual(page, name="Ada Lovelace", email="ada@example.org", affiliation="Analyst",
                    country="GB"):
    page.check("#f-kind-ind")
    page.fill("#f-name", name)
    page.fill("#f-affiliation", affiliation)
    if country:
        page.select_option("#f-country", country)
    page.fill("#f-email", email)
    page.check("#f-consent")


def sign_and_confirm_in_browser(page, site, slug, **kw):
    open_letter(page, site, slug)
    fill_individual(page, **kw)
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("confirmed")


# ---- reading -------------------------------------------------------------------

def test_letter_page_shows_the_letter_as_written(page, site, shot):
    open_letter(page, site)
    letter = page.locator("#letter")
    expect(letter).to_have_attribute("lang", "en")
    expect(page.locator("#l-date")).to_have_text("26 February 2020")
    expect(page.locator("#l-addressee")).to_contain_text("Josep Borrell Fontelles")
    expect(page.locator("#l-salutation")).to_have_text("Your Excellency,")
    expect(page.locator("#l-closing")).to_have_text("Sincerely,")
    expect(page.locator("#l-body ol > li")).to_have_count(5)
    expect(page.locator("#tally")).to_have_text("31 organisations and 4 individuals from 10 countries")
    heads = page.locator(".sig-head")
    expect(heads).to_have_text(["Groups", "Individuals"])
    groups, people = page.locator(".sig-list").all()
    expect(groups.locator("li").first).to_have_text("1969 KAL Abductees' Families Association — South Korea")
    expect(people.locator("li").first).to_contain_text("David Alton, Lord — Independent Crossbench")
    assert not page.errors, page.errors
    for w, h in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"letter-{w}x{h}.png", publish=True)


def test_index_lists_letters_when_several_are_open(page, site, letter):
    page.goto(site.url + "/")
    expect(page.locator(f"#letter-list a[href='/l/{letter}']")).to_have_text("A test letter")
    expect(page.locator(f"#letter-list a[href='/l/{EXAMPLE}']")).to_be_visible()
    page.click(f"#letter-list a[href='/l/{letter}']")
    expect(page).to_have_url(re.compile(rf"/l/{letter}$"))
    expect(page.locator("#l-title")).to_have_text("A test letter")


def test_one_open_letter_is_shown_at_the_root(page, live_site):
    """On tests/conftest.py's own fresh `live_site`: only the example letter is open."""
    page.goto(live_site.url + "/")
    expect(page.locator("#l-title")).to_contain_text("Joint open letter")
    expect(page.locator("#index")).to_be_hidden()


def test_unknown_letter_says_so(page, site):
    page.goto(site.url + "/l/no-such-letter")
    expect(page.locator("#status")).to_have_text("There is no such letter.")


def test_show_more_follows_next_cursor(page, site):
    page.route("**/api/letters/*/signatures?*", lambda route: route.continue_(
        url=route.request.url.replace("limit=100", "limit=10")))
    open_letter(page, site)
    items = page.locator(".sig-list li")
    expect(items).to_have_count(10)
    for expected in (20, 30, 35):
        page.click("button.more")
        expect(items).to_have_count(expected)
    expect(page.locator("button.more")).to_be_hidden()
    names = items.all_text_contents()
    assert len(set(names)) == 35


def test_page_is_readable_without_script(new_page, site):
    page = new_page(java_script_enabled=False)
    page.goto(site.url + "/l/" + EXAMPLE)
    for tag in ("header", "main", "footer"):
        expect(page.locator(tag)).to_have_count(1)
    expect(page.locator("noscript")).to_have_count(1)
    assert page.locator("a[href='/api/letters']").count() == 1
    html = page.content()
    assert "need JavaScript" in html
    assert re.search(r"style=", html) is None and "onclick" not in html


class _Markup(HTMLParser):
    """Headings with no text and <time>s with neither text nor datetime, as served."""

    def __init__(self):
        super().__init__()
        self.open, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag) or (tag == "time" and "datetime" not in dict(attrs)):
            self.open.append([tag, self.getpos()[0], ""])

    def handle_data(self, data):
        for o in self.open:
            o[2] += data

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            name, line, text = self.open.pop()
            if not text.strip():
                self.problems.append(f"empty <{name}> on line {line}")


@pytest.mark.parametrize("path", ["/", f"/l/{EXAMPLE}", "/confirm.html", "/withdraw.html", "/unsubscribe.html",
                                  f"/embed.html?letter={EXAMPLE}", "/admin.html"])
def test_served_pages_have_no_empty_headings_or_times(site, path):
    """What a validator (and a reader without JavaScript) gets; the scripts fill them later."""
    with urllib.request.urlopen(site.url + path) as resp:
        markup = _Markup()
        markup.feed(resp.read().decode())
    assert markup.problems == []


def test_the_letter_date_is_a_time_with_its_datetime(page, site):
    open_letter(page, site)
    expect(page.locator("#l-date time")).to_have_attribute("datetime", "2020-02-26")
    expect(page.locator("#l-date time")).to_have_text("26 February 2020")
    expect(page.locator("#l-title")).to_have_text(re.compile("^Joint open letter concerning"))


def test_print_shows_the_letter_and_signatories_only(page, site):
    open_letter(page, site)
    page.emulate_media(media="print")
    expect(page.locator("#letter")).to_be_visible()
    expect(page.locator(".sig-list").first).to_be_visible()
    for hidden in ("#sign", "#share", ".site-header", ".site-footer", "#lang-switch"):
        expect(page.locator(hidden)).to_be_hidden()


# ---- signing and confirming ----------------------------------------------------------

def test_individual_signs_confirms_and_appears(page, site, letter, email):
    sign_and_confirm_in_browser(page, site, letter, name="Grace Hopper", email=email, affiliation="Rear Admiral", country="US")
    expect(page.locator(".outcome")).to_have_text(
        "Thank you. Your signature is confirmed and now listed under the letter.")
    assert "#token" not in page.url and "token=" not in page.url  # fragment cleared
    page.click("text=Go to the letter")
    expect(page).to_have_url(re.compile(rf"/l/{letter}$"))
    expect(page.locator("#tally")).to_have_text("0 organisations and 1 individual from 1 country")
    expect(page.locator(".sig-list li")).to_have_text(["Grace Hopper — Rear Admiral"])
    # The same link again: already confirmed.
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_have_text("This signature was already confirmed. Nothing more to do.")


def test_organisation_signs_on_a_letter_without_approval(page, site, letter, email):
    open_letter(page, site, letter)
    page.check("#f-kind-org")
    expect(page.locator("#f-name-label")).to_have_text("Name of the organisation")
    # an organisation gives no title: the note says what of it is public
    expect(page.locator("#public-note")).to_have_text(
        "What will be public: the organisation's name and country, printed under the letter.")
    expect(page.locator("#row-affiliation")).to_be_hidden()
    expect(page.locator("#approval-note")).to_be_hidden()
    page.fill("#f-name", "Open Society Lab")
    page.fill("#f-country-search", "korea")
    page.select_option("#f-country", "KR")
    page.fill("#f-email", email)
    page.check("#f-authorised")
    page.check("#f-consent")
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#f-submit")
    assert req.value.post_data_json["kind"] == "organisation"
    expect(page.locator("#sent-h")).to_be_visible()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("now listed")
    open_letter(page, site, letter)
    expect(page.locator("#tally")).to_have_text("1 organisation and 0 individuals from 1 country")
    expect(page.locator(".sig-list li").first).to_have_text("Open Society Lab — South Korea")


def test_organisation_must_be_authorised_and_example_awaits_approval(page, site, email):
    open_letter(page, site)
    page.check("#f-kind-org")
    expect(page.locator("#approval-note")).to_be_visible()
    page.fill("#f-name", "New Coalition")
    page.fill("#f-email", email)
    page.check("#f-consent")
    page.click("#f-submit")
    expect(page.locator("#err-authorised")).to_have_text(
        "Only someone authorised by the organisation may sign for it.")
    expect(page.locator("#f-authorised")).to_have_attribute("aria-invalid", "true")
    page.check("#f-authorised")
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_have_text(
        "Thank you. Your signature is confirmed. The organisers will check it before it is listed.")


def test_resend_waits_then_reposts_and_says_a_new_link_was_asked_for(page, site, email):
    shorter_waits(page, 2)
    open_letter(page, site)
    fill_individual(page, email=email)
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_focused()
    resend = page.locator("#resend")
    expect(resend).to_be_disabled()  # a resend before resend_after would send nothing
    expect(page.locator("#resend-left")).to_have_text(
        re.compile(r"You can ask for another link in [12] seconds?\."))
    expect(resend).to_be_enabled()
    with page.expect_request(lambda r: r.method == "POST") as req:
        resend.click()
    assert req.value.post_data_json["email"] == email
    expect(page.locator("#resend-status")).to_have_text(RESENT)
    expect(page.locator("#resend-left")).to_have_text(
        re.compile(r"You can ask for another link in [12] seconds?\."))
    expect(resend).to_be_disabled()


def test_xss_name_is_literal_text(page, site, letter, email):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_and_confirm_in_browser(page, site, letter, name=XSS, email=email, affiliation="",
                                country=None)
    open_letter(page, site, letter)
    expect(page.locator(".sig-name")).to_have_text([XSS])
    assert page.locator("#signatories img").count() == 0
    assert page.locator("img").count() == 0
    assert not dialogs


def test_double_submit_sends_one_request(page, site, email):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    open_letter(page, site)
    fill_individual(page, email=email)
    page.dblclick("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    assert len(posts) == 1


def test_two_synchronous_submits_send_one_request(page, site, email):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    open_letter(page, site)
    fill_individual(page, email=email)
    page.evaluate("() => { const f = document.getElementById('sign-form'); f.requestSubmit(); f.requestSubmit(); }")
    expect(page.locator("#sent-h")).to_be_visible()
    page.wait_for_timeout(200)
    assert len(posts) == 1


# ---- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("name,message", [
    ("", "Please fill this in."),
    ("=HYPERLINK(1)", "This may not start with =, +, - or @."),
    ("Visit www.spam.example", "Please leave out web addresses."),
    ("Eve\u202eevil", "This contains invisible or control characters. Please retype it."),
    ("x" * 201, "This is too long: at most 200 characters."),
])
def test_client_checks_mirror_the_api(page, site, name, message):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    open_letter(page, site)
    fill_individual(page, name=name)
    page.click("#f-submit")
    expect(page.locator("#err-name")).to_have_text(message)
    expect(page.locator("#f-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_be_focused()
    assert "err-name" in page.get_attribute("#f-name", "aria-describedby")
    assert posts == []


def test_empty_form_marks_every_required_field(page, site):
    open_letter(page, site)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text("Please correct the marked fields.")
    expect(page.locator("#err-name")).to_have_text("Please fill this in.")
    expect(page.locator("#err-email")).to_have_text("Please fill this in.")
    expect(page.locator("#err-consent")).to_have_text("Please tick this box to agree to be listed.")
    page.fill("#f-email", "not-an-address")
    page.click("#f-submit")
    expect(page.locator("#err-email")).to_have_text(
        "Please enter a valid email address, e.g. name@example.org.")


def test_api_422_lands_next_to_its_field(page, site):
    """The real API's answer: the request is altered on its way so the client check is bypassed."""
    def tamper(route):
        body = json.loads(route.request.post_data)
        body["affiliation"] = "y" * 301
        route.continue_(post_data=json.dumps(body))
    page.route("**/api/letters/*/signatures", tamper)
    open_letter(page, site)
    fill_individual(page)
    with page.expect_response("**/signatures") as resp:
        page.click("#f-submit")
    assert resp.value.status == 422
    expect(page.locator("#err-affiliation")).to_have_text("This is too long: at most 300 characters.")
    expect(page.locator("#f-affiliation")).to_have_attribute("aria-invalid", "true")


def test_changed_letter_asks_for_a_reload(page, site):
    def tamper(route):
        body = json.loads(route.request.post_data)
        body["letter_sha256"] = "0" * 64
        route.continue_(post_data=json.dumps(body))
    page.route("**/api/letters/*/signatures", tamper)
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_contain_text("The letter has changed since this page was loaded")
    expect(page.locator("#form-banner button")).to_have_text("Reload the letter")


def test_a_signed_address_signing_again_sees_the_same_check_your_email(page, site, letter, email):
    """The API answers a repeat as it answers a new sign-on (its owner is mailed), so the
    page cannot tell whether an address has signed, and shows nothing that would."""
    def sign():
        open_letter(page, site, letter)
        fill_individual(page, email=email)
        with page.expect_response(lambda r: r.request.method == "POST") as resp:
            page.click("#f-submit")
        expect(page.locator("#sent-h")).to_be_focused()
        expect(page.locator("#form-banner")).to_be_hidden()
        answer = resp.value.json()
        answer.pop("queue_delay_seconds")  # how far behind the mail worker is, at that moment
        return resp.value.status, answer, [page.locator(f"#{i}").inner_text()
                                           for i in ("sent-h", "sent-body")]

    first = sign()
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("confirmed")
    assert sign() == first
    assert first[0] == 202 and first[2] == [
        "Check your email", "An email is on its way to the address you gave. Open the link in it "
        "to confirm your signature: your name is added only then. The link works for 72 hours."]


def test_410_closed_letter(page, site, letter):
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER
    open_letter(page, site, letter)
    closed = parse_letter(OPEN_LETTER.format(slug=letter, approval="false").replace(
        "language: en", "language: en\nstatus: closed"))
    site.service.letters.upsert_letter(closed, keep_state=False)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text(
        "This letter is closed and no longer takes signatures.")
    expect(page.locator("#sign-form")).to_be_hidden()
    # Loaded afresh, a closed letter shows no form at all.
    open_letter(page, site, letter)
    expect(page.locator("#closed-note")).to_be_visible()
    expect(page.locator("#sign-form")).to_be_hidden()


def fake(page, status, body, headers=None):
    page.route("**/api/letters/*/signatures", lambda route: route.fulfill(
        status=status, content_type="application/json", headers=headers or {},
        body=json.dumps(body)) if route.request.method == "POST" else route.continue_())


def accepted(**kw):
    """The API's one answer to every accepted sign-on (chalicelib/models.py SignAccepted)."""
    return {"status": "pending", "mail": "queued", "resend_after": 60, "queue_delay_seconds": 0,
            **kw}


def shorter_waits(page, seconds=1):
    """The real API answers sign-ons, its resend_after cut to `seconds` (60 s in the stack)."""
    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        resp = route.fetch()
        body = resp.json()
        if resp.status == 202:
            body["resend_after"] = seconds
        route.fulfill(status=resp.status, content_type="application/json", body=json.dumps(body),
                      headers={k: v for k, v in resp.headers.items() if k.lower() == "retry-after"})
    page.route("**/api/letters/*/signatures", handle)


RESENT = "A new link has been asked for. If your first email has not arrived, check your spam folder too."
SLOW = {"en": "Many people are signing right now, so the email may take a few minutes.",
        "ko": "지금 서명하는 분이 많아 이메일이 도착하기까지 몇 분 걸릴 수 있습니다."}


@pytest.mark.parametrize("lang,delay", [("en", 120), ("ko", 120), ("en", 60), ("en", 59),
                                        ("en", 0), ("ko", 0)])
def test_a_mail_queue_a_minute_behind_says_the_email_may_take_minutes(new_page, site, lang, delay):
    page = new_page(lang)
    fake(page, 202, accepted(queue_delay_seconds=delay))
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    heading, body, note = (page.locator(f"#{i}") for i in ("sent-h", "sent-body", "sent-slow"))
    expect(heading).to_be_focused()
    if delay >= 60:
        expect(note).to_be_visible()
        expect(note).to_have_text(SLOW[lang])
        # Focus lands on the heading: its description reads the body, then the note.
        expect(heading).to_have_accessible_description(f"{body.inner_text()} {SLOW[lang]}")
    else:
        expect(note).to_be_hidden()
        expect(heading).to_have_accessible_description(body.inner_text())


def test_the_queue_note_follows_the_latest_answer(page, site):
    answers = [accepted(queue_delay_seconds=300, resend_after=0), accepted(resend_after=0)]
    page.route("**/api/letters/*/signatures", lambda route: route.fulfill(
        status=202, content_type="application/json", body=json.dumps(answers.pop(0)))
        if route.request.method == "POST" else route.continue_())
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#sent-slow")).to_have_text(SLOW["en"])
    page.click("#resend")
    expect(page.locator("#resend-status")).to_have_text(RESENT)
    expect(page.locator("#sent-slow")).to_be_hidden()
    assert answers == []


def test_429_shows_the_wait(page, site):
    fake(page, 429, {"error": {"status": 429, "code": "too_many_requests", "message": "Too many",
                               "fields": []}}, {"Retry-After": "42"})
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text(
        "Too many requests. Please wait 42 seconds and try again.")
    expect(page.locator("#f-submit")).to_be_enabled()


def test_500_shows_a_generic_message_with_reference(page, site):
    fake(page, 500, {"error": {"status": 500, "code": "internal_error", "message": "x",
                               "fields": [], "request_id": "abc123"}})
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_contain_text(
        "Something went wrong on our side. Please try again later.")
    expect(page.locator("#form-banner")).to_contain_text("Reference: abc123")


def test_413_and_network_failure(page, site):
    fake(page, 413, {"error": {"status": 413, "code": "payload_too_large", "message": "x", "fields": []}})
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text("What you entered is too long to send.")
    page.unroute("**/api/letters/*/signatures")
    page.route("**/api/letters/*/signatures", lambda route: route.abort()
               if route.request.method == "POST" else route.continue_())
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text(
        "The server could not be reached. Check your connection and try again.")


# ---- confirmation page ----------------------------------------------------------------

def test_confirm_invalid_and_expired(page, site):
    page.goto(site.url + "/confirm.html#token=" + "A" * 43)
    expect(page.locator(".outcome")).to_have_text("This link is not valid. Check that you copied all of it.")
    assert urllib.parse.urlsplit(page.url).fragment == ""
    page.goto(site.url + "/confirm.html")
    expect(page.locator(".outcome")).to_have_text("This link is not valid. Check that you copied all of it.")
    page.route("**/api/confirmations", lambda route: route.fulfill(
        status=410, content_type="application/json", body=json.dumps(
            {"error": {"status": 410, "code": "token_expired", "message": "x", "fields": []}})))
    page.goto("about:blank")
    page.goto(site.url + "/confirm.html#token=" + "B" * 80)
    expect(page.locator(".outcome")).to_have_text("This link has expired. Sign again to get a new one.")


# ---- language, embed, headers, origins -------------------------------------------------------

def test_korean_ui_keeps_the_letter_in_its_language(new_page, site):
    page = new_page("ko")
    open_letter(page, site)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#sign-h")).to_have_text("서명하기")
    expect(page.locator("#letter")).to_have_attribute("lang", "en")
    expect(page.locator(".sig-head").first).to_have_text("Groups")  # the letter's own words
    expect(page.locator("#tally")).to_have_text("10개국의 단체 31곳과 개인 4명")
    page.click("button.lang-btn[lang=en]")
    expect(page.locator("#sign-h")).to_have_text("Add your name")
    page.reload()
    expect(page.locator("#sign-h")).to_have_text("Add your name")  # remembered
    page.click("button.lang-btn[lang=ko]")
    page.click("#f-submit")
    expect(page.locator("#err-name")).to_have_text("이 항목을 입력해 주세요.")


def test_embed_shows_the_tally_and_may_be_framed(page, site):
    resp = page.goto(site.url + f"/embed.html?letter={EXAMPLE}")
    assert "frame-ancestors *" in resp.headers["content-security-policy"]
    assert "x-frame-options" not in resp.headers
    expect(page.locator("#e-tally")).to_have_text("31 organisations and 4 individuals from 10 countries")
    expect(page.locator("#e-link")).to_have_attribute("href", f"{site.url}/l/{EXAMPLE}")
    main = page.request.get(site.url + f"/l/{EXAMPLE}")
    assert main.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in main.headers["content-security-policy"]
    assert not page.errors, page.errors


def test_share_copies_the_clean_url(new_page, site):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    open_letter(page, site)
    expect(page.locator("#share-url")).to_have_value(f"{site.url}/l/{EXAMPLE}")
    page.click("#share-copy")
    expect(page.locator("#share-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{site.url}/l/{EXAMPLE}"
    assert "embed.html?letter=eu-hrc43-dprk" in page.input_value("#embed-code")


def test_no_request_leaves_loopback(page, site):
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    open_letter(page, site)
    page.goto(site.url + "/confirm.html#token=" + "C" * 43)
    expect(page.locator(".outcome")).to_be_visible()
    page.goto(site.url + f"/embed.html?letter={EXAMPLE}")
    expect(page.locator("#e-tally")).not_to_be_empty()
    hosts = {urllib.parse.urlsplit(u).hostname for u in urls if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts
    assert not page.errors, page.errors


# ---- accessibility ------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_has_no_serious_violations(new_page, site, axe, lang):
    from json import dumps as _dumps
    fmt = lambda v: _dumps(v, indent=1)  # noqa: E731
    page = new_page(lang, bypass_csp=True)  # axe is injected as an inline script
    open_letter(page, site)
    expect(page.locator(".sig-list li").first).to_be_visible()
    assert axe(page) == [], fmt(axe(page))
    page.click("#f-submit")  # every required field now shows its error
    expect(page.locator("#err-name")).to_be_visible()
    page.fill("#f-email", "nope")
    page.click("#f-submit")
    assert axe(page) == [], fmt(axe(page))
    page.goto(site.url + "/confirm.html#token=" + "D" * 43)
    expect(page.locator(".outcome")).to_be_visible()
    assert axe(page) == [], fmt(axe(page))


def test_keyboard_reaches_and_submits_the_form(page, site, email):
    open_letter(page, site)
    page.focus("#f-kind-ind")
    page.keyboard.press("ArrowUp")  # radios switch with arrows
    expect(page.locator("#f-kind-org")).to_be_checked()
    expect(page.locator("#row-authorised")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#f-name")).to_be_focused()
    page.keyboard.type("Keyboard Group")
    page.keyboard.press("Tab")
    expect(page.locator("#f-country-search")).to_be_focused()
    page.keyboard.type("France")
    page.keyboard.press("Enter")
    expect(page.locator("#f-country")).to_be_focused()
    expect(page.locator("#f-country")).to_have_value("FR")
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator("#f-updates")).to_be_focused()  # optional: passed over, left unticked
    page.keyboard.press("Tab")
    expect(page.locator("#f-submit")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#sent-h")).to_be_focused()


def test_narrow_and_zoomed_layouts_do_not_scroll_sideways(new_page, site):
    for kw in ({"viewport": {"width": 320, "height": 640}},
               {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}):
        page = new_page(**kw)
        open_letter(page, site)
        page.evaluate("document.body.style.zoom = ''")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# ---- consent record, honeypot, token format, Turnstile -------------------------------------

def outbox_count(site) -> int:
    """Mails in the outbox, after the mail worker delivered what was due."""
    site.pump.drain()
    return len(list(site.outbox.glob("*.eml")))


def last_mail_body(site) -> str:
    """The newest mail, after the mail worker delivered what was due (as site.links())."""
    import email as email_lib
    site.pump.drain()
    newest = max(site.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return email_lib.message_from_bytes(newest.read_bytes()).get_payload(decode=True).decode()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_consent_text_comes_from_the_api_and_is_recorded(new_page, site, letter, email, lang):
    consent = site.service.letters.get_letter(letter).consent
    page = new_page(lang)
    open_letter(page, site, letter)
    expect(page.locator("label[for=f-consent]")).to_have_text(consent.texts[lang])
    expect(page.locator("label[for=f-updates]")).to_have_text(consent.updates[lang])
    expect(page.locator("#f-updates")).not_to_be_checked()
    assert page.locator("script[src*='challenges.cloudflare.com']").count() == 0  # Turnstile is off
    fill_individual(page, email=email)
    if lang == "ko":
        page.check("#f-updates")
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#f-submit")
    body = req.value.post_data_json
    assert body["consent"] is True and body["consent_version"] == consent.version
    assert body["language"] == lang
    assert body["updates_opt_in"] is (lang == "ko")
    assert body["website"] == "" and "turnstile_token" not in body
    expect(page.locator("#sent-h")).to_be_visible()
    # The email comes in the page's language.
    assert ("서명을 확인하려면" if lang == "ko" else "To confirm your signature") in last_mail_body(site)


def test_consent_label_follows_the_language_switch(page, site):
    consent = site.service.letters.get_letter(EXAMPLE).consent
    open_letter(page, site)
    expect(page.locator("label[for=f-consent]")).to_have_text(consent.texts["en"])
    page.click("button.lang-btn[lang=ko]")
    expect(page.locator("label[for=f-consent]")).to_have_text(consent.texts["ko"])
    expect(page.locator("label[for=f-updates]")).to_have_text(consent.updates["ko"])
    fill_individual(page)
    page.route("**/api/letters/*/signatures", lambda route: route.fulfill(
        status=202, content_type="application/json",
        body=json.dumps(accepted())))
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#f-submit")
    assert req.value.post_data_json["language"] == "ko"


def test_consent_falls_back_when_the_api_has_none(page, site):
    def strip(route):
        resp = route.fetch()
        data = resp.json()
        data.pop("consent", None)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(data))
    page.route(f"**/api/letters/{EXAMPLE}", strip)
    open_letter(page, site)
    expect(page.locator("label[for=f-consent]")).to_have_text(
        "I agree that the name, title or affiliation and country above are published under this letter.")
    expect(page.locator("#row-updates")).to_be_hidden()
    page.route("**/api/letters/*/signatures", lambda route: route.fulfill(
        status=202, content_type="application/json",
        body=json.dumps(accepted())))
    fill_individual(page)
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#f-submit")
    body = req.value.post_data_json
    assert "consent_version" not in body and body["updates_opt_in"] is False
    expect(page.locator("#sent-h")).to_be_visible()


def test_unknown_consent_version_asks_for_a_reload(page, site):
    def tamper(route):
        body = json.loads(route.request.post_data)
        body["consent_version"] = "1999-01-01"
        route.continue_(post_data=json.dumps(body))
    page.route("**/api/letters/*/signatures", tamper)
    open_letter(page, site)
    fill_individual(page)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_contain_text("The consent text has changed")
    expect(page.locator("#form-banner button")).to_have_text("Reload the letter")


def test_honeypot_is_hidden_from_people_and_assistive_tech(page, site):
    open_letter(page, site)
    trap = page.locator("#f-website")
    expect(trap).to_have_attribute("tabindex", "-1")
    expect(trap).to_have_attribute("autocomplete", "off")
    expect(page.locator(".hp")).to_have_attribute("aria-hidden", "true")
    box = trap.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box
    assert "Website" not in page.locator("#sign-form").aria_snapshot()


def test_honeypot_filled_shows_check_your_email_and_stores_nothing(page, site, letter, email):
    before = outbox_count(site)
    open_letter(page, site, letter)
    fill_individual(page, email=email)
    page.evaluate("document.getElementById('f-website').value = 'http://spam.example/'")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.click("#f-submit")
    assert resp.value.status == 202
    assert resp.value.request.post_data_json["website"] == "http://spam.example/"
    expect(page.locator("#sent-h")).to_be_visible()
    assert outbox_count(site) == before  # no email
    listed = page.request.get(f"{site.url}/api/letters/{letter}/signatures").json()
    assert listed["signatures"] == []
    assert site.service.letters.get_letter(letter).counts.total == 0
    # Nothing was stored: the same address signs afresh (a stored claim would not mail again).
    open_letter(page, site, letter)
    fill_individual(page, email=email)
    page.click("#f-submit")
    expect(page.locator("#sent-h")).to_be_visible()
    assert outbox_count(site) == before + 1


def test_confirm_token_format(page, site):
    posts = []
    page.on("request", lambda r: posts.append(r.post_data_json["token"])
            if r.url.endswith("/api/confirmations") else None)
    page.route("**/api/confirmations", lambda route: route.fulfill(
        status=404, content_type="application/json", body=json.dumps(
            {"error": {"status": 404, "code": "token_invalid", "message": "x", "fields": []}})))
    invalid = "This link is not valid. Check that you copied all of it."
    for token, sent in (("a" * 69, False), ("a" * 70, True), ("x_-9" * 40, True),
                        ("a" * 161, False), ("a" * 79 + "." + "a" * 10, False),
                        ("a" * 79 + "%2B" + "a" * 10, False)):
        page.goto("about:blank")
        page.goto(f"{site.url}/confirm.html#token={token}")
        expect(page.locator(".outcome")).to_have_text(invalid)
        assert (posts[-1:] == [token]) is sent, (token, posts)


TURNSTILE_STUB = """
window.turnstile = {
  render(el, opts) { window.__ts = opts; window.__tsRenders = (window.__tsRenders || 0) + 1;
                     const p = document.createElement("p"); p.textContent = "stub"; el.append(p); return "w" + window.__tsRenders; },
  reset(id) { window.__tsResets = (window.__tsResets || 0) + 1; },
};
"""
TURNSTILE_ORIGIN = "https://challenges.cloudflare.com"


def turnstile_on(page, slug):
    """The letter with a site key, its page with the CSP the template serves with one."""
    from tools.serve import security_headers

    def with_csp(route):
        resp = route.fetch()
        headers = {k: v for k, v in resp.headers.items()
                   if k.lower() not in ("content-encoding", "content-length")}
        assert TURNSTILE_ORIGIN not in headers["content-security-policy"]
        headers["content-security-policy"] = security_headers(turnstile=True)["Content-Security-Policy"]
        route.fulfill(response=resp, headers=headers, body=resp.body())

    def with_key(route):
        data = route.fetch().json()
        data["turnstile_site_key"] = "1x00000000000000000000AA"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(data))

    page.route(f"**/l/{slug}", with_csp)
    page.route(f"**/api/letters/{slug}", with_key)


def test_turnstile_loads_only_with_a_site_key_and_sends_its_token(page, site, letter, email):
    """With the Turnstile CSP (and no network: a stub widget script)."""
    scripts = []
    turnstile_on(page, letter)
    shorter_waits(page)
    page.route(f"{TURNSTILE_ORIGIN}/**", lambda route: (scripts.append(route.request.url), route.fulfill(
        status=200, content_type="text/javascript", body=TURNSTILE_STUB)))
    open_letter(page, site, letter)
    expect(page.locator("#f-turnstile")).to_contain_text("stub")
    assert scripts == [f"{TURNSTILE_ORIGIN}/turnstile/v0/api.js?render=explicit"]
    assert page.evaluate("window.__ts.sitekey") == "1x00000000000000000000AA"
    fill_individual(page, email=email)
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.click("#f-submit")  # no token yet: asked to wait, nothing sent
    expect(page.locator("#form-banner")).to_have_text(
        "Please wait until the anti-robot check has finished, then try again.")
    assert posts == []
    page.evaluate("window.__ts.callback('fake-turnstile-token')")
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#f-submit")
    assert req.value.post_data_json["turnstile_token"] == "fake-turnstile-token"
    expect(page.locator("#sent-h")).to_be_visible()
    assert page.evaluate("window.__tsResets") == 1  # used once, then reset
    # The resend gets its own widget and token.
    expect(page.locator("#sent-turnstile")).to_contain_text("stub")
    page.evaluate("window.__ts.callback('second-token')")
    expect(page.locator("#resend")).to_be_enabled()
    with page.expect_request(lambda r: r.method == "POST") as req:
        page.click("#resend")
    assert req.value.post_data_json["turnstile_token"] == "second-token"
    expect(page.locator("#resend-status")).to_have_text(RESENT)
    assert len(scripts) == 1 and not page.errors, page.errors


def test_turnstile_that_cannot_load_says_so(page, site, letter, email):
    turnstile_on(page, letter)
    page.route(f"{TURNSTILE_ORIGIN}/**", lambda route: route.abort())
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    open_letter(page, site, letter)
    fill_individual(page, email=email)
    page.wait_for_timeout(200)
    page.click("#f-submit")
    expect(page.locator("#form-banner")).to_have_text(
        "The anti-robot check could not be loaded. Check your connection and reload the page.")
    assert posts == []
