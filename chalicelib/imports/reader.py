"""A CSV or XLSX file as a header and rows of text, or a clear error naming the row and
column. Nothing here touches the table.

Limits (settings): the file's size (MAX_IMPORT_BYTES) and its data rows (MAX_IMPORT_ROWS).
CSV must be UTF-8 (a byte-order mark is allowed); XLSX is read with openpyxl in read-only
mode, formulas as written (a formula cell is reported and neutralised, never evaluated).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Optional

from ..errors import PayloadTooLargeError, ValidationFailedError

MAX_CELL = 1000  # characters in one cell; longer is not a sign-on


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)


def file_error(message: str, row: Optional[int] = None, column: Optional[str] = None,
               kind: str = "malformed_file") -> ValidationFailedError:
    loc: list = ["body", "content"]
    where = []
    if row is not None:
        loc.append(f"row {row}")
        where.append(f"row {row}")
    if column is not None:
        loc.append(f"column {column}")
        where.append(f"column {column}")
    text = ", ".join(where)
    prefix = f"{text[:1].upper()}{text[1:]}: " if where else ""
    return ValidationFailedError(f"{prefix}{message} Nothing was imported.",
                                 fields=[{"loc": loc, "type": kind}])


def _column_name(index: int) -> str:
    """A spreadsheet's letter for a 0-based column (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def read(fmt: str, data: bytes, *, max_bytes: int, max_rows: int) -> Sheet:
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"The file is {len(data):,} bytes; an import takes at most "
                                   f"{max_bytes:,} bytes. Split it into smaller files. "
                                   "Nothing was imported.")
    if not data.strip():
        raise file_error("The file is empty.", kind="empty_file")
    if fmt == "csv":
        sheet = _csv(data, max_rows)
    else:
        try:
            sheet = _xlsx(data, max_rows)
        except ValidationFailedError:
            raise
        except Exception:  # openpyxl raises many kinds on a damaged workbook: none is ours
            raise file_error("The workbook could not be read: it is damaged, or not an XLSX "
                             "file (save it as .xlsx, or as CSV UTF-8).", kind="not_xlsx") from None
    if not sheet.headers or not any(sheet.headers):
        raise file_error("The first row must name the columns.", row=1, kind="no_header")
    seen: set[str] = set()
    for i, h in enumerate(sheet.headers):
        if h and h in seen:
            raise file_error(f"The column name “{h}” appears twice.", row=1,
                             column=_column_name(i), kind="duplicate_column")
        seen.add(h)
    if len(sheet.rows) > max_rows:
        raise PayloadTooLargeError(f"The file has more than {max_rows:,} rows; an import takes "
                                   f"at most {max_rows:,}. Split it into smaller files. Nothing "
                                   "was imported.")
    return sheet


def _csv(data: bytes, max_rows: int) -> Sheet:
    lines = data.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise file_error(f"The file is not UTF-8 text (byte {e.start + 1} of the line). "
                             "Save it as “CSV UTF-8” and try again.", row=number,
                             kind="not_utf8") from None
    text = data.decode("utf-8-sig")
    if "\x00" in text:
        raise file_error("The file holds NUL characters: it is not a CSV file.",
                         kind="not_csv")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    headers: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            number = reader.line_num
            if not headers:
                headers = [h.strip() for h in record]
                continue
            if not any(c.strip() for c in record):
                continue
            if len(record) > len(headers):
                raise file_error(f"The row has {len(record)} cells; the header names "
                                 f"{len(headers)} columns.", row=number,
                                 column=_column_name(len(headers)), kind="extra_cells")
            _check_cells(record, number)
            rows.append((number, record + [""] * (len(headers) - len(record))))
            if len(rows) > max_rows:
                break
    except csv.Error as e:
        raise file_error(f"The CSV is malformed ({e}).", row=reader.line_num,
                         kind="malformed_csv") from None
    return Sheet(headers, rows)


def _check_cells(cells: list[str], number: int) -> None:
    for i, c in enumerate(cells):
        if len(c) > MAX_CELL:
            raise file_error(f"The cell has {len(c)} characters; at most {MAX_CELL}.",
                             row=number, column=_column_name(i), kind="cell_too_long")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx(data: bytes, max_rows: int) -> Sheet:
    """Read-only and streamed: a workbook that unpacks to far more rows stops at the limit."""
    import zipfile

    from openpyxl import load_workbook  # on first use: only imports need it

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise file_error("The file is not an XLSX workbook (save it as .xlsx, or as CSV UTF-8).",
                         kind="not_xlsx")
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        headers: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [_text(v) for v in record]
            while cells and cells[-1] == "":
                cells.pop()
            if not headers:
                headers = [c.strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(headers):
                raise file_error(f"The row has cells beyond the {len(headers)} named columns.",
                                 row=number, column=_column_name(len(headers)),
                                 kind="extra_cells")
            _check_cells(cells, number)
            rows.append((number, cells + [""] * (len(headers) - len(cells))))
            if len(rows) > max_rows:
                break
        return Sheet(headers, rows)
    finally:
        book.close()
