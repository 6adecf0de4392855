"""The open letters as one plain HTML page: what a visitor without JavaScript reads.

No script, no style beyond a few inline-free defaults; every field escaped; the body is the
letter's own Markdown rendering (raw HTML disabled) with the live tally filled in.
"""
from __future__ import annotations

from html import escape

from .letter_service import LetterService
from .letters import letter_date


def letters_page(letters: LetterService) -> str:
    parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>Open letters</title></head><body><main>"]
    open_letters = [s for s in letters.list_letters() if s.status == "open"]
    if not open_letters:
        parts.append("<p>No letter is open for signatures at the moment.</p>")
    for summary in open_letters:
        letter = letters.get_letter(summary.slug)
        c = letter.counts
        parts.append(f'<article lang="{escape(letter.language)}">')
        parts.append(f"<h1>{escape(letter.title)}</h1>")
        parts.append(f"<p>{escape(letter_date(letter.date.isoformat()))}</p>")
        parts.append("<address>" + "<br>".join(escape(line) for line in
                                               letter.addressee.splitlines()) + "</address>")
        if letter.subject:
            parts.append(f"<p><strong>{escape(letter.subject)}</strong></p>")
        parts.append(f"<p>{escape(letter.salutation)}</p>")
        parts.append(letter.body_html)  # rendered from Markdown with raw HTML disabled
        parts.append(f"<p>{escape(letter.closing)}</p>")
        parts.append(f"<p>Signed so far by {c.organisations} organisations and {c.individuals} "
                     f"individuals from {c.countries} countries. To add your name, open "
                     f'<a href="/l/{escape(letter.slug)}">/l/{escape(letter.slug)}</a> in a '
                     f"browser with JavaScript.</p></article>")
    parts.append("</main></body></html>")
    return "".join(parts)
