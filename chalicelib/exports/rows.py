"""Export rows, CSV (formula-safe) and JSON, streamed in chunks.

A list export holds the listed signatures unless other states are asked for by name, in
the letter's printed order (organisations, then individuals, alphabetical: the public
list's GSI1 sort key). The rows are read from the table's shards (they carry what the
public index does not: state, times, the email for organisers) and put in that order by
an external sort, so memory stays flat as the list grows.
"""
from __future__ import annotations

import functools
import itertools
import json
import operator
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Optional, Sequence

from ..countries import country_name
from ..progress import NO_PROGRESS, Progress
from ..states import ALL_STATES, LISTED
from ..storage import Cond, Table, eq, keys
from ..storage.signature_streams import iter_signatures
from ..text import FORMULA_PREFIXES, sort_key
from .external_sort import ExternalSort

# What an export row needs; read with a projection (less to transfer and hold).
ROW_ATTRIBUTES = ("sig_id", "kind", "name", "affiliation", "country", "state",
                  "created_at", "confirmed_at", "letter_sha256", "source")
# letter_sha256: the text version the signer read and signed (the letter's `versions`).
# source: where an imported sign-on was collected ("email, 2020-02-20", "paper"); empty for
# the online form.
CSV_HEADER = ["id", "kind", "name", "affiliation", "country", "country_code", "state",
              "signed_at", "confirmed_at", "letter_sha256", "source"]
BOM = "\ufeff"
# What a spreadsheet runs as a formula at a cell's start: the signs names may not start
# with (text.FORMULA_PREFIXES), and tab and carriage return.
FORMULA_START = (*FORMULA_PREFIXES, "\t", "\r")
_FORMULA_CHARS = frozenset(FORMULA_START)
CHUNK_ROWS = 500      # rows per chunk yielded by the text writers
LISTED_ONLY = (LISTED,)  # what a list export holds unless other states are named


def letter_order(sig: dict) -> str:
    """Where a signature stands in the letter's printed order, in any state: for a listed
    one this is its GSI1 sort key (transitions.list_keys builds it the same way)."""
    kind, name = sig.get("kind"), str(sig.get("name") or "")
    if kind not in keys.KIND_ORDER:  # an old import's odd row: after the letter's, not lost
        return f"9#{name}#{sig['sig_id']}"
    return keys.list_sort_key(kind, sort_key(kind, name), sig["sig_id"])


def _state_filter(states: Sequence[str]) -> Optional[Cond]:
    unknown = set(states) - set(ALL_STATES)
    if unknown or not states:
        raise ValueError(f"not signature states: {sorted(unknown) or states}")
    if set(states) == set(ALL_STATES):
        return None
    return functools.reduce(operator.or_, (eq("state", s) for s in dict.fromkeys(states)))


def iter_in_letter_order(store: Table, letter_item: dict, tmp: Path, *,
                         states: Sequence[str] = LISTED_ONLY,
                         fields: Sequence[str] = ROW_ATTRIBUTES,
                         progress: Progress = NO_PROGRESS,
                         shards: Optional[range] = None,
                         only: Optional[Cond] = None) -> Iterator[dict]:
    """The letter's signatures in `states` (and matching `only`, e.g. one partner's), in the
    letter's printed order (read from the shards, or a range of them, sorted with runs
    spilled under `tmp`)."""
    sorter = ExternalSort(tmp)
    progress.phase("reading")
    wanted = _state_filter(states)
    if only is not None:
        wanted = only if wanted is None else wanted & only
    for sig in iter_signatures(store, letter_item, fields=fields, filter=wanted,
                               shards=shards):
        sorter.add(letter_order(sig), sig)
        progress.read()
    progress.phase("writing")
    yield from sorter


