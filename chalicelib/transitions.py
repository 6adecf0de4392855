"""A signature's move from one state to another: state, index keys, counter and audit
record in one transaction (access pattern 5 of storage/keys.py); imports created."""
from __future__ import annotations

from typing import Iterable, Optional

from .clock import Clock, iso
from .states import CONFIRMED_STATES, LISTED, PENDING, QUEUE_STATES, WITHDRAWN
from .storage import NEW_ITEM, Change, Put, Table, Update, absent, eq, keys
from .storage import Step
from .text import sort_key


def list_keys(sig: dict, shards: int) -> dict:
    """GSI1's keys for a listed signature: its place in the letter's printed order."""
    return keys.list_keys(sig["letter"], sig["sig_id"], sig["kind"],
                          sort_key(sig["kind"], sig["name"]), shards)


def count_step(slug: str, shard: int, sig: dict, delta: int) -> Change:
    """Add `delta` to the counter shard's kind (and country) counts."""
    add = {f"n_{sig['kind']}": delta}
    if sig.get("country"):
        add[f"c_{sig['country']}"] = delta
    return Change(keys.counter_key(slug, shard), Update(add=add))


def hourly_step(slug: str, shard: int, at: str, event: str, kind: str) -> Change:
    """Add one to the hour's `event` count (signed, confirmed, withdrawn) of `kind`.

    Written in the transaction of the move it counts, on the signature's counter shard,
    so the dashboard's figures are exactly the moves that happened (keys.py pattern 18).
    """
    return Change(keys.hourly_key(slug, shard, at), Update(add={f"{event}_{kind}": 1}))


def hourly_event(frm: str, to: str) -> Optional[str]:
    """What the dashboard counts of a move: a confirmation, or a withdrawal."""
    if frm == PENDING and to in CONFIRMED_STATES:
        return "confirmed"
    if to == WITHDRAWN and frm != WITHDRAWN:
        return "withdrawn"
    return None


def partner_count_step(slug: str, shard: int, sig: dict, delta: int,
                       extra: Optional[dict] = None) -> Change:
    """The same, on the counter shard of the partner whose link the signer came by, with
    `extra` counters (a confirmation's) in the same ADD: a transaction may not touch one
    item twice."""
    add = dict(extra or {})
    if delta:
        add[f"n_{sig['kind']}"] = delta
        if sig.get("country"):
            add[f"c_{sig['country']}"] = delta
    return Change(keys.partner_counter_key(slug, sig["via"], shard), Update(add=add))


class Transitions:
    def __init__(self, store: Table, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def move(self, letter: dict, sig: dict, to: str, *, set_fields: Optional[dict] = None,
             remove: Iterable[str] = (), audit: Optional[dict] = None,
             also: Iterable[Step] = (), partner_add: Optional[dict] = None) -> dict:
        """Move a signature to state `to` in one transaction; returns the new item's fields.

        The update is conditioned on the state and version read, and carries the index
        keys of the new state (GSI1 while listed, GSI2 for the moderation states). A move
        into or out of `listed` adjusts the counter shard in the same transaction (and the
        partner's, for a signature that came by a partner's link); an
        audit record, when given, is written in it too, and so are the steps in `also`
        (`partner_add`: more counters for the partner's shard, e.g. `confirmed`).
        Raises TransactionConflict if the signature changed meanwhile.
        """
        frm, version = sig["state"], sig.get("v", 0)
        now = iso(self.clock())
        sets = {"state": to, "v": version + 1, "updated_at": now,
                **{k: v for k, v in (set_fields or {}).items() if v is not None}}
        drop = set(remove) - set(sets)
        if frm == PENDING and to != PENDING:  # only a pending signature expires (by TTL)
            drop.add(keys.TTL_ATTRIBUTE)       # and is reminded (reminders.py)
            drop.update(keys.REMINDER_KEYS)
        if to == LISTED:
            sets.update(list_keys({**sig, **sets}, letter["shards"]))
            if frm != LISTED:  # a rename keeps when it was listed
                sets.setdefault("listed_at", now)
        elif frm == LISTED:
            drop |= {"GSI1PK", "GSI1SK"}
        if to in QUEUE_STATES:
            sets.update(keys.queue_keys(sig["letter"], to, sig["created_at"], sig["sig_id"]))
        elif frm in QUEUE_STATES:
            drop |= {"GSI2PK", "GSI2SK"}
        unchanged = eq("state", frm) & (absent("v") | eq("v", version))
        steps: list[Step] = [Change(keys.key_of(sig), Update(set=sets, remove=tuple(sorted(drop))),
                                    condition=unchanged)]
        delta = (to == LISTED) - (frm == LISTED)
        shard = keys.shard_of(sig["sig_id"], letter["shards"])
        if delta:
            steps.append(count_step(letter["slug"], shard, sig, delta))
        event = hourly_event(frm, to)
        if event:
            steps.append(hourly_step(letter["slug"], shard, now, event, sig["kind"]))
        if sig.get("via") and (delta or partner_add):
            steps.append(partner_count_step(letter["slug"], shard, sig, delta, partner_add))
        if audit is not None:
            steps.append(Put(self._audit_item(letter["slug"], sig, frm, to, audit, now)))
        steps.extend(also)
        self.store.transact(steps, "move", sig["sig_id"], str(version), frm, to)
        after = {**sig, **sets}
        for name in drop:
            after.pop(name, None)
        return after

    def create(self, letter: dict, sig: dict, run: str, also: Iterable[Step] = ()) -> None:
        """Put a new, already confirmed signature (imports) in one transaction: listed and
        counted, or in a moderation queue (a held lookalike); the steps in `also` with it.

        `run` names the import: a retry within it is one request to DynamoDB (its token),
        while importing the same row again later fails the condition, and is not counted.
        """
        item = dict(sig)
        steps: list[Step] = []
        if sig["state"] == LISTED:
            shard = keys.shard_of(sig["sig_id"], letter["shards"])
            item.update(list_keys(sig, letter["shards"]), listed_at=sig["created_at"])
            steps.append(count_step(letter["slug"], shard, sig, +1))
        elif sig["state"] in QUEUE_STATES:
            item.update(keys.queue_keys(sig["letter"], sig["state"], sig["created_at"],
                                        sig["sig_id"]))
        self.store.transact([Put(item, condition=NEW_ITEM), *steps, *also],
                            "create", sig["sig_id"], run)

    @staticmethod
    def _audit_item(slug: str, sig: dict, frm: str, to: str, audit: dict, now: str) -> dict:
        return {**keys.audit_key(slug, now), "at": now, "sig_id": sig["sig_id"],
                "before": {"state": frm, **audit.get("before", {})},
                "after": {"state": to, **audit.get("after", {})},
                "who": audit["who"], "action": audit["action"], "reason": audit.get("reason")}
