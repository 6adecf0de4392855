"""Exports against DynamoDB Local: CSV, JSON and the delivery letter (HTML, DOCX)."""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from chalicelib.storage import keys
from chalicelib.states import ALL_STATES, LISTED, PENDING, REJECTED, WITHDRAWN
from tools.seed import EXAMPLE
from support import store_signature
from chalicelib.exports import delivery_docx
from chalicelib.exports import delivery_html
from chalicelib.exports import rows as export_rows
from chalicelib.storage import signature_streams

SLUG = "eu-hrc43-dprk"
EVIL = '=HYPERLINK("http://x","y")'


def expected_lines() -> list[tuple[str, str]]:
    """(kind, printed line) per signatory of signatories.csv, in its order."""
    from chalicelib.countries import country_name
    out = []
    with open(EXAMPLE / "signatories.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "organisation":
                c = country_name(r["country"] or None)
                out.append(("organisation", f"{r['name']} — {c}" if c else r["name"]))
            else:
                out.append(("individual", f"{r['name']} — {r['affiliation']}"))
    return out


def letter_item(service):
    return service.store.get(keys.letter_key(SLUG))


def raw_signature(service, name: str, *, kind="individual", affiliation=None, country="GB",
                  email=None, state=LISTED, sig_id=None):
    return store_signature(service, letter_item(service), sig_id or exports_id(name), kind, name,
                           affiliation=affiliation, country=country, email=email, state=state)


def exports_id(name: str) -> str:
    import base64
    import hashlib
    return base64.b32encode(hashlib.sha256(name.encode()).digest()[:16]).decode().rstrip("=").lower()


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.items: list[tuple[str, str]] = []   # (section heading, li text)
        self.h2 = ""
        self.text = []
        self.section = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)
        if tag in ("li", "h2"):
            self.text = []
        if tag == "section":
            self.section = True

    def handle_endtag(self, tag):
        self.stack.pop()
        if tag == "h2":
            self.h2 = "".join(self.text)
        if tag == "li" and self.section:
            self.items.append((self.h2, "".join(self.text)))

    def handle_data(self, data):
        self.text.append(data)


def render_html(service) -> str:
    buf = io.BytesIO()
    delivery_html.export_delivery_html(service.store, letter_item(service), buf)
    return buf.getvalue().decode("utf-8")


def render_docx(service):
    import docx
    buf = io.BytesIO()
    delivery_docx.export_delivery_docx(service.store, letter_item(service), buf)
    buf.seek(0)
    return docx.Document(buf)


def test_delivery_html_reproduces_the_example_letter(example, service):
    page = render_html(service)
    p = Collector()
    p.feed(page)
    heading = {"organisation": "Groups", "individual": "Individuals"}
    assert p.items == [(heading[k], line) for k, line in expected_lines()]
    assert p.items[8] == ("Groups", "Human Rights Watch")
    assert "on behalf of 35 non-governmental organizations" in page
    assert "from 10 different countries" in page
    assert "{{" not in page
    assert "26 February 2020" in page and "Your Excellency," in page and "Sincerely," in page
    assert "1046 Brussels, Belgium" in page and "@page" in page and "size: A4" in page
    # self-contained: nothing fetched
    assert "<link" not in page and "<script" not in page and "src=" not in page
    assert "http://" not in page and "https://" not in page


def test_delivery_docx_reproduces_the_example_letter(example, service):
    doc = render_docx(service)
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    texts = [t for _, t in paras]
    i = texts.index("Groups")
    j = texts.index("Individuals")
    groups = texts[i + 1:j]
    individuals = texts[j + 1:j + 5]
    lines = expected_lines()
    assert groups == [line for k, line in lines if k == "organisation"]
    assert individuals == [line for k, line in lines if k == "individual"]
    assert len(groups) == 31 and len(individuals) == 4
    body = "\n".join(texts)
    assert "on behalf of 35 non-governmental organizations" in body
    assert "from 10 different countries" in body
    numbered = [p for p in doc.paragraphs if p.style.name == "List Number"]
    assert len(numbered) == 5
    first = numbered[0]
    assert first.runs[0].bold and first.runs[0].text.startswith("Political prisoners")
    assert not first.runs[-1].bold
    sec = doc.sections[0]
    assert abs(sec.page_width.mm - 210) < 1 and abs(sec.page_height.mm - 297) < 1


