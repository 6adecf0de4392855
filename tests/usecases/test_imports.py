"""Importing sign-ons collected elsewhere: a dry run that stores nothing, then the import
through the sign-on's own signature code; errors name the row and column."""
from __future__ import annotations

import base64
import io

import pytest

from chalicelib.errors import PayloadTooLargeError, ValidationFailedError
from chalicelib.import_models import ImportIn
from chalicelib.models import signature_in
from chalicelib.organiser_models import Filters
from helpers import individual, make_letter

IP = "192.0.2.10"
CSV = ("Full name,Type,Title,Country,E-mail\r\n"
       "Grace Hopper,individual,Rear Admiral,US,grace@example.org\r\n"
       "Open Society Lab,organisation,,KR,\r\n"
       "=SUM(A1:A2),individual,,GB,\r\n"
       "Alan Turing,individual,,XX,\r\n"
       "Ada Lovelace,robot,,GB,\r\n"
       "Grace Hopper,individual,,US,GRACE@example.org\r\n"
       "Ada Lovelace,individual,Analyst,GB,ada@example.org\r\n"
       "The Open Society Lab (OSL),organisation,,KR,osl@example.org\r\n")
MAPPING = {"name": "Full name", "kind": "Type", "affiliation": "Title", "country": "Country",
           "email": "E-mail"}


def body(content: bytes, fmt: str = "csv", **kw) -> ImportIn:
    return ImportIn.model_validate({"format": fmt, "content": base64.b64encode(content).decode(),
                                    "mapping": MAPPING, "source": "email, 2020-02-20", **kw})


def counts(services, letter):
    return services.letters.get_letter(letter.slug).counts.total


def test_a_dry_run_reports_every_row_and_stores_nothing(services):
    letter = make_letter(services)
    services.signing.sign(letter.slug, signature_in.validate_python(individual(letter)), IP)
    report = services.imports.upload(letter.slug, body(CSV.encode()))
    assert report.dry_run and report.rows == 8 and report.added == 0
    assert (report.accepted, report.held) == (3, 1)  # Grace, the lab, the neutralised name; OSL held
    assert {(i.row, i.column, i.type) for i in report.invalid} == {
        (5, "Country", "invalid_country"), (6, "Type", "invalid_kind")}
    assert {(i.row, i.type) for i in report.duplicates} == {
        (7, "duplicate_in_file"), (8, "duplicate_on_letter")}  # Ada signed on the form
    assert [(i.row, i.column) for i in report.neutralised] == [(4, "Full name")]
    assert [(i.row, i.match) for i in report.lookalikes] == [(9, "row 3: Open Society Lab")]
    assert counts(services, letter) == 0
    assert services.queue.search(letter.slug, Filters(), None, 50).signatures[0].name == "Ada Lovelace"


def test_the_import_lists_and_counts_rows_with_their_source_and_twice_adds_nothing(services):
    letter = make_letter(services)
    report = services.imports.upload(letter.slug, body(CSV.encode(), dry_run=False))
    assert (report.added, report.accepted, report.held) == (5, 4, 1)
    assert counts(services, letter) == 4
    listed = services.queue.search(letter.slug, Filters(state="listed"), None, 50).signatures
    assert {s.name for s in listed} == {"Grace Hopper", "Open Society Lab",
                                        "SUM(A1:A2)", "Ada Lovelace"}
    assert {s.source for s in listed} == {"email, 2020-02-20"}
    [held] = services.queue.search(letter.slug, Filters(state="quarantined"), None, 50).signatures
    assert held.lookalike_of.name == "Open Society Lab"
    again = services.imports.upload(letter.slug, body(CSV.encode(), dry_run=False))
    assert again.added == 0 and counts(services, letter) == 4
    # an imported address signing on the form is the same signer (the claim is the same)
    services.signing.sign(letter.slug, signature_in.validate_python(
        individual(letter, name="Grace Hopper", email="grace@example.org")), IP)
    assert counts(services, letter) == 4


