"""The delivery letter as PDF: every name, in order, drawn by an embedded font; the same list
gives the same bytes; a name the fonts cannot draw is refused, never drawn as boxes.

Poppler's pdftotext and pdftoppm read the file (Debian's poppler-utils; `make deps` installs
it). The letter comes from the in-memory store: no Java needed."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
import uuid
import zlib

import pytest

from chalicelib import wiring
from chalicelib.exports import delivery_html, delivery_pdf
from chalicelib.models import Counts
from chalicelib.storage import keys
from chalicelib.storage.memory import MemoryStore
from chalicelib.storage.signature_streams import iter_listed_sorted
from support import FakeClock, RecordingMailer, make_settings, store_signature
from tools import seed

SLUG = "eu-hrc43-dprk"
HANGUL_NAME, HANGUL_TITLE = "김철수", "북한인권시민연합"


@pytest.fixture
def memory_example():
    clock = FakeClock()
    settings = make_settings()
    service = wiring.build(settings, store=MemoryStore(settings.table_name, clock),
                           mailer=RecordingMailer(), clock=clock)
    seed.load(service, seed.EXAMPLE)
    return service


def letter_of(service):
    return service.store.get(keys.letter_key(SLUG))


def add_listed(service, name: str, affiliation: str, sig_id: str) -> None:
    store_signature(service, letter_of(service), sig_id, "individual", name,
                    affiliation=affiliation, country="KR", state="listed")


def render(service, **kw) -> bytes:
    buf = io.BytesIO()
    delivery_pdf.export_delivery_pdf(service.store, letter_of(service), buf, **kw)
    return buf.getvalue()


def pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True, timeout=60)
    return done.stdout


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (names wrap)."""
    return re.sub(r"\s+", " ", text)


def example_names() -> list[str]:
    with open(seed.EXAMPLE / "signatories.csv", encoding="utf-8") as f:
        return [r["name"] for r in csv.DictReader(f)]


def test_pdftotext_holds_every_signatory_in_the_letters_order_with_a_hangul_name(
        memory_example, tmp_path):
    add_listed(memory_example, HANGUL_NAME, HANGUL_TITLE, "k" * 26)
    text = flat(pdftotext(render(memory_example), tmp_path))
    listed = [s["name"] for s in iter_listed_sorted(memory_example.store, letter_of(memory_example))]
    assert sorted(listed) == sorted(example_names() + [HANGUL_NAME])
    at = 0
    for name in listed:   # each name after the one before it: the printed order
        found = text.find(flat(name), at)
        assert found >= 0, f"{name!r} missing or out of order"
        at = found + len(name)
    assert f"{HANGUL_NAME} — {HANGUL_TITLE}" in text
    assert "Human Rights Watch" in text and "— South Korea" in text
    for part in ("26 February 2020", "Josep Borrell Fontelles", "Your Excellency,",
                 "Sincerely,", "Groups", "Individuals", "We are writing on behalf of 36"):
        assert part in text, part
    assert text.index("Sincerely,") < text.index("Groups") < text.index("Individuals")


def test_recommendations_keep_their_numbers(memory_example, tmp_path):
    text = flat(pdftotext(render(memory_example), tmp_path))
    for n, title in enumerate(["Political prisoners", "Sexual violence", "Right to food",
                               "Liberty of movement", "International abductions"], 1):
        assert f"{n}. {title}" in text


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(rb"(\d+) 0 obj\n(.*?)\nendobj", pdf, re.S)}


def _stream(obj: bytes) -> bytes:
    raw = obj[obj.index(b"stream\n") + 7:obj.rindex(b"\nendstream")]
    return zlib.decompress(raw) if b"/FlateDecode" in obj[:obj.index(b"stream\n")] else raw


def drawn_characters(pdf: bytes) -> set[str]:
    """Every character some embedded font draws with a real glyph: each font's ToUnicode
    map, through its CIDToGIDMap, to a glyph of the embedded font file (fontTools)."""
    from fontTools.ttLib import TTFont
    objects = _objects(pdf)
    ref = lambda obj, name: int(re.search(rb"/" + name + rb" (\d+) 0 R", obj).group(1))  # noqa: E731
    chars: set[str] = set()
    for obj in objects.values():
        if b"/Subtype /Type0" not in obj:
            continue
        cmap = _stream(objects[ref(obj, b"ToUnicode")]).decode("latin-1")
        descendant = objects[int(re.search(rb"/DescendantFonts \[(\d+) 0 R\]", obj).group(1))]
        gid_map = _stream(objects[ref(descendant, b"CIDToGIDMap")])
        descriptor = objects[ref(descendant, b"FontDescriptor")]
        font = TTFont(io.BytesIO(_stream(objects[ref(descriptor, b"FontFile2")])))
        order, glyf = font.getGlyphOrder(), font["glyf"]
        for cid_hex, uni_hex in re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", cmap):
            cid = int(cid_hex, 16)
            gid = int.from_bytes(gid_map[2 * cid:2 * cid + 2], "big")
            char = bytes.fromhex(uni_hex).decode("utf-16-be")
            if gid and (char.isspace() or glyf[order[gid]].numberOfContours != 0):
                chars.add(char)
    return chars