@pytest.mark.parametrize("value", [" =1+1", "\xa0+cmd|' /C calc'!A0", '"=1+1', " @SUM(A1)",
                                   "＝HYPERLINK(1)", "'-2"])
def test_a_formula_behind_spaces_quotes_or_fullwidth_signs_is_neutralised_too(value):
    assert export_rows.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Kim Min-jun", " Kim", "O'Brien", "'Quoted' Org", ""])
def test_ordinary_text_is_left_as_it_is(value):
    assert export_rows.neutralise(value) == value


@pytest.mark.parametrize("cells", [
    ["plain", "", "Kim Min-jun"], ['He said "no"', '""', '"'], ["a,b", "line\nbreak", "cr\r\nlf"],
    ["\ttab", "김민준", "'=1"], [""], ["trailing space ", " lead", "\\back\\slash"]])
def test_a_csv_line_is_what_the_csv_module_writes_with_every_field_quoted(cells):
    """Exports and snapshots write their CSV lines themselves (a hot path): a spreadsheet
    or csv reader must see what csv.writer(QUOTE_ALL) would have written."""
    buf = io.StringIO(newline="")
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(cells)
    assert export_rows._quoted(cells) == buf.getvalue()
    assert next(csv.reader(io.StringIO(export_rows._quoted(cells), newline=""))) == cells


def test_csv_neutralises_formulas_and_quotes_every_field(example, service):
    raw_signature(service, EVIL, affiliation="+1 caller", country=None)
    raw_signature(service, "@mention", kind="organisation", country="KR")
    raw_signature(service, "\tTabbed", affiliation="-minus")
    buf = io.BytesIO()
    export_rows.export_csv(service.store, letter_item(service), buf)
    data = buf.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:3] == ["id", "kind", "name"] and "email" not in rows[0]
    assert len(rows) == 1 + 35 + 3
    for row in rows:
        for cell in row:
            assert not cell.startswith(export_rows.FORMULA_START), cell
    names = {r[2] for r in rows[1:]}
    assert "'" + EVIL in names and "'@mention" in names and "'\tTabbed" in names
    assert "'+1 caller" in {r[3] for r in rows[1:]}
    # every field quoted, CRLF rows
    for line in text.split("\r\n")[:-1]:
        assert line.startswith('"') and line.endswith('"')
    # the letter's printed order: organisations, then individuals (by surname)
    kinds = [r[1] for r in rows[1:]]
    assert kinds == sorted(kinds, key=lambda k: k != "organisation")
    kr = next(r for r in rows if r[2] == "1969 KAL Abductees' Families Association")
    assert kr[4:7] == ["South Korea", "KR", "listed"]


def test_markup_in_names_is_literal_text_in_html_and_docx(example, service):
    raw_signature(service, "<b>x</b>", affiliation="<i>aff</i> & co", country=None)
    raw_signature(service, "<script>alert(1)</script>", kind="organisation", country=None)
    page = render_html(service)
    p = Collector()
    p.feed(page)
    assert "b" not in p.tags and "i" not in p.tags and "script" not in p.tags
    lines = [t for _, t in p.items]
    assert "<b>x</b> — <i>aff</i> & co" in lines
    assert "<script>alert(1)</script>" in lines
    doc = render_docx(service)
    texts = [q.text for q in doc.paragraphs]
    assert "<b>x</b> — <i>aff</i> & co" in texts
    para = next(q for q in doc.paragraphs if q.text.startswith("<b>x"))
    assert not any(r.bold for r in para.runs)


