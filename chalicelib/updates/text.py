"""An update as its reader gets it: the Markdown as the text part and as HTML (the letter's
renderer, raw HTML off), then why they receive it and the one-click unsubscribe (RFC 8058)."""
from __future__ import annotations

import html as html_lib
from typing import Optional

from .. import letters, mail_text

FOOTER = {
    "en": ("You receive this because you signed \"{title}\" and asked its organisers for "
           "updates. To stop them, open this link (it asks once more, then stops every "
           "update of this letter; your signature stays):"),
    "ko": ("\"{title}\"에 서명하면서 주최 측의 소식을 받겠다고 하셨기에 이 메일을 보냅니다. "
           "그만 받으려면 이 링크를 여세요(한 번 더 확인한 뒤 이 서한의 소식을 모두 멈춥니다. "
           "서명은 그대로 남습니다):"),
}
LINK_WORD = {"en": "Stop these updates", "ko": "소식 그만 받기"}


DELIVERED = {
    "en": ("The letter was delivered: {title}",
           "The letter \"{title}\" was delivered to {addressee} on {date} with {n} signatures, "
           "yours among them. Thank you for signing."),
    "ko": ("서한이 전달되었습니다: {title}",
           "\"{title}\" 서한이 {date}에 서명 {n}개와 함께 {addressee}에게 전달되었습니다. 귀하의 "
           "서명도 그 안에 있습니다. 서명해 주셔서 감사합니다."),
}


def delivered(language: str, title: str, delivery: dict) -> dict:
    """The update a delivery sends (an update text: subject, Markdown body)."""
    subject, body = DELIVERED.get(language, DELIVERED["en"])
    words = {"title": title, "addressee": delivery["addressee"], "date": delivery["date"],
             "n": f"{delivery['signatures']:,}"}
    return {"subject": subject.format(**words)[:200], "body": body.format(**words)}


def pick(texts: dict, language: Optional[str], letter_language: str) -> tuple[str, dict]:
    """The text for a reader of `language`: theirs if written, else the letter's own."""
    if language in texts:
        return language, texts[language]
    return letter_language, texts.get(letter_language) or next(iter(texts.values()))


def unsubscribe_urls(site: str, token: str) -> tuple[str, str]:
    """(the page a reader opens, the URL a mail client POSTs to: List-Unsubscribe)."""
    return f"{site}/unsubscribe.html#token={token}", f"{site}/api/unsubscribe?token={token}"


def render(letter: dict, text: dict, language: str, site: str,
           token: str) -> tuple[str, str, str, dict[str, str]]:
    """(subject, text, html, headers) of one update mail."""
    page, one_click = unsubscribe_urls(site, token)
    lang = language if language in FOOTER else "en"
    why = FOOTER[lang].format(title=letter["title"])
    organisers = letter.get("organisers") or {}
    body = f"{text['body'].rstrip()}\n\n--\n{why}\n{page}\n"
    body += mail_text.organisers_footer(organisers, lang)
    esc = html_lib.escape
    footer = mail_text.organisers_footer(organisers, lang).strip().removeprefix("--").strip()
    html = (f"<!doctype html><html lang=\"{esc(language)}\"><body>"
            f"{letters.render_body(text['body'])}<hr><p>{esc(why)} "
            f"<a href=\"{esc(page)}\">{esc(LINK_WORD[lang])}</a></p>"
            + (f"<p>{esc(footer)}</p>" if footer else "") + "</body></html>")
    headers = {"List-Unsubscribe": f"<{one_click}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return text["subject"], body, html, headers
