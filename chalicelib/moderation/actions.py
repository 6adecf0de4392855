"""Organisers' actions on signatures: approve, reject, hide, unhide, rename; in bulk; and
the invalidation that rejects every signature matching some filters."""
from __future__ import annotations

from typing import Optional

from ..errors import NotFoundError, StateConflictError, ValidationFailedError
from ..letter_service import LetterService
from ..organiser_models import BulkResult, Filters, InvalidationResult, SignatureAdmin
from ..principal import Principal
from ..states import ACTIONS, AWAITING, LISTED, PENDING, REJECTED, WITHDRAWN
from ..storage import Table, TransactionConflict, keys
from ..text import TextError, clean_name
from ..transitions import Transitions
from .queue import Queue, admin_view


def _conflict(state: str, action: str) -> StateConflictError:
    return StateConflictError(f"A signature that is {state.replace('_', ' ')} cannot take "
                              f"the action '{action}'.")


class Actions:
    def __init__(self, store: Table, letters: LetterService, transitions: Transitions,
                 queue: Queue) -> None:
        self.store = store
        self.letters = letters
        self.transitions = transitions
        self.queue = queue

    def act(self, slug: str, sig_id: str, action: str, who: Principal, *,
            reason: Optional[str] = None, name: Optional[str] = None) -> SignatureAdmin:
        letter = self.letters.letter_item(slug)
        sig = self.queue.signature(letter, sig_id)
        if sig.get("anonymised_at"):
            raise StateConflictError("This signature was anonymised under the retention rules: "
                                     "no action applies to it any more.")
        if action == "rename":
            if sig["state"] in (PENDING, WITHDRAWN):
                raise _conflict(sig["state"], action)
            return admin_view(self._rename(letter, sig, name, who, reason), self.store, letter)
        allowed, to = ACTIONS[action]
        if sig["state"] not in allowed:
            raise _conflict(sig["state"], action)
        fields = {"reason": reason} if reason else {}
        if to == LISTED and sig["state"] == AWAITING:
            fields["approved_by"] = who.who
        try:
            after = self.transitions.move(letter, sig, to, set_fields=fields, audit={
                "who": who.who, "action": action, "reason": reason})
        except TransactionConflict:
            raise StateConflictError("The signature changed meanwhile (another organiser, or "
                                     "the signer). Reload and try again.") from None
        return admin_view(after, self.store, letter)

    def _rename(self, letter: dict, sig: dict, name: Optional[str], who: Principal,
                reason: Optional[str]) -> dict:
        try:
            clean = clean_name(name or "")
        except TextError as e:
            raise ValidationFailedError(fields=[{"loc": ["body", "name"], "type": e.kind}]) from None
        fields = {"name": clean}
        if not sig.get("original_name"):
            fields["original_name"] = sig["name"]
        # Same state: the move only rewrites fields (and the list's sort key if listed).
        try:
            return self.transitions.move(letter, sig, sig["state"], set_fields=fields, audit={
                "who": who.who, "action": "rename", "reason": reason,
                "before": {"name": sig["name"]}, "after": {"name": clean}})
        except TransactionConflict:
            raise StateConflictError("The signature changed meanwhile. Reload and try again.") from None

    def bulk(self, slug: str, ids: list[str], action: str, who: Principal,
             reason: Optional[str]) -> BulkResult:
        changed, skipped = [], []
        for sig_id in dict.fromkeys(ids):
            try:
                self.act(slug, sig_id, action, who, reason=reason)
                changed.append(sig_id)
            except (NotFoundError, StateConflictError, TransactionConflict):
                skipped.append(sig_id)
        return BulkResult(changed=changed, skipped=skipped)

    def invalidate(self, slug: str, f: Filters, who: Principal, reason: str,
                   dry_run: bool) -> InvalidationResult:
        """Reject every signature matching the filters; a dry run only counts them."""
        if not any(getattr(f, k) for k in ("q", "country", "email_domain", "since", "until")):
            raise ValidationFailedError(
                "Give at least one filter (name, country, email domain or time window).",
                fields=[{"loc": ["body"], "type": "filter_required"}])
        letter = self.letters.letter_item(slug)
        allowed = ACTIONS["reject"][0]
        matches = [item for item, _ in self.queue.items(letter, f, {}) if item["state"] in allowed]
        changed = 0
        if not dry_run:
            audit = {"who": who.who, "action": "invalidate", "reason": reason}
            for item in matches:
                for _ in range(2):  # once more after a conflict, on the item as it is now
                    try:
                        self.transitions.move(letter, item, REJECTED,
                                              set_fields={"reason": reason}, audit=audit)
                        changed += 1
                        break
                    except TransactionConflict:
                        item = self.store.get(keys.key_of(item))
                        if not item or item["state"] not in allowed:
                            break
                # still moving after that (the signer, another organiser): left as is
        return InvalidationResult(dry_run=dry_run, matched=len(matches), changed=changed)
