"""Hypothesis properties for names: any Unicode, any stored value, any markup.

(a) A name through the API is either refused (422) or listed exactly as typed, after the
    documented trim + NFC (text.clean_text: NFC, then strip).
(b) Whatever a signature item holds (written straight to the store, as an old import might),
    the CSV export parses back to the same text, modulo the documented `'` prefix, and no
    cell starts with a formula character.
(c) No name adds an element to the delivery letter (HTML) or to the public page.

derandomize=True: the same examples every run. Function-scoped fixtures are shared by a
property's examples on purpose (one table per test; unique emails and ids per example).
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from chalicelib.states import ALL_STATES
from chalicelib.storage import keys
from chalicelib.clock import iso
from chalicelib.link_tokens import new_id
from helpers import make_letter, post
from chalicelib.exports import delivery_html
from chalicelib.exports import rows as export_rows

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
FORMULA = ("=", "+", "-", "@", "\t", "\r")

# Scripts and shapes that break naive code: astral (emoji, CJK ext. B, math alphanumerics),
# combining marks (and decomposed letters NFC composes), right-to-left, Hangul (syllables
# and conjoining jamo NFC composes), whitespace at the ends, quotes and markup.
SAMPLES = [
    "\U0001F600\U0001F469\u200d\U0001F4BB", "\U00020000\U0002A6D6", "\U0001D400\U0001D41A",
    "e\u0301", "A\u030a\u0323", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
    "\u0661\u0662", "\u1100\u1161\u11a8", "\ud55c\uad6d\uc5b4", "  ", "\u3000", "\u00a0",
    "<", ">", "&", "\"", "'", "`", "</li>", "<script>", "&amp;", "\\", ",", ";", "\n", "\r",
    "=", "+", "-", "@", "\t", "\x00", "\u202e", "\u200b", "\ufeff",
]
fragments = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.characters(categories=["Mn", "Me", "Mc"]), min_size=1, max_size=3),
    st.text(st.characters(min_codepoint=0x0590, max_codepoint=0x06FF), min_size=1, max_size=4),
    st.text(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=4),
    st.text(st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=["Cs"]),
            min_size=1, max_size=3),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.text("abcdefghij KLMNOP", min_size=1, max_size=8),
)
names = st.lists(fragments, min_size=1, max_size=6).map("".join)
_ids = itertools.count(1)


def _expected(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


# ---- (a) through the API -------------------------------------------------------------

def _public_names(client, slug: str) -> list[str]:
    body = client.http.get(f"/letters/{slug}/signatures?limit=500").json_body
    assert body["next_cursor"] is None
    return [s["name"] for s in body["signatures"]]


@pytest.fixture
def open_letter(service):
    return make_letter(service, slug="prop-letter", approval=False)


@SETTINGS
@given(name=names, kind=st.sampled_from(["individual", "organisation"]))
def test_a_name_is_refused_or_listed_exactly_after_trim_and_nfc(client, mailer, open_letter,
                                                               name, kind):
    n = next(_ids)
    body = {"kind": kind, "name": name, "email": f"p{n}@example.org", "consent": True,
            "letter_sha256": open_letter.text_sha256}
    if kind == "organisation":
        body["authorised"] = True
    before = _public_names(client, "prop-letter")
    resp = post(client, "/letters/prop-letter/signatures", body)
    event(f"answered {resp.status_code}")
    if resp.status_code == 422:
        problems = resp.json_body["error"]["fields"]
        event(f"refused: {problems[0]['type'] if problems else '?'}")
        assert problems and all(p["loc"][:2] == ["body", "name"] for p in problems), problems
        assert _public_names(client, "prop-letter") == before
        return
    assert resp.status_code == 202, (resp.status_code, resp.body)
    confirmed = post(client, "/confirmations", {"token": mailer.last_token()})
    assert confirmed.status_code == 200 and confirmed.json_body["state"] == "listed"
    after = _public_names(client, "prop-letter")
    added = list(after)
    for old in before:
        added.remove(old)
    assert added == [_expected(name)]  # exactly one new entry, character for character


# ---- (b) the CSV export of whatever is stored --------------------------------------------

anything = st.text(st.characters(codec="utf-8"), max_size=30)  # any scalar value, incl. C0/C1
formulaic = st.tuples(st.sampled_from(FORMULA + ("'", " =", "\n=", "\ufeff=", "\xa0+", '"=',
                                                 " '@", "＝")), anything) \
    .map("".join)
stored_text = st.one_of(anything, formulaic, names)


def _neutralised(value) -> str:
    """The rule, as a spreadsheet reads a cell: leading spaces and quotes skipped, fullwidth
    signs taken for ASCII ones."""
    text = "" if value is None else str(value)
    first = text.lstrip(SPACES_AND_QUOTES)[:1].translate(str.maketrans("＝＋－＠", "=+-@"))
    return "'" + text if text.startswith(FORMULA) or (first and first in "=+-@") else text


SPACES_AND_QUOTES = "".join(chr(c) for c in range(0x3100) if chr(c).isspace()) + "\"'"


@SETTINGS
@given(name=stored_text, affiliation=st.one_of(st.none(), stored_text),
       country=st.one_of(st.none(), st.sampled_from(["KR", "GB", "kr", "=1", "XX"]), anything),
       state=st.one_of(st.sampled_from(["listed", "pending", "withdrawn"]), stored_text),
       kind=st.sampled_from(["individual", "organisation"]))
def test_csv_export_round_trips_any_stored_value_and_never_starts_a_formula(
        service, open_letter, name, affiliation, country, state, kind):
    letter = service.store.get_letter("prop-letter")
    sig_id = new_id()
    item = {**keys.signature_key("prop-letter", sig_id, letter["shards"]), "sig_id": sig_id,
            "letter": "prop-letter", "kind": kind, "name": name, "affiliation": affiliation,
            "country": country, "state": state, "created_at": iso(service.clock()),
            "confirmed_at": "=cmd|' /C calc'!A0", "email": f"{sig_id}@example.org"}
    service.store.put(item)  # straight in: no validation, as an old import might have written
    buf = io.BytesIO()
    export_rows.export_csv(service.store, letter, buf, states=ALL_STATES)  # every state
    text = buf.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    header, data = rows[0], rows[1:]
    assert header == export_rows.CSV_HEADER
    for row in data:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.startswith(FORMULA), row
            assert cell.startswith("'") or not cell.lstrip(SPACES_AND_QUOTES).startswith(
                ("=", "+", "-", "@", "＝", "＋", "－", "＠")), row
    mine = [dict(zip(header, r)) for r in data if r[0] == sig_id]
    assert len(mine) == 1
    row = mine[0]
    assert row["name"] == _neutralised(name)
    assert row["affiliation"] == _neutralised(affiliation)
    assert row["country_code"] == _neutralised(country)
    assert row["state"] == _neutralised(state)
    assert row["confirmed_at"] == "'=cmd|' /C calc'!A0"
    assert sig_id + "@example.org" not in text  # no email unless an organiser asks for it


# ---- (c) no element from any name ----------------------------------------------------------

class _Shape(HTMLParser):
    """The element structure of a document: every start/end tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("startend", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_comment(self, data):
        self.events.append(("comment",))

    def handle_decl(self, decl):
        self.events.append(("decl", decl))

    def handle_pi(self, data):
        self.events.append(("pi",))

    def handle_data(self, data):
        self.texts.append(data)


def _delivery_html(service, slug: str, kind: str, name: str, affiliation, country) -> _Shape:
    # Any stored text, as an old import could hold (today's import checks names first).
    from support import store_signature
    make_letter(service, slug=slug)
    store_signature(service, service.store.get_letter(slug), "a" * 26, kind, name,
                    affiliation=affiliation, country=country)
    buf = io.BytesIO()
    delivery_html.export_delivery_html(service.store, service.store.get_letter(slug), buf)
    shape = _Shape()
    shape.feed(buf.getvalue().decode("utf-8"))
    shape.close()
    return shape


@SETTINGS
@given(name=stored_text.filter(lambda s: s.strip() != ""), affiliation=st.one_of(st.none(), stored_text),
       kind=st.sampled_from(["individual", "organisation"]),
       country=st.sampled_from([None, "KR", "FR"]))
def test_no_name_adds_an_element_to_the_delivery_letter(service, name, affiliation, kind, country):
    n = next(_ids)
    plain = _delivery_html(service, f"plain-{n}", kind, "Plain Name", "Plain affiliation",
                           country)
    hostile = _delivery_html(service, f"hostile-{n}", kind, name, affiliation, country)
    assert hostile.events == plain.events  # same elements, same attributes, same order
    text = "".join(hostile.texts)
    assert delivery_html.signatory_line({"kind": kind, "name": name, "affiliation": affiliation,
                                   "country": country}) in text


def test_the_public_page_never_inserts_api_text_as_markup():
    """The public page renders names in the browser (frontend/js). Its only HTML sinks take
    the letter body (our own Markdown rendering, raw HTML off) — never a signature field; every
    other text goes through textContent. (A render in a real browser is the browser tier's.)"""
    root = Path(__file__).resolve().parents[2] / "frontend" / "js"
    sinks = re.compile(r"\.(innerHTML|outerHTML)\s*=(?!=)|insertAdjacentHTML|document\.write|"
                       r"createContextualFragment|DOMParser")
    found = []
    for path in sorted(root.rglob("*.js")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if sinks.search(line):
                found.append((path.relative_to(root).as_posix(), i, line.strip()))
    for rel, i, line in found:
        assert "body_html" in line, f"{rel}:{i}: an HTML sink other than the letter body: {line}"
