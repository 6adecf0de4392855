"""SES's bounces and complaints about signers' mail, over either store: a hard bounce or a
complaint suppresses the address (by its keyed hash) for every further mail; a hard bounce of a
pending signature's link marks it for the organisers; a soft bounce changes nothing."""
from __future__ import annotations

import json

from chalicelib.models import signature_in
from chalicelib.moderation.queue import admin_view
from chalicelib.storage import keys
from helpers import individual, make_letter

IP = "192.0.2.40"
ADDRESS = "bouncing@example.org"


def sign(services, letter, **kw):
    body = individual(letter, email=ADDRESS, **kw)
    return services.signing.sign(letter.slug, signature_in.validate_python(body), IP)


def event(kind: str, message_id: str, **part) -> dict:
    key = {"Bounce": "bounce", "Complaint": "complaint", "Delivery": "delivery"}[kind]
    return {"eventType": kind, "mail": {"messageId": message_id},
            key: {"timestamp": "2026-03-01T12:00:00.000Z", **part}}


def bounce(message_id: str, kind: str = "Permanent") -> dict:
    return event("Bounce", message_id, bounceType=kind, bouncedRecipients=[
        {"emailAddress": ADDRESS, "diagnosticCode": f"smtp; 550 5.1.1 <{ADDRESS}> unknown"}])


def signature(services, letter, message_id: str) -> dict:
    ref = services.store.get(keys.ses_message_key(message_id))
    return services.store.signature(services.letters.letter_item(letter.slug), ref["sig_id"])


def test_a_hard_bounce_suppresses_the_address_and_marks_the_pending_signature(services, mailer,
                                                                           clock):
    letter = make_letter(services)
    sign(services, letter)
    assert len(mailer.sent) == 1
    ref = services.store.get(keys.ses_message_key("recorded-mail-1"))
    assert ref["kind"] == "signer" and ref["email_hash"] and ADDRESS not in json.dumps(ref)
    assert services.ses_events.apply(bounce("recorded-mail-1")) == "bounced"
    sig = signature(services, letter, "recorded-mail-1")
    assert sig["state"] == "pending" and sig["bounced_at"] == "2026-03-01T12:00:00.000Z"
    assert admin_view(sig).bounced_at == sig["bounced_at"]      # the organisers see it
    suppressed = services.store.get(keys.suppression_key(sig["email_hash"]))
    assert suppressed["reason"] == "bounced" and ADDRESS not in json.dumps(suppressed)
    assert ADDRESS not in json.dumps(sig, default=str)          # no diagnostic text kept
    clock.advance(minutes=5)
    sign(services, letter)           # asks for the link again: the worker sends nothing
    assert len(mailer.sent) == 1
    assert signature(services, letter, "recorded-mail-1").get("mail_note") == "suppressed"


def test_a_soft_bounce_or_a_delivery_changes_nothing(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter)
    assert len(mailer.sent) == 1     # the worker has sent it (and recorded SES's id)
    assert services.ses_events.apply(bounce("recorded-mail-1", "Transient")) == "ignored"
    assert services.ses_events.apply(event("Delivery", "recorded-mail-1",
                                           recipients=[ADDRESS])) == "ignored"
    sig = signature(services, letter, "recorded-mail-1")
    assert "bounced_at" not in sig
    assert services.store.get(keys.suppression_key(sig["email_hash"])) is None
    clock.advance(minutes=5)
    sign(services, letter)
    assert len(mailer.sent) == 2     # the link went again


def test_a_complaint_suppresses_the_address_on_every_letter(services, mailer, clock):
    first, second = make_letter(services, "first-letter"), make_letter(services, "second-letter")
    sign(services, first)
    assert len(mailer.sent) == 1
    assert services.ses_events.apply(event("Complaint", "recorded-mail-1", complaintFeedbackType="abuse",
                                           complainedRecipients=[{"emailAddress": ADDRESS}])) \
        == "complained"
    sig = signature(services, first, "recorded-mail-1")
    assert "bounced_at" not in sig   # a complaint is not a bounce
    sign(services, second)           # the same address on another letter: no mail
    assert len(mailer.sent) == 1
