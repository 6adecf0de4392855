"""Each row of an import checked against its column mapping, with no table read: what it
would store, or why not. Duplicates within the file and cells that a spreadsheet would run
as formulas are found here; duplicates against the letter are the importer's."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..countries import is_country
from ..text import FORMULA_PREFIXES, Email, TextError, clean_affiliation, clean_name, fold, parse_email
from .reader import Sheet, file_error

FIELDS = ("name", "kind", "affiliation", "country", "email")
KINDS = {"organisation": "organisation", "organization": "organisation", "org": "organisation",
         "individual": "individual", "person": "individual"}
# What a spreadsheet runs as a formula at a cell's start (exports.rows.FORMULA_START).
FORMULA_START = (*FORMULA_PREFIXES, "\t", "\r")


@dataclass
class Issue:
    row: int
    type: str
    message: str
    column: Optional[str] = None
    match: Optional[str] = None  # the other row (within the file) or signature it meets


@dataclass
class Row:
    number: int
    kind: str
    name: str
    affiliation: Optional[str]
    country: Optional[str]
    email: Optional[Email]
    neutralised: list[str] = field(default_factory=list)  # the columns neutralised


@dataclass
class Plan:
    rows: list[Row]
    invalid: list[Issue]
    duplicates: list[Issue]
    neutralised: list[Issue]


def neutralise(value: str) -> tuple[str, bool]:
    """A cell without the leading signs that would make a spreadsheet run it."""
    text = value.strip()
    out = text.lstrip("".join(FORMULA_START) + " ")
    return out, out != text


def plan(sheet: Sheet, mapping: dict[str, Optional[str]], default_kind: Optional[str]) -> Plan:
    columns = {}
    for name in FIELDS:
        header = mapping.get(name)
        if header is None:
            continue
        if header not in sheet.headers:
            raise file_error(f"The mapping names a column “{header}” for {name}; the file's "
                             f"columns are: {', '.join(h for h in sheet.headers if h)}.",
                             row=1, column=header, kind="unknown_column")
        columns[name] = sheet.headers.index(header)
    if "name" not in columns:
        raise file_error("The mapping must name the column of the names.", kind="no_name_column")
    if "kind" not in columns and default_kind is None:
        raise file_error("Map a column to kind, or give default_kind.", kind="no_kind")
    out = Plan([], [], [], [])
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        row = _row(number, cells, columns, mapping, default_kind, out)
        if row is None:
            continue
        identity = _identity(row)
        if identity in seen:
            out.duplicates.append(Issue(number, "duplicate_in_file", f"Row {number} repeats row "
                                        f"{seen[identity]}.", match=f"row {seen[identity]}"))
            continue
        seen[identity] = number
        out.rows.append(row)
    return out


def _identity(row: Row) -> str:
    if row.email is not None:
        return f"email|{row.email.canonical}"
    # Case and spacing only: an organisation that merely looks like another is held for an
    # organiser (importer._within_file), not dropped.
    return f"{row.kind}|{fold(' '.join(row.name.split()))}"


def _row(number: int, cells: list[str], columns: dict[str, int], mapping: dict,
         default_kind: Optional[str], out: Plan) -> Optional[Row]:
    values: dict[str, str] = {}
    neutralised = []
    for name, index in columns.items():
        value, changed = neutralise(cells[index])
        if changed:
            neutralised.append(name)
            out.neutralised.append(Issue(number, "formula_neutralised",
                                         f"The {name} began with a formula sign; it was removed.",
                                         column=mapping[name]))
        values[name] = value

    def bad(name: str, kind: str, message: str) -> None:
        out.invalid.append(Issue(number, kind, message, column=mapping.get(name)))

    kind = KINDS.get(values.get("kind", "").lower()) if "kind" in values and values["kind"] \
        else default_kind
    if kind is None:
        bad("kind", "invalid_kind", f"“{values.get('kind', '')}” is not a kind: organisation or "
                                    "individual.")
        return None
    try:
        name = clean_name(values["name"])
    except TextError as e:
        bad("name", f"name_{e.kind}", "The name is missing or not acceptable "
                                      f"({e.kind.replace('_', ' ')}).")
        return None
    country = values.get("country", "").upper() or None
    if country and not is_country(country):
        bad("country", "invalid_country", f"“{values['country']}” is not an ISO 3166-1 "
                                          "two-letter country code.")
        return None
    affiliation = None
    if kind == "individual" and values.get("affiliation"):
        try:
            affiliation = clean_affiliation(values["affiliation"]) or None
        except TextError as e:
            bad("affiliation", f"affiliation_{e.kind}", "The affiliation is not acceptable.")
            return None
    email = None
    if values.get("email"):
        try:
            email = parse_email(values["email"])
        except TextError:
            bad("email", "invalid_email", "Not a valid email address.")
            return None
    return Row(number, kind, name, affiliation, country, email, neutralised)
