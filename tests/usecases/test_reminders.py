"""Reminders to pending signers, over either store: one reminder (at most REMINDERS_MAX)
REMINDER_AFTER_HOURS after the sign-on, with the signer's own link, never after the link
expired or the letter closed, never to a confirmed, withdrawn, bounced or suppressed signer."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import wiring
from chalicelib.models import signature_in
from chalicelib.principal import Principal
from chalicelib.reminders import Reminders
from chalicelib.storage import keys
from helpers import individual, make_letter
from chalicelib.storage.memory import MemoryStore
from support import make_settings, with_mail_pump

IP = "192.0.2.50"
WHO = Principal("t1", "Organiser", ())


@pytest.fixture
def memory(mailer, clock):
    """For what does not depend on the store (the wording, the CLI, what is read): the
    in-memory store only, keeping the DynamoDB Local tier short."""
    settings = make_settings()
    return with_mail_pump(wiring.build(settings, store=MemoryStore(settings.table_name, clock),
                                       mailer=mailer, clock=clock))


def sign(services, letter, i: int = 0, **kw):
    body = individual(letter, **{"email": f"signer{i}@example.org", "name": f"Signer {i}", **kw})
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)


def every_signature(services, letter) -> list[dict]:
    item = services.letters.letter_item(letter.slug)
    return [s for shard in range(item["shards"])
            for s in services.store.query(services.store.shard_query(letter.slug, shard))]


def token(message) -> str:
    return re.search(r"/confirm\.html#token=([A-Za-z0-9_-]+)", message.text).group(1)


def reminders_to(mailer) -> list:
    return [m for m in mailer.sent if m.subject.startswith(("Reminder", "다시"))]


def test_a_pending_signer_gets_one_reminder_after_the_set_time_whose_link_confirms(
        services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter)
    assert len(mailer.sent) == 1
    clock.advance(hours=23, minutes=59)
    assert services.reminders.run()["queued"] == 0          # not before the set time
    assert reminders_to(mailer) == []
    clock.advance(minutes=2)
    assert services.reminders.run()["queued"] == 1
    reminder, = reminders_to(mailer)
    assert reminder.to == "signer0@example.org" and "This is a reminder" in reminder.text
    assert "Signer 0" in reminder.text
    assert token(reminder) == token(mailer.sent[0])            # the same link, still valid
    clock.advance(hours=1)
    assert services.reminders.run()["queued"] == 0          # once (REMINDERS_MAX 1)
    assert len(reminders_to(mailer)) == 1
    assert services.signing.confirm(token(reminder), IP).state == "listed"
    view = services.letter_admin.letter_view(letter.slug)
    assert view.reminders_sent == 1                            # the organisers see it
    audit = services.queue.audit(letter.slug, None, 10).entries
    assert [(e.action, e.after["queued"]) for e in audit if e.action == "reminders"] == \
        [("reminders", 1)]


def test_runs_twice_or_at_once_queue_each_reminder_once(services, mailer, clock):
    letter = make_letter(services)
    for i in range(6):
        sign(services, letter, i)
    clock.advance(hours=25)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: services.reminders.run(), range(2)))
    assert sum(r["queued"] for r in runs) == 6
    assert services.reminders.run()["queued"] == 0          # and again: nothing more
    assert sorted(m.to for m in reminders_to(mailer)) == \
        sorted(f"signer{i}@example.org" for i in range(6))


def test_a_missed_run_is_caught_up_and_reminders_max_is_kept(memory, mailer, clock):
    """REMINDERS_MAX 2: the second comes REMINDER_AFTER_HOURS after the first; none once the
    link (72 h) has less than an hour left, however late the run."""
    letter = make_letter(memory)
    sign(memory, letter)
    two = Reminders(make_settings(table_name=memory.settings.table_name, reminders_max=2),
                    memory.store, memory.letters, clock)
    clock.advance(hours=30)                                    # the runs at 24-29 h were missed
    assert two.run()["queued"] == 1
    assert len(reminders_to(mailer)) == 1
    clock.advance(hours=23)
    assert two.run()["queued"] == 0
    clock.advance(hours=1, minutes=1)
    assert two.run()["queued"] == 1
    assert len(reminders_to(mailer)) == 2
    clock.advance(hours=17)                                    # the link has < 1 h left by 71 h
    assert two.run()["queued"] == 0
    assert len(reminders_to(mailer)) == 2


def test_no_reminder_after_the_link_expired(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter, 1)
    clock.advance(hours=71, minutes=30)                        # the link has 30 minutes left
    report = services.reminders.run()
    assert (report["queued"], report["dropped"]) == (0, 1)
    sig = services.store.signature(services.letters.letter_item(letter.slug),
                                   token(mailer.sent[0])[:26])
    assert "GSI3PK" not in sig                                 # not read again by later runs
    # queued in time, but the mail worker gets to it only after the link expired
    sign(services, letter, 2)
    mailer.pump, pump = None, mailer.pump
    clock.advance(hours=24, minutes=1)
    assert services.reminders.run()["queued"] == 1
    clock.advance(hours=48)
    pump()
    assert reminders_to(mailer) == []
    assert any(s.get("mail_note") == "link expired" for s in every_signature(services, letter))


def test_no_reminder_once_the_letter_closed(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter, 1)
    assert len(mailer.sent) == 1
    clock.advance(hours=12)
    sign(services, letter, 2)
    assert len(mailer.sent) == 2
    clock.advance(hours=12, minutes=1)
    mailer.pump, pump = None, mailer.pump
    assert services.reminders.run()["queued"] == 1             # signer 1's, not yet sent...
    services.letter_admin.set_status(letter.slug, "closed", None, WHO)
    pump()                                                     # ...when the letter closes
    clock.advance(hours=13)
    assert services.reminders.run()["queued"] == 0             # nor signer 2's, due now
    mailer.pump = pump
    assert reminders_to(mailer) == []
    assert any(s.get("mail_note") == "letter closed" for s in every_signature(services, letter))


def test_no_reminder_to_a_confirmed_withdrawn_bounced_or_suppressed_signer(
        services, mailer, clock):
    letter = make_letter(services)
    for i in range(4):
        sign(services, letter, i)
    first = {m.to: m for m in mailer.sent}
    services.signing.confirm(token(first["signer0@example.org"]), IP)
    withdraw = re.search(r"/withdraw\.html#token=([A-Za-z0-9_-]+)",
                         first["signer1@example.org"].text).group(1)
    services.signing.withdraw(withdraw, IP)
    message_id = f"recorded-mail-{[m.to for m in mailer.sent].index('signer2@example.org') + 1}"
    assert services.ses_events.apply({"eventType": "Bounce", "mail": {"messageId": message_id},
                                      "bounce": {"timestamp": "2026-03-01T12:00:00.000Z",
                                                 "bounceType": "Permanent"}}) == "bounced"
    item = services.store.signature(services.letters.letter_item(letter.slug),
                                    token(first["signer3@example.org"])[:26])
    services.store.put({**keys.suppression_key(item["email_hash"]), "reason": "complained"})
    clock.advance(hours=25)
    report = services.reminders.run()
    assert (report["queued"], report["dropped"]) == (1, 1)     # the suppressed one, the bounced
    assert reminders_to(mailer) == []                          # the worker skips the suppressed
    assert services.store.get(keys.key_of(item))["mail_note"] == "suppressed"


def test_a_reminder_queued_before_the_signer_confirmed_is_not_sent(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter)
    first = mailer.sent[0]
    clock.advance(hours=24, minutes=1)
    mailer.pump, pump = None, mailer.pump
    assert services.reminders.run()["queued"] == 1
    services.signing.confirm(token(first), IP)                 # before the worker got to it
    pump()
    mailer.pump = pump
    assert reminders_to(mailer) == []


def test_each_reminder_carries_its_own_signer_only_in_their_language(memory, mailer, clock):
    letter = make_letter(memory)
    sign(memory, letter, 1)
    sign(memory, letter, 2, language="ko", name="김민지")
    clock.advance(hours=25)
    memory.reminders.run()
    by_to = {m.to: m for m in reminders_to(mailer)}
    first = {m.to: m for m in mailer.sent if m not in by_to.values()}
    en, ko = by_to["signer1@example.org"], by_to["signer2@example.org"]
    assert en.subject.startswith("Reminder") and ko.subject.startswith("다시 알려")
    assert "김민지" in ko.text and "Signer 1" in en.text
    assert token(en) == token(first["signer1@example.org"])
    assert token(ko) == token(first["signer2@example.org"])
    for mine, other in ((en, ko), (ko, en)):
        assert other.to not in mine.text and token(other) not in mine.text
        assert "김민지" not in en.text and "Signer 1" not in ko.text


def test_a_resend_within_the_set_time_postpones_the_reminder(memory, mailer, clock):
    letter = make_letter(memory)
    sign(memory, letter)
    assert len(mailer.sent) == 1
    clock.advance(hours=20)
    sign(memory, letter)                                     # asks for the link again
    assert len(mailer.sent) == 2
    clock.advance(hours=4, minutes=1)
    assert memory.reminders.run()["postponed"] == 1
    assert reminders_to(mailer) == []
    clock.advance(hours=20)
    assert memory.reminders.run()["queued"] == 1
    assert token(reminders_to(mailer)[0]) == token(mailer.sent[1])   # the newest link


def test_the_index_holds_only_pending_signatures_and_none_when_reminders_are_off(
        memory, clock):
    letter = make_letter(memory)
    sign(memory, letter)
    item = memory.letters.letter_item(letter.slug)
    pending = every_signature(memory, letter)
    assert pending[0]["GSI3SK"] == "20260302T120000#1"          # due 24 h after the sign-on
    off = make_settings(table_name=memory.settings.table_name, reminders_max=0)
    from chalicelib.reminders import first_reminder
    assert first_reminder(off, item, "x" * 26, clock()) == {}
    memory.signing.confirm(memory.mailer.last_token(), IP)
    assert not {"GSI3PK", "GSI3SK", "reminders"} & set(every_signature(memory, letter)[0])


class Recording:
    """The store, with every Query and GetItem the reminders run makes recorded."""

    def __init__(self, store) -> None:
        self.store, self.queries, self.gets = store, [], []

    def query(self, q, **kw):
        self.queries.append(q)
        return self.store.query(q, **kw)

    def get(self, key, **kw):
        self.gets.append(key)
        return self.store.get(key, **kw)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_an_hourly_run_reads_only_the_reminder_index_never_the_signatures(memory, clock):
    """What makes it hold at 10 million signatures: one keys-only Query per shard of the
    index, which holds only the pending signatures whose reminder is still to come."""
    letter = make_letter(memory)
    for i in range(6):
        sign(memory, letter, i)
    for m in memory.mailer.sent[:4]:
        memory.signing.confirm(token(m), IP)
    recording = Recording(memory.store)
    run = Reminders(memory.settings, recording, memory.letters, clock)
    clock.advance(hours=25)
    assert run.run()["queued"] == 2
    shards = memory.letters.letter_item(letter.slug)["shards"]
    assert sorted(q.pk for q in recording.queries) == \
        sorted(keys.reminder_partition(letter.slug, s) for s in range(shards))
    assert {q.index for q in recording.queries} == {keys.GSI3} and recording.gets == []


def test_the_cli_runs_reminders_as_if_at_a_given_time(memory, mailer, clock):
    from click.testing import CliRunner
    from tools.reminders_cli import reminders
    letter = make_letter(memory)
    sign(memory, letter)
    run = CliRunner().invoke(reminders, ["run", "--now", "2026-03-02T12:30:00Z"],
                             obj={"service": memory})
    assert run.exit_code == 0 and '"queued": 1' in run.output
    assert len(reminders_to(mailer)) == 1
    bad = CliRunner().invoke(reminders, ["run", "--now", "tomorrow"], obj={"service": memory})
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
