"""The delivery letter as print-ready HTML: the letter, then its signatories in the
letter's printed order (organisations, then individuals)."""
from __future__ import annotations

import html
from typing import IO, Iterable, Iterator, Optional

from .. import letters
from ..countries import country_name
from ..letters import letter_date
from ..models import Counts
from ..storage import Table
from ..storage.signature_streams import iter_listed_sorted
from .rows import CHUNK_ROWS, write_chunks


def signatory_line(sig: dict) -> str:
    """As the letter's page prints them: "Organisation — Country" / "Name — Title".

    A dash, not a comma, after an individual's name: names hold commas ("David Alton,
    Lord"; "Yanghee Lee, Ph.D."), so "Name, Title" would not say where the name ends.
    """
    if sig.get("kind") == "organisation":
        country = country_name(sig.get("country"))
        return f"{sig['name']} — {country}" if country else sig["name"]
    return f"{sig['name']} — {sig['affiliation']}" if sig.get("affiliation") else sig["name"]


def groups(listed: Iterable[dict]) -> Iterator[tuple[Optional[str], dict]]:
    """(heading or None, signature): a heading before the first of each kind."""
    current = None
    for sig in listed:
        kind = sig.get("kind")
        if kind != current:
            current = kind
            yield ("Groups" if kind == "organisation" else "Individuals"), sig
        else:
            yield None, sig


PRINT_CSS = """
@page { size: A4; margin: 22mm 22mm 24mm 22mm; }
* { box-sizing: border-box; }
html { background: #e9e9e6; }
body { margin: 0; color: #111; font: 11pt/1.45 Georgia, "Times New Roman", "Noto Serif",
       "Noto Serif CJK KR", "Nanum Myeongjo", serif; -webkit-print-color-adjust: exact; }
.page { width: 210mm; min-height: 297mm; margin: 10mm auto; padding: 22mm; background: #fff;
        box-shadow: 0 1px 6px rgba(0,0,0,.25); }
.date { text-align: right; margin: 0 0 10mm; }
.addressee { margin: 0 0 8mm; }
.subject { font-weight: bold; margin: 0 0 6mm; }
.salutation { margin: 0 0 4mm; }
.body p, .body li { text-align: justify; hyphens: auto; }
.body p { margin: 0 0 3.5mm; }
.body ol, .body ul { margin: 0 0 3.5mm; padding-left: 7mm; }
.body li { margin: 0 0 2mm; }
.body li p { margin: 0; }
.closing { margin: 6mm 0 8mm; }
.signatories h2 { font-size: 11pt; margin: 6mm 0 2mm; text-transform: none;
                  border-bottom: 0.4pt solid #888; padding-bottom: 1mm; break-after: avoid; }
.signatories ul { list-style: none; margin: 0; padding: 0; }
.signatories li { margin: 0 0 0.8mm; padding-left: 5mm; text-indent: -5mm; break-inside: avoid; }
@media print {
  html { background: none; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
"""


def signatory_lines(listed: Iterable[dict]) -> Iterator[tuple[Optional[str], str]]:
    """(heading or None, the printed line) of each listed signature, in the order given."""
    for heading, sig in groups(listed):
        yield heading, signatory_line(sig)


def iter_delivery_html(letter_item: dict, listed: Iterable[dict], counts: Counts, *,
                       date: Optional[str] = None,
                       chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The letter as the coalition sends it, print-ready: one self-contained HTML document
    (inline style, nothing fetched). Every field is escaped; the body is our own rendering.
    Dated `date` (ISO, a delivery date) if given, else with the letter's own date."""
    return iter_delivery_html_lines(letter_item, signatory_lines(listed), counts, date=date,
                                    chunk_rows=chunk_rows)


def iter_delivery_html_lines(letter_item: dict, lines: Iterable[tuple[Optional[str], str]],
                             counts: Counts, *, date: Optional[str] = None,
                             chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """As iter_delivery_html, from the signatories' (heading, line) (`signatory_lines`)."""
    yield html_head(letter_item, counts, date).encode("utf-8")
    out: list[str] = []
    n = 0
    opened = False
    for heading, line in lines:
        if heading:
            out.append(html_group(heading, opened))
            opened = True
        out.append(html_item(line))
        n += 1
        if n % chunk_rows == 0:
            yield "".join(out).encode("utf-8")
            out.clear()
    out.append(html_tail(opened))
    yield "".join(out).encode("utf-8")


def html_head(letter_item: dict, counts: Counts, date: Optional[str] = None) -> str:
    """The document up to its signatories' list."""
    e = html.escape
    lang = e(letter_item.get("language") or "en")
    addressee = "<br>\n".join(e(line) for line in letter_item["addressee"].splitlines())
    body = letters.fill_tally(letter_item["body_html"], counts)
    head = [
        "<!DOCTYPE html>\n", f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'">\n',
        f"<title>{e(letter_item['title'])}</title>\n<style>{PRINT_CSS}</style>\n</head>\n",
        '<body>\n<main class="page">\n',
        f'<p class="date">{e(letter_date(date or letter_item["date"]))}</p>\n',
        f'<p class="addressee">{addressee}</p>\n',
    ]
    if letter_item.get("subject"):
        head.append(f'<p class="subject">{e(letter_item["subject"])}</p>\n')
    head += [f'<p class="salutation">{e(letter_item["salutation"])}</p>\n',
             f'<div class="body">\n{body}</div>\n',
             f'<p class="closing">{e(letter_item["closing"])}</p>\n',
             '<section class="signatories">\n']
    return "".join(head)


def html_group(heading: str, opened: bool) -> str:
    """A group's heading and list, after the list before it (if `opened`) is closed."""
    return ("</ul>\n" if opened else "") + f"<h2>{html.escape(heading)}</h2>\n<ul>\n"


def html_item(line: str) -> str:
    return f"<li>{html.escape(line)}</li>\n"


def html_tail(opened: bool) -> str:
    return ("</ul>\n" if opened else "") + "</section>\n</main>\n</body>\n</html>\n"


# -- DOCX --

def export_delivery_html(store: Table, letter_item: dict, out: IO[bytes],
                         counts: Optional[Counts] = None, *, date: Optional[str] = None) -> int:
    counts = counts or Counts.from_counters(
        store.counter_totals(letter_item["slug"], letter_item["shards"]))
    return write_chunks(iter_delivery_html(letter_item, iter_listed_sorted(store, letter_item),
                                           counts, date=date), out)
