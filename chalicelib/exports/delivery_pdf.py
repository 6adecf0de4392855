"""The delivery letter as PDF (A4, fpdf2): the same parts and rows as the HTML and DOCX.

Deterministic: the creation date is the letter's (or the delivery's) date and the file id is
fpdf2's hash of the content, so the same letter and list give the same bytes, and the PDF's
sha256 in a snapshot manifest or a delivery record names exactly what was sent.

Fonts (chalicelib/fonts/, SIL Open Font License, `tools/fonts.py` rebuilds them offline):
Noto Serif for Latin, Greek and Cyrillic, Nanum Myeongjo for Hangul as fpdf2's fallback, each
subset into the file. A character neither has is refused before anything is drawn
(`PdfGlyphsMissingError`, naming the signatures and code points), never drawn as a box.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Iterable, Optional

from .. import letters
from ..errors import ValidationFailedError
from ..letters import letter_date
from ..models import Counts
from ..storage import Table
from ..storage.signature_streams import iter_listed_sorted
from .delivery_html import groups, signatory_line

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
SERIF = {"": "NotoSerif-Regular.ttf", "B": "NotoSerif-Bold.ttf",
         "I": "NotoSerif-Italic.ttf", "BI": "NotoSerif-BoldItalic.ttf"}
HANGUL = "NanumMyeongjo.ttf"
FONT_NAMES = "Noto Serif, Nanum Myeongjo"
SIZE_PT, LINE, GAP = 11, 1.45, 3.5      # body size, line height factor, paragraph gap (mm)
MARGINS = (22, 22, 22, 24)              # left, top, right, bottom (mm), as the HTML's @page
SIGNATORIES_PER_REGION = 200            # paragraphs laid out per text region (bounds memory)
# Exports and snapshot cuts are jobs on the job worker (900 s, 1,024 MB): bench/delivery_pdf.py
# took 153 s and 179 MB for 100,000 names on a busy 2-core machine, so twice that still fits
# beside the snapshot's other files. A longer list (over 5,000 pages) gets no PDF.
PDF_MAX_NAMES = 200_000
# Characters that print as nothing and need no glyph.
_INVISIBLE = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


class PdfTooLongError(ValidationFailedError):
    CODE = "pdf_too_long"
    MESSAGE = (f"A PDF is made for at most {PDF_MAX_NAMES:,} signatures (over 5,000 pages "
               "past that): deliver the HTML or DOCX.")


class PdfGlyphsMissingError(ValidationFailedError):
    CODE = "pdf_glyphs_missing"
    MESSAGE = "The PDF's fonts lack characters of the letter or of some names."


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Every code point the shipped fonts draw (the union of their cmaps)."""
    from fontTools.ttLib import TTFont
    points: set[int] = set()
    for name in (SERIF[""], HANGUL):
        font = TTFont(FONT_DIR / name, lazy=True)
        points.update(font.getBestCmap())
        font.close()
    return frozenset(points)


@lru_cache(maxsize=1)
def _drawn() -> frozenset[str]:
    return frozenset(map(chr, covered()))


def missing(text: str) -> list[str]:
    """The characters of `text` no shipped font draws, as "U+0627 ARABIC LETTER ALEF"."""
    if unicodedata.is_normalized("NFC", text) and _drawn().issuperset(text):
        return []  # the usual case, decided in C: every character drawn as it stands
    have = covered()
    out = []
    for ch in dict.fromkeys(unicodedata.normalize("NFC", text)):
        if ord(ch) not in have and ch not in _INVISIBLE and not ch.isspace():
            out.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}")
    return out


