"""Organisers' work on a letter: the queue and its search, actions, bulk invalidation,
the audit trail, letter administration, and the recount that checks every counter.

Every change goes through `Undersigned.transition`, which moves state, index keys,
counts and the audit record in one transaction.
"""
from __future__ import annotations

import base64
import json
import re
import unicodedata
from typing import Iterator, Optional

from . import letters as letters_mod, store as keys
from .errors import (AlreadySignedError, NotFoundError, ServiceUnavailableError,
                     ValidationFailedError)
from .admin_models import (AuditEntry, AuditList, BulkResult, Drift, Filters, InvalidationResult,
                           LetterAdminOut, LetterAdminView, SignatureAdmin, SignatureAdminList)
from .models import Counts
from .organisers import Principal
from .services import SLUG as SLUG_RE
from .services import (AWAITING, HIDDEN, LISTED, PENDING, QUARANTINED, QUEUE_STATES, REJECTED,
                       Undersigned, iso)
from .store import TransactionConflict
from .text import TextError, clean_name, parse_email

# action → (states it applies to, state it leads to)
ACTIONS = {
    "approve": ((AWAITING, QUARANTINED), LISTED),
    "reject": ((PENDING, AWAITING, QUARANTINED, LISTED, HIDDEN), REJECTED),
    "hide": ((LISTED,), HIDDEN),
    "unhide": ((HIDDEN,), LISTED),
}
ADMIN_FIELDS = set(SignatureAdmin.model_fields) - {"id"}


def _fold(s: str) -> str:
    folded = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _cursor(value: Optional[dict]) -> Optional[str]:
    if value is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def _uncursor(cursor: Optional[str], shape: dict[str, type]) -> dict:
    """Decode a cursor and check it has exactly the expected keys and types (else 422)."""
    if not cursor:
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        ok = isinstance(value, dict) and set(value) == set(shape) and all(
            isinstance(value[k], t) for k, t in shape.items())
    except Exception:
        ok = False
    if not ok:
        raise _bad_cursor()
    return value


AUDIT_SK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#\d{20}[0-9a-f]{6}")  # store.audit_key


def _bad_cursor() -> ValidationFailedError:
    return ValidationFailedError(fields=[{"loc": ["query", "cursor"], "type": "invalid_cursor"}])


def _domain(domain: str) -> str:
    """The canonical (IDNA, lower-case) form signatures store their email domain in."""
    try:
        return parse_email(f"x@{domain.strip()}").canonical.split("@", 1)[1]
    except TextError:
        return domain.strip().lower()


def admin_view(item: dict) -> SignatureAdmin:
    return SignatureAdmin(id=item["sig_id"], **{k: item.get(k) for k in ADMIN_FIELDS
                                                 if item.get(k) is not None})


