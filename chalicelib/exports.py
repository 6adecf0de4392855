"""Exports of one letter's signatures: CSV, JSON and the delivery letter (HTML, DOCX).

Everything streams: signatures are read page by page (each shard's Query in its own
thread, a small bounded prefetch per shard) and merged lazily, and every writer emits
chunks or writes to a file-like as it goes, so memory stays flat as the list grows.

Text from signers is data, never markup: CSV cells that a spreadsheet would run as a
formula are neutralised (OWASP CSV injection), HTML is escaped, DOCX text is written
as escaped XML text runs. The letter body is our own Markdown rendering
(`letters.render_body`, raw HTML disabled); it is parsed with `html.parser`, not trusted
as DOCX.
"""
from __future__ import annotations

import csv
import datetime as dt
import heapq
import html
import io
import itertools
import json
import queue
import re
import threading
import uuid
import zipfile
from html.parser import HTMLParser
from typing import IO, Any, Callable, Iterable, Iterator, Optional

from . import letters
from .countries import country_name
from .models import Counts
from .store import GSI1, Store, list_partition, signature_partition

KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
# What an export row needs; read with a ProjectionExpression (less to transfer and hold).
ROW_ATTRIBUTES = ("sig_id", "kind", "name", "affiliation", "country", "state",
                  "created_at", "confirmed_at")
PUBLIC_FIELDS = ("sig_id", "kind", "name", "affiliation", "country")  # what GSI1 projects
CSV_HEADER = ["id", "kind", "name", "affiliation", "country", "country_code", "state",
              "signed_at", "confirmed_at"]
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(FORMULA_START)
PAGE_ITEMS = 100  # per Query; with 32 shards in flight, memory stays a few MB
PREFETCH_PAGES = 1    # pages queued per shard beyond the one being merged
CHUNK_ROWS = 500      # rows per chunk yielded by the text writers


# ---- reading ---------------------------------------------------------------

class _Prefetch:
    """Runs an iterator of lists in a thread, at most `depth` lists ahead of the reader."""

    _END = object()

    def __init__(self, pages: Callable[[], Iterator[list]], depth: int,
                 stop: threading.Event) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = stop
        self._thread = threading.Thread(target=self._run, args=(pages,), daemon=True)
        self._thread.start()

    def _put(self, value: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, pages: Callable[[], Iterator[list]]) -> None:
        try:
            for page in pages():
                if not self._put(page):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)

    def __iter__(self) -> Iterator[Any]:
        while True:
            page = self._q.get()
            if page is self._END:
                return
            if isinstance(page, BaseException):
                raise page
            yield from page

    def join(self) -> None:
        self._thread.join(timeout=5)


def _pages(items: Iterator[dict], size: int) -> Iterator[list]:
    while True:
        page = list(itertools.islice(items, size))
        if not page:
            return
        yield page


def _merged(streams: list[Callable[[], Iterator[dict]]], key: Callable[[dict], Any], *,
            parallel: bool, page: int = PAGE_ITEMS) -> Iterator[dict]:
    """A lazy k-way merge of sorted streams; with `parallel`, each is prefetched in a thread."""
    if not parallel or len(streams) == 1:
        yield from heapq.merge(*(s() for s in streams), key=key)
        return
    stop = threading.Event()
    readers = [_Prefetch(lambda s=s: _pages(s(), page), PREFETCH_PAGES, stop) for s in streams]
    try:
        yield from heapq.merge(*(iter(r) for r in readers), key=key)
    finally:
        stop.set()  # a reader that stops early releases every producer thread
        for r in readers:
            r.join()


