"""SES's events about sent mail (SNS → the `ses_events` function): delivery, bounce,
complaint, delay. Each names SES's message id; `SESMSG#{id}` says what the mail was:

- a delivery of the letter: the event is written onto the delivery, per recipient;
- a signer's mail (the mail worker's): a hard (permanent) bounce or a complaint suppresses
  the address, by its keyed hash (`SUPPRESS#{hmac}`: the worker sends it nothing more), and
  a hard bounce of a pending signature's link marks it (`bounced_at`) so organisers see it.
  Transient bounces, delays and deliveries change nothing.

SNS delivers at least once and not in order: writing an outcome is idempotent (the same
event sets the same attributes), and a delay never overwrites a final outcome.

Locally `us ses-event MESSAGE_ID …` (tools/delivery_cli.py) builds the event SES would
publish and hands it to `SesEvents.apply`, so the whole flow runs in `make run`.
"""
from __future__ import annotations

import json
import logging
from typing import Optional

from ..states import PENDING
from ..storage import NEW_ITEM, Table, Update, eq, keys

log = logging.getLogger(__name__)

FINAL = {"delivered", "bounced", "complained"}
# SES event type → (the recipient's outcome, the part of the event listing recipients)
KINDS = {"Delivery": ("delivered", "delivery"), "Bounce": ("bounced", "bounce"),
         "Complaint": ("complained", "complaint"), "DeliveryDelay": ("delayed", "deliveryDelay")}


def recipients_of(event: dict, part: str) -> list[tuple[str, Optional[str]]]:
    """(address, detail) of each recipient the event is about."""
    body = event.get(part) or {}
    if part == "delivery":
        return [(r, (body.get("smtpResponse") or "")[:200] or None)
                for r in body.get("recipients", [])]
    listed = {"bounce": "bouncedRecipients", "complaint": "complainedRecipients",
              "deliveryDelay": "delayedRecipients"}[part]
    detail = body.get("bounceType") or body.get("complaintFeedbackType") or body.get("delayType")
    return [(r.get("emailAddress", ""), ((r.get("diagnosticCode") or detail) or "")[:200] or None)
            for r in body.get(listed, [])]


class SesEvents:
    def __init__(self, store: Table) -> None:
        self.store = store

    def handle_sns(self, message: str) -> str:
        """One SNS message (the function's event): SES's JSON event."""
        try:
            event = json.loads(message)
        except ValueError:
            log.warning("ses event: not JSON; ignored")
            return "ignored"
        return self.apply(event)

    def apply(self, event: dict) -> str:
        """Write one SES event onto what its mail was; returns what was done."""
        kind = event.get("eventType") or event.get("notificationType")
        message_id = (event.get("mail") or {}).get("messageId")
        if kind not in KINDS or not message_id:
            return "ignored"
        ref = self.store.get(keys.ses_message_key(message_id))
        if ref is None:
            return "unknown"   # a mail sent before events were recorded, or not ours
        if ref.get("kind") == "delivery":
            return self._delivery(ref, event, kind)
        if ref.get("kind") == "signer":
            return self._signer(ref, event, kind)
        return "ignored"

    def _signer(self, ref: dict, event: dict, kind: str) -> str:
        hard = kind == "Complaint" or (
            kind == "Bounce" and (event.get("bounce") or {}).get("bounceType") == "Permanent")
        if not hard or not ref.get("email_hash"):
            return "ignored"
        status, part = KINDS[kind]
        at = (event.get(part) or {}).get("timestamp") or (event.get("mail") or {}).get("timestamp")
        self.store.put({**keys.suppression_key(ref["email_hash"]), "reason": status, "at": at,
                        "letter": ref["slug"], "sig_id": ref["sig_id"]}, condition=NEW_ITEM)
        if kind == "Bounce":
            letter = self.store.get(keys.letter_key(ref["slug"]))
            if letter is not None:
                key = keys.signature_key(ref["slug"], ref["sig_id"], letter["shards"])
                # No diagnostic text: it may quote the address, which is sealed.
                self.store.update(key, Update(set={"bounced_at": at}),
                                  condition=eq("state", PENDING))
        log.info("ses event: %s for signature %s; address suppressed", status, ref["sig_id"])
        return status

    def _delivery(self, ref: dict, event: dict, kind: str) -> str:
        key = keys.delivery_key(ref["slug"], ref["delivery_id"])
        item = self.store.get(key)
        if item is None:
            return "unknown"
        status, part = KINDS[kind]
        at = (event.get(part) or {}).get("timestamp") or (event.get("mail") or {}).get("timestamp")
        index = {r.lower(): i for i, r in enumerate(item["recipients"])}
        changes = {}
        for address, detail in recipients_of(event, part):
            i = index.get(address.lower())
            if i is None:
                continue
            current = (item.get(f"outcome_{i}") or {}).get("status")
            if status == "delayed" and current in FINAL:
                continue
            changes[f"outcome_{i}"] = {"status": status, "at": at, "detail": detail}
        if not changes:
            return "unchanged"
        self.store.update(key, Update(set=changes))
        return status