def test_every_character_of_every_name_is_in_an_embedded_font(memory_example):
    add_listed(memory_example, HANGUL_NAME, HANGUL_TITLE, "k" * 26)
    add_listed(memory_example, "Ελένη Παπαδοπούλου", "Δικηγόρος", "g" * 26)
    pdf = render(memory_example)
    drawn = drawn_characters(pdf)
    lines = [delivery_html.signatory_line(s)
             for s in iter_listed_sorted(memory_example.store, letter_of(memory_example))]
    lacking = {ch for line in lines for ch in line if not ch.isspace()} - drawn
    assert not lacking
    assert {"김", "철", "수", "Ε", "λ"} <= drawn
    assert b"/FontFile2" in pdf and b"NanumMyeongjo" in pdf


def test_the_same_list_gives_the_same_bytes_and_a_new_name_changes_them(memory_example):
    first, second = render(memory_example), render(memory_example)
    assert first == second and first.startswith(b"%PDF-")
    assert b"/CreationDate (D:20200226000000Z" in first
    add_listed(memory_example, HANGUL_NAME, HANGUL_TITLE, "k" * 26)
    third = render(memory_example)
    assert hashlib.sha256(third).digest() != hashlib.sha256(first).digest()
    assert render(memory_example, date="2026-03-01") != third


def test_a_name_in_a_script_the_fonts_lack_is_refused_naming_the_signature(memory_example):
    add_listed(memory_example, "محمد علي", "", "a" * 26)
    with pytest.raises(delivery_pdf.PdfGlyphsMissingError) as refused:
        render(memory_example)
    message = refused.value.message
    assert f"signature {'a' * 26}" in message and "U+0645 ARABIC LETTER MEEM" in message
    assert "محمد" not in message   # the error names the signature, not the person
    assert refused.value.STATUS_CODE == 422


def test_an_on_demand_pdf_past_its_limit_is_refused_before_any_work(memory_example):
    with pytest.raises(delivery_pdf.PdfTooLongError):
        delivery_pdf.export_delivery_pdf(memory_example.store, letter_of(memory_example),
                                         io.BytesIO(), max_names=34)
    assert render(memory_example, max_names=35).startswith(b"%PDF-")


def test_a_snapshot_of_a_list_too_long_for_a_pdf_leaves_it_out_and_says_why(memory_example,
                                                                          stack):
    from chalicelib.snapshots.contents import Source, Stats, write_files
    n = delivery_pdf.PDF_MAX_NAMES + 1
    stats = Stats()
    stats.listed_kind = {"individual": n}  # the counts say more names than a PDF holds
    s3, bucket = wiring.boto_client("s3"), f"pdf-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    files, refused = write_files(s3, bucket, "p/", letter_of(memory_example), "9999",
                                 Source(stats, lambda: iter(()), lambda: iter(())))
    assert refused == {"letter.pdf": delivery_pdf.PdfTooLongError.MESSAGE}
    assert "letter.pdf" not in files and "letter.html" in files
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "p/letter.pdf" not in names and "p/letter.html" in names


def test_the_body_in_a_missing_script_is_refused_too():
    item = {"date": "2020-02-26", "addressee": "Office", "salutation": "Dear,",
            "closing": "Yours,", "title": "T", "body_html": "<p>שלום</p>"}
    with pytest.raises(delivery_pdf.PdfGlyphsMissingError, match="the letter: U\\+05E9"):
        delivery_pdf.write_delivery_pdf(item, [], Counts(organisations=0, individuals=0,
                                                         total=0, countries=0), io.BytesIO())


def test_pdftoppm_renders_the_hangul_page_with_ink_and_no_font_complaint(memory_example,
                                                                          tmp_path):
    from PIL import Image
    add_listed(memory_example, HANGUL_NAME, HANGUL_TITLE, "k" * 26)
    path = tmp_path / "letter.pdf"
    path.write_bytes(render(memory_example))
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout)
    done = subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(pages), "-l", str(pages),
                           "-singlefile", str(path), str(tmp_path / "last")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    image = Image.open(tmp_path / "last.png").convert("L")
    assert abs(image.size[0] - 1240) <= 1 and abs(image.size[1] - 1754) <= 1   # A4, 150 dpi
    # Where pdftotext places the Hangul name, the rendered page has ink: its glyphs drew.
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(pages), "-l", str(pages),
                            str(path), "-"], check=True, capture_output=True, text=True).stdout
    box = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                    + HANGUL_NAME + "<", boxes)
    assert box, "the Hangul name is not on the last page"
    scale = 150 / 72
    x0, y0, x1, y1 = (round(float(v) * scale) for v in box.groups())
    word = image.crop((x0, y0, x1 + 1, y1 + 1))
    assert sum(word.histogram()[:128]) > 0.08 * word.width * word.height
    blank = image.crop((x0, y1 + 200, x1 + 1, y1 + 200 + (y1 - y0)))   # below the list
    assert sum(blank.histogram()[:128]) == 0
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout
    assert "NanumMyeongjo" in fonts and all(" yes yes yes " in line
                                            for line in fonts.splitlines()[2:])
