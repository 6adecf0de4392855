"""The organiser's on-demand export: one file written to a temporary directory, streamed
to the exports bucket and handed back as a short-lived link."""
from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Any, Optional, Sequence

from ..letter_service import LetterService
from ..progress import NO_PROGRESS, Progress
from ..settings import Settings
from ..states import ALL_STATES
from ..storage import Table
from ..storage.s3_objects import presign, upload
from .delivery_docx import export_delivery_docx
from .delivery_html import export_delivery_html
from .delivery_pdf import export_delivery_pdf
from .rows import LISTED_ONLY, export_csv, export_json
from .xlsx import export_xlsx


FORMATS = {  # format → (file name, content type, writer)
    "csv": ("signatories.csv", "text/csv; charset=utf-8", export_csv),
    "json": ("signatories.json", "application/json", export_json),
    "xlsx": ("signatories.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export_xlsx),
    "html": ("letter.html", "text/html; charset=utf-8", export_delivery_html),
    "docx": ("letter.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             export_delivery_docx),
    "pdf": ("letter.pdf", "application/pdf", export_delivery_pdf),
}
# The signatory lists (options: include_email, states); the others are the delivery letter.
LIST_FORMATS = ("csv", "json", "xlsx")


def export_key(slug: str, fmt: str, include_email: bool, states: Sequence[str],
               now: dt.datetime) -> str:
    """exports/{slug}/{time}-{random}[-with-emails][-{states}]-{name}: the file says what it holds."""
    name = FORMATS[fmt][0]
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    listing = fmt in LIST_FORMATS
    suffix = "-with-emails" if include_email and listing else ""
    if listing and list(states) != list(LISTED_ONLY):
        suffix += "-" + "-".join(s for s in ALL_STATES if s in states)
    return f"exports/{slug}/{stamp}-{uuid.uuid4().hex[:8]}{suffix}-{name}"


def export_to_s3(settings: Settings, store: Table, letters: LetterService, s3: Any, slug: str,
                 fmt: str, *, include_email: bool, now: dt.datetime,
                 states: Sequence[str] = LISTED_ONLY, date: Optional[str] = None,
                 language: Optional[str] = None,
                 progress: Progress = NO_PROGRESS, unsealer: Any = None) -> dict:
    """Write one export to a temporary file, stream it to the exports bucket, presign it.

    Exports live under exports/{slug}/ (a lifecycle rule deletes them after a day: they may
    hold emails); a Lambda response could not carry a large list, a presigned link can.
    A list export holds the signatures in `states` (default: listed), in the letter's order;
    the delivery letter is dated `date` (ISO) if given, else with the letter's own date, and
    is in the letter's own language unless a translation's `language` is asked for.
    Run by the job worker (jobs/work.py), which passes a `progress` that records the rows,
    and, for an export with emails, the `unsealer` that opens them.
    """
    letter = letters.letter_item(slug)
    if fmt not in LIST_FORMATS:
        letter = letters.in_language(letter, language)
    name, ctype, writer = FORMATS[fmt]
    listing = fmt in LIST_FORMATS
    key = export_key(slug, fmt, include_email, states, now)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            if listing:
                writer(store, letter, out, include_email=include_email, states=states,
                       progress=progress, unsealer=unsealer)
            else:
                progress.phase("writing")
                writer(store, letter, out, date=date)
        progress.phase("uploading")
        meta = upload(s3, settings.exports_bucket, key, path, ctype)
    expires = settings.export_url_seconds
    return {"url": presign(s3, settings.exports_bucket, key, expires), "key": key,
            "size": meta["size"], "sha256": meta["sha256"], "expires_in": expires}

