"""The organisers' page (/admin.html) in a real browser: sign-in, moderation, invalidation,
exports, token handling, origins, accessibility and escaping.

One site (a fresh table with the example letter, like `live_site`) serves this whole module;
tests that need their own signatures use their own letters, so order does not matter.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

EXAMPLE = "eu-hrc43-dprk"
XSS = "<img src=x onerror=alert(1)>"
ROOT = Path(__file__).resolve().parents[2]


# ---- fixtures ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def admin_site(stack, tmp_path_factory):
    """A live site (tests/support.py) of this module's own, so approvals here touch no
    other module's example letter."""
    from support import start_site
    site = start_site(tmp_path_factory.mktemp("admin-outbox"))
    yield site
    site.stop()


@pytest.fixture
def site(admin_site):
    """The module's site, with the app wired to it (another module's site may sit in between)."""
    from chalicelib import wiring
    wiring.configure(admin_site.service)
    return admin_site


@pytest.fixture(scope="module")
def token(admin_site):
    return admin_site.service.organisers.create("test", []).token


@pytest.fixture
def own_letter(site):
    """A fresh open letter on which organisations need approval: its slug."""
    from helpers import make_letter
    slug = f"a-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug, approval=True)
    return slug


# ---- helpers -------------------------------------------------------------------------