class Moderation:
    def __init__(self, app: Undersigned) -> None:
        self.app = app
        self.store = app.store

    # ---- reading ---------------------------------------------------------

    def _items(self, letter: dict, f: Filters, start: dict) -> Iterator[tuple[dict, dict]]:
        """Matching signatures with the cursor that resumes just after each."""
        names, values, conds = {}, {}, []
        if f.state:
            names["#s"] = "state"
            conds.append("#s = :state")
            values[":state"] = {"S": f.state}
        if f.kind:
            conds.append("kind = :kind")
            values[":kind"] = {"S": f.kind}
        if f.country:
            conds.append("country = :country")
            values[":country"] = {"S": f.country}
        if f.email_domain:
            conds.append("email_domain = :domain")
            values[":domain"] = {"S": _domain(f.email_domain)}
        if f.since:
            conds.append("created_at >= :since")
            values[":since"] = {"S": iso(f.since)}
        if f.until:
            conds.append("created_at < :until")
            values[":until"] = {"S": iso(f.until)}
        needle = _fold(f.q) if f.q else None
        extra = {}
        if conds:
            extra = {"FilterExpression": " AND ".join(conds)}
            if names:
                extra["ExpressionAttributeNames"] = names
        slug = letter["slug"]
        if f.state in QUEUE_STATES:
            sources = [("q", {"IndexName": keys.GSI2, "KeyConditionExpression": "GSI2PK = :pk",
                              ":pk": keys.queue_partition(slug, f.state)})]
        else:
            sources = [(f"s{i}", {"KeyConditionExpression": "PK = :pk", "ConsistentRead": True,
                                  ":pk": keys.signature_partition(slug, i)})
                       for i in range(letter["shards"])]
        skipping = bool(start)
        for name, spec in sources:
            if skipping and name != start.get("src"):
                continue
            q = {k: v for k, v in spec.items() if not k.startswith(":")}
            q["ExpressionAttributeValues"] = {**values, ":pk": {"S": spec[":pk"]}}
            q.update(extra)
            if skipping:
                q["ExclusiveStartKey"] = {k: {"S": v} for k, v in start["key"].items()}
                skipping = False
            for item in self.store.query(**q):
                if not item.get("SK", "").startswith("SIG#"):
                    continue
                if needle and needle not in _fold(item.get("name") or ""):
                    continue
                key = {k: item[k] for k in ("PK", "SK", "GSI2PK", "GSI2SK") if k in item} \
                    if name == "q" else {"PK": item["PK"], "SK": item["SK"]}
                yield item, {"src": name, "key": key}

    def search(self, slug: str, f: Filters, cursor: Optional[str], limit: int) -> SignatureAdminList:
        letter = self.app.letter_item(slug)
        out, last = [], None
        gen = self._items(letter, f, self._queue_start(letter, f, cursor))
        for item, position in gen:
            if len(out) == limit:
                return SignatureAdminList(signatures=out, next_cursor=_cursor(last))
            out.append(admin_view(item))
            last = position
        return SignatureAdminList(signatures=out, next_cursor=None)

    def _queue_start(self, letter: dict, f: Filters, cursor: Optional[str]) -> dict:
        """A queue cursor must point into this letter's own partitions (else 422)."""
        start = _uncursor(cursor, {"src": str, "key": dict})
        if not start:
            return start
        key, src, slug = start["key"], start["src"], letter["slug"]
        if not all(isinstance(v, str) and 0 < len(v.encode()) <= 1024 for v in key.values()):
            raise _bad_cursor()
        if src == "q":
            ok = f.state in QUEUE_STATES and set(key) == {"PK", "SK", "GSI2PK", "GSI2SK"} and \
                key["GSI2PK"] == keys.queue_partition(slug, f.state)
        else:
            ok = f.state not in QUEUE_STATES and src[:1] == "s" and src[1:].isascii() and \
                src[1:].isdigit() and \
                int(src[1:]) < letter["shards"] and set(key) == {"PK", "SK"} and \
                key["PK"] == keys.signature_partition(slug, int(src[1:]))
        if not ok:
            raise _bad_cursor()
        return start

    def _get(self, letter: dict, sig_id: str) -> dict:
        if not (len(sig_id) == 26 and sig_id.isalnum()):
            raise NotFoundError("There is no such signature.")
        item = self.store.get(keys.signature_key(letter["slug"], sig_id, letter["shards"]))
        if item is None:
            raise NotFoundError("There is no such signature.")
        return item

    def audit(self, slug: str, cursor: Optional[str], limit: int) -> AuditList:
        self.app.letter_item(slug)
        q = {"KeyConditionExpression": "PK = :pk",
             "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{slug}"}},
             "ScanIndexForward": False}
        start = _uncursor(cursor, {"sk": str})
        if start and not AUDIT_SK.fullmatch(start["sk"]):
            raise _bad_cursor()
        if start:
            q["ExclusiveStartKey"] = {"PK": {"S": f"AUDIT#{slug}"}, "SK": {"S": start["sk"]}}
        out, last = [], None
        for item in self.store.query(**q):
            if len(out) == limit:
                return AuditList(entries=out, next_cursor=_cursor({"sk": last}))
            out.append(AuditEntry(**{k: item.get(k) for k in AuditEntry.model_fields}))
            last = item["SK"]
        return AuditList(entries=out)

    # ---- acting ----------------------------------------------------------

    def act(self, slug: str, sig_id: str, action: str, who: Principal, *,
            reason: Optional[str] = None, name: Optional[str] = None) -> SignatureAdmin:
        letter = self.app.letter_item(slug)
        sig = self._get(letter, sig_id)
        if sig.get("anonymised_at"):
            raise StateConflictError("This signature was anonymised under the retention rules: "
                                     "no action applies to it any more.")
        if action == "rename":
            if sig["state"] in (PENDING, "withdrawn"):
                raise _conflict(sig["state"], action)
            return admin_view(self._rename(letter, sig, name, who, reason))
        allowed, to = ACTIONS[action]
        if sig["state"] not in allowed:
            raise _conflict(sig["state"], action)
        fields = {"reason": reason} if reason else {}
        if to == LISTED and sig["state"] == AWAITING:
            fields["approved_by"] = who.who
        try:
            after = self.app.transition(letter, sig, to, set_fields=fields, audit={
                "who": who.who, "action": action, "reason": reason})
        except TransactionConflict:
            raise StateConflictError("The signature changed meanwhile (another organiser, or "
                                     "the signer). Reload and try again.") from None
        return admin_view(after)

    def _rename(self, letter: dict, sig: dict, name: Optional[str], who: Principal,
                reason: Optional[str]) -> dict:
        try:
            clean = clean_name(name or "")
        except TextError as e:
            raise ValidationFailedError(fields=[{"loc": ["body", "name"], "type": e.kind}]) from None
        fields = {"name": clean}
        if not sig.get("original_name"):
            fields["original_name"] = sig["name"]
        # Same state: the transition only rewrites fields (and the list's sort key if listed).
        try:
            return self.app.transition(letter, sig, sig["state"], set_fields=fields, audit={
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
        letter = self.app.letter_item(slug)
        allowed = ACTIONS["reject"][0]
        matches = [item for item, _ in self._items(letter, f, {}) if item["state"] in allowed]
        changed = 0
        if not dry_run:
            for item in matches:
                try:
                    self.app.transition(letter, item, REJECTED, set_fields={"reason": reason},
                                        audit={"who": who.who, "action": "invalidate",
                                               "reason": reason})
                    changed += 1
                except TransactionConflict:
                    fresh = self.store.get(keys.key_of(item))
                    if fresh and fresh["state"] in allowed:
                        try:
                            self.app.transition(letter, fresh, REJECTED,
                                                set_fields={"reason": reason},
                                                audit={"who": who.who, "action": "invalidate",
                                                       "reason": reason})
                            changed += 1
                        except TransactionConflict:
                            pass  # it keeps moving (the signer, another organiser): left as is
        return InvalidationResult(dry_run=dry_run, matched=len(matches), changed=changed)

    # ---- letters ---------------------------------------------------------

    def save_letter(self, markdown: str, who: Principal, *, slug: Optional[str] = None,
                    create: bool) -> LetterAdminOut:
        try:
            letter = letters_mod.parse_letter(markdown)
        except letters_mod.LetterFormatError:
            raise ValidationFailedError("The letter file is not valid.",
                                        fields=[{"loc": ["body", "markdown"], "type": "invalid_letter"}]) from None
        who.require(letter.slug)
        existing = self.store.get_letter(letter.slug)
        if create and existing:
            raise LetterExistsError()
        if not create:
            if slug != letter.slug:
                raise ValidationFailedError(fields=[{"loc": ["body", "markdown"], "type": "slug_mismatch"}])
            if not existing:
                raise NotFoundError("There is no such letter.")
        changed = self.app.upsert_letter(letter, keep_state=not create)
        if changed:  # loading the same file again is not an edit
            self._audit_letter(letter.slug, who, "create" if create else "edit",
                               {"text_sha256": existing["text_sha256"] if existing else None},
                               {"text_sha256": letter.text_sha256})
        return self._letter_out(letter.slug, changed)

    def set_status(self, slug: str, status: str, closes_at, who: Principal) -> LetterAdminOut:
        item = self.app.letter_item(slug, fresh=True)
        new_close = iso(closes_at) if closes_at and status == "open" else None
        now = iso(self.app.clock())
        if status == "closed":
            # closed_at: when it stopped taking names (snapshots cover recently closed letters)
            self.store.update(keys.letter_key(slug), "SET #st = :s, closed_at = :t REMOVE closes_at",
                              {":s": status, ":t": now}, names={"#st": "status"})
        elif new_close:
            self.store.update(keys.letter_key(slug), "SET #st = :s, closes_at = :c REMOVE closed_at",
                              {":s": status, ":c": new_close}, names={"#st": "status"})
        else:
            self.store.update(keys.letter_key(slug), "SET #st = :s REMOVE closes_at, closed_at",
                              {":s": status}, names={"#st": "status"})
        self._audit_letter(slug, who, f"letter-{status}",
                           {"status": item["status"], "closes_at": item.get("closes_at")},
                           {"status": status, "closes_at": new_close})
        return self._letter_out(slug, True)

    def letter_view(self, slug: str) -> LetterAdminView:
        """The letter as organisers see it: read consistently, never cached."""
        item = self.store.get(keys.letter_key(slug)) if SLUG_RE.fullmatch(slug) else None
        if item is None:
            raise NotFoundError("There is no such letter.")
        return LetterAdminView(**self._letter_out(slug, False).model_dump(), title=item["title"],
                               counts=self.app.counts(item),
                               organisations_need_approval=item["organisations_need_approval"],
                               last_snapshot=item.get("last_snapshot"))

    def _letter_out(self, slug: str, changed: bool) -> LetterAdminOut:
        self.app.forget_letter(slug)
        item = self.app.letter_item(slug, fresh=True)
        return LetterAdminOut(slug=slug, status=self.app._status(item),
                              closes_at=item.get("closes_at"), text_sha256=item["text_sha256"],
                              versions=item["versions"], changed=changed)

    def _audit_letter(self, slug: str, who: Principal, action: str, before: dict,
                      after: dict) -> None:
        now = iso(self.app.clock())
        self.store.put({**keys.audit_key(slug, now), "at": now,
                        "who": who.who, "action": action, "before": before, "after": after})

    # ---- counts ----------------------------------------------------------

    def recount(self, slug: str, *, fix: bool = False) -> Drift:
        """Recompute every counter from the items; report the drift and, with fix, repair it."""
        letter = self.app.letter_item(slug)
        stored_raw: dict[str, int] = {}
        recount_raw: dict[str, int] = {}
        repaired = 0
        for shard in range(letter["shards"]):
            stored, tally, delta = self._recount_shard(slug, shard, fix)
            for k, v in stored.items():
                stored_raw[k] = stored_raw.get(k, 0) + v
            for k, v in tally.items():
                recount_raw[k] = recount_raw.get(k, 0) + v
            repaired += bool(delta)
        drift = {k: recount_raw.get(k, 0) - stored_raw.get(k, 0)
                 for k in set(stored_raw) | set(recount_raw)
                 if recount_raw.get(k, 0) != stored_raw.get(k, 0)}
        drift = drift if drift or not repaired else {"per_shard": repaired}
        return Drift(stored=_counts(stored_raw), recounted=_counts(recount_raw), drift=drift,
                     fixed=bool(repaired and fix))

    RECOUNT_TRIES = 5

    def _recount_shard(self, slug: str, shard: int, fix: bool) -> tuple[dict, dict, dict]:
        """One shard's (stored counters, tally of its listed items, difference).

        A move into or out of `listed` changes the signature and its counter shard in one
        transaction, so the counter read before and after the scan tells whether one
        landed during it: if so, the shard is read again. The repair ADDs the difference on
        the condition that the counter is still what was read, so a move landing after the
        scan is never undone.
        """
        key = keys.counter_key(slug, shard)
        for _ in range(self.RECOUNT_TRIES):
            before = self._counter(key)
            tally: dict[str, int] = {}
            for item in self.store.query(
                    KeyConditionExpression="PK = :pk", ConsistentRead=True,
                    FilterExpression="#s = :l", ExpressionAttributeNames={"#s": "state"},
                    ExpressionAttributeValues={":pk": {"S": keys.signature_partition(slug, shard)},
                                               ":l": {"S": LISTED}}):
                tally[f"n_{item['kind']}"] = tally.get(f"n_{item['kind']}", 0) + 1
                if item.get("country"):
                    tally[f"c_{item['country']}"] = tally.get(f"c_{item['country']}", 0) + 1
            stored = self._counter(key)
            if stored != before:
                continue  # a move landed during the scan
            delta = {k: tally.get(k, 0) - stored.get(k, 0) for k in set(stored) | set(tally)
                     if tally.get(k, 0) != stored.get(k, 0)}
            if not (delta and fix):
                return stored, tally, delta
            names = {f"#a{i}": k for i, k in enumerate(delta)}
            values: dict = {f":d{i}": v for i, v in enumerate(delta.values())}
            conds = []
            for i, k in enumerate(delta):
                if k in stored:
                    conds.append(f"#a{i} = :s{i}")
                    values[f":s{i}"] = stored[k]
                else:
                    conds.append(f"attribute_not_exists(#a{i})")
            if self.store.update(key, "ADD " + ", ".join(f"#a{i} :d{i}" for i in range(len(delta))),
                                 values, names=names, condition=" AND ".join(conds)):
                return stored, tally, delta
        raise ServiceUnavailableError(1)  # the shard keeps moving: try again shortly

    def _counter(self, key: dict) -> dict[str, int]:
        return {k: v for k, v in (self.store.get(key) or {}).items()
                if isinstance(v, int) and not isinstance(v, bool)}


def _counts(raw: dict[str, int]) -> Counts:
    o, i = raw.get("n_organisation", 0), raw.get("n_individual", 0)
    return Counts(organisations=o, individuals=i, total=o + i,
                  countries=sum(1 for k, v in raw.items() if k.startswith("c_") and v > 0))


class StateConflictError(AlreadySignedError):
    CODE = "state_conflict"
    MESSAGE = "The signature is not in a state this action applies to."


class LetterExistsError(AlreadySignedError):
    CODE = "letter_exists"
    MESSAGE = "A letter with this slug exists already; edit it instead."


def _conflict(state: str, action: str) -> StateConflictError:
    return StateConflictError(f"A signature that is {state.replace('_', ' ')} cannot take "
                              f"the action '{action}'.")