def row_of(sig: dict, *, include_email: bool = False, email: Optional[str] = None) -> dict:
    """One export row (public id, never an internal key; email only when asked for: the
    address opened from its claim, or one stored in clear before sealing)."""
    code = sig.get("country")
    row = {"id": sig["sig_id"], "kind": sig.get("kind"), "name": sig.get("name"),
           "affiliation": sig.get("affiliation"), "country": country_name(code),
           "country_code": code, "state": sig.get("state"),
           "signed_at": sig.get("created_at"), "confirmed_at": sig.get("confirmed_at"),
           "letter_sha256": sig.get("letter_sha256"), "source": sig.get("source")}
    if include_email:
        row["email"] = email or sig.get("email")
    return row


EMAIL_FIELDS = ("email", "email_hash")  # read for an export with emails (the claim's key)
OPEN_PAGE = 100  # signatures whose claims are read (and opened) at once: one BatchGetItem


def with_emails(sigs: Iterable[dict], letter_item: dict, unsealer: Any,
                include_email: bool) -> Iterator[tuple[dict, Optional[str]]]:
    """(signature, its address) in the order given; addresses only with `include_email`, and
    then opened a page at a time by `unsealer` (sealing/unseal.py): only a function that may
    open addresses (the job worker) can make an export with emails."""
    if not include_email:
        yield from ((sig, None) for sig in sigs)
        return
    if unsealer is None:
        raise ValueError("an export with emails needs the power to open them (an Unsealer)")
    rest = iter(sigs)
    while page := list(itertools.islice(rest, OPEN_PAGE)):
        opened = unsealer.emails_of(letter_item, page)
        yield from ((s, opened.get(s["sig_id"])) for s in page)


# Spreadsheets skip leading spaces (NBSP included) and quotes before a formula, and read the
# fullwidth signs as the ASCII ones.
_FORMULA_LEAD = re.compile(r"[\s\"']*")
_FULLWIDTH = str.maketrans("＝＋－＠", "=+-@")


