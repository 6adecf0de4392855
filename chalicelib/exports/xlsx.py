"""The signatory list as an XLSX workbook: typed cells (times as dates), so a spreadsheet opens
it as it is, with no import dialog to get the encoding or the columns wrong.

openpyxl's write-only mode streams rows to a temporary file and writes text as inline
strings (no shared-string table held in memory), so memory stays flat as the list grows.
Every text cell is typed as a string: openpyxl would otherwise make a formula of text that
starts with "=" (and an error cell of "#N/A"), so a name can never run as a formula. Text
that a spreadsheet would read as a formula once edited also gets the quote-prefix style
(as if typed with a leading apostrophe), without changing the text itself.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Optional, Sequence

from ..storage import Table
from ..progress import NO_PROGRESS, Progress
from .rows import CSV_HEADER, LISTED_ONLY, export_rows, neutralise

SHEET = "Signatories"
TIME_COLUMNS = ("signed_at", "confirmed_at")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
WIDTHS = {"id": 28, "kind": 13, "name": 40, "affiliation": 48, "country": 22,
          "country_code": 8, "state": 18, "signed_at": 20, "confirmed_at": 20,
          "letter_sha256": 20, "source": 24, "email": 34}
MAX_CELL = 32_767  # characters a cell holds
# What XML 1.0 (and so a worksheet) cannot hold: openpyxl refuses these rather than drop them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def utc_time(value: Any) -> Optional[dt.datetime]:
    """A stored UTC timestamp ("2026-12-01T08:15:49.443981Z") as a naive datetime (a
    spreadsheet has no time zones; the columns are UTC); None if it is not one."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        return None
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def write_xlsx(rows: Iterable[dict], out: IO[bytes], *, include_email: bool = False,
               title: str = "") -> None:
    """Export rows (rows.row_of) as a one-sheet workbook into `out`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header = CSV_HEADER + (["email"] if include_email else [])
    wb = Workbook(write_only=True)
    wb.properties.creator = "Undersigned"
    wb.properties.title = _ILLEGAL.sub("", title)[:255] or None
    ws = wb.create_sheet(SHEET)
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 16)
    bold = Font(bold=True)

    def text(value: Any) -> WriteOnlyCell:
        s = _ILLEGAL.sub("", str(value))[:MAX_CELL]
        cell = WriteOnlyCell(ws, value=s)
        cell.data_type = "s"  # never a formula nor an error, whatever it starts with
        if neutralise(s) != s:
            cell.quotePrefix = True
        return cell

    def cell(name: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if name in TIME_COLUMNS:
            when = utc_time(value)
            if when is not None:
                c = WriteOnlyCell(ws, value=when)
                c.number_format = TIME_FORMAT
                return c
        return text(value)

    heading = []
    for name in header:
        c = text(name)
        c.font = bold
        heading.append(c)
    ws.append(heading)
    for row in rows:
        ws.append([cell(name, row.get(name)) for name in header])
    wb.save(out)


def export_xlsx(store: Table, letter_item: dict, out: IO[bytes], *,
                include_email: bool = False, states: Sequence[str] = LISTED_ONLY,
                progress: Progress = NO_PROGRESS, unsealer: Any = None) -> None:
    """As rows.export_csv, as a workbook: the signatures in `states`, in the letter's order."""
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        rows = export_rows(store, letter_item, Path(tmp), include_email=include_email,
                           states=states, progress=progress, unsealer=unsealer)
        write_xlsx(rows, out, include_email=include_email, title=letter_item.get("title") or "")
