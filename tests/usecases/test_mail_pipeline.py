"""The mail pipeline over either store: the table's stream is the outbox, the worker sends
each mail once, at the send rate, through throttling and redelivery."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.mail import MailThrottled
from chalicelib.mail_worker import RetryLater
from chalicelib.models import signature_in
from helpers import individual, make_letter
from tools.mail_pump import stream_of

IP = "192.0.2.30"


def sign(services, letter, i: int, **kw):
    body = individual(letter, email=f"signer{i}@example.org", name=f"Signer {i}", **kw)
    return services.signing.sign(letter.slug, signature_in.validate_python(body), IP)


class Outbox:
    """A mailer that keeps what it was given; can throttle the first `throttle` sends."""

    def __init__(self, throttle: int = 0) -> None:
        self.sent: list = []
        self.throttle = throttle
        self.lock = threading.Lock()

    def send(self, message) -> None:
        with self.lock:
            if self.throttle > 0:
                self.throttle -= 1
                raise MailThrottled("TooManyRequestsException")
            self.sent.append(message)

    def links(self) -> list[str]:
        return [re.search(r"confirm\.html#token=(\S+)", m.text).group(1) for m in self.sent]


@pytest.fixture
def quiet(services, clock):
    """The services with the worker stopped: its mailer swapped for an Outbox, its stream
    read by hand, its sleep moving the test's clock."""
    services.mailer.pump = None  # nothing is delivered behind the test's back
    outbox = Outbox()
    worker = services.mail_worker
    worker.mailer = outbox
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)
    worker.sleep = sleep
    read = stream_of(services)
    return services, worker, outbox, read, slept


def test_sign_ons_while_the_worker_is_stopped_get_their_mail_once_it_runs(quiet):
    services, worker, outbox, read, _ = quiet
    letter = make_letter(services)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: sign(services, letter, i), range(200)))
    assert outbox.sent == []  # nothing left on the request path
    records = read()
    worker.handle(records)
    assert sorted(m.to for m in outbox.sent) == sorted(f"signer{i}@example.org" for i in range(200))
    assert len(set(outbox.links())) == 200


def test_a_batch_delivered_again_sends_nothing_twice(quiet):
    """The worker dies after sending but before the stream moved on: on redelivery the
    same records send nothing more."""
    services, worker, outbox, read, _ = quiet
    letter = make_letter(services)
    for i in range(5):
        sign(services, letter, i)
    records = read()
    worker.handle(records)
    worker.handle(records)  # redelivered (at least once)
    worker.handle(records + read())  # and with the worker's own writes after them
    assert len(outbox.sent) == 5


def test_a_worker_that_died_holding_a_lease_is_taken_over_after_it(quiet, clock):
    services, worker, outbox, read, _ = quiet
    letter = make_letter(services)
    sign(services, letter, 1)
    records = read()

    class Died(Exception):
        pass

    def dies(message):
        raise Died()
    worker.mailer = type("M", (), {"send": staticmethod(dies)})()
    with pytest.raises(Died):
        worker.handle(records)  # leased the mail, then the process ended
    worker.mailer = outbox
    with pytest.raises(RetryLater):
        worker.handle(records)  # the lease is still someone's: the batch goes back
    clock.advance(seconds=61)
    worker.handle(records)
    assert len(outbox.sent) == 1


def test_ses_throttling_is_waited_out_and_the_mail_goes_later(quiet):
    services, worker, outbox, read, slept = quiet
    letter = make_letter(services)
    sign(services, letter, 1)
    records = read()
    outbox.throttle = 3
    worker.handle(records)
    assert len(outbox.sent) == 1 and slept[:3] == [0.5, 1, 2]
    outbox.throttle = 100  # throttled past the back-off: the batch goes back, unsent
    sign(services, letter, 2)
    more = read()
    with pytest.raises(RetryLater):
        worker.handle(more)
    outbox.throttle = 0
    worker.handle(more)
    assert [m.to for m in outbox.sent] == ["signer1@example.org", "signer2@example.org"]


def test_the_worker_keeps_the_send_rate(quiet, clock):
    services, worker, outbox, read, slept = quiet
    from chalicelib.ratelimit import Rule
    worker._rate = Rule("s", 2, 1)
    letter = make_letter(services)
    for i in range(6):
        sign(services, letter, i)
    start = clock()
    worker.handle(read())
    assert len(outbox.sent) == 6
    assert (clock() - start).total_seconds() >= 2  # 6 mails at 2 a second: 3 seconds' worth


def test_the_daily_cap_holds_across_redelivery(quiet):
    services, worker, outbox, read, _ = quiet
    worker.abuse.s = services.settings.model_copy(update={"mail_per_address_per_day": 2})
    for n in range(4):
        letter = make_letter(services, slug=f"letter-{n}")
        services.signing.sign(letter.slug, signature_in.validate_python(
            individual(letter, email="one@example.org")), f"192.0.2.{n}")
    records = read()
    for _ in range(3):
        worker.handle(records)
    assert len(outbox.sent) == 2


def test_mail_to_one_domain_is_bounded_common_providers_are_not(quiet):
    """A wave of made-up sign-ons at one organisation's domain costs a bounded number of
    mails (and bounces); gmail.com and the like are exempt."""
    services, worker, outbox, read, _ = quiet
    worker.abuse.s = services.settings.model_copy(update={"mail_per_domain_per_hour": 3})
    letter = make_letter(services)
    for i in range(5):
        services.signing.sign(letter.slug, signature_in.validate_python(
            individual(letter, email=f"x{i}@ngo.example")), f"192.0.2.{i}")
        services.signing.sign(letter.slug, signature_in.validate_python(
            individual(letter, email=f"y{i}@gmail.com")), f"192.0.2.{i}")
    worker.handle(read())
    sent = [m.to.split("@")[1] for m in outbox.sent]
    assert sent.count("ngo.example") == 3 and sent.count("gmail.com") == 5
