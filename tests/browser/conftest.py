"""Browser tier: Debian's chromium (never a downloaded browser), one per session.

Each test gets a fresh context (clean storage, English unless asked) on the
`live_site` fixture from tests/conftest.py.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make browser)")
    from playwright.sync_api import expect, sync_playwright
    # An assertion waits up to 20 s (Playwright's default is 5): a job (a snapshot cut, an
    # export) runs on the site's job pump, and on CI's two cores this tier shares them with
    # the other tiers' processes. A passing assertion returns as soon as it holds.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """new_page(lang="en", **context options) -> a page; closed after the test."""
    contexts = []

    def make(lang: str = "en", **kw):
        kw.setdefault("reduced_motion", "reduce")  # no smooth scrolling to wait for
        ctx = browser.new_context(locale={"en": "en-GB", "ko": "ko-KR"}[lang], **kw)
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.errors.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text else None)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()


def axe(page, context: str = "document") -> list[dict]:
    """Serious and critical axe-core violations on the page as it stands."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (ctx) => (await axe.run(ctx === 'document' ? document : ctx, "
        "{resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target)}))",
        context)
    return [v for v in result if v["impact"] in ("serious", "critical")]


def fmt(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)


def save_screenshot(page, name: str, publish: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    if publish:
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, docs / name)
    return path


@pytest.fixture(name="axe")
def axe_fixture():
    return axe


@pytest.fixture(name="shot")
def shot_fixture():
    return save_screenshot


@pytest.fixture(scope="session")
def shared_site(stack, tmp_path_factory):
    """A live site (tests/support.py) built once per session. A table plus the example costs
    ~3 s, so the browser tier shares one; tests that sign use their own letter (`letter`
    fixture) and their own email addresses.
    """
    from support import start_site
    site = start_site(tmp_path_factory.mktemp("outbox"))
    yield site
    site.stop()


@pytest.fixture
def site(shared_site):
    """The shared site, with the app wired to it (a `live_site` test in between rewires it)."""
    from chalicelib import wiring
    wiring.configure(shared_site.service)
    return shared_site


@pytest.fixture
def letter(site):
    """A fresh open letter without organiser approval, on the shared site: its slug."""
    import uuid

    from helpers import make_letter
    slug = f"t-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug, approval=False)
    return slug


@pytest.fixture
def email():
    import uuid
    return f"s-{uuid.uuid4().hex[:10]}@example.org"
