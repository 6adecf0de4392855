"""Delivering the letter from the organisers' page: preview, then send what was previewed;
the delivery is listed and the public page says it was delivered (one short run)."""
from __future__ import annotations

import email
import hashlib
import uuid
from email import policy

import pytest
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def deliver_site(stack, tmp_path_factory):
    from support import start_site
    site = start_site(tmp_path_factory.mktemp("deliver-outbox"))
    yield site
    site.stop()


def test_preview_then_send_lists_the_delivery_and_the_public_page_says_so(page, deliver_site):
    from chalicelib import wiring
    from helpers import make_letter
    site = deliver_site
    wiring.configure(site.service)
    slug = f"d-{uuid.uuid4().hex[:10]}"
    make_letter(site.service, slug)
    token = site.service.organisers.create("deliverer", [slug]).token
    page.goto(f"{site.url}/admin.html#letter={slug}")
    page.fill("#token", token)
    page.click("#signin-submit")
    expect(page.locator("#letter-select")).to_have_value(slug)
    page.click("#snap-cut")
    expect(page.locator("#snap-status")).to_contain_text("Snapshot written")
    page.click("#deliver-refresh")
    expect(page.locator("#deliver-snapshot option")).to_have_count(1)
    page.fill("#deliver-to", "office-a@eeas.example\noffice-b@eeas.example")
    page.fill("#deliver-message", "Dear Office,\n\nOur **letter** is attached.")
    page.click("#deliver-preview")
    expect(page.locator("#deliver-status")).to_contain_text("Nothing was sent")
    expect(page.locator("#deliver-facts")).to_contain_text("letter.pdf")
    expect(page.locator("#deliver-text")).to_contain_text("sha256 of letter.pdf:")
    assert not list(site.outbox.glob("*local-*.eml"))
    page.click("#deliver-send")
    expect(page.locator("#ask-title")).to_have_text("Send this delivery?")
    page.click("#ask-ok")
    expect(page.locator("#deliver-status")).to_contain_text("Sent to 2 recipient(s)")
    item = page.locator("#deliver-list > li").first
    expect(item).to_contain_text("sent")
    expect(item).to_contain_text("office-b@eeas.example: sent, no answer yet")
    (eml,) = site.outbox.glob("*local-*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    pdf = next(p for p in msg.iter_attachments() if p.get_filename() == "letter.pdf")
    expect(item).to_contain_text(hashlib.sha256(pdf.get_payload(decode=True)).hexdigest())
    page.goto(f"{site.url}/l/{slug}")
    expect(page.locator("#delivered-note")).to_contain_text("Delivered to ")
    expect(page.locator("#delivered-note")).to_contain_text("with 0 signatures.")
    assert not page.errors, page.errors