def api(site, method, path, body=None, token=None):
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(site.url + "/api" + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sign(site, slug, name, *, kind="organisation", email=None):
    """Sign through the API and confirm with the emailed link; returns the confirmed state."""
    sha = api(site, "GET", f"/letters/{slug}")[1]["text_sha256"]
    body = {"kind": kind, "name": name, "email": email or f"s-{uuid.uuid4().hex[:10]}@example.org",
            "consent": True, "letter_sha256": sha}
    if kind == "organisation":
        body["authorised"] = True
    before = set(site.links())
    status, resp = api(site, "POST", f"/letters/{slug}/signatures", body)
    assert status == 202, resp
    link = next(link for link in site.links() if link not in before)
    status, resp = api(site, "POST", "/confirmations", {"token": link.split("#token=", 1)[1]})
    assert status == 200, resp
    return resp["state"]


def row(page, name):
    return page.locator("#queue-body tr", has=page.locator(".sig-name", has_text=name))


def sign_in(page, site, token, slug=EXAMPLE):
    """Sign in and wait until every panel has loaded (they load together, after sign-in)."""
    in_flight = set()
    page.on("request", lambda r: in_flight.add(r) if "/api/admin/" in r.url else None)
    page.on("requestfinished", lambda r: in_flight.discard(r))
    page.on("requestfailed", lambda r: in_flight.discard(r))
    page.goto(f"{site.url}/admin.html#letter={slug}")
    page.fill("#token", token)
    page.click("#signin-submit")
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#letter-select")).to_have_value(slug)
    expect(page.locator("#f-total")).not_to_have_text("—")
    for _ in range(400):
        if not in_flight:
            break
        page.wait_for_timeout(25)
    return page


def count(page, field):
    return int(page.locator(f"#f-{field}").inner_text())


# ---- sign-in -------------------------------------------------------------------------

def test_a_wrong_token_shows_an_error_and_nothing_loads(page, site, token, shot):
    admin = []
    page.on("response", lambda r: admin.append(r.status) if "/api/admin/" in r.url else None)
    page.goto(site.url + "/admin.html")
    expect(page.locator("#token")).to_be_focused()
    expect(page.locator("#token")).to_have_attribute("type", "password")
    page.fill("#token", "us_" + "x" * 43)
    page.keyboard.press("Enter")
    expect(page.locator("#token-err")).to_contain_text("The token was not accepted")
    expect(page.locator("#token")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.locator("#session-bar")).to_be_hidden()
    assert page.locator("#queue-body tr").count() == 0
    assert page.locator("#letter-select option").count() == 0
    assert admin and all(s in (401, 403) for s in admin), admin
    assert page.evaluate("sessionStorage.length") == 0
    assert not page.errors, page.errors
    page.set_viewport_size({"width": 320, "height": 640})
    shot(page, "admin-signin-320x640.png")


def test_a_slow_panel_does_not_take_the_focus_back(page, site, token, own_letter):
    sign(site, own_letter, "Alpha Org")
    held = []
    page.route("**/audit?*", lambda route: held.append(route))
    page.goto(f"{site.url}/admin.html#letter={own_letter}")
    page.fill("#token", token)
    page.click("#signin-submit")
    expect(page.locator("#letter-select")).to_be_focused()
    box = row(page, "Alpha Org").get_by_role("checkbox")
    box.focus()
    expect(box).to_be_focused()
    assert held, "the audit request was not held back"
    with page.expect_response(lambda r: "/audit?" in r.url):
        for route in held:
            route.continue_()
    page.evaluate("() => new Promise(requestAnimationFrame)")
    expect(box).to_be_focused()  # the organiser keeps their place


def test_token_stays_in_session_storage_and_sign_out_clears_it(page, site, token):
    sent = []
    page.on("request", lambda r: sent.append(r.headers.get("authorization"))
            if "/api/admin/" in r.url else None)
    sign_in(page, site, token)
    assert token in page.evaluate("Object.values(sessionStorage)")
    assert page.evaluate("localStorage.length") == 0
    assert token not in page.url and "token" not in page.url
    assert token not in page.evaluate("document.cookie")
    assert sent and all(h == f"Bearer {token}" for h in sent), sent
    page.reload()  # the same tab keeps the session
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#signin-view")).to_be_hidden()
    page.click("#sign-out")
    expect(page.locator("#signin-view")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.locator("#token")).to_be_focused()
    assert token not in json.dumps(page.evaluate("Object.values(sessionStorage)"))
    page.reload()
    expect(page.locator("#signin-view")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()


def test_a_revoked_token_returns_to_sign_in(page, site):
    created = site.service.organisers.create("leaver", [])
    sign_in(page, site, created.token)  # (it waits for every panel: the next request is ours)
    site.service.organisers.revoke(created.id)
    page.click("#audit-refresh")
    expect(page.locator("#signin-view")).to_be_visible()
    expect(page.locator("#token-err")).to_contain_text("The token was not accepted")
    assert page.evaluate("sessionStorage.length") in (0, 1)  # at most the chosen letter
    assert created.token not in json.dumps(page.evaluate("Object.values(sessionStorage)"))


# ---- moderation ----------------------------------------------------------------------

def test_approve_an_organisation_lists_it_and_counts_move(page, site, token):
    name = f"Seoul Civic Forum {uuid.uuid4().hex[:6]}"
    assert sign(site, EXAMPLE, name) == "awaiting_approval"
    sign_in(page, site, token)
    expect(page.locator("#f-orgs")).to_have_text("31")
    expect(page.locator("#q-state")).to_have_value("awaiting_approval")
    r = row(page, name)
    expect(r).to_have_count(1)
    expect(r.locator("td").nth(2)).to_have_text("Organisation")
    expect(r).to_contain_text("Awaiting approval")
    r.get_by_role("button", name=f"Approve {name}").click()
    expect(page.locator("#queue-result")).to_have_text(f"Approved: “{name}”.")
    expect(row(page, name)).to_have_count(0)
    # The organiser keeps their place: the next row's Approve, or the result if none is left.
    if page.locator("#queue-body tr").count():
        expect(page.locator("#queue-body [data-action=approve]:focus")).to_have_count(1)
    else:
        expect(page.locator("#queue-result")).to_be_focused()
    expect(page.locator("#f-orgs")).to_have_text("32")
    public = api(site, "GET", f"/letters/{EXAMPLE}/signatures?kind=organisation&limit=100")[1]
    assert name in [s["name"] for s in public["signatures"]]
    expect(page.locator("#audit-body tr").first).to_contain_text("approve")
    page.goto(f"{site.url}/l/{EXAMPLE}")
    expect(page.get_by_text(name)).to_be_visible()
    assert not page.errors, page.errors


def test_reject_with_a_reason_and_rename(page, site, token, own_letter):
    name = "Front Group"
    sign(site, own_letter, name)
    sign_in(page, site, token, own_letter)
    row(page, name).get_by_role("button", name=f"Rename… {name}").click()
    expect(page.locator("#ask")).to_be_visible()
    page.fill("#ask-input", "Front Group International")
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text(
        "Renamed “Front Group” to “Front Group International”.")
    name = "Front Group International"
    expect(row(page, name).locator(".was")).to_have_text("originally: Front Group")
    row(page, name).get_by_role("button", name=f"Reject… {name}").click()
    expect(page.locator("#ask-title")).to_have_text("Reject this signature")
    page.click("#ask-ok")  # a reason is required
    expect(page.locator("#ask-err")).to_have_text("Please fill this in.")
    page.fill("#ask-input", "not a real organisation")
    page.keyboard.press("Enter")
    expect(page.locator("#ask")).to_be_hidden()
    expect(page.locator("#queue-result")).to_have_text(f"Rejected: “{name}”.")
    expect(row(page, name)).to_have_count(0)
    page.select_option("#q-state", "rejected")
    page.fill("#q-q", "international")
    page.fill("#q-since", "2020-01-01T00:00")
    with page.expect_request(lambda r: "/signatures?" in r.url) as req:
        page.click("#filter-form button[type=submit]")
    sent = urllib.parse.parse_qs(urllib.parse.urlsplit(req.value.url).query)
    assert sent["state"] == ["rejected"] and sent["q"] == ["international"]
    assert sent["since"][0].endswith("Z") and "kind" not in sent
    expect(row(page, name)).to_contain_text("not a real organisation")
    expect(row(page, name)).to_contain_text("Rejected")
    expect(page.locator("#audit-body tr").first).to_contain_text("not a real organisation")
    queue = api(site, "GET", f"/admin/letters/{own_letter}/signatures?state=rejected",
                token=token)[1]["signatures"]
    assert [(s["name"], s["reason"]) for s in queue] == [(name, "not a real organisation")]


def test_bulk_actions_on_checked_rows(page, site, token, own_letter):
    names = ["Alpha Org", "Beta Org", "Gamma Org"]
    for n in names:
        sign(site, own_letter, n)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(3)
    expect(page.locator("[data-bulk=approve]")).to_be_disabled()
    row(page, "Alpha Org").get_by_role("checkbox").check()
    gamma = row(page, "Gamma Org").get_by_role("checkbox")
    gamma.focus()
    expect(gamma).to_be_focused()
    gamma.press("Space")  # the keyboard works as well
    expect(gamma).to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.click("[data-bulk=approve]")
    page.click("#ask-ok")  # bulk approve asks first
    expect(page.locator("#queue-result")).to_have_text("Approved: 2.")
    expect(page.locator("#queue-body tr")).to_have_count(1)
    expect(page.locator("#f-orgs")).to_have_text("2")
    page.check("#select-all")
    page.click("[data-bulk=reject]")
    page.fill("#ask-input", "duplicate")
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text("Rejected: 1.")
    expect(page.locator("#queue-empty")).to_be_visible()
    # Listed ones: hide both; then "approve" on hidden ones is skipped, not applied.
    page.select_option("#q-state", "listed")
    page.click("#filter-form button[type=submit]")
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.check("#select-all")
    page.click("[data-bulk=hide]")
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text("Hidden: 2.")
    expect(page.locator("#f-orgs")).to_have_text("0")
    page.select_option("#q-state", "hidden")
    page.click("#filter-form button[type=submit]")
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.check("#select-all")
    page.click("[data-bulk=approve]")
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text(
        "Approved: 0. Skipped: 2 (not found, or not in a state “approve” applies to).")


def test_invalidation_dry_run_then_apply_the_same_count(page, site, token, own_letter):
    domain = f"spam-{uuid.uuid4().hex[:6]}.example"
    for i in range(3):
        sign(site, own_letter, f"Bot {i}", kind="individual", email=f"b{i}@{domain}")
    sign(site, own_letter, "Real Person", kind="individual")
    sign_in(page, site, token, own_letter)
    expect(page.locator("#f-total")).to_have_text("4")
    page.click("#inv-dry")  # no filter yet
    expect(page.locator("#inv-error")).to_contain_text("Give at least one filter")
    page.fill("#inv-email_domain", domain)
    page.fill("#inv-reason", "bot wave")
    page.click("#inv-dry")
    expect(page.locator("#inv-result")).to_have_text(
        "Dry run: 3 signatures would be rejected. Nothing was changed.")
    expect(page.locator("#f-total")).to_have_text("4")
    page.click("#inv-apply")
    expect(page.locator("#inv-confirm-text")).to_have_text(
        "This will reject 3 signatures with the reason “bot wave”. Reject them?")
    expect(page.locator("#inv-confirm-text")).to_be_focused()
    with page.expect_request(lambda r: r.url.endswith("/invalidations")) as req:
        page.click("#inv-confirm-yes")
    assert req.value.post_data_json == {"email_domain": domain, "reason": "bot wave",
                                        "dry_run": False}
    expect(page.locator("#inv-result")).to_have_text("Rejected 3 signatures.")
    expect(page.locator("#inv-confirm")).to_be_hidden()
    expect(page.locator("#f-total")).to_have_text("1")
    assert api(site, "GET", f"/letters/{own_letter}")[1]["counts"]["total"] == 1


# ---- letter status, exports, snapshots, origins ------------------------------------------

def test_pick_a_letter_then_close_and_reopen_it(page, site, token, own_letter):
    sign_in(page, site, token)
    expect(page.locator("#f-orgs")).not_to_have_text("0")
    page.select_option("#letter-select", own_letter)
    expect(page.locator("#f-orgs")).to_have_text("0")
    expect(page.locator("#queue-empty")).to_be_visible()
    assert page.url.endswith(f"/admin.html#letter={own_letter}")
    expect(page.locator("#f-status")).to_have_text("Open")
    page.click("#close-letter")
    expect(page.locator("#ask")).to_be_visible()  # closing asks first
    page.click("#ask-ok")
    expect(page.locator("#status-result")).to_have_text(
        "The letter is closed: it takes no more signatures.")
    expect(page.locator("#f-status")).to_have_text("Closed")
    page.fill("#closes-at", "2030-01-01T12:00")
    with page.expect_request(lambda r: r.url.endswith("/status")) as req:
        page.click("#open-letter")
    body = req.value.post_data_json
    assert body == {"status": "open",  # the local time, sent as UTC with its zone
                    "closes_at": page.evaluate("new Date('2030-01-01T12:00').toISOString()")}
    expect(page.locator("#f-status")).to_have_text("Open")
    expect(page.locator("#f-closes")).to_contain_text("2030")


def test_exports_and_snapshots_stay_on_loopback(page, site, token, own_letter):
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    sign(site, own_letter, "Listed Person", kind="individual")
    sign_in(page, site, token, own_letter)
    page.click("[data-format=csv][data-email='1']")
    link = page.locator("#export-links a").first
    expect(link).to_have_text("Download CSV with emails (opens in a new tab)")
    href = link.get_attribute("href")
    assert urllib.parse.urlsplit(href).hostname == "127.0.0.1"
    got = page.request.get(href)
    assert got.ok and "Listed Person" in got.text()
    page.click("[data-format=docx]")
    expect(page.locator("#export-links a")).to_have_count(2)
    expect(page.locator("#export-links a").first).to_contain_text("Download Delivery letter (DOCX)")
    page.click("#snap-cut")
    expect(page.locator("#snap-status")).to_contain_text("Snapshot written")
    expect(page.locator("#snap-list a").first).to_be_visible()
    hosts = {urllib.parse.urlsplit(u).hostname for u in urls if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts
    assert not page.errors, page.errors


def test_export_options_and_cutting_todays_snapshot_again(page, site, token, own_letter):
    sign(site, own_letter, "Listed Person", kind="individual")
    sign_in(page, site, token, own_letter)
    expect(page.locator("#exports-section .hint").first).to_contain_text(
        "listed signatures, in the letter's order")
    page.check("input[name=export-state][value=rejected]")
    with page.expect_request(lambda r: r.url.endswith("/exports")) as req:
        page.click("[data-format=xlsx]:not([data-email])")
    assert req.value.post_data_json == {"format": "xlsx", "include_email": False,
                                        "states": ["listed", "rejected"]}
    link = page.locator("#export-links a").first
    expect(link).to_have_text("Download XLSX (Listed, Rejected) (opens in a new tab)")
    assert link.get_attribute("download").endswith("-listed-rejected-signatories.xlsx")
    page.uncheck("input[name=export-state][value=rejected]")
    page.uncheck("input[name=export-state][value=listed]")
    page.click("[data-format=csv]:not([data-email])")
    expect(page.locator("#export-status")).to_have_text("Tick at least one state for the list exports.")
    page.fill("#export-date", "2026-12-03")
    with page.expect_request(lambda r: r.url.endswith("/exports")) as req:
        page.click("[data-format=html]")
    assert req.value.post_data_json == {"format": "html", "include_email": False,
                                        "date": "2026-12-03"}
    expect(page.locator("#export-links a").first).to_contain_text("dated 2026-12-03")
    got = page.request.get(page.locator("#export-links a").first.get_attribute("href"))
    assert '<p class="date">3 December 2026</p>' in got.text()

    expect(page.locator("#snap-replace")).to_be_hidden()
    page.click("#snap-cut")
    expect(page.locator("#snap-status")).to_contain_text("Snapshot written")
    page.click("#snap-cut")
    expect(page.locator("#snap-status")).to_contain_text("nothing was written")
    expect(page.locator("#snap-replace")).to_be_visible()
    page.click("#snap-replace")
    expect(page.locator("#ask-title")).to_have_text("Cut today's snapshot again?")
    with page.expect_request(lambda r: r.url.endswith("/snapshots") and r.method == "POST") as req:
        page.click("#ask-ok")
    assert req.value.post_data_json == {"force": True}
    expect(page.locator("#snap-status")).to_contain_text("was cut again")
    expect(page.locator("#snap-list > li")).to_have_count(1)
    assert not page.errors, page.errors


def test_a_recount_finds_drift_in_the_counts_and_repairs_it(page, site, token, own_letter):
    from chalicelib.storage import Update, keys
    sign(site, own_letter, "Listed Person", kind="individual")
    sign_in(page, site, token, own_letter)
    expect(page.locator("#f-inds")).to_have_text("1")
    with page.expect_request(lambda r: r.url.endswith("/recount")) as req:
        page.click("#recount-run")
    assert req.value.post_data_json == {"fix": False}
    expect(page.locator("#recount-status")).to_have_text(
        "The counts match the signatures: 1 listed — organisations 0, individuals 1, countries 0.")
    expect(page.locator("#recount-fix")).to_be_hidden()
    # a counter that drifted (as a lost write would leave it): the public count says 3
    site.service.store.update(keys.counter_key(own_letter, 0), Update(add={"n_individual": 2}))
    page.click("#recount-run")
    expect(page.locator("#recount-status")).to_have_text(
        "The counts have drifted from the signatures: individuals −2. "
        "Recounted: 1 listed — organisations 0, individuals 1, countries 0.")
    with page.expect_request(lambda r: r.url.endswith("/recount")) as req:
        page.click("#recount-fix")
    assert req.value.post_data_json == {"fix": True}
    expect(page.locator("#recount-status")).to_contain_text("Repaired: the counts now match")
    expect(page.locator("#recount-fix")).to_be_hidden()
    expect(page.locator("#f-inds")).to_have_text("1")
    assert not page.errors, page.errors


# ---- escaping and accessibility ----------------------------------------------------------

def test_a_hostile_name_is_literal_text(page, site, token, own_letter):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign(site, own_letter, XSS)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body .sig-name")).to_have_text([XSS])
    assert page.locator("#queue-body img").count() == 0 and page.locator("img").count() == 0
    page.locator("#queue-body [data-action=approve]").click()
    expect(page.locator("#queue-result")).to_have_text(f"Approved: “{XSS}”.")
    assert page.locator("img").count() == 0
    assert not dialogs and not page.errors, (dialogs, page.errors)


def test_axe_and_narrow_layout_on_the_signed_in_queue(new_page, site, token, own_letter, axe, shot):
    sign(site, own_letter, "Accessible Org")
    page = new_page(bypass_csp=True)  # axe is injected as an inline script
    sign_in(page, site, token, own_letter)
    expect(row(page, "Accessible Org")).to_have_count(1)
    expect(page.locator("#audit-body tr").first).to_be_visible()
    violations = axe(page)
    assert violations == [], json.dumps(violations, indent=1)
    shot(page, "admin-1280x800.png")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "admin-full.png"), full_page=True)
    row(page, "Accessible Org").get_by_role("button", name="Reject… Accessible Org").click()
    expect(page.locator("#ask")).to_be_visible()
    violations = axe(page)
    assert violations == [], json.dumps(violations, indent=1)
    page.keyboard.press("Escape")
    expect(page.locator("#ask")).to_be_hidden()
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "admin-320x640.png")
    violations = axe(page)
    assert violations == [], json.dumps(violations, indent=1)


