"""Pydantic models of an import (POST /admin/letters/{slug}/imports), imported by its
handler when it runs."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field

from .models import Kind, _In

Header = Field(default=None, min_length=1, max_length=100,
               description="The header of the file's column that holds this field.")


class ColumnMapping(_In):
    name: str = Field(min_length=1, max_length=100,
                      description="The header of the column of names (required).")
    kind: Optional[str] = Header
    affiliation: Optional[str] = Header
    country: Optional[str] = Header
    email: Optional[str] = Header


class ImportIn(_In):
    format: Literal["csv", "xlsx"]
    content: str = Field(description="The file, base64-encoded. At most MAX_IMPORT_BYTES "
                                     "(1 MiB by default) once decoded, and MAX_IMPORT_ROWS "
                                     "data rows (2,000 by default). CSV must be UTF-8.",
                         min_length=1, max_length=6_000_000)
    mapping: ColumnMapping
    default_kind: Optional[Kind] = Field(default=None,
                                         description="The kind of every row, when no column says it.")
    source: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f=+@-][^\x00-\x1f]*$",
                        description="Where the sign-ons were collected, kept on each row: "
                                    "e.g. “email, 2020-02-20” or “paper”.")
    notify: bool = Field(default=False, description="Send each row with an email a “you were "
                                                    "added; withdraw here” mail.")
    dry_run: bool = Field(default=True, description="Report only; store nothing (the default). "
                                                    "Send the same file with false to import it.")


class ImportIssue(BaseModel):
    row: int = Field(description="The row's number as a spreadsheet shows it (the header is 1).")
    column: Optional[str] = Field(default=None, description="The column's header.")
    type: str
    message: str
    match: Optional[str] = Field(default=None, description="The row or signature it meets.")


class ImportReport(BaseModel):
    dry_run: bool
    rows: int = Field(description="Data rows read.")
    accepted: int = Field(description="Rows to be listed (dry run) or listed now.")
    held: int = Field(description="Rows like an organisation on the letter or earlier in the "
                                  "file: stored in the moderation queue with the match.")
    added: int = Field(description="Rows stored by this request (0 in a dry run).")
    notified: int = Field(description="Rows that will get (or were given) the added mail.")
    invalid: list[ImportIssue] = Field(description="Rows not imported: what is wrong.")
    duplicates: list[ImportIssue] = Field(
        description="Rows not imported: already on the letter (by email or an earlier "
                    "import), or repeated in the file.")
    neutralised: list[ImportIssue] = Field(
        description="Cells that began with a formula sign (= + - @, tab, CR): the signs were "
                    "removed and the rest kept.")
    lookalikes: list[ImportIssue]
