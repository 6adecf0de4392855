"""The update mailer: each queued update mail sent once, at the send rate, to the address
opened from its seal in this function alone (the messages name signatures, never addresses).

For each signature a message names, it
  1. reads the signature (one consistent GetItem) and asks again whether the update reaches
     it (audience.opted_in: unsubscribed or withdrawn since the fan-out are skipped) and
     whether its address is suppressed (one GetItem of SUPPRESS#);
  2. leases the mail on the signature itself: an UpdateItem setting `update_lease`,
     conditioned on `update_sent` being below the update's number and no live lease, so a
     message delivered twice, or queued twice by a fan-out run again, mails once;
  3. opens the address (Services.unsealer, through the mail worker), sends at the account's
     send rate (the mail worker's one counter for every worker), and sets `update_sent`
     (conditioned on its lease); SES's id is kept as a signer mail's is (SESMSG#), so a
     bounce or complaint of an update suppresses the address too.
Then one UpdateItem ADDs the message's counts to the update. SES throttling gives the
message back (raise): SQS delivers it again and what was sent is skipped.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ..clock import Clock, iso
from ..errors import LetterNotFoundError
from ..letter_service import LetterService
from ..mail import MailError, MailThrottled, Message
from ..sealing.box import SealError
from ..settings import Settings
from ..storage import Table, Update, absent, eq, keys, lt
from . import audience, text as update_text
from .unsubscribe import token_for

log = logging.getLogger(__name__)
LEASE_SECONDS = 120


class UpdateMailer:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, worker: Any,
                 clock: Clock) -> None:
        self.settings, self.store, self.letters, self.clock = settings, store, letters, clock
        self.worker = worker  # mail_worker.MailWorker: the address, the send rate, SESMSG#
        self._key = settings.email_hash_key.encode()

    def handle(self, message: dict) -> dict[str, int]:
        """One queue message: {slug, update, sigs}. Its counts (also ADDed to the update)."""
        slug, seq = message["slug"], int(message["update"])
        counts = {"sent": 0, "failed": 0, "suppressed": 0, "skipped": 0, "again": 0}
        try:
            letter = self.letters.letter_item(slug)
        except LetterNotFoundError:
            return counts
        update = self.store.get(keys.update_key(slug, seq), consistent=False)
        if update is None:
            return counts
        try:
            for sig_id in message["sigs"]:
                counts[self._one(letter, update, sig_id)] += 1
        finally:  # what was done counts, also when throttling gives the message back
            add = {k: v for k, v in counts.items() if v and k != "again"}
            if add:
                self.store.update(keys.update_key(slug, seq), Update(add=add))
        return counts

    def _one(self, letter: dict, update: dict, sig_id: str) -> str:
        seq = update["seq"]
        sig = self.store.signature(letter, sig_id)
        if sig is None or sig.get("update_sent", 0) >= seq:
            return "again" if sig else "skipped"
        if not audience.opted_in(sig, seq):
            return "skipped"  # unsubscribed, withdrawn or moved since it was queued
        if self.store.get(keys.suppression_key(sig["email_hash"])) is not None:
            return "suppressed"
        now = self.clock()
        lease = iso(now + dt.timedelta(seconds=LEASE_SECONDS))
        if not self.store.update(
                keys.key_of(sig), Update(set={"update_lease": lease}),
                condition=(absent("update_sent") | lt("update_sent", seq))
                & (absent("update_lease") | lt("update_lease", iso(now)))
                & eq("updates_opt_in", True)):
            return "again"  # sent meanwhile, or another worker holds it (its message stays)
        try:
            mail = self._message(letter, update, sig)
        except SealError as exc:
            log.warning("update %s: signature %s's address does not open", seq, sig_id)
            self._done(sig, seq, lease, f"no address: {type(exc).__name__}")
            return "failed"
        try:
            message_id = self.worker.send_paced(mail)
        except MailThrottled:
            self.store.update(keys.key_of(sig), Update(remove=("update_lease",)),
                              condition=eq("update_lease", lease))
            raise
        except MailError as exc:
            self._done(sig, seq, lease, f"refused: {str(exc)[:80]}")
            return "failed"
        self._done(sig, seq, lease)
        self.worker.remember(message_id, sig)
        return "sent"

    def _message(self, letter: dict, update: dict, sig: dict) -> Message:
        language, chosen = update_text.pick(update["texts"], sig.get("language"),
                                            letter["language"])
        subject, body, html, headers = update_text.render(
            letter, chosen, language, self.settings.site_url, token_for(self._key, sig))
        organisers = letter.get("organisers") or {}
        return Message(to=self.worker.address(letter, sig), subject=subject, text=body,
                       from_name=organisers.get("name"), reply_to=organisers.get("contact_email"),
                       html=html, headers=tuple(headers.items()))

    def _done(self, sig: dict, seq: int, lease: str, note: str = "") -> None:
        sets: dict = {"update_sent": seq}
        if note:
            sets["update_note"] = note
        gone = ("update_lease",) if note else ("update_lease", "update_note")
        self.store.update(keys.key_of(sig), Update(set=sets, remove=gone),
                          condition=eq("update_lease", lease))
