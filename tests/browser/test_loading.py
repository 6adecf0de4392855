"""The letter page while its data loads: placeholders hold the letter's and the list's places, so
nothing on screen moves when they arrive (bench/layout_shift.py measures the CLS figure).

Each answer is held back until the test lets it go: the order is fixed, nothing is timed."""
from __future__ import annotations

from playwright.sync_api import expect

from test_page import EXAMPLE

PHONE = {"width": 375, "height": 667}
SHIFTS = """window.__shift = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shift += e.value; })
  .observe({type: "layout-shift", buffered: true});"""


def held(page, pattern):
    """Requests matching `pattern` wait in the returned list until .pop().continue_()."""
    waiting = []
    page.route(pattern, lambda route: waiting.append(route))
    return waiting


def wait_for(page, waiting):
    page.wait_for_function("() => true")  # let Playwright deliver the route events
    for _ in range(100):
        if waiting:
            return waiting.pop()
        page.wait_for_timeout(50)
    raise AssertionError("the request never came")


def test_nothing_on_screen_moves_when_the_letter_and_its_list_arrive(new_page, site):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.add_init_script(SHIFTS)
    letter = held(page, f"**/api/letters/{EXAMPLE}")
    names = held(page, f"**/api/letters/{EXAMPLE}/signatures?*")
    page.goto(f"{site.url}/l/{EXAMPLE}", wait_until="domcontentloaded")

    expect(page.locator("#skeleton")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Loading the letter…")
    assert page.locator(".site-footer").bounding_box()["y"] >= PHONE["height"]  # off screen: cannot jump
    wait_for(page, letter).continue_()

    expect(page.locator("#l-title")).to_contain_text("Joint open letter")
    expect(page.locator("#skeleton")).to_be_hidden()
    # The letter counts 31 organisations and 4 individuals: a row stands for each until they come.
    expect(page.locator(".sig-list").nth(0).locator("li.sig-placeholder")).to_have_count(31)
    expect(page.locator(".sig-list").nth(1).locator("li.sig-placeholder")).to_have_count(4)
    expect(page.locator(".sig-empty")).to_be_hidden()  # not "No signatories yet." meanwhile
    expect(page.locator(".sig-head")).to_have_text(["Groups", "Individuals"])
    wait_for(page, names).continue_()

    expect(page.locator(".sig-list li:not(.sig-placeholder)")).to_have_count(35)
    expect(page.locator(".sig-placeholder")).to_have_count(0)
    expect(page.locator("button.more")).to_be_hidden()
    assert page.evaluate("window.__shift") < 0.01
    assert not page.errors, page.errors


def test_a_list_that_fails_to_come_leaves_no_placeholders(page, site):
    names = held(page, f"**/api/letters/{EXAMPLE}/signatures?*")
    page.goto(f"{site.url}/l/{EXAMPLE}")
    expect(page.locator(".sig-placeholder")).to_have_count(35)
    wait_for(page, names).abort()
    expect(page.locator(".sig-error")).to_have_text("The signatories could not be loaded.")
    expect(page.locator(".sig-placeholder")).to_have_count(0)
    expect(page.locator(".sig-head")).to_have_count(2)
    expect(page.locator(".sig-head").first).to_be_hidden()
    page.unroute(f"**/api/letters/{EXAMPLE}/signatures?*")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".sig-list li")).to_have_count(35)


def test_a_letter_with_more_names_than_a_page_keeps_the_show_more_place(page, site):
    """Counts above a page: 100 placeholder rows, and the (busy) button that will page on."""
    counts = {"organisations": 150, "individuals": 20, "countries": 9, "total": 170}

    def bigger(route):
        resp = route.fetch()
        body = resp.json()
        body["counts"] = {**body["counts"], **counts}
        route.fulfill(response=resp, json=body)
    page.route(f"**/api/letters/{EXAMPLE}", bigger)
    names = held(page, f"**/api/letters/{EXAMPLE}/signatures?*")
    page.goto(f"{site.url}/l/{EXAMPLE}")
    expect(page.locator(".sig-list").nth(0).locator(".sig-placeholder")).to_have_count(100)
    expect(page.locator(".sig-list").nth(1)).to_be_hidden()
    more = page.locator("button.more")
    expect(more).to_be_visible()
    expect(more).to_have_attribute("aria-disabled", "true")
    wait_for(page, names).continue_()
    expect(page.locator(".sig-list li")).to_have_count(35)  # what the API really has
    expect(more).to_be_hidden()
