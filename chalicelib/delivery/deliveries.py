"""`Deliveries`: preview, send and list the deliveries of a letter.

A delivery sends one complete snapshot's PDF (and, if asked, its DOCX) as the files the
manifest lists: each is read back from the bucket and its sha256 checked against the
manifest before it is attached, so the record's sha256 names what the addressee got.

Order of writes: the delivery item is Put first (`sending`, conditioned on its id being new:
the same delivery twice is refused unless asked for), then SES takes the message, then one
UpdateItem records SES's id (`sent`), a Put maps that id to the delivery (for SES's events),
the letter item gets `last_delivery` (the public page's "Delivered to … on …") and an audit
record is put. A send SES refuses marks the item `failed` with SES's reason (nothing was
delivered; the same delivery may be sent again) and is audited. A function dying between SES's answer and the update leaves `sending`: the
organisers see a delivery whose fate only SES's events (or the recipients) can tell.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Optional

from ..clock import Clock, iso
from ..errors import (DeliveryExistsError, DeliveryRefusedError, NotFoundError,
                      ServiceUnavailableError, SnapshotUnusableError)
from ..letter_service import LetterService
from ..mail import Mailer, MailError, MailThrottled
from ..principal import Principal
from ..settings import Settings
from ..snapshots import published
from ..storage import NEW_ITEM, Query, Table, Update, eq, keys
from ..storage.s3_objects import get_json
from . import message
from .models import Attachment, DeliveryIn, DeliveryList, DeliveryOut, DeliveryPreview

ATTACHED = ("letter.pdf", "letter.docx")


class Deliveries:
    def __init__(self, settings: Settings, store: Table, letters: LetterService, mailer: Mailer,
                 clock: Clock, s3: Any, announce: Optional[Callable[..., int]] = None) -> None:
        self.announce = announce  # Updates.announce_delivery (wiring): no update code here
        self.settings = settings
        self.store = store
        self.letters = letters
        self.mailer = mailer
        self.clock = clock
        self.s3 = s3

    # ---- what would go -------------------------------------------------------------

    def preview(self, slug: str, data: DeliveryIn) -> DeliveryPreview:
        """The message as it would go, and what it proves; sends and stores nothing."""
        draft, _ = self._draft(slug, data, iso(self.clock()))
        return draft

    def _draft(self, slug: str, data: DeliveryIn, now: str) -> tuple[DeliveryPreview, list]:
        letter = self.letters.letter_item(slug)
        if len(data.recipients) > self.settings.delivery_max_recipients:
            raise SnapshotUnusableError(  # a 409 names the limit; the model caps it at 50
                f"A delivery has at most {self.settings.delivery_max_recipients} recipients.")
        manifest, manifest_sha = self._manifest(slug, data.snapshot)
        if data.manifest_sha256 and data.manifest_sha256 != manifest_sha:
            raise SnapshotUnusableError("The snapshot was cut again since the preview; "
                                        "preview it again.")
        names = ATTACHED if data.attach_docx else ATTACHED[:1]
        files = [self._file(slug, data.snapshot, manifest, name) for name in names]
        signatures = int(manifest.get("counts", {}).get("listed", {}).get("total", 0))
        metas = [meta for meta, _ in files]
        text, page = message.cover_parts(data.message, message.proof_lines(
            data.snapshot, signatures, manifest_sha, metas))
        addressee = data.addressee or letter["addressee"].strip().splitlines()[0]
        draft = DeliveryPreview(
            slug=slug, snapshot=data.snapshot, manifest_sha256=manifest_sha,
            signatures=signatures, addressee=addressee, sender=self.settings.mail_from,
            recipients=data.recipients, subject=data.subject or letter.get("subject")
            or letter["title"], text=text, html=page,
            attachments=[Attachment(**m) for m in metas])
        return draft, files

    def _manifest(self, slug: str, date: str) -> tuple[dict, str]:
        key = published.snapshot_prefix(slug, date) + published.MANIFEST
        got = get_json(self.s3, self.settings.exports_bucket, key)
        if got is None:
            raise NotFoundError("There is no complete snapshot of that day.")
        manifest, raw = got
        if "letter.pdf" not in manifest.get("files", {}):
            why = manifest.get("refused", {}).get("letter.pdf") or \
                "it was cut before snapshots had a PDF; cut one again"
            raise SnapshotUnusableError(f"That snapshot has no PDF: {why}")
        return manifest, hashlib.sha256(raw).hexdigest()

    def _file(self, slug: str, date: str, manifest: dict, name: str) -> tuple[dict, bytes]:
        meta = manifest["files"].get(name)
        if meta is None:
            raise SnapshotUnusableError(f"That snapshot has no {name}.")
        data = self.s3.get_object(Bucket=self.settings.exports_bucket,
                                  Key=meta["key"])["Body"].read()
        sha = hashlib.sha256(data).hexdigest()
        if sha != meta["sha256"] or len(data) != meta["size"]:
            raise SnapshotUnusableError(f"{name} differs from the snapshot's manifest; "
                                        "verify the snapshot (snapshots verify).")
        return {"name": name, "content_type": published.FILES[name], "size": len(data),
                "sha256": sha}, data

    # ---- sending -------------------------------------------------------------------

    def deliver(self, slug: str, data: DeliveryIn, who: Principal) -> DeliveryOut:
        now = iso(self.clock())
        draft, files = self._draft(slug, data, now)
        seed = [slug, draft.snapshot, draft.manifest_sha256, draft.subject, data.message,
                *sorted(r.lower() for r in draft.recipients), str(data.attach_docx)]
        delivery_id = keys.request_token(*seed, *([now] if data.again else []))[:32]
        key = keys.delivery_key(slug, delivery_id)
        item = {**key, "delivery_id": delivery_id, "slug": slug, "snapshot": draft.snapshot,
                "manifest_sha256": draft.manifest_sha256,
                "pdf_sha256": draft.attachments[0].sha256, "signatures": draft.signatures,
                "addressee": draft.addressee, "recipients": draft.recipients,
                "subject": draft.subject,
                "attachments": [a.model_dump() for a in draft.attachments],
                "status": "sending", "sent_at": now, "sent_by": who.who}
        if not self.store.put(item, condition=NEW_ITEM | eq("status", "failed")):
            before = self.store.get(key) or {}
            raise DeliveryExistsError(
                f"This delivery was sent on {before.get('sent_at', '?')[:10]} "
                f"(delivery {delivery_id}); send it again only on purpose (again: true).")
        raw = message.build(sender=self.settings.mail_from, recipients=draft.recipients,
                            subject=draft.subject, text=draft.text, page=draft.html,
                            attachments=files, sent_at=now)
        try:
            message_id = self.mailer.send_raw(raw, draft.recipients)
        except MailError as exc:
            self.store.update(key, Update(set={"status": "failed", "error": str(exc)[:200]}))
            self._audit(slug, now, who, "deliver-failed", delivery_id, {"error": str(exc)})
            if isinstance(exc, MailThrottled):
                raise ServiceUnavailableError(5, "The mail service is busy; nothing was sent. "
                                                 "Try again shortly.") from None
            raise DeliveryRefusedError(f"The mail service refused the message ({exc}); "
                                       "nothing was sent.") from None
        self.store.update(key, Update(set={"status": "sent", "ses_message_id": message_id}))
        self.store.put({**keys.ses_message_key(message_id), "kind": "delivery", "slug": slug,
                        "delivery_id": delivery_id})
        day = now[:10]
        self.store.update(keys.letter_key(slug), Update(set={"last_delivery": {
            "id": delivery_id, "date": day, "addressee": draft.addressee,
            "signatures": draft.signatures, "snapshot": draft.snapshot}}))
        self.letters.forget_letter(slug)
        self._audit(slug, now, who, "deliver", delivery_id, {
            "snapshot": draft.snapshot, "manifest_sha256": draft.manifest_sha256,
            "pdf_sha256": item["pdf_sha256"], "ses_message_id": message_id,
            "recipients": len(draft.recipients)})
        if data.announce and self.announce is not None:
            seq = self.announce(slug, {"addressee": draft.addressee, "date": day,
                                       "signatures": draft.signatures}, who.who)
            self.store.update(key, Update(set={"update_seq": seq}))
        return self.delivery(slug, delivery_id)

    def _audit(self, slug: str, now: str, who: Principal, action: str, delivery_id: str,
               after: dict) -> None:
        self.store.put({**keys.audit_key(slug, now), "at": now, "who": who.who,
                        "action": action, "before": {"delivery": delivery_id},
                        "after": after})

    # ---- reading -------------------------------------------------------------------

    def delivery(self, slug: str, delivery_id: str) -> DeliveryOut:
        item = self.store.get(keys.delivery_key(slug, delivery_id))
        if item is None:
            raise NotFoundError("There is no such delivery.")
        return delivery_out(item)

    def list(self, slug: str) -> DeliveryList:
        self.letters.letter_item(slug)
        items = list(self.store.query(Query(pk=keys.delivery_partition(slug))))
        items.sort(key=lambda i: i["sent_at"], reverse=True)
        return DeliveryList(deliveries=[delivery_out(i) for i in items])


def delivery_out(item: dict) -> DeliveryOut:
    outcomes = []
    for i, recipient in enumerate(item["recipients"]):
        got: Optional[dict] = item.get(f"outcome_{i}")
        outcomes.append({"recipient": recipient, "status": "sent", **(got or {})})
    return DeliveryOut(
        id=item["delivery_id"], recipients=outcomes,
        **{k: item.get(k) for k in ("slug", "snapshot", "manifest_sha256", "pdf_sha256",
                                    "signatures", "addressee", "subject", "attachments",
                                    "status", "ses_message_id", "sent_at", "sent_by",
                                    "error")}, update=item.get("update_seq"))
