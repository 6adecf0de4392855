"""One mailbox, one signature: the spellings a provider delivers to one inbox share a claim."""
from __future__ import annotations

from chalicelib.models import signature_in
from chalicelib.organiser_models import Filters
from helpers import individual, make_letter

IP = "192.0.2.10"
GRACE = ["grace.hopper@gmail.com", "gracehopper@gmail.com", "grace.hopper+letter@gmail.com",
         "GRACE.HOPPER@googlemail.com"]


def test_four_spellings_of_one_gmail_mailbox_are_one_signature(services, mailer, clock):
    letter = make_letter(services)
    for email in GRACE:
        services.signing.sign(letter.slug, signature_in.validate_python(
            individual(letter, name="Grace Hopper", email=email)), IP)
        clock.advance(seconds=services.settings.resend_interval_seconds + 1)
    stored = services.queue.search(letter.slug, Filters(), None, 100).signatures
    assert len(stored) == 1 and stored[0].email == GRACE[0]  # mailed as first typed
    for message in list(mailer.sent):  # every link sent confirms that one signature
        token = message.text.split("/confirm.html#token=")[1].split()[0]
        services.signing.confirm(token, IP)
    page = services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None)
    assert [s.name for s in page.signatures] == ["Grace Hopper"]
    assert services.letters.get_letter(letter.slug).counts.total == 1
