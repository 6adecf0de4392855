"""The consent text a signer agrees to, versioned; a signature records which one it saw.

The page shows these texts (it reads them from GET /api/letters/{slug}); the API stores
the version, the language, the sha256 of the exact text and the time.
"""
from __future__ import annotations

import hashlib

VERSION = "2026-11-29"
TEXTS = {
    "en": "I agree that my name, the title or affiliation and the country I give are published "
          "under this letter and delivered with it. My email address is used only to confirm my "
          "signature and is never shown.",
    "ko": "제가 입력한 이름, 직함 또는 소속, 국가가 이 서한 아래에 공개되고 서한과 함께 전달되는 데 "
          "동의합니다. 이메일 주소는 서명 확인에만 쓰이며 공개되지 않습니다.",
}
UPDATES = {
    "en": "Also send me occasional updates about this letter from its organisers (optional).",
    "ko": "이 서한에 관한 주최 측의 소식도 가끔 받겠습니다(선택).",
}
VERSIONS = {VERSION: TEXTS}


def text_sha256(version: str, language: str) -> str | None:
    text = VERSIONS.get(version, {}).get(language)
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


# A partner's own consent, shown beside the main one on a partner's link; recorded like it
# (version, sha256 of the exact text with the partner's name, time).
PARTNER_VERSION = "2026-12-01"
PARTNER_TEXTS = {
    "en": "{partner} may contact me about this letter (optional).",
    "ko": "{partner}이(가) 이 서한에 관해 저에게 연락해도 됩니다(선택).",
}
PARTNER_VERSIONS = {PARTNER_VERSION: PARTNER_TEXTS}


def partner_text(version: str, language: str, partner: str) -> str | None:
    text = PARTNER_VERSIONS.get(version, {}).get(language)
    return text.format(partner=partner) if text else None


def partner_text_sha256(version: str, language: str, partner: str) -> str | None:
    text = partner_text(version, language, partner)
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None
