"""Input hygiene for names, canonical emails and the sort key of the public list."""
from __future__ import annotations

import re
import unicodedata


# Formula prefixes that spreadsheets execute (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@")
_URL = re.compile(
    r"(?i)(\b[a-z][a-z0-9+.-]*://|\bwww\.|\b[a-z0-9-]+\.(com|org|net|io|ru|cn|xyz|info|biz|top|"
    r"online|site|app|link|shop|click)\b)")


class TextError(ValueError):
    """A text field breaks a hygiene rule; `kind` is the error type shown to callers."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _forbidden(ch: str) -> bool:
    cat = unicodedata.category(ch)
    # Cc: controls (incl. tab/newline); Cf: format characters, which include the
    # bidi overrides/isolates (U+202A-202E, U+2066-2069) and the zero-width ones
    # (U+200B-200F, U+2060, U+FEFF); Cs/Co/Cn: surrogates, private use, unassigned.
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029"


def clean_text(value: str, *, max_length: int, allow_url: bool = False) -> str:
    """Trim, NFC-normalise and check one free-text field; raise TextError on a breach."""
    text = unicodedata.normalize("NFC", value).strip()
    if any(_forbidden(ch) for ch in text):
        raise TextError("forbidden_characters")
    if len(text) > max_length:
        raise TextError("too_long")
    if not allow_url and _URL.search(text):
        raise TextError("contains_url")
    return text


def clean_name(value: str, *, max_length: int = 200) -> str:
    """A displayed name: as clean_text, never empty, never a spreadsheet formula."""
    text = clean_text(value, max_length=max_length)
    if not text:
        raise TextError("missing")
    if text.startswith(FORMULA_PREFIXES):
        raise TextError("formula_prefix")
    return text


def clean_affiliation(value: str, *, max_length: int = 300) -> str:
    text = clean_text(value, max_length=max_length)
    if text.startswith(FORMULA_PREFIXES):
        raise TextError("formula_prefix")
    return text


MAX_LOCAL_OCTETS = 64  # RFC 5321 4.5.3.1.1


class Email(str):
    """A validated address: `str(self)` is the form to send to, `canonical` the identity."""

    canonical: str

    def __new__(cls, value: str, canonical: str) -> "Email":
        obj = super().__new__(cls, value)
        obj.canonical = canonical
        return obj


def parse_email(value: str) -> Email:
    """Validate syntax only (no DNS) and compute the canonical form (the signer's identity).

    Canonical form: NFC; local part lower-cased (mailbox names are
    case-insensitive at every provider we know of, though RFC 5321 allows
    otherwise); domain lower-cased and IDNA-encoded (so `bücher.de`,
    `BÜCHER.de` and `xn--bcher-kva.de` are one); then `mailbox()` folds the
    spellings that the big providers deliver to one mailbox. The address
    mail is sent to stays as typed (`str(email)`).
    """
    from email_validator import EmailNotValidError, validate_email  # ~0.1 s: on first use

    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > 254 or any(_forbidden(ch) for ch in text):
        raise TextError("invalid_email")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        raise TextError("invalid_email") from None
    if len(info.local_part.encode("utf-8")) > MAX_LOCAL_OCTETS:
        raise TextError("invalid_email")  # email_validator does not check it; SES refuses it
    local = unicodedata.normalize("NFC", info.local_part).lower()
    return Email(info.normalized, mailbox(local, info.ascii_domain.lower()))


# One mailbox, several spellings (docs/PRIVACY.md). Only providers that document the
# behaviour are folded: elsewhere a dot or a "+" may well name another person's mailbox.
# Domains of one account namespace (an address at one is the same mailbox at the others):
SAME_MAILBOX_DOMAINS = {"googlemail.com": "gmail.com", "me.com": "icloud.com",
                        "mac.com": "icloud.com", "protonmail.com": "proton.me",
                        "protonmail.ch": "proton.me", "pm.me": "proton.me"}
# Gmail ignores dots in the local part.
DOTS_IGNORED = frozenset({"gmail.com"})
# Sub-addressing with "+tag" (Yahoo's disposable addresses use "-" and a separate base
# name, so Yahoo is not folded).
PLUS_TAGS = frozenset({"gmail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
                       "icloud.com", "fastmail.com", "fastmail.fm", "proton.me"})


def mailbox(local: str, domain: str) -> str:
    """The canonical mailbox of a lower-cased local part and ASCII domain."""
    domain = SAME_MAILBOX_DOMAINS.get(domain, domain)
    if domain in PLUS_TAGS and "+" in local[1:]:
        local = local[:local.index("+", 1)]
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


_SUFFIX = re.compile(r",.*$")


def sort_key(kind: str, name: str) -> str:
    """The order the example letter prints: organisations by name, individuals by surname.

    For a Latin-script individual the surname is the last word before any
    comma ("David Alton, Lord" sorts as "alton david"); names in scripts
    written family-name-first (Hangul, Han, kana) sort as written.
    """
    base = name
    if kind == "individual" and _latin(name):
        head = _SUFFIX.sub("", name).strip()
        words = head.split()
        if len(words) > 1:
            base = " ".join([words[-1], *words[:-1]])
    return fold(base)


def fold(s: str) -> str:
    """Case and accents folded (NFKD, combining marks dropped): how names compare."""
    folded = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _latin(name: str) -> bool:
    letters = [ch for ch in name if ch.isalpha()]
    return bool(letters) and all("LATIN" in unicodedata.name(ch, "") for ch in letters)