# ---- keeping the organiser's place, focus, live regions, confirmation, narrow layout -------

def searches(url):
    """Route matcher: the queue's search requests."""
    return "/api/admin/letters/" in url and "/signatures?" in url


def small_pages(page, limit=2):
    """Serve the queue `limit` rows a page (the page asks for 100), so "Load more" shows
    with a handful of signatures."""
    def handle(route):
        parts = urllib.parse.urlsplit(route.request.url)
        query = urllib.parse.parse_qs(parts.query)
        query["limit"] = [str(limit)]
        route.continue_(url=urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(query, doseq=True))))
    page.route(searches, handle)


def wait_until(page, condition, what):
    """Poll (letting Playwright deliver its events) until condition() holds."""
    for _ in range(400):
        if condition():
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_failed_search_clears_the_old_rows_and_says_so(page, site, token, own_letter):
    for n in ("Alpha Org", "Beta Org"):
        sign(site, own_letter, n)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.check("#select-all")
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    held = []
    page.route(searches, lambda route: held.append(route))
    page.select_option("#q-state", "hidden")
    page.click("#filter-form button[type=submit]")
    # In flight: nothing can be acted on; the caption still describes the rows shown.
    expect(page.locator("[data-bulk=approve]")).to_be_disabled()
    expect(row(page, "Alpha Org").get_by_role("checkbox")).to_be_disabled()
    expect(page.locator("#queue-caption")).to_contain_text("Awaiting approval")
    wait_until(page, lambda: held, "the held search")
    held[0].abort()
    result, caption = page.locator("#queue-result"), page.locator("#queue-caption")
    expect(result).to_contain_text("The list could not be loaded")
    expect(result).to_contain_text("not current")
    expect(page.locator("#queue-body tr")).to_have_count(0)
    expect(page.locator("#selected-count")).to_have_text("0 selected")
    expect(page.locator("[data-bulk=approve]")).to_be_disabled()
    expect(caption).not_to_contain_text("Hidden")
    expect(caption).to_contain_text("none shown (the list could not be loaded)")
    expect(page.locator("#queue-empty")).to_be_hidden()
    # Rate limited: the same.
    page.unroute(searches)
    page.route(searches, lambda route: route.fulfill(
        status=429, headers={"Retry-After": "7"}, content_type="application/json",
        body=json.dumps({"error": {"code": "rate_limited", "message": "Slow down."}})))
    page.click("#filter-form button[type=submit]")
    expect(result).to_contain_text("Too many requests. Wait 7 seconds")
    expect(result).to_contain_text("could not be loaded")
    expect(caption).not_to_contain_text("Hidden")
    page.unroute(searches)
    page.click("#filter-form button[type=submit]")
    expect(caption).to_contain_text("Hidden")
    expect(page.locator("#queue-empty")).to_be_visible()
    queue = api(site, "GET", f"/admin/letters/{own_letter}/signatures?state=awaiting_approval",
                token=token)[1]["signatures"]
    assert len(queue) == 2  # nothing was approved


