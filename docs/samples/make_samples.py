"""Regenerate the delivery-letter samples of the example letter in this folder.

    .venv/bin/python docs/samples/make_samples.py

Starts its own DynamoDB Local + moto server on free loopback ports, loads
letters/eu-hrc43-dprk, writes delivery-letter.html, .docx and .pdf (the PDF the snapshots
publish and a delivery sends), renders the PDF's first page to delivery-letter-pdf-page1.png
with poppler's pdftoppm, and screenshots the HTML through Debian's headless chromium (if
/usr/bin/chromium exists).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tools import localstack, seed  # noqa: E402
from chalicelib.exports import delivery_docx
from chalicelib.exports import delivery_html
from chalicelib.exports import delivery_pdf

CHROMIUM = "/usr/bin/chromium"


def chromium(*args: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--no-first-run",
                        f"--user-data-dir={profile}", *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)


def main() -> int:
    from chalicelib import wiring
    from chalicelib.settings import Settings
    from chalicelib.storage.keys import letter_key

    with localstack.Stack(log_dir=ROOT / ".local" / "logs") as stack:
        os.environ.update(stack.env())
        settings = Settings(stage="test", table_name=f"samples-{uuid.uuid4().hex[:8]}",
                            exports_bucket="samples", site_url="http://127.0.0.1",
                            email_hash_key="s" * 40, mail_backend="file", count_shards=4)
        localstack.bootstrap(settings.table_name, settings.exports_bucket)
        service = wiring.build(settings)
        slug, _ = seed.load(service, seed.EXAMPLE)
        item = service.store.get(letter_key(slug))
        html_path, docx_path = HERE / "delivery-letter.html", HERE / "delivery-letter.docx"
        with html_path.open("wb") as f:
            delivery_html.export_delivery_html(service.store, item, f)
        with docx_path.open("wb") as f:
            delivery_docx.export_delivery_docx(service.store, item, f)
        pdf_path = HERE / "delivery-letter.pdf"
        with pdf_path.open("wb") as f:
            delivery_pdf.export_delivery_pdf(service.store, item, f)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf_path), str(HERE / "delivery-letter-pdf-page1")], check=True)
    if Path(CHROMIUM).exists():
        chromium(f"--screenshot={HERE / 'delivery-letter.png'}", "--window-size=1240,1754",
                 "--hide-scrollbars", html_path.as_uri())
        chromium(f"--screenshot={HERE / 'delivery-letter-full.png'}", "--window-size=1240,3060",
                 "--hide-scrollbars", html_path.as_uri())
    for p in sorted(HERE.glob("delivery-letter.*")):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
