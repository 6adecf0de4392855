"""The in-process letter cache: a change made here shows at once, one made by another
function instance within LETTER_CACHE_SECONDS."""
from __future__ import annotations

from chalicelib import wiring
from chalicelib.errors import LetterClosedError
from chalicelib.models import signature_in
from chalicelib.organisers import Principal
from helpers import individual, make_letter

import pytest

from support import with_mail_pump


def test_another_instance_sees_a_closed_letter_within_the_cache_time(settings, mailer, clock):
    here = with_mail_pump(wiring.build(settings, mailer=mailer, clock=clock))
    there = wiring.build(settings, mailer=mailer, clock=clock)  # a second Lambda instance
    ticks = [1000.0]
    here.letters._monotonic = there.letters._monotonic = lambda: ticks[0]
    letter = make_letter(here)
    assert there.letters.letter_item("test-letter")["status"] == "open"  # cached over there
    here.letter_admin.set_status("test-letter", "closed", None, Principal("t", "t", ()))
    with pytest.raises(LetterClosedError):  # here: at once
        here.signing.sign("test-letter", signature_in.validate_python(individual(letter)), "192.0.2.1")
    assert there.letters.letter_item("test-letter")["status"] == "open"  # there: not yet
    ticks[0] += settings.letter_cache_seconds
    assert there.letters.letter_item("test-letter")["status"] == "closed"
    with pytest.raises(LetterClosedError):
        there.signing.sign("test-letter", signature_in.validate_python(individual(letter)), "192.0.2.1")