def _lacks(text: str) -> bool:
    """Whether `missing(text)` would name any character (without naming them)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    drawn = _drawn()
    return not drawn.issuperset(text) and any(
        ch not in drawn and ch not in _INVISIBLE and not ch.isspace() for ch in set(text))


class _Refusals:
    """Collects what the fonts cannot draw, so one error names every offender."""

    LIMIT = 20

    def __init__(self) -> None:
        self.found: list[str] = []
        self.count = 0

    def check(self, where: str, text: str) -> None:
        if len(self.found) >= self.LIMIT:  # past the named ones, only counted
            self.count += _lacks(text)
            return
        lacking = missing(text)
        if lacking:
            self.count += 1
            if len(self.found) < self.LIMIT:
                self.found.append(f"{where}: {', '.join(lacking[:5])}")

    def raise_if_any(self) -> None:
        if self.count:
            more = f" (and {self.count - len(self.found)} more)" if self.count > len(self.found) else ""
            raise PdfGlyphsMissingError(
                f"The PDF's fonts ({FONT_NAMES}) cannot draw {'; '.join(self.found)}{more}. "
                "Rename or reject those signatures, or deliver the HTML or DOCX instead.")


class _Blocks(HTMLParser):
    """Our Markdown-rendered body HTML → blocks: (runs of (text, style), bullet, depth, kind)."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict] = []
        self.cur: Optional[dict] = None
        self.bold = self.italic = self.pre = self.quote = 0
        self.lists: list[list] = []     # [tag, next number]
        self.li_fresh = False

    def _open(self, kind: str = "p", bullet: str = "") -> None:
        self.cur = {"runs": [], "bullet": bullet, "depth": len(self.lists),
                    "kind": "quote" if self.quote and kind == "p" else kind}
        self.blocks.append(self.cur)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "br":
            self.handle_data("\n", raw=True)
        elif tag in ("ol", "ul"):
            self.lists.append([tag, int(dict(attrs).get("start") or 1)])
            self.cur = None
        elif tag == "li":
            lst = self.lists[-1] if self.lists else ["ul", 1]
            bullet = f"{lst[1]}." if lst[0] == "ol" else "•"
            lst[1] += 1
            self._open("li", bullet)
            self.li_fresh = True
        elif tag == "p":
            if not (self.li_fresh and self.cur is not None):
                self._open()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._open("heading")
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
            self._open()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag in ("ol", "ul"):
            if self.lists:
                self.lists.pop()
            self.cur = None
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.cur = None
        elif tag in self.BLOCKS:
            self.cur = None
            self.li_fresh = False

    def handle_data(self, data: str, raw: bool = False) -> None:
        text = data if (self.pre or raw) else re.sub(r"\s+", " ", data)
        if self.cur is None:
            if not text.strip():
                return
            self._open()
        if not self.cur["runs"] and not self.pre:
            text = text.lstrip()
        if not text:
            return
        self.li_fresh = False if text.strip() else self.li_fresh
        style = ("B" if self.bold or self.cur["kind"] == "heading" else "") + \
                ("I" if self.italic or self.cur["kind"] == "quote" else "")
        self.cur["runs"].append((text, style))


def body_blocks(body_html: str) -> list[dict]:
    parser = _Blocks()
    parser.feed(body_html)
    parser.close()
    for block in parser.blocks:   # a trailing space before a block's end prints nothing
        if block["runs"]:
            text, style = block["runs"][-1]
            block["runs"][-1] = (text.rstrip(" "), style)
    return [b for b in parser.blocks if any(t.strip() for t, _ in b["runs"])]