def test_an_action_whose_refresh_fails_says_so(page, site, token, own_letter):
    for n in ("Alpha Org", "Beta Org"):
        sign(site, own_letter, n)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.check("#select-all")
    page.route(searches, lambda route: route.abort())
    page.click("[data-bulk=reject]")
    page.fill("#ask-input", "duplicate")
    page.click("#ask-ok")
    result = page.locator("#queue-result")
    expect(result).to_contain_text("Rejected: 2.")
    expect(result).to_contain_text("could not be refreshed")
    expect(result).to_have_attribute("data-kind", "error")
    expect(result).to_be_focused()
    expect(page.locator("#queue-body tr")).to_have_count(0)


def test_a_row_changed_meanwhile_is_named_and_refreshed(page, site, token, own_letter):
    for n in ("Alpha Org", "Beta Org"):
        sign(site, own_letter, n)
    sign_in(page, site, token, own_letter)
    alpha = row(page, "Alpha Org")
    expect(alpha).to_have_count(1)
    sig_id = alpha.get_attribute("data-id")
    status, resp = api(site, "POST", f"/admin/letters/{own_letter}/signatures/{sig_id}/actions",
                       {"action": "approve"}, token=token)  # another organiser, meanwhile
    assert status == 200, resp
    alpha.get_by_role("button", name="Approve Alpha Org").click()
    result = page.locator("#queue-result")
    expect(result).to_contain_text("“Alpha Org”")
    expect(result).to_contain_text("listed")
    expect(result).to_have_attribute("data-kind", "error")
    expect(row(page, "Alpha Org")).to_have_count(0)  # refreshed: it is listed now
    expect(row(page, "Beta Org")).to_have_count(1)


