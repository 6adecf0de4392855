"""A letter's text in other languages: each translation has its own hash, which joins the
letter's `versions`, so a signer who read the translation signs it (and exports say so).
The letter's own `language` stays the authoritative text, and the delivery letter's."""
from __future__ import annotations

import datetime as dt
import re

from .. import letters
from ..clock import Clock, iso
from ..errors import LetterChangedError, NotFoundError, ValidationFailedError
from ..letter_service import LetterService
from ..models import SLUG
from ..principal import Principal
from ..storage import Table, Update, eq, keys
from ..workspace_models import LANGUAGE, TranslationIn, TranslationSource


class Translations:
    def __init__(self, store: Table, letters_: LetterService, clock: Clock) -> None:
        self.store = store
        self.letters = letters_
        self.clock = clock

    def save(self, slug: str, language: str, data: TranslationIn, who: Principal) -> TranslationSource:
        """Store (or replace) the letter's text in `language`; a changed text is a new version."""
        if not re.fullmatch(LANGUAGE, language):
            raise ValidationFailedError(fields=[{"loc": ["path", "language"], "type": "invalid_language"}])
        item = self.store.get(keys.letter_key(slug)) if SLUG.fullmatch(slug) else None
        if item is None:
            raise NotFoundError("There is no such letter.")
        if language == item["language"]:
            raise ValidationFailedError(
                "This is the letter's own language: edit the letter itself.",
                fields=[{"loc": ["path", "language"], "type": "main_language"}])
        # The same parts, hashed the same way, as the authoritative text (letters.Letter).
        text = letters.Letter(slug=slug, date=dt.date.fromisoformat(item["date"]),
                              language=language, **data.model_dump())
        sha = text.text_sha256
        now = iso(self.clock())
        self.store.put({**keys.version_key(slug, sha), "body_md": text.body, "language": language,
                        "created_at": now})
        self.store.put({**keys.translation_key(slug, language), "language": language,
                        "title": text.title, "addressee": text.addressee.strip(),
                        "subject": text.subject, "salutation": text.salutation,
                        "closing": text.closing, "body_md": text.body,
                        "body_html": letters.render_body(text.body), "text_sha256": sha,
                        "of_sha256": item["text_sha256"], "updated_at": now})
        before = (item.get("translations") or {}).get(language)
        mapping = {**(item.get("translations") or {}), language: sha}
        versions = list(dict.fromkeys([*item["versions"], sha]))
        if not self.store.update(keys.letter_key(slug),
                                 Update(set={"translations": mapping, "versions": versions}),
                                 condition=eq("text_sha256", item["text_sha256"])):
            raise LetterChangedError()
        self.letters.forget_letter(slug)
        if before != sha:
            self.store.put({**keys.audit_key(slug, now), "at": now, "who": who.who,
                            "action": "translation", "before": {"language": language, "text_sha256": before},
                            "after": {"language": language, "text_sha256": sha}})
        return self._source(slug, language)

    def sources(self, slug: str) -> list[TranslationSource]:
        item = self.store.get(keys.letter_key(slug)) if SLUG.fullmatch(slug) else None
        if item is None:
            raise NotFoundError("There is no such letter.")
        return [self._source(slug, lang) for lang in sorted(item.get("translations") or {})]

    def _source(self, slug: str, language: str) -> TranslationSource:
        t = self.store.get(keys.translation_key(slug, language))
        if t is None:
            raise NotFoundError("There is no translation in that language.")
        letter = self.store.get(keys.letter_key(slug)) or {}
        return TranslationSource(
            **{k: t.get(k) for k in ("language", "title", "addressee", "subject", "salutation",
                                     "closing", "text_sha256")},
            body=t["body_md"], current=t.get("of_sha256") == letter.get("text_sha256"))
