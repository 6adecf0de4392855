"""Names that look alike: the key two organisation names share when a reader could take one
for the other, and the folded form the organisers' name search compares.

The key (`name_key`) is built in this order:
1. NFKC; bracketed parts dropped ("Committee for Human Rights in North Korea (HRNK)");
   "&" read as "and".
2. The confusables skeleton of UTS #39 (`skeleton`: NFD, each character to its prototype
   from Unicode's confusables.txt, NFD again), then case folding, then the skeleton again:
   the first pass takes Cyrillic "Н" to Latin "H" before case folding could take it to "н"
   (whose prototype is the small capital "ʜ", not "h"); the second pass takes what case
   folding produced to its prototype. Capital I's prototype is "l" while small i is its
   own, so after case folding "i" and "l" are one letter here.
3. Everything but letters and digits is dropped between words (punctuation, spaces,
   combining marks, so accents too); a leading "The" and trailing legal forms (Inc., Ltd,
   LLC, e.V., gGmbH, …) are dropped.

The data file is chalicelib/data/confusables.txt as Unicode publishes it (version and
licence in its header and in chalicelib/data/README.md); it is read once, on first use,
from the package: nothing is fetched at run time.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

DATA = Path(__file__).parent / "data" / "confusables.txt"
_BRACKETS = re.compile(r"[(\[{][^)\]}]*[)\]}]")
# Legal forms dropped at the end of a name; "the" dropped at its start. Written plainly:
# they are compared after the same folding as the names.
LEGAL_FORMS = ("inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "corp",
               "corporation", "co", "gmbh", "ggmbh", "ev", "e v", "ag", "sa", "srl", "bv",
               "vzw", "asbl", "cic", "cio", "ngo")
LEADING = ("the",)


@functools.lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Each confusable character → its prototype (a string), from confusables.txt."""
    table: dict[str, str] = {}
    with DATA.open(encoding="utf-8-sig") as f:
        for line in f:
            data = line.split("#", 1)[0]
            if ";" not in data:
                continue
            source, target = data.split(";")[:2]
            table[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return table


@functools.lru_cache(maxsize=1)
def _translation() -> dict[int, str]:
    """The prototypes as a str.translate table (every sign-on's name goes through it)."""
    return {ord(ch): proto for ch, proto in _prototypes().items()}


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, every character replaced by its prototype, NFD again."""
    mapped = unicodedata.normalize("NFD", text).translate(_translation())
    return unicodedata.normalize("NFD", mapped)


def _glyphs(text: str) -> str:
    """Skeleton, case folded, skeleton again; i and l as one letter (see the module's note)."""
    return skeleton(skeleton(text).casefold()).replace("i", "l")


def _words(text: str) -> list[str]:
    """Runs of letters and digits of the folded text (combining marks dropped)."""
    words, current = [], []
    for ch in _glyphs(text):
        if unicodedata.category(ch)[0] in "LN":
            current.append(ch)
        elif not unicodedata.combining(ch) and current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


@functools.lru_cache(maxsize=1)
def _affixes() -> tuple[list[list[str]], list[list[str]]]:
    legal = sorted((_words(f) for f in LEGAL_FORMS), key=len, reverse=True)
    return legal, [_words(w) for w in LEADING]


def name_key(name: str) -> str:
    """The form two organisation names share when one looks like the other ('' if none)."""
    text = _BRACKETS.sub(" ", unicodedata.normalize("NFKC", name)).replace("&", " and ")
    words = _words(text)
    legal, leading = _affixes()
    for affix in leading:
        if len(words) > len(affix) and words[:len(affix)] == affix:
            words = words[len(affix):]
    stripped = True
    while stripped:
        stripped = False
        for affix in legal:
            if len(words) > len(affix) and words[-len(affix):] == affix:
                words, stripped = words[:-len(affix)], True
                break
    return "".join(words)


def search_form(text: str) -> str:
    """What the organisers' name search compares: folded as name_key, without the
    affixes, so a part of a name finds every spelling of it."""
    return "".join(_words(unicodedata.normalize("NFKC", text).replace("&", " and ")))
