"""The letter as organisers manage it: create or edit its text (a letter file, or the
editor's fields), preview a body, open or close it, view it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import letters
from ..clock import Clock, iso
from ..errors import LetterExistsError, NotFoundError, ValidationFailedError
from ..letter_service import LetterService
from ..models import SLUG
from ..organiser_models import LetterAdminOut, LetterAdminView, LetterSourceIn
from ..principal import Principal
from ..sealing.seal import LetterSealer
from ..retention import schedule
from ..storage import Table, Update, keys

if TYPE_CHECKING:
    from ..workspace_models import LetterAdminList, LetterSource, PreviewOut


class LetterAdmin:
    def __init__(self, store: Table, letters_: LetterService, sealer: LetterSealer,
                 clock: Clock, retention_days: int) -> None:
        self.store = store
        self.letters = letters_
        self.sealer = sealer
        self.clock = clock
        self.retention_days = retention_days

    def save_letter(self, source: LetterSourceIn, who: Principal, *, slug: str | None = None,
                    create: bool) -> LetterAdminOut:
        """Store a letter file or the editor's fields; a changed text is a new version.

        From the editor, a new letter is a closed draft (not public until it is first
        opened), and an edit keeps the letter's status and closing time.
        """
        from_form = source.letter is not None
        if from_form:
            letter = letters.Letter(**source.letter.model_dump(), status="closed")
        else:
            try:
                letter = letters.parse_letter(source.markdown)
            except letters.LetterFormatError:
                raise ValidationFailedError("The letter file is not valid.", fields=[
                    {"loc": ["body", "markdown"], "type": "invalid_letter"}]) from None
        where = ["body", "letter", "slug"] if from_form else ["body", "markdown"]
        who.require(letter.slug)
        existing = self.store.get(keys.letter_key(letter.slug))
        if create and existing:
            raise LetterExistsError()
        if not create:
            if slug != letter.slug:
                raise ValidationFailedError(fields=[{"loc": where, "type": "slug_mismatch"}])
            if not existing:
                raise NotFoundError("There is no such letter.")
        changed = self.letters.upsert_letter(letter, keep_state=not create, existing=existing,
                                             draft=create and from_form)
        # Its sealing key now, not at the first of many parallel sign-ons (sealing/seal.py).
        self.sealer.ensure(letter.slug)
        if changed:  # loading the same file again is not an edit
            self._audit_letter(letter.slug, who, "create" if create else "edit",
                               {"text_sha256": existing["text_sha256"] if existing else None},
                               {"text_sha256": letter.text_sha256})
        return self._letter_out(self._scheduled(self._fresh(letter.slug)), changed)

    def set_status(self, slug: str, status: str, closes_at, who: Principal) -> LetterAdminOut:
        item = self.letters.letter_item(slug, fresh=True)
        new_close = iso(closes_at) if closes_at and status == "open" else None
        now = iso(self.clock())
        if status == "closed":
            # closed_at: when it stopped taking names (snapshots cover recently closed letters)
            change = Update(set={"status": status, "closed_at": now}, remove=("closes_at",))
        else:  # opening a draft publishes it
            change = Update(set={"status": status, "closes_at": new_close},
                            remove=("closed_at", "draft"))
        self.store.update(keys.letter_key(slug), change)
        self._audit_letter(slug, who, f"letter-{status}",
                           {"status": item["status"], "closes_at": item.get("closes_at")},
                           {"status": status, "closes_at": new_close})
        return self._letter_out(self._scheduled(self._fresh(slug)), True)

    def letter_view(self, slug: str) -> LetterAdminView:
        """The letter as organisers see it: read consistently, never cached."""
        item = self.store.get(keys.letter_key(slug)) if SLUG.fullmatch(slug) else None
        if item is None:
            raise NotFoundError("There is no such letter.")
        self.letters.forget_letter(slug)
        return LetterAdminView(**self._letter_out(item, False).model_dump(), title=item["title"],
                               counts=self.letters.counts(item),
                               organisations_need_approval=item["organisations_need_approval"],
                               last_snapshot=item.get("last_snapshot"),
                               draft=bool(item.get("draft")), warnings=self.warnings(item),
                               reminders_sent=item.get("reminders_sent", 0))

    def warnings(self, item: dict) -> list[str]:
        """What organisers must fix before the public sees the letter as theirs."""
        out = []
        if not item.get("organisers"):
            out.append("no_organisers")  # the public page names no one; mail has no Reply-To
        if self.letters.settings.mail_from.rstrip(">").endswith(".invalid"):
            out.append("mail_from_unset")  # MAIL_FROM is the placeholder: mail cannot be answered
        return out

    def letters_for(self, who: Principal) -> "LetterAdminList":
        """Every letter this token may act on, drafts included (the public list has none)."""
        from ..workspace_models import LetterAdminList, LetterAdminSummary
        return LetterAdminList(letters=[
            LetterAdminSummary(slug=i["slug"], title=i["title"], status=self.letters.status(i),
                               draft=bool(i.get("draft")), language=i["language"])
            for i in self.store.list_letters() if who.everything or i["slug"] in who.letters])

    def source(self, slug: str) -> "LetterSource":
        """The current text as the editor's form shows it (the body from its version item)."""
        from ..workspace_models import LetterSource
        item = self.store.get(keys.letter_key(slug)) if SLUG.fullmatch(slug) else None
        if item is None:
            raise NotFoundError("There is no such letter.")
        version = self.store.get(keys.version_key(slug, item["text_sha256"])) or {}
        return LetterSource(**{k: item.get(k) for k in (
            "slug", "title", "date", "addressee", "subject", "salutation", "closing", "language",
            "organisations_need_approval", "organisers", "text_sha256", "versions")},
            body=version.get("body_md", ""), signers=item.get("signers") or "everyone")

    def preview(self, body: str, slug: str | None) -> "PreviewOut":
        """A body rendered as the public page renders it; the placeholders filled with the
        letter's counts (zeros for a letter not stored yet)."""
        from ..models import Counts
        from ..workspace_models import PreviewOut
        counts = Counts(organisations=0, individuals=0, total=0, countries=0)
        if slug:
            item = self.store.get(keys.letter_key(slug))
            if item is not None:
                counts = self.letters.counts(item)
        used = list(dict.fromkeys(m.group(1) for m in letters.PLACEHOLDER.finditer(body)))
        return PreviewOut(body_html=letters.fill_tally(letters.render_body(body), counts),
                          placeholders=used)

    def _scheduled(self, item: dict) -> dict:
        """Its anonymisation date follows its closing (one due item, retention.schedule)."""
        schedule(self.store, item, self.retention_days)
        return item

    def _fresh(self, slug: str) -> dict:
        self.letters.forget_letter(slug)
        return self.letters.letter_item(slug, fresh=True)

    def _letter_out(self, item: dict, changed: bool) -> LetterAdminOut:
        return LetterAdminOut(slug=item["slug"], status=self.letters.status(item),
                              closes_at=item.get("closes_at"), text_sha256=item["text_sha256"],
                              versions=item["versions"], changed=changed)

    def _audit_letter(self, slug: str, who: Principal, action: str, before: dict,
                      after: dict) -> None:
        now = iso(self.clock())
        self.store.put({**keys.audit_key(slug, now), "at": now,
                        "who": who.who, "action": action, "before": before, "after": after})
