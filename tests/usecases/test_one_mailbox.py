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
    assert len(stored) == 1
    sent = list(mailer.sent)
    assert {m.to for m in sent} == {GRACE[0]}  # mailed as first typed
    for message in sent:  # every link sent confirms that one signature
        token = message.text.split("/confirm.html#token=")[1].split()[0]
        services.signing.confirm(token, IP)
    page = services.letters.public_list(letter.slug, cursor=None, limit=10, kind=None)
    assert [s.name for s in page.signatures] == ["Grace Hopper"]
    assert services.letters.get_letter(letter.slug).counts.total == 1


def test_duplicates_reports_old_signatures_of_one_mailbox_and_changes_nothing(services, clock):
    from support import store_signature
    letter = make_letter(services)
    item = services.letters.letter_item(letter.slug)
    ids = []
    for i, email in enumerate(GRACE):  # signed under the old rule: four claims, four listed
        clock.advance(seconds=1)
        ids.append(store_signature(services, item, f"{'a' * 25}{'bcde'[i]}", "individual",
                                   "Grace Hopper", email=email)["sig_id"])
    store_signature(services, item, "f" * 26, "individual", "Ada Lovelace", email="ada@gmail.com")
    store_signature(services, item, "g" * 26, "individual", "Gone", email=None, state="withdrawn")
    services.seal_migration.run(dry_run=False)  # stored in clear before sealing: sealed now
    before = services.queue.search(letter.slug, Filters(), None, 100)
    report = services.queue.duplicates(letter.slug)
    assert report.checked == 5
    assert [[s.id for s in g.signatures] for g in report.groups] == [ids]
    assert services.queue.search(letter.slug, Filters(), None, 100) == before
    assert services.letters.get_letter(letter.slug).counts.total == 5