def test_an_export_with_emails_needs_the_power_to_open_them(example, service):
    """The API (which may not open addresses) cannot make one by leaving the opener out."""
    with pytest.raises(ValueError, match="open"):
        export_rows.export_csv(service.store, letter_item(service), io.BytesIO(),
                               include_email=True)


def test_emails_only_with_include_email(example, service):
    raw_signature(service, "Pending Person", email="pending@example.org", state=PENDING)
    raw_signature(service, "Listed Person", email="listed@example.org")
    for fn in (export_rows.export_csv, export_rows.export_json):
        plain, organiser, both = io.BytesIO(), io.BytesIO(), io.BytesIO()
        fn(service.store, letter_item(service), plain)
        fn(service.store, letter_item(service), organiser, include_email=True,
           unsealer=service.unsealer)
        fn(service.store, letter_item(service), both, include_email=True, unsealer=service.unsealer,
           states=[LISTED, PENDING])
        assert b"@example.org" not in plain.getvalue()
        assert b"listed@example.org" in organiser.getvalue()
        assert b"pending@example.org" not in organiser.getvalue()  # listed only unless asked
        assert b"pending@example.org" in both.getvalue()


def signed_in_every_state(service) -> dict[str, str]:
    """One more individual per state but listed (the withdrawn one without a name, as a
    withdrawal leaves it): state → name."""
    names = {}
    for state in ALL_STATES:
        if state != LISTED:
            name = "" if state == WITHDRAWN else f"Zed {state.title()}"
            raw_signature(service, name, state=state, email=f"{state}@example.org",
                          sig_id=exports_id(state))
            names[state] = name
    return names


def csv_rows(service, **kw) -> list[dict]:
    buf = io.BytesIO()
    export_rows.export_csv(service.store, letter_item(service), buf, **kw)
    return list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8-sig"), newline="")))


def test_list_exports_hold_the_listed_signatures_in_the_letters_order(example, service):
    """Rejected, withdrawn, unconfirmed, hidden… rows stay out unless asked for by name, and
    the order is the letter's (organisations, then individuals by surname), not the ids'."""
    signed_in_every_state(service)
    rows = csv_rows(service)
    assert {r["state"] for r in rows} == {LISTED}
    assert [delivery_html.signatory_line({**r, "country": r["country_code"] or None})
            for r in rows] == [line for _, line in expected_lines()]
    listed = list(signature_streams.iter_listed_sorted(service.store, letter_item(service)))
    assert [r["id"] for r in rows] == [s["sig_id"] for s in listed]  # the public list's order
    buf = io.BytesIO()
    export_rows.export_json(service.store, letter_item(service), buf)
    doc = json.loads(buf.getvalue())
    assert [r["id"] for r in doc["signatures"]] == [r["id"] for r in rows]
    assert doc["states"] == [LISTED] and doc["counts"]["by_state"] == {LISTED: 35}


def test_other_states_come_only_when_named_with_their_state(example, service):
    names = signed_in_every_state(service)
    rows = csv_rows(service, states=[REJECTED, WITHDRAWN])
    assert sorted((r["state"], r["name"]) for r in rows) == sorted(
        [(REJECTED, names[REJECTED]), (WITHDRAWN, "")])
    every = csv_rows(service, states=list(ALL_STATES))
    assert len(every) == 35 + len(names)
    assert {r["state"] for r in every} == set(ALL_STATES)
    order = [export_rows.letter_order({"sig_id": r["id"], "kind": r["kind"], "name": r["name"]})
             for r in every]
    assert order == sorted(order)
    with pytest.raises(ValueError):
        csv_rows(service, states=["deleted"])


def test_json_streams_rows_with_metadata_and_counts(example, service):
    raw_signature(service, "Pending Person", email="p@example.org", state=PENDING)
    buf = io.BytesIO()
    export_rows.export_json(service.store, letter_item(service), buf, states=[PENDING, LISTED])
    doc = json.loads(buf.getvalue())
    assert doc["text_sha256"] == example.text_sha256 == doc["letter"]["text_sha256"]
    assert doc["letter"]["slug"] == SLUG
    assert doc["states"] == [PENDING, LISTED]
    assert len(doc["signatures"]) == 36
    assert doc["counts"] == {"total": 36, "by_kind": {"individual": 5, "organisation": 31},
                             "by_state": {"listed": 35, "pending": 1}}
    hrw = next(r for r in doc["signatures"] if r["name"] == "Human Rights Watch")
    assert hrw["country"] is None and hrw["state"] == "listed"
    assert set(hrw) == set(export_rows.CSV_HEADER)