def neutralise(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a formula character at the start (also after
    spaces or quotes, as a spreadsheet reads it) gets a `'` prefix (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if not text:
        return text
    c = text[0]  # (every cell of every export passes here: the usual case is decided by one)
    if c in _FORMULA_CHARS:
        return "'" + text
    if c.isspace() or c in "\"'＝＋－＠":
        first = text[_FORMULA_LEAD.match(text).end():][:1].translate(_FULLWIDTH)
        if first and first in "=+-@":
            return "'" + text
    return text


def _quoted(cells: Iterable[str]) -> str:
    """A CSV line with every cell quoted (a quote doubled) and CRLF: byte for byte what
    csv.writer(quoting=csv.QUOTE_ALL, lineterminator="\r\n") writes, a few times faster
    (every row of every export and snapshot passes here; tests/exports/test_exports.py
    compares the two)."""
    return '"' + '","'.join([c.replace('"', '""') for c in cells]) + '"\r\n'


_HEADERS = {False: tuple(CSV_HEADER), True: (*CSV_HEADER, "email")}


def csv_header(include_email: bool = False) -> str:
    """What iter_csv writes before the rows: the BOM and the header line."""
    return BOM + _quoted(_HEADERS[include_email])


def csv_line(row: dict, include_email: bool = False) -> str:
    """One row as iter_csv writes it (every field quoted, formula-safe, CRLF)."""
    return _quoted([neutralise(row.get(h)) for h in _HEADERS[include_email]])


def iter_csv(rows: Iterable[dict], *, include_email: bool = False,
             chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """UTF-8 with BOM, every field quoted, CRLF rows; yields encoded chunks."""
    buf = [csv_header(include_email)]
    for row in rows:
        buf.append(csv_line(row, include_email))
        if len(buf) >= chunk_rows:
            yield "".join(buf).encode("utf-8")
            buf.clear()
    yield "".join(buf).encode("utf-8")


def letter_metadata(letter_item: dict) -> dict:
    return {k: letter_item.get(k) for k in (
        "slug", "title", "date", "addressee", "subject", "salutation", "closing", "language",
        "status", "closes_at", "text_sha256", "versions", "organisations_need_approval")}


def iter_json(letter_item: dict, rows: Iterable[dict], *, extra: Optional[dict] = None,
              chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """{"letter": …, "text_sha256": …, "signatures": [rows…], "counts": …}, streamed.

    `counts` (by kind and by state) is computed while the rows stream past.
    """
    out = [json_head(letter_item, extra)]
    by_kind: dict[str, int] = {}
    by_state: dict[str, int] = {}
    first = True
    n = 0
    for row in rows:
        out.append(("" if first else ",\n") + json.dumps(row, ensure_ascii=False))
        first = False
        by_kind[row.get("kind")] = by_kind.get(row.get("kind"), 0) + 1
        by_state[row.get("state")] = by_state.get(row.get("state"), 0) + 1
        n += 1
        if n % chunk_rows == 0:
            yield "".join(out).encode("utf-8")
            out.clear()
    out.append(json_tail(n, by_kind, by_state))
    yield "".join(out).encode("utf-8")


def json_head(letter_item: dict, extra: Optional[dict] = None) -> str:
    """What iter_json writes before the rows."""
    head = {"format": "undersigned.signatures/1", "letter": letter_metadata(letter_item),
            "text_sha256": letter_item.get("text_sha256"), **(extra or {})}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "signatures": [\n'


def json_tail(n: int, by_kind: dict, by_state: dict) -> str:
    """What iter_json writes after the rows (each separated from the next by ",\n")."""
    tail = {"total": n, "by_kind": dict(sorted(by_kind.items())),
            "by_state": dict(sorted(by_state.items()))}
    return f'\n], "counts": {json.dumps(tail, ensure_ascii=False)}}}\n'


def write_chunks(chunks: Iterable[bytes], out: IO[bytes]) -> int:
    size = 0
    for c in chunks:
        out.write(c)
        size += len(c)
    return size


def export_rows(store: Table, letter_item: dict, tmp: Path, *, include_email: bool = False,
                states: Sequence[str] = LISTED_ONLY, progress: Progress = NO_PROGRESS,
                unsealer: Any = None, only: Optional[Cond] = None) -> Iterator[dict]:
    """The export rows of the signatures in `states` (and `only`), in the letter's order."""
    fields = ROW_ATTRIBUTES + (EMAIL_FIELDS if include_email else ())
    sigs = iter_in_letter_order(store, letter_item, tmp, states=states, fields=fields,
                                progress=progress, only=only)
    for sig, email in with_emails(sigs, letter_item, unsealer, include_email):
        yield row_of(sig, include_email=include_email, email=email)
        progress.wrote()


def export_csv(store: Table, letter_item: dict, out: IO[bytes], *,
               include_email: bool = False, states: Sequence[str] = LISTED_ONLY,
               progress: Progress = NO_PROGRESS, unsealer: Any = None,
               only: Optional[Cond] = None) -> int:
    """The signatures in `states` (default: listed; and `only`) as CSV into `out`, in the
    letter's order; returns bytes written. Emails only for organisers."""
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        rows = export_rows(store, letter_item, Path(tmp), include_email=include_email,
                           states=states, progress=progress, unsealer=unsealer, only=only)
        return write_chunks(iter_csv(rows, include_email=include_email), out)


def export_json(store: Table, letter_item: dict, out: IO[bytes], *,
                include_email: bool = False, states: Sequence[str] = LISTED_ONLY,
                progress: Progress = NO_PROGRESS, unsealer: Any = None) -> int:
    """As export_csv, as JSON with the letter's metadata; `states` names what it holds."""
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        rows = export_rows(store, letter_item, Path(tmp), include_email=include_email,
                           states=states, progress=progress, unsealer=unsealer)
        extra = {"states": [s for s in ALL_STATES if s in states]}
        return write_chunks(iter_json(letter_item, rows, extra=extra), out)