def _projection(fields: Iterable[str]) -> dict:
    names = {f"#a{i}": f for i, f in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def iter_signatures(store: Store, letter_item: dict, *, parallel: bool = True,
                    fields: Optional[Iterable[str]] = None,
                    page: int = PAGE_ITEMS) -> Iterator[dict]:
    """Every signature of the letter, in every state, ordered by id (key attributes stripped).

    A consistent, paginated Query of each shard's partition (store access pattern 8);
    each shard is sorted by id, so a k-way merge orders the whole letter by id.
    `fields` narrows what is read (ProjectionExpression); default: every attribute.
    """
    slug, shards = letter_item["slug"], letter_item["shards"]
    extra = _projection(tuple(dict.fromkeys(["sig_id", *fields]))) if fields else {}

    def shard(n: int) -> Callable[[], Iterator[dict]]:
        def read() -> Iterator[dict]:
            query = dict(KeyConditionExpression="PK = :p AND begins_with(SK, :s)",
                         ExpressionAttributeValues={":p": {"S": signature_partition(slug, n)},
                                                    ":s": {"S": "SIG#"}},
                         ConsistentRead=True, Limit=page)
            if extra:
                query["ProjectionExpression"] = extra["ProjectionExpression"]
                query["ExpressionAttributeNames"] = extra["ExpressionAttributeNames"]
            for item in store.query(**query):
                for k in KEY_ATTRIBUTES:
                    item.pop(k, None)
                yield item
        return read

    yield from _merged([shard(n) for n in range(shards)], key=lambda i: i["sig_id"],
                       parallel=parallel, page=page)


def iter_listed_sorted(store: Store, letter_item: dict, *, parallel: bool = True,
                       page: int = PAGE_ITEMS) -> Iterator[dict]:
    """The listed signatures in the letter's printed order: organisations, then individuals,
    each alphabetical (the GSI1 sort key), by a streaming k-way merge of the shards' index
    partitions (store access pattern 6), page by page. Items carry only the public fields."""
    slug, shards = letter_item["slug"], letter_item["shards"]

    def shard(n: int) -> Callable[[], Iterator[dict]]:
        def read() -> Iterator[dict]:
            for item in store.query(IndexName=GSI1, KeyConditionExpression="GSI1PK = :p",
                                    ExpressionAttributeValues={
                                        ":p": {"S": list_partition(slug, n)}},
                                    Limit=page):
                yield item
        return read

    for item in _merged([shard(n) for n in range(shards)], key=lambda i: i["GSI1SK"],
                        parallel=parallel, page=page):
        yield {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}


def counts_of(store: Store, letter_item: dict) -> Counts:
    """The live tally from the counter shards (as the API serves it)."""
    raw = store.counts(letter_item["slug"], letter_item["shards"])
    orgs, inds = raw.get("n_organisation", 0), raw.get("n_individual", 0)
    return Counts(organisations=orgs, individuals=inds, total=orgs + inds,
                  countries=sum(1 for k, v in raw.items() if k.startswith("c_") and v > 0))


# ---- rows, CSV, JSON -------------------------------------------------------

def row_of(sig: dict, *, include_email: bool = False) -> dict:
    """One export row (public id, never an internal key; email only when asked for)."""
    code = sig.get("country")
    row = {"id": sig["sig_id"], "kind": sig.get("kind"), "name": sig.get("name"),
           "affiliation": sig.get("affiliation"), "country": country_name(code),
           "country_code": code, "state": sig.get("state"),
           "signed_at": sig.get("created_at"), "confirmed_at": sig.get("confirmed_at")}
    if include_email:
        row["email"] = sig.get("email")
    return row


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



def iter_csv(rows: Iterable[dict], *, include_email: bool = False,
             chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """UTF-8 with BOM, every field quoted, CRLF rows; yields encoded chunks."""
    header = CSV_HEADER + (["email"] if include_email else [])
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([neutralise(row.get(h)) for h in header])
        n += 1
        if n % chunk_rows == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def letter_metadata(letter_item: dict) -> dict:
    return {k: letter_item.get(k) for k in (
        "slug", "title", "date", "addressee", "subject", "salutation", "closing", "language",
        "status", "closes_at", "text_sha256", "versions", "organisations_need_approval")}


def iter_json(letter_item: dict, rows: Iterable[dict], *, extra: Optional[dict] = None,
              chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """{"letter": …, "text_sha256": …, "signatures": [rows…], "counts": …}, streamed.

    `counts` (by kind and by state) is computed while the rows stream past.
    """
    head = {"format": "undersigned.signatures/1", "letter": letter_metadata(letter_item),
            "text_sha256": letter_item.get("text_sha256"), **(extra or {})}
    out = [json.dumps(head, ensure_ascii=False)[:-1], ', "signatures": [\n']
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
    tail = {"total": n, "by_kind": dict(sorted(by_kind.items())),
            "by_state": dict(sorted(by_state.items()))}
    out.append(f'\n], "counts": {json.dumps(tail, ensure_ascii=False)}}}\n')
    yield "".join(out).encode("utf-8")


def write_chunks(chunks: Iterable[bytes], out: IO[bytes]) -> int:
    size = 0
    for c in chunks:
        out.write(c)
        size += len(c)
    return size


def export_csv(store: Store, letter_item: dict, out: IO[bytes], *,
               include_email: bool = False) -> int:
    """Every signature as CSV into `out`; returns bytes written. Emails only for organisers."""
    fields = ROW_ATTRIBUTES + (("email",) if include_email else ())
    rows = (row_of(s, include_email=include_email)
            for s in iter_signatures(store, letter_item, fields=fields))
    return write_chunks(iter_csv(rows, include_email=include_email), out)


def export_json(store: Store, letter_item: dict, out: IO[bytes], *,
                include_email: bool = False) -> int:
    fields = ROW_ATTRIBUTES + (("email",) if include_email else ())
    rows = (row_of(s, include_email=include_email)
            for s in iter_signatures(store, letter_item, fields=fields))
    return write_chunks(iter_json(letter_item, rows), out)


# ---- the delivery letter ---------------------------------------------------

def letter_date(iso_date: str) -> str:
    d = dt.date.fromisoformat(iso_date)
    return f"{d.day} {d:%B %Y}"


def signatory_line(sig: dict) -> str:
    """As the example letter prints them: "Organisation — Country" / "Name, affiliation"."""
    if sig.get("kind") == "organisation":
        country = country_name(sig.get("country"))
        return f"{sig['name']} — {country}" if country else sig["name"]
    return f"{sig['name']}, {sig['affiliation']}" if sig.get("affiliation") else sig["name"]


def _groups(listed: Iterable[dict]) -> Iterator[tuple[Optional[str], dict]]:
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


def iter_delivery_html(letter_item: dict, listed: Iterable[dict], counts: Counts, *,
                       chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The letter as the coalition sends it, print-ready: one self-contained HTML document
    (inline style, nothing fetched). Every field is escaped; the body is our own rendering."""
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
        f'<p class="date">{e(letter_date(letter_item["date"]))}</p>\n',
        f'<p class="addressee">{addressee}</p>\n',
    ]
    if letter_item.get("subject"):
        head.append(f'<p class="subject">{e(letter_item["subject"])}</p>\n')
    head += [f'<p class="salutation">{e(letter_item["salutation"])}</p>\n',
             f'<div class="body">\n{body}</div>\n',
             f'<p class="closing">{e(letter_item["closing"])}</p>\n',
             '<section class="signatories">\n']
    yield "".join(head).encode("utf-8")
    out: list[str] = []
    n = 0
    opened = False
    for heading, sig in _groups(listed):
        if heading:
            if opened:
                out.append("</ul>\n")
            out.append(f"<h2>{e(heading)}</h2>\n<ul>\n")
            opened = True
        out.append(f"<li>{e(signatory_line(sig))}</li>\n")
        n += 1
        if n % chunk_rows == 0:
            yield "".join(out).encode("utf-8")
            out.clear()
    if opened:
        out.append("</ul>\n")
    out.append("</section>\n</main>\n</body>\n</html>\n")
    yield "".join(out).encode("utf-8")


# -- DOCX --

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKER = "UNDERSIGNED-SIGNATORIES-9f1c"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def xml_text(value: str) -> str:
    """Text safe inside a w:t element: XML-escaped, characters XML cannot hold dropped."""
    return (_XML_INVALID.sub("", value).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


class _BodyToDocx(HTMLParser):
    """Our Markdown-rendered body HTML → python-docx paragraphs (bold, italic, lists)."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self, document: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = document
        self.par = None
        self.bold = self.italic = self.code = self.pre = 0
        self.lists: list[dict] = []   # {"tag": "ol"/"ul", "num_id": int | None}
        self.li_fresh = False

    def _paragraph(self, style: Optional[str] = None):
        self.par = self.doc.add_paragraph(style=style)
        return self.par

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "code":
            self.code += 1
        elif tag == "br":
            if self.par is not None:
                self.par.add_run().add_break()
        elif tag in ("ol", "ul"):
            start = int(dict(attrs).get("start") or 1) if tag == "ol" else 1
            self.lists.append({"tag": tag, "num_id": _new_numbering(self.doc, start)
                               if tag == "ol" else None})
            self.par = None
        elif tag == "li":
            lst = self.lists[-1] if self.lists else {"tag": "ul", "num_id": None}
            par = self._paragraph("List Number" if lst["tag"] == "ol" else "List Bullet")
            if lst["num_id"] is not None:
                _set_num(par, lst["num_id"], len(self.lists) - 1)
            self.li_fresh = True
        elif tag == "p":
            if self.li_fresh and self.par is not None:
                return  # a loose list item's first paragraph is the item itself
            self._paragraph("List Continue" if self.lists else None)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._paragraph(f"Heading {min(int(tag[1]), 3)}")
        elif tag == "blockquote":
            self._paragraph("Quote")
        elif tag == "pre":
            self.pre += 1
            self._paragraph()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "code":
            self.code = max(0, self.code - 1)
        elif tag in ("ol", "ul"):
            if self.lists:
                self.lists.pop()
            self.par = None
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.par = None
        elif tag in self.BLOCKS:
            self.par = None
            self.li_fresh = False

    def handle_data(self, data: str) -> None:
        text = data if self.pre else re.sub(r"\s+", " ", data)
        if self.par is None:
            if not text.strip():
                return
            self._paragraph("List Continue" if self.lists else None)
        if not self.par.runs and not self.pre:
            text = text.lstrip()
        if not text:
            return
        self.li_fresh = False if text.strip() else self.li_fresh
        run = self.par.add_run(_XML_INVALID.sub("", text))
        run.bold = bool(self.bold) or None
        run.italic = bool(self.italic) or None
        if self.code:
            run.font.name = "Courier New"


def _new_numbering(doc: Any, start: int) -> Optional[int]:
    """A fresh w:num on the List Number definition, so each <ol> numbers from its start."""
    try:
        from docx.oxml import parse_xml
        numbering = doc.part.numbering_part.element
        style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
        abstract = next(n.abstractNumId.val for n in numbering.num_lst if n.numId == style_num)
        num_id = max(n.numId for n in numbering.num_lst) + 1
        numbering.append(parse_xml(
            f'<w:num xmlns:w="{_W}" w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/>'
            f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start}"/></w:lvlOverride>'
            f'</w:num>'))
        return num_id
    except (AttributeError, KeyError, StopIteration, ValueError):
        return None  # the style's own numbering still numbers the items


def _set_num(paragraph: Any, num_id: int, level: int) -> None:
    pPr = paragraph._p.get_or_add_pPr()
    numPr = pPr.get_or_add_numPr()
    numPr.get_or_add_ilvl().val = level
    numPr.get_or_add_numId().val = num_id


def _docx_template(letter_item: dict, counts: Counts) -> bytes:
    """The whole letter but the signatory list, which is a marker paragraph to stream over."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(22)
    sec.top_margin, sec.bottom_margin = Mm(22), Mm(24)
    normal = doc.styles["Normal"]
    normal.font.name = "Georgia"
    normal.font.size = Pt(11)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "Malgun Gothic")  # Hangul, when Georgia has no glyph
    normal.paragraph_format.space_after = Pt(6)
    sig_style = doc.styles.add_style("Signatory", WD_STYLE_TYPE.PARAGRAPH)
    sig_style.base_style = normal
    sig_style.paragraph_format.space_after = Pt(1)
    sig_style.paragraph_format.left_indent = Mm(5)
    sig_style.paragraph_format.first_line_indent = Mm(-5)
    heading = doc.styles["Heading 2"]
    heading.font.name, heading.font.size = "Georgia", Pt(12)
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(12), Pt(4)
    props = doc.core_properties
    props.title = letter_item["title"][:255]
    props.author = "Undersigned"
    props.created = props.modified = dt.datetime.fromisoformat(letter_item["date"])

    p = doc.add_paragraph(letter_date(letter_item["date"]))
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p = doc.add_paragraph()
    for i, line in enumerate(letter_item["addressee"].splitlines()):
        if i:
            p.add_run().add_break()
        p.add_run(_XML_INVALID.sub("", line))
    if letter_item.get("subject"):
        doc.add_paragraph().add_run(_XML_INVALID.sub("", letter_item["subject"])).bold = True
    doc.add_paragraph(_XML_INVALID.sub("", letter_item["salutation"]))
    parser = _BodyToDocx(doc)
    parser.feed(letters.fill_tally(letter_item["body_html"], counts))
    parser.close()
    doc.add_paragraph(_XML_INVALID.sub("", letter_item["closing"]))
    doc.add_paragraph(_MARKER)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _heading_xml(text: str) -> str:
    return (f'<w:p><w:pPr><w:pStyle w:val="Heading2"/><w:keepNext/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>')


def _line_xml(text: str) -> str:
    return (f'<w:p><w:pPr><w:pStyle w:val="Signatory"/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>')


def write_delivery_docx(letter_item: dict, listed: Iterable[dict], counts: Counts,
                        out: IO[bytes], *, chunk_rows: int = CHUNK_ROWS) -> None:
    """The delivery letter as DOCX, for organisers to edit in Word.

    python-docx builds the letter (small); the signatory list, which can be long, is
    streamed as escaped WordprocessingML into word/document.xml in place of a marker,
    so memory does not grow with the list.
    """
    template = zipfile.ZipFile(io.BytesIO(_docx_template(letter_item, counts)))
    document = template.read("word/document.xml").decode("utf-8")
    at = document.index(_MARKER)
    start = max(document.rfind("<w:p>", 0, at), document.rfind("<w:p ", 0, at))
    end = document.index("</w:p>", at) + len("</w:p>")
    prefix, suffix = document[:start], document[end:]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in template.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            if info.filename != "word/document.xml":
                z.writestr(fixed, template.read(info))
                continue
            with z.open(fixed, "w", force_zip64=True) as w:
                w.write(prefix.encode("utf-8"))
                buf: list[str] = []
                for n, (heading, sig) in enumerate(_groups(listed), 1):
                    if heading:
                        buf.append(_heading_xml(heading))
                    buf.append(_line_xml(signatory_line(sig)))
                    if n % chunk_rows == 0:
                        w.write("".join(buf).encode("utf-8"))
                        buf.clear()
                buf.append(suffix)
                w.write("".join(buf).encode("utf-8"))


def export_delivery_html(store: Store, letter_item: dict, out: IO[bytes],
                         counts: Optional[Counts] = None) -> int:
    counts = counts or counts_of(store, letter_item)
    return write_chunks(iter_delivery_html(letter_item, iter_listed_sorted(store, letter_item),
                                           counts), out)


def export_delivery_docx(store: Store, letter_item: dict, out: IO[bytes],
                         counts: Optional[Counts] = None) -> None:
    counts = counts or counts_of(store, letter_item)
    write_delivery_docx(letter_item, iter_listed_sorted(store, letter_item), counts, out)


# ---- on-demand organiser exports -------------------------------------------------

FORMATS = {  # format → (file name, content type, writer)
    "csv": ("signatories.csv", "text/csv; charset=utf-8", export_csv),
    "json": ("signatories.json", "application/json", export_json),
    "html": ("letter.html", "text/html; charset=utf-8", export_delivery_html),
    "docx": ("letter.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             export_delivery_docx),
}


def export_to_s3(service: Any, s3: Any, slug: str, fmt: str, *, include_email: bool,
                 now: dt.datetime) -> dict:
    """Write one export to a temporary file, stream it to the exports bucket, presign it.

    Exports live under exports/{slug}/ (a lifecycle rule deletes them after a day: they may
    hold emails); a Lambda response could not carry a large list, a presigned link can.
    """
    import tempfile
    from pathlib import Path

    from .snapshots import presign, upload
    letter = service.letter_item(slug)
    name, ctype, writer = FORMATS[fmt]
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    suffix = "-with-emails" if include_email and fmt in ("csv", "json") else ""
    key = f"exports/{slug}/{stamp}-{uuid.uuid4().hex[:8]}{suffix}-{name}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            if fmt in ("csv", "json"):
                writer(service.store, letter, out, include_email=include_email)
            else:
                writer(service.store, letter, out)
        meta = upload(s3, service.settings.exports_bucket, key, path, ctype)
    expires = service.settings.export_url_seconds
    return {"url": presign(s3, service.settings.exports_bucket, key, expires), "key": key,
            "size": meta["size"], "sha256": meta["sha256"], "expires_in": expires}