def test_hangul_survives_every_format(example, service):
    raw_signature(service, "김철수", affiliation="북한인권시민연합", country="KR")
    assert "김철수 — 북한인권시민연합" in render_html(service)
    assert "김철수 — 북한인권시민연합" in [q.text for q in render_docx(service).paragraphs]
    buf = io.BytesIO()
    export_rows.export_csv(service.store, letter_item(service), buf)
    assert "김철수" in buf.getvalue().decode("utf-8-sig")


@pytest.mark.parametrize("parallel", [True, False])
def test_readers_paginate_and_merge_in_order(example, service, parallel):
    item = letter_item(service)
    every = list(signature_streams.iter_signatures(service.store, item, parallel=parallel, page=3))
    assert len(every) == 35
    assert [s["sig_id"] for s in every] == sorted(s["sig_id"] for s in every)
    assert not any(k in s for s in every for k in ("PK", "SK", "GSI1PK", "GSI1SK"))
    listed = list(signature_streams.iter_listed_sorted(service.store, item, parallel=parallel, page=2))
    assert [delivery_html.signatory_line(s) for s in listed] == [line for _, line in expected_lines()]


def test_a_reader_stopped_early_releases_its_threads(example, service):
    import threading
    before = threading.active_count()
    gen = signature_streams.iter_signatures(service.store, letter_item(service), page=1)
    next(gen)
    gen.close()
    assert threading.active_count() <= before


def read_xlsx(service, **kw):
    import openpyxl
    from chalicelib.exports import xlsx
    buf = io.BytesIO()
    xlsx.export_xlsx(service.store, letter_item(service), buf, **kw)
    buf.seek(0)
    return openpyxl.load_workbook(buf), buf.getvalue()