def test_an_xlsx_is_read_like_a_csv_and_a_formula_cell_is_neutralised(services):
    from openpyxl import Workbook
    letter = make_letter(services)
    book = Workbook()
    sheet = book.active
    sheet.append(["Full name", "Type", "Country"])
    sheet.append(["Rohingya Human Rights Network", "organisation", "CA"])
    sheet.append(["=1+2", "individual", "GB"])
    sheet.append(["Sonja Biserko", "Individual", "rs"])
    buf = io.BytesIO()
    book.save(buf)
    report = services.imports.upload(letter.slug, body(
        buf.getvalue(), "xlsx", mapping={"name": "Full name", "kind": "Type", "country": "Country"},
        dry_run=False))
    assert (report.rows, report.added) == (3, 3)
    assert [(i.row, i.column) for i in report.neutralised] == [(3, "Full name")]
    names = {s.name for s in services.queue.search(letter.slug, Filters(), None, 50).signatures}
    assert names == {"Rohingya Human Rights Network", "1+2", "Sonja Biserko"}


def test_rows_with_an_email_can_be_told_they_were_added_with_a_withdrawal_link(services, mailer):
    letter = make_letter(services)
    csv = "name,kind,email\r\nGrace Hopper,individual,grace@example.org\r\nPaper Person,individual,\r\n"
    report = services.imports.upload(letter.slug, body(
        csv.encode(), mapping={"name": "name", "kind": "kind", "email": "email"},
        source="paper", notify=True, dry_run=False))
    assert report.notified == 1
    [mail] = mailer.sent
    assert mail.to == "grace@example.org" and "added you as Grace Hopper" in mail.text
    services.signing.withdraw(mailer.last_withdraw_token(), IP)
    assert counts(services, letter) == 1


@pytest.mark.parametrize("content, fmt, row, column, kind", [
    (b"name,kind\r\nCaf\xe9,individual\r\n", "csv", 2, None, "not_utf8"),
    (b"name,kind\r\nA,individual,extra\r\n", "csv", 2, "C", "extra_cells"),
    (b"name,name\r\nA,B\r\n", "csv", 1, "B", "duplicate_column"),
    (b"who,kind\r\nA,individual\r\n", "csv", 1, "name", "unknown_column"),
    (b"PK\x03\x04 not really a workbook", "xlsx", None, None, "not_xlsx"),
    (b"", "csv", None, None, "empty_file"),
])
def test_a_malformed_file_is_refused_naming_where_and_stores_nothing(services, content, fmt, row,
                                                                     column, kind):
    letter = make_letter(services)
    with pytest.raises(ValidationFailedError) as e:
        services.imports.upload(letter.slug, body(content or b" ", fmt, dry_run=False,
                                                  mapping={"name": "name", "kind": "kind"}))
    [field] = e.value.fields
    assert field["type"] == kind
    if row:
        assert f"row {row}" in field["loc"] and f"Row {row}" in e.value.message
    if column:
        assert f"column {column}" in field["loc"]
    assert "Nothing was imported" in e.value.message and counts(services, letter) == 0


def test_an_oversized_file_is_refused_with_the_limit_stated(services):
    letter = make_letter(services)
    big = b"name,kind\r\n" + b"x" * services.settings.max_import_bytes
    with pytest.raises(PayloadTooLargeError, match="at most 1,048,576 bytes"):
        services.imports.upload(letter.slug, body(big))
    many = b"name,kind\r\n" + b"A B,individual\r\n" * (services.settings.max_import_rows + 1)
    with pytest.raises(PayloadTooLargeError, match="at most 2,000"):
        services.imports.upload(letter.slug, body(many))


def test_the_seed_goes_through_the_import_and_is_listed_in_full(services):
    from tools import seed
    slug, added = seed.load(services, seed.EXAMPLE)
    assert added == 35 and seed.load(services, seed.EXAMPLE)[1] == 0
    counts_ = services.letters.get_letter(slug).counts
    assert (counts_.organisations, counts_.individuals, counts_.countries) == (31, 4, 10)