def test_a_row_action_keeps_the_loaded_pages_the_checks_and_the_place(page, site, token, own_letter):
    for i in range(5):
        sign(site, own_letter, f"Org {i}")
    small_pages(page)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.click("#queue-more")
    expect(page.locator("#queue-body tr")).to_have_count(4)
    names = page.locator("#queue-body .sig-name").all_inner_texts()
    row(page, names[0]).get_by_role("checkbox").check()
    row(page, names[3]).get_by_role("checkbox").check()
    sent = []
    page.on("request", lambda r: sent.append(r.url) if searches(r.url) else None)
    row(page, names[1]).get_by_role("button", name=f"Approve {names[1]}").click()
    expect(page.locator("#queue-result")).to_have_text(f"Approved: “{names[1]}”.")
    expect(page.locator("#queue-body tr")).to_have_count(3)
    expect(row(page, names[2]).get_by_role("button", name=f"Approve {names[2]}")).to_be_focused()
    expect(row(page, names[0]).get_by_role("checkbox")).to_be_checked()
    expect(row(page, names[3]).get_by_role("checkbox")).to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    expect(page.locator("#f-orgs")).to_have_text("1")
    # The last row: focus goes to the row before it.
    row(page, names[3]).get_by_role("button", name=f"Approve {names[3]}").click()
    expect(page.locator("#queue-result")).to_have_text(f"Approved: “{names[3]}”.")
    expect(row(page, names[2]).get_by_role("button", name=f"Approve {names[2]}")).to_be_focused()
    expect(page.locator("#selected-count")).to_have_text("1 selected")
    expect(page.locator("#f-orgs")).to_have_text("2")
    expect(page.locator("#queue-more")).to_be_visible()
    expect(page.locator("#queue-caption")).to_contain_text("2 shown, more to load")
    assert not sent, sent  # no reload to the first page


