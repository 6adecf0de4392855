"""Letters from Markdown with front matter."""
import pytest

from chalicelib import letters
from chalicelib.models import Counts
from tools.seed import EXAMPLE, read_letter, read_signatories


def test_example_letter_parses_with_its_metadata():
    letter = read_letter(EXAMPLE)
    assert letter.slug == "eu-hrc43-dprk" and letter.date.isoformat() == "2020-02-26"
    assert letter.addressee.startswith("Josep Borrell Fontelles")
    assert letter.salutation == "Your Excellency," and letter.closing == "Sincerely,"
    assert letter.organisations_need_approval is True
    assert len(letter.text_sha256) == 64
    assert len(read_signatories(EXAMPLE)) == 35


def test_raw_html_in_the_body_is_escaped_not_rendered():
    html = letters.render_body("Hello <script>alert(1)</script> [x](javascript:alert(1)) **bold**")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and "<strong>bold</strong>" in html


def test_tally_placeholders_are_filled_from_counts():
    html = letters.render_body("On behalf of {{total}} signatories from {{ countries }} countries.")
    out = letters.fill_tally(html, Counts(organisations=31, individuals=4, total=35, countries=10))
    assert "On behalf of 35 signatories from 10 countries." in out


def test_a_changed_text_has_another_hash():
    a = read_letter(EXAMPLE)
    b = a.model_copy(update={"body": a.body.replace("urge", "ask")})
    assert a.text_sha256 != b.text_sha256


@pytest.mark.parametrize("source", ["no front matter", "---\n- a list\n---\nbody",
                                    "---\nslug: BAD SLUG\n---\nbody"])
def test_malformed_letters_are_refused(source):
    with pytest.raises(letters.LetterFormatError):
        letters.parse_letter(source)