def test_xlsx_has_typed_cells_dates_and_hangul_in_the_letters_order(example, service):
    import datetime as dt
    raw_signature(service, "김철수", affiliation="북한인권시민연합", country="KR")
    raw_signature(service, "Pending Person", state=PENDING)
    book, _ = read_xlsx(service)
    ws = book["Signatories"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == export_rows.CSV_HEADER
    csv_ids = [r["id"] for r in csv_rows(service)]
    assert [r[0] for r in rows[1:]] == csv_ids and len(csv_ids) == 36  # listed, letter's order
    kim = next(r for r in rows if r[2] == "김철수")
    assert kim[3] == "북한인권시민연합" and kim[4] == "South Korea" and kim[6] == "listed"
    signed = ws.cell(row=2, column=export_rows.CSV_HEADER.index("signed_at") + 1)
    assert signed.is_date and isinstance(signed.value, dt.datetime)
    assert signed.number_format == "yyyy-mm-dd hh:mm:ss"
    hrw = next(r for r in rows if r[2] == "Human Rights Watch")
    assert hrw[4] is None and hrw[5] is None  # no country: empty cells, not "None"
    assert "email" not in rows[0]


def test_xlsx_never_writes_a_formula(example, service):
    """openpyxl makes a formula of any text starting with "=": every text cell is typed as
    a string, and formula-like text is quote-prefixed (as if typed with an apostrophe)."""
    import zipfile
    evil = "=cmd|' /C calc'!A0"
    raw_signature(service, evil, affiliation="+1 caller", country=None)
    raw_signature(service, "#N/A", kind="organisation", country=None)
    raw_signature(service, "@SUM(A1)\x07bell", kind="organisation", country="KR")
    book, data = read_xlsx(service, include_email=True, unsealer=service.unsealer)
    ws = book["Signatories"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for value in (evil, "+1 caller", "#N/A", "@SUM(A1)bell"):
        assert cells[value].data_type == "s", value
    assert cells[evil].quotePrefix and cells["+1 caller"].quotePrefix
    assert not cells["Human Rights Watch"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet and "cmd|" in sheet
    assert list(ws.iter_rows(values_only=True))[0][-1] == "email"


def test_individuals_are_name_dash_title_in_html_and_docx_alike(example, service):
    """A comma would not say where "David Alton, Lord" ends and his title begins."""
    alton = ("David Alton, Lord — Independent Crossbench Member of the House of Lords & "
             "Co-chair of the All Party Parliamentary Group on North Korea")
    p = Collector()
    p.feed(render_html(service))
    assert ("Individuals", alton) in p.items
    assert alton in [q.text for q in render_docx(service).paragraphs]
    assert "Yanghee Lee, Ph.D. — UN Special Rapporteur" in render_html(service)


def test_the_docx_footer_numbers_its_pages_and_names_add_no_field(example, service):
    import zipfile
    raw_signature(service, "PAGE \\* MERGEFORMAT", affiliation="NUMPAGES")
    doc = render_docx(service)
    footer = doc.sections[0].footer
    assert not footer.is_linked_to_previous
    xml = footer.paragraphs[0]._p.xml
    assert [t.strip() for t in footer.paragraphs[0]._p.xpath(".//w:instrText/text()")] == [
        "PAGE", "NUMPAGES"]
    assert xml.count('w:fldCharType="begin"') == 2 and xml.count('w:fldCharType="end"') == 2
    assert footer.paragraphs[0].text == "Page 1 of 1"  # the placeholders Word replaces
    buf = io.BytesIO()
    delivery_docx.export_delivery_docx(service.store, letter_item(service), buf)
    with zipfile.ZipFile(buf) as z:
        body = z.read("word/document.xml").decode()
    assert "instrText" not in body and "fldChar" not in body and "fldSimple" not in body
    assert "PAGE \\* MERGEFORMAT — NUMPAGES" in [q.text for q in doc.paragraphs]


def test_a_delivery_date_replaces_the_letters_date_in_html_and_docx(example, service):
    buf = io.BytesIO()
    delivery_html.export_delivery_html(service.store, letter_item(service), buf, date="2026-12-03")
    page = buf.getvalue().decode()
    assert '<p class="date">3 December 2026</p>' in page and "26 February 2020" not in page
    buf = io.BytesIO()
    delivery_docx.export_delivery_docx(service.store, letter_item(service), buf, date="2026-12-03")
    import docx
    texts = [q.text for q in docx.Document(io.BytesIO(buf.getvalue())).paragraphs]
    assert texts[0] == "3 December 2026" and "26 February 2020" not in texts
    assert render_docx(service).paragraphs[0].text == "26 February 2020"  # default: the letter's


def test_the_delivery_letter_is_in_the_letters_own_language_unless_a_translation_is_asked(
        example, service):
    from chalicelib.errors import NotFoundError
    from chalicelib.principal import Principal
    from chalicelib.workspace_models import TranslationIn
    service.translations.save(SLUG, "ko", TranslationIn(
        title="북한 인권에 관한 공개 서한", addressee="유엔 인권이사회 귀중", salutation="이사국 여러분께,",
        closing="삼가 드림,", body="우리는 요청합니다."), Principal("t", "t", ()))
    item = service.letters.letter_item(SLUG, fresh=True)
    own = service.letters.in_language(item, None)
    assert own["title"] == item["title"] and own["language"] == "en"
    buf = io.BytesIO()
    delivery_html.export_delivery_html(service.store, service.letters.in_language(item, "ko"), buf)
    page = buf.getvalue().decode()
    assert '<html lang="ko">' in page and "북한 인권에 관한 공개 서한" in page and "우리는 요청합니다." in page
    assert item["title"] not in page
    with pytest.raises(NotFoundError):
        service.letters.in_language(item, "fr")
