"""An update from the organisers' page: write, preview (text, HTML, headers), count its reach,
send; then the unsubscribe page from its mail asks first and POSTs once (one short run)."""
from __future__ import annotations

import email as email_lib
import re
import time

from playwright.sync_api import expect

from chalicelib.models import signature_in


def test_compose_preview_count_send_then_unsubscribe(page, site, letter, email: str):
    svc = site.service
    sha = svc.letters.letter_item(letter)["text_sha256"]
    svc.signing.sign(letter, signature_in.validate_python({
        "kind": "individual", "name": "Kept Informed", "country": "FR", "consent": True,
        "email": email, "updates_opt_in": True, "letter_sha256": sha}), "192.0.2.9")
    page.goto(site.links()[-1])
    expect(page.locator(".outcome")).to_contain_text("now listed")

    token = svc.organisers.create("updater", [letter]).token
    page.goto(f"{site.url}/admin.html#letter={letter}")
    page.fill("#token", token)
    page.click("#signin-submit")
    expect(page.locator("#letter-select")).to_have_value(letter)
    page.fill("#update-subject-en", "Delivered next week")
    page.fill("#update-body-en", "We deliver the letter **next week**.")
    page.click("#update-preview")
    expect(page.locator("#update-status")).to_contain_text("saved as a draft. Nothing was sent.")
    expect(page.locator("#update-rendered .mail-facts")).to_contain_text("List-Unsubscribe=One-Click")
    frame = page.frame_locator("#update-rendered iframe")
    expect(frame.locator("strong")).to_have_text("next week")
    page.click("#update-reach")
    expect(page.locator("#update-status")).to_contain_text("It reaches 1 signers")
    page.click("#update-send")
    expect(page.locator("#ask-title")).to_have_text("Send this update?")
    page.click("#ask-ok")
    expect(page.locator("#update-status")).to_contain_text("1 mails queued")

    for _ in range(50):  # the update mailer's thread sends it
        told = [m for m in (email_lib.message_from_bytes(p.read_bytes())
                            for p in site.outbox.glob("*.eml"))
                if m["To"] == email and m["List-Unsubscribe"]]
        if told:
            break
        time.sleep(0.2)
    text = next(p for p in told[0].walk()
                if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/unsubscribe\.html#token=[A-Za-z0-9_-]+", text).group(0)
    posts = []
    page.on("request", lambda r: posts.append(r) if "/api/unsubscribe" in r.url else None)
    page.goto(link)
    button = page.get_by_role("button", name="Stop these updates")
    expect(button).to_be_visible()
    page.wait_for_timeout(300)
    assert posts == []  # nothing on load: a mail scanner's visit stops nothing
    button.click()
    expect(page.locator(".outcome")).to_have_text(
        "Done: you will get no more updates about this letter. Your signature stays on it.")
    assert len(posts) == 1 and posts[0].method == "POST"
    assert not page.errors, page.errors