def test_focus_stays_with_the_control_that_was_used(page, site, token, own_letter):
    for i in range(3):
        sign(site, own_letter, f"Org {i}")
    small_pages(page)
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(2)
    more = page.locator("#queue-more")
    more.focus()
    more.press("Enter")  # the last page: the button goes away
    expect(page.locator("#queue-body tr")).to_have_count(3)
    expect(more).to_be_hidden()
    expect(page.locator("#queue-body tr").nth(2).get_by_role("checkbox")).to_be_focused()
    csv = page.locator("[data-format=csv]").first
    csv.focus()
    csv.press("Enter")
    expect(page.locator("#export-links a").first).to_be_focused()
    close = page.locator("#close-letter")
    close.focus()
    close.press("Enter")
    expect(page.locator("#ask-cancel")).to_be_focused()  # closing asks, the safe choice first
    page.locator("#ask-ok").press("Enter")
    expect(page.locator("#status-result")).to_have_text(
        "The letter is closed: it takes no more signatures.")
    expect(close).to_be_focused()
    page.fill("#inv-q", "Org")
    page.fill("#inv-reason", "test")
    dry = page.locator("#inv-dry")
    dry.focus()
    dry.press("Enter")
    expect(page.locator("#inv-result")).to_contain_text("Dry run: 3 signatures would be rejected")
    expect(dry).to_be_focused()


