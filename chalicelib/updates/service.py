"""`Updates`: an organisers' update to the signers who opted in: written (per language),
previewed as a signer gets it, its reach counted, then sent. The counting and the sending
are jobs (fanout.py) on the job worker: at millions of signatures neither fits a request.

An update is one item, UPDATE#{slug} / {seq:06d} (keys.py, pattern 24), numbered from 1. It
is its own audit record: the texts, who wrote it and when, the last reach counted, who sent
it and when, the mails queued, sent, failed, suppressed and skipped (the update mailer adds
them as it goes) and its state: draft → sending (the fan-out runs, then the mail) → sent.
A send is also an audit record of the letter (`update-send`).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..clock import Clock, iso
from ..errors import ConflictError, NotFoundError, ValidationFailedError
from ..letter_service import LetterService
from ..settings import Settings
from ..storage import NEW_ITEM, Query, Table, Update, eq, keys
from ..workspace_models import LANGUAGE
from . import text as update_text
from .models import Rendered, UpdateIn, UpdateList, UpdateOut, UpdatePreview

DRAFT, SENDING, SENT = "draft", "sending", "sent"
PREVIEW_TOKEN = "preview-token-not-a-link"


class UpdateStateError(ConflictError):
    CODE = "update_state"
    MESSAGE = "This update is not in a state this applies to."


class Updates:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, clock: Clock,
                 submit: Callable[..., Any]) -> None:
        self.settings, self.store, self.letters, self.clock = settings, store, letters, clock
        self._submit = submit  # Jobs.submit, injected (wiring): this module imports no job code

    # ---- compose -----------------------------------------------------------------------

    def create(self, slug: str, data: UpdateIn, who: str, source: str = "organiser") -> UpdateOut:
        """A new draft, numbered after the letter's last update (a conditional Put)."""
        letter = self.letters.letter_item(slug)
        texts = self._texts(letter, data)
        now = iso(self.clock())
        for _ in range(5):
            last = next(iter(self.store.query(Query(pk=keys.update_partition(slug),
                                                    forward=False, page_size=1))), None)
            seq = int(last["SK"]) + 1 if last else 1
            item = {**keys.update_key(slug, seq), "slug": slug, "seq": seq, "state": DRAFT,
                    "source": source, "texts": texts, "created_by": who, "created_at": now}
            if self.store.put(item, condition=NEW_ITEM):
                return update_out(item)
        raise ConflictError("Another update was being written at the same time; try again.")

    def edit(self, slug: str, seq: int, data: UpdateIn, who: str) -> UpdateOut:
        """A draft's texts replaced (a sent one is what it was)."""
        letter = self.letters.letter_item(slug)
        texts = self._texts(letter, data)
        now = iso(self.clock())
        if not self.store.update(keys.update_key(slug, seq),
                                 Update(set={"texts": texts, "updated_at": now,
                                             "updated_by": who}),
                                 condition=eq("state", DRAFT)):
            self.item(slug, seq)  # 404 if there is none
            raise UpdateStateError("Only a draft can be changed.")
        return self.get(slug, seq)

    def _texts(self, letter: dict, data: UpdateIn) -> dict:
        allowed = {letter["language"], "en", "ko", *(letter.get("translations") or {})}
        for language in data.texts:
            if not re.fullmatch(LANGUAGE, language) or language not in allowed:
                raise ValidationFailedError(
                    "Write the update in the letter's language or one of its translations.",
                    fields=[{"loc": ["body", "texts", language[:20]], "type": "invalid_language"}])
        if letter["language"] not in data.texts:
            raise ValidationFailedError(
                "The update needs a text in the letter's own language.",
                fields=[{"loc": ["body", "texts", letter["language"]], "type": "missing"}])
        return {k: v.model_dump() for k, v in data.texts.items()}

    # ---- read --------------------------------------------------------------------------

    def item(self, slug: str, seq: int) -> dict:
        self.letters.letter_item(slug)  # 404 for an unknown letter
        found = self.store.get(keys.update_key(slug, seq)) if 0 < seq < 1_000_000 else None
        if found is None:
            raise NotFoundError("There is no such update.")
        return found

    def get(self, slug: str, seq: int) -> UpdateOut:
        return update_out(self.item(slug, seq))

    def list(self, slug: str) -> UpdateList:
        self.letters.letter_item(slug)
        return UpdateList(updates=[update_out(i) for i in self.store.query(
            Query(pk=keys.update_partition(slug), forward=False))])

    def preview(self, slug: str, seq: int) -> UpdatePreview:
        """Each language as a signer of it gets the mail (the unsubscribe link a stand-in)."""
        item = self.item(slug, seq)
        return UpdatePreview(seq=seq, rendered=self._rendered(slug, item["texts"]))

    def preview_draft(self, slug: str, data: UpdateIn) -> UpdatePreview:
        """The same, for texts not stored yet."""
        return UpdatePreview(rendered=self._rendered(slug, self._texts(
            self.letters.letter_item(slug), data)))

    def _rendered(self, slug: str, texts: dict) -> list[Rendered]:
        letter = self.letters.letter_item(slug)
        out = []
        for language, t in texts.items():
            subject, body, html, headers = update_text.render(
                letter, t, language, self.settings.site_url, PREVIEW_TOKEN)
            out.append(Rendered(language=language, subject=subject, text=body, html=html,
                                headers=headers))
        return out

    # ---- count, send ---------------------------------------------------------------------

    def count_reach(self, slug: str, seq: int, who: str):
        """Start the reach job (exact: the fan-out's own selection, nothing queued); 202."""
        self.item(slug, seq)
        job = self._submit(slug, "update_reach", {"update": seq}, who)
        self.store.update(keys.update_key(slug, seq), Update(set={"reach_job": job.id}))
        return job

    def send(self, slug: str, seq: int, who: str) -> UpdateOut:
        """Draft → sending, and the fan-out job started. One update sends at a time: a signer
        mailed a later update is not mailed an earlier one (`update_sent` only rises)."""
        item = self.item(slug, seq)
        busy = [u["seq"] for u in self.store.query(Query(pk=keys.update_partition(slug)))
                if u["state"] == SENDING and u["seq"] != seq and not self._stopped(slug, u)]
        if busy:
            raise UpdateStateError(f"Update {busy[0]} is still being sent.")
        now = iso(self.clock())
        # A draft; or one whose fan-out job failed (sent again: nobody is mailed twice)
        again = eq("state", SENDING) & eq("send_job", item["send_job"]) \
            if item["state"] == SENDING and self._stopped(slug, item) else None
        if not self.store.update(keys.update_key(slug, seq),
                                 Update(set={"state": SENDING, "sent_by": who, "sent_at": now}),
                                 condition=eq("state", DRAFT) | again if again else
                                 eq("state", DRAFT)):
            raise UpdateStateError(f"This update is {item['state']}, not a draft.")
        try:
            job = self._submit(slug, "update_send", {"update": seq}, who)
        except Exception:
            self.store.update(keys.update_key(slug, seq),
                              Update(set={"state": DRAFT}, remove=("sent_by", "sent_at")))
            raise
        self.store.update(keys.update_key(slug, seq), Update(set={"send_job": job.id}))
        self.store.put({**keys.audit_key(slug, now), "at": now, "who": who,
                        "action": "update-send", "before": {"update": seq, "state": DRAFT},
                        "after": {"update": seq, "state": SENDING, "job": job.id,
                                  "reach": item.get("reach")}})
        return self.get(slug, seq)

    def announce_delivery(self, slug: str, delivered: dict, who: str) -> int:
        """The update a delivery sends when asked (`announce`): written in the letter's
        language (and English and Korean, the signers' page languages), then sent. If another
        update is still being sent it waits as a draft. Its number."""
        letter = self.letters.letter_item(slug)
        texts = {lang: update_text.delivered(lang, letter["title"], delivered)
                 for lang in dict.fromkeys([letter["language"], "en", "ko"])}
        update = self.create(slug, UpdateIn.model_validate({"texts": texts}), who,
                             source="delivery")
        try:
            self.send(slug, update.seq, who)
        except UpdateStateError:
            pass  # another update is on its way: this one is sent from the panel later
        return update.seq

    def _stopped(self, slug: str, item: dict) -> bool:
        """Whether a sending update's fan-out job failed for good (it may be sent again)."""
        job = self.store.get(keys.job_key(slug, item["send_job"])) if item.get("send_job") \
            else None
        return job is not None and job.get("state") == "failed"

    # ---- the jobs' ends (fanout.py) -------------------------------------------------------

    def reach_counted(self, slug: str, seq: int, reach: int) -> None:
        self.store.update(keys.update_key(slug, seq),
                          Update(set={"reach": reach, "reach_counted_at": iso(self.clock())}))

    def fanout_done(self, slug: str, seq: int, queued: int) -> None:
        """Every mail is queued: the update is sent (the mailer's counts still rise)."""
        now = iso(self.clock())
        self.store.update(keys.update_key(slug, seq),
                          Update(set={"state": SENT, "queued": queued, "queued_at": now}),
                          condition=eq("state", SENDING))


def update_out(item: dict) -> UpdateOut:
    fields = set(UpdateOut.model_fields)
    return UpdateOut(**{k: v for k, v in item.items() if k in fields})
