"""Rebuild the delivery PDF's fonts in chalicelib/fonts/ from Debian's font packages, offline.

    apt-get install fonts-noto-core fonts-nanum
    .venv/bin/python -m tools.fonts

Noto Serif keeps every character it has; only its TrueType hinting is dropped (PDF viewers
rasterise outlines themselves), which takes 40% off. Nanum Myeongjo is copied unchanged: its
licence reserves the name "Nanum" from modified versions. The PDF writer subsets both again
per document. Both are under the SIL Open Font License 1.1 (chalicelib/fonts/OFL.txt).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tools.localstack import ROOT

SOURCES = {  # shipped name → Debian file
    "NotoSerif-Regular.ttf": "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "NotoSerif-Bold.ttf": "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
    "NotoSerif-Italic.ttf": "/usr/share/fonts/truetype/noto/NotoSerif-Italic.ttf",
    "NotoSerif-BoldItalic.ttf": "/usr/share/fonts/truetype/noto/NotoSerif-BoldItalic.ttf",
    "NanumMyeongjo.ttf": "/usr/share/fonts/truetype/nanum/NanumMyeongjo.ttf",
}
UNCHANGED = {"NanumMyeongjo.ttf"}
OUT = ROOT / "chalicelib" / "fonts"


def build(out: Path = OUT) -> list[Path]:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.hinting = False
    options.drop_tables += ["FFTM", "DSIG"]
    options.name_IDs = ["*"]          # keep the copyright and licence records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.layout_features = ["*"]
    written = []
    for name, source in SOURCES.items():
        path = out / name
        if name in UNCHANGED:
            shutil.copyfile(source, path)
            written.append(path)
            continue
        font = TTFont(source)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=font.getBestCmap().keys())
        subsetter.subset(font)
        font.save(str(path), reorderTables=True)
        written.append(path)
    return written


def main() -> int:
    for path in build():
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