def test_live_regions_stay_in_the_accessibility_tree(page, site, token, own_letter):
    sign(site, own_letter, "Alpha Org")
    sign_in(page, site, token, own_letter)
    gone = page.evaluate("""() => [...document.querySelectorAll('[role=status],[role=alert],[aria-live]')]
        .filter((n) => n.hidden || getComputedStyle(n).display === 'none').map((n) => n.id)""")
    assert gone == [], gone
    # The counts are not a live region: an approval would read out all six of them.
    assert page.locator("#letter-facts[aria-live], #letter-facts [aria-live]").count() == 0
    result = page.locator("#queue-result")
    assert result.bounding_box()["height"] <= 1  # empty: present but takes no room
    row(page, "Alpha Org").get_by_role("button", name="Approve Alpha Org").click()
    expect(result).to_have_text("Approved: “Alpha Org”.")
    expect(result).to_be_visible()
    assert result.bounding_box()["height"] > 10


def test_escape_cancels_the_invalidation_confirm(page, site, token, own_letter):
    domain = f"spam-{uuid.uuid4().hex[:6]}.example"
    sign(site, own_letter, "Bot", kind="individual", email=f"bot@{domain}")
    sign_in(page, site, token, own_letter)
    page.fill("#inv-email_domain", domain)
    page.fill("#inv-reason", "bot wave")
    page.click("#inv-apply")
    expect(page.locator("#inv-confirm-text")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#inv-confirm")).to_be_hidden()
    expect(page.locator("#inv-apply")).to_be_focused()
    expect(page.locator("#inv-result")).to_have_text("Cancelled. Nothing was changed.")
    assert api(site, "GET", f"/letters/{own_letter}")[1]["counts"]["total"] == 1


def test_bulk_approve_and_hide_ask_first(page, site, token, own_letter):
    for c in "ABCDEFG":
        sign(site, own_letter, f"Org {c}")
    sign_in(page, site, token, own_letter)
    expect(page.locator("#queue-body tr")).to_have_count(7)
    first = page.locator("#queue-body .sig-name").first.inner_text()
    page.check("#select-all")
    approve = page.locator("[data-bulk=approve]")
    approve.click()
    expect(page.locator("#ask")).to_be_visible()
    expect(page.locator("#ask-title")).to_have_text("Approve 7 signatures?")
    expect(page.locator("#ask-text")).to_contain_text(first)
    expect(page.locator("#ask-text")).to_contain_text("and 2 more")
    expect(page.locator("#ask-input")).to_be_hidden()
    expect(page.locator("#ask-ok")).to_have_text("Approve 7")
    page.keyboard.press("Escape")
    expect(page.locator("#ask")).to_be_hidden()
    expect(approve).to_be_focused()
    expect(page.locator("#selected-count")).to_have_text("7 selected")
    assert api(site, "GET", f"/letters/{own_letter}")[1]["counts"]["total"] == 0
    approve.click()
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text("Approved: 7.")
    expect(page.locator("#f-orgs")).to_have_text("7")
    page.select_option("#q-state", "listed")
    page.click("#filter-form button[type=submit]")
    expect(page.locator("#queue-body tr")).to_have_count(7)
    page.check("#select-all")
    page.click("[data-bulk=hide]")
    expect(page.locator("#ask-title")).to_have_text("Hide 7 signatures?")
    page.click("#ask-cancel")
    expect(page.locator("#f-orgs")).to_have_text("7")
    page.click("[data-bulk=hide]")
    page.click("#ask-ok")
    expect(page.locator("#queue-result")).to_have_text("Hidden: 7.")
    expect(page.locator("#f-orgs")).to_have_text("0")


def test_a_narrow_queue_shows_each_name_with_its_buttons(page, site, token, own_letter, shot):
    name = "Narrow Screen Organisation"
    sign(site, own_letter, name)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, site, token, own_letter)
    r = row(page, name)
    expect(r).to_have_count(1)
    button = r.get_by_role("button", name=f"Approve {name}")
    button.scroll_into_view_if_needed()
    shot(page, "admin-queue-375x812.png")
    label, approve = r.locator(".sig-name").bounding_box(), button.bounding_box()
    assert 0 <= label["x"] and label["x"] + label["width"] <= 375, label
    assert 0 <= approve["x"] and approve["x"] + approve["width"] <= 375, approve
    assert approve["y"] > label["y"] and approve["y"] - label["y"] < 250, (label, approve)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