def _pdf_class():
    from fpdf import FPDF

    class LetterPdf(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("serif", "", 9)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    return LetterPdf


def _new_pdf(letter_item: dict, when: str):
    pdf = _pdf_class()(orientation="portrait", unit="mm", format="A4")
    left, top, right, bottom = MARGINS
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(True, bottom)
    pdf.c_margin = 0
    for style, name in SERIF.items():
        pdf.add_font("serif", style, str(FONT_DIR / name))
    pdf.add_font("hangul", "", str(FONT_DIR / HANGUL))
    pdf.set_fallback_fonts(["hangul"], exact_match=False)   # bold Hangul: the regular face
    pdf.set_title(letter_item["title"])
    pdf.set_author("Undersigned")
    pdf.set_lang(letter_item.get("language") or "en")
    pdf.set_creation_date(dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("serif", "", SIZE_PT)
    return pdf


def _para(cols, pdf, runs, *, align: str = "J", gap: float = GAP, indent: float = 0,
          bullet: str = "", hanging: float = 0) -> None:
    with cols.paragraph(text_align=align, bottom_margin=gap, indent=indent,
                        bullet_string=bullet, bullet_r_margin=2 if bullet else None,
                        first_line_indent=-hanging) as par:
        for text, style in runs:
            pdf.set_font(style=style)
            par.write(text)
    pdf.set_font(style="")


def write_delivery_pdf(letter_item: dict, listed: Iterable[dict], counts: Counts,
                       out: IO[bytes], *, date: Optional[str] = None) -> int:
    """The delivery letter as an A4 PDF; dated `date` (ISO) if given, else the letter's date.
    Returns its size. Raises PdfGlyphsMissingError, before writing, if a character of the
    letter or of a name is in no shipped font."""
    lines = ((heading, signatory_line(sig), sig.get("sig_id", "?"))
             for heading, sig in groups(listed))
    return write_delivery_pdf_lines(letter_item, lines, counts, out, date=date)


def write_delivery_pdf_lines(letter_item: dict,
                             lines: Iterable[tuple[Optional[str], str, str]], counts: Counts,
                             out: IO[bytes], *, date: Optional[str] = None) -> int:
    """As write_delivery_pdf, from each signatory's (heading or None, line, signature id)."""
    when = date or letter_item["date"]
    body = body_blocks(letters.fill_tally(letter_item["body_html"], counts))
    head = [letter_date(when), letter_item["addressee"], letter_item.get("subject") or "",
            letter_item["salutation"], letter_item["closing"]]
    refusals = _Refusals()
    refusals.check("the letter", "".join(head) + "".join(t for b in body for t, _ in b["runs"]))
    rows: list[tuple[Optional[str], str]] = []
    for heading, line, sig_id in lines:
        refusals.check(f"signature {sig_id}", line)
        rows.append((heading, line))
    refusals.raise_if_any()

    pdf = _new_pdf(letter_item, when)
    mm_line = SIZE_PT * LINE / pdf.k
    with pdf.text_columns(text_align="L", line_height=LINE) as cols:
        _para(cols, pdf, [(letter_date(when), "")], align="R", gap=10)
        lines = letter_item["addressee"].strip().splitlines()
        _para(cols, pdf, [("\n".join(lines), "")], align="L", gap=8)
        if letter_item.get("subject"):
            _para(cols, pdf, [(letter_item["subject"], "B")], align="L", gap=6)
        _para(cols, pdf, [(letter_item["salutation"], "")], align="L", gap=4)
        for block in body:
            depth = max(block["depth"], 1 if block["kind"] == "quote" else 0)
            _para(cols, pdf, block["runs"], indent=7 * depth,
                  bullet=block["bullet"], gap=2 if block["kind"] == "li" else GAP,
                  align="L" if block["kind"] == "heading" else "J")
        _para(cols, pdf, [(letter_item["closing"], "")], align="L", gap=8)
    for heading, chunk in _regions(rows):
        if heading:
            _heading(pdf, heading, mm_line)
        with pdf.text_columns(text_align="L", line_height=LINE) as cols:
            for line in chunk:
                _para(cols, pdf, [(line, "")], align="L", gap=0.8, indent=5, hanging=5)
    return out.write(bytes(pdf.output()))


def _regions(rows: list[tuple[Optional[str], str]]):
    """(heading or None, lines): a region per heading, cut every SIGNATORIES_PER_REGION lines."""
    heading, chunk = None, []
    for head, line in rows:
        if head or len(chunk) >= SIGNATORIES_PER_REGION:
            if chunk:
                yield heading, chunk
            heading, chunk = head, []
        chunk.append(line)
    if chunk:
        yield heading, chunk


def _heading(pdf, text: str, mm_line: float) -> None:
    """"Groups" / "Individuals" over a rule, kept with at least two lines after it."""
    if pdf.will_page_break(mm_line * 3 + 6):
        pdf.add_page()
    if pdf.get_y() > pdf.t_margin + 1:
        pdf.set_y(pdf.get_y() + 6)
    pdf.set_font(style="B")
    pdf.cell(0, mm_line, text, border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(style="")
    pdf.set_y(pdf.get_y() + 2)


def export_delivery_pdf(store: Table, letter_item: dict, out: IO[bytes],
                        counts: Optional[Counts] = None, *, date: Optional[str] = None,
                        max_names: Optional[int] = PDF_MAX_NAMES) -> int:
    """The on-demand export: refused (PdfTooLongError) past `max_names` listed signatures."""
    counts = counts or Counts.from_counters(
        store.counter_totals(letter_item["slug"], letter_item["shards"]))
    if max_names is not None and counts.total > max_names:
        raise PdfTooLongError()
    return write_delivery_pdf(letter_item, iter_listed_sorted(store, letter_item), counts, out,
                              date=date)
