"""The delivery letter as DOCX, for organisers to edit in Word."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterable, Iterator, Optional

from .. import letters
from ..letters import letter_date
from ..models import Counts
from ..storage import Table
from ..storage.signature_streams import iter_listed_sorted
from .delivery_html import signatory_lines
from .rows import CHUNK_ROWS


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


def _field_runs(paragraph: Any, code: str, shown: str) -> None:
    """A Word field (e.g. PAGE) as its runs: begin, the code, separate, a placeholder result
    (Word and LibreOffice put the real one in as they lay the pages out), end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(tag: str, **attrs: str) -> Any:
        run = paragraph.add_run()
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        run._r.append(el)
        return el
    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    run_with("w:instrText", **{"xml:space": "preserve"}).text = f" {code} "
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run(shown)
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def _page_numbers(section: Any) -> None:
    """"Page N of M", centred in the footer. The only fields in the document: the letter and
    its signatories are plain text runs."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Page ")
    _field_runs(p, "PAGE", "1")
    p.add_run(" of ")
    _field_runs(p, "NUMPAGES", "1")
    for run in p.runs:
        run.font.size = Pt(9)


def _docx_template(letter_item: dict, counts: Counts, date: Optional[str] = None) -> bytes:
    """The whole letter but the signatory list, which is a marker paragraph to stream over.
    `date` (ISO) is printed instead of the letter's own (a delivery date)."""
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

    _page_numbers(sec)

    p = doc.add_paragraph(letter_date(date or letter_item["date"]))
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


def heading_xml(text: str) -> str:
    return (f'<w:p><w:pPr><w:pStyle w:val="Heading2"/><w:keepNext/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>')


def line_xml(text: str) -> str:
    return (f'<w:p><w:pPr><w:pStyle w:val="Signatory"/></w:pPr>'
            f'<w:r><w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>')


def write_delivery_docx(letter_item: dict, listed: Iterable[dict], counts: Counts,
                        out: IO[bytes], *, date: Optional[str] = None,
                        chunk_rows: int = CHUNK_ROWS) -> None:
    """The delivery letter as DOCX, for organisers to edit in Word, page numbers in its
    footer; dated `date` (ISO) if given, else with the letter's own date.

    python-docx builds the letter (small); the signatory list, which can be long, is
    streamed as escaped WordprocessingML into word/document.xml in place of a marker,
    so memory does not grow with the list.
    """
    with docx_document(letter_item, counts, out, date=date) as write:
        for chunk in iter_docx_lines(signatory_lines(listed), chunk_rows=chunk_rows):
            write(chunk)


def iter_docx_lines(lines: Iterable[tuple[Optional[str], str]], *,
                    chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The signatory list's WordprocessingML, from (heading, line), in encoded chunks."""
    buf: list[str] = []
    for n, (heading, line) in enumerate(lines, 1):
        if heading:
            buf.append(heading_xml(heading))
        buf.append(line_xml(line))
        if n % chunk_rows == 0:
            yield "".join(buf).encode("utf-8")
            buf.clear()
    yield "".join(buf).encode("utf-8")


@contextmanager
def docx_document(letter_item: dict, counts: Counts, out: IO[bytes], *,
                  date: Optional[str] = None) -> Iterator[Callable[[bytes], Any]]:
    """The DOCX written into `out` (seekable or not) around its signatory list: the block
    gets a `write` for the list's WordprocessingML (`iter_docx_lines`)."""
    template = zipfile.ZipFile(io.BytesIO(_docx_template(letter_item, counts, date)))
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
                yield w.write
                w.write(suffix.encode("utf-8"))


def export_delivery_docx(store: Table, letter_item: dict, out: IO[bytes],
                         counts: Optional[Counts] = None, *, date: Optional[str] = None) -> None:
    counts = counts or Counts.from_counters(
        store.counter_totals(letter_item["slug"], letter_item["shards"]))
    write_delivery_docx(letter_item, iter_listed_sorted(store, letter_item), counts, out,
                        date=date)
