"""Lookalike organisations: does a name look like an organisation already on the letter?

Each letter keeps one item per organisation name key (lookalike.name_key), naming the
signature that first signed with it (keys.org_name_key, access pattern 21 in keys.py). A
sign-on reads nothing for it: its transaction carries the name item's step (`step`: an
organisation's Put, an individual's ConditionCheck), each conditioned on the item being
absent, so the common case costs no round trip. Only when that condition fails is the item
read (`check`: one GetItem, and one more for the signature it names), and the sign-on goes
again, held if the match is live. Imports read first (`check`, then `claim`).

An organisation whose name matches a live one (pending, on the list or in a queue) is held
for an organiser with the match shown (`lookalike_of`); so is an individual whose name is
that of one. A withdrawn, rejected or deleted holder no longer
counts: the next organisation of that name key takes the item over.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .clock import Clock, iso
from .lookalike import name_key
from .states import REJECTED, WITHDRAWN
from .storage import NEW_ITEM, Check, Put, Step, Table, absent, eq, keys

HELD = "lookalike"  # the quarantine reason of a held lookalike
MATCH_FIELDS = ("name", "kind", "country", "state")  # what the organiser sees side by side


@dataclass(frozen=True)
class NameCheck:
    key: Optional[dict]   # the name item's key; None for a name with no letters or digits
    holder: Optional[str]  # the signature the item names (live or not)
    match: Optional[dict]  # the live organisation it names: {"id", "name", …}


class OrgNames:
    def __init__(self, store: Table, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def unread(self, letter: dict, name: str) -> NameCheck:
        """The check a sign-on starts with, reading nothing: no organisation holds the name's
        key. The transaction's `step` makes it hold or fail (then `check` reads the item)."""
        folded = name_key(name)
        return NameCheck(keys.org_name_key(letter["slug"], folded) if folded else None, None, None)

    def step(self, check: NameCheck, sig: dict) -> Optional[Step]:
        """The sign-on transaction's step that keeps `check` true at commit: an organisation
        takes the name item (`claim`); an individual needs it still absent or naming the
        holder found gone (a ConditionCheck). None when there is nothing to check (no name
        key, or a live match: the signature is held)."""
        if sig.get("kind") == "organisation":
            return self.claim(check, sig)
        if check.key is None or check.match is not None:
            return None
        return Check(check.key, NEW_ITEM if check.holder is None else
                     absent("PK") | eq("sig_id", check.holder))

    def check(self, letter: dict, name: str, own_id: Optional[str] = None, *,
              consistent: bool = False) -> NameCheck:
        """Whether `name` looks like an organisation on the letter other than `own_id`."""
        folded = name_key(name)
        if not folded:
            return NameCheck(None, None, None)
        key = keys.org_name_key(letter["slug"], folded)
        item = self.store.get(key, consistent=consistent)
        holder = (item or {}).get("sig_id")
        if not holder or holder == own_id:
            return NameCheck(key, holder, None)
        sig = self.store.signature(letter, holder)
        if not sig or sig.get("state") in (WITHDRAWN, REJECTED) or not sig.get("name"):
            return NameCheck(key, holder, None)
        return NameCheck(key, holder, {"id": holder, **{f: sig.get(f) for f in MATCH_FIELDS}})

    def claim(self, check: NameCheck, sig: dict) -> Optional[Put]:
        """The step that makes an organisation with no live match the name's holder: if the
        item is absent, or still names the holder that was found gone (a race loses it)."""
        if check.key is None or check.match is not None:
            return None
        # Only the id: no copy of the name, which goes when its signer withdraws.
        item = {**check.key, "sig_id": sig["sig_id"], "created_at": iso(self.clock())}
        if check.holder is None:
            return Put(item, condition=NEW_ITEM)
        return Put(item, condition=absent("PK") | eq("sig_id", check.holder))


    def backfill(self, letter: dict) -> int:
        """Put the name items a letter's organisations lack (they signed before name items
        existed): each live organisation, oldest first, takes its name key if no one holds
        it. One pass over the letter (access pattern 8); idempotent. How many were put."""
        from .storage.signature_streams import iter_signatures
        orgs = sorted((s for s in iter_signatures(
            self.store, letter, fields=("kind", "name", "state", "created_at"),
            filter=eq("kind", "organisation"))
            if s.get("name") and s.get("state") not in (WITHDRAWN, REJECTED)),
            key=lambda s: (s["created_at"], s["sig_id"]))
        put = 0
        for sig in orgs:
            folded = name_key(sig["name"])
            if folded:
                put += self.store.put({**keys.org_name_key(letter["slug"], folded),
                                       "sig_id": sig["sig_id"], "created_at": iso(self.clock())},
                                      condition=NEW_ITEM)
        return put


def hold(sig: dict, check: NameCheck) -> None:
    """Mark a signature held for its lookalike (it is quarantined once confirmed). Only the
    match's id is kept: the organisers' view reads the match as it is now (`current`)."""
    if check.match is not None:
        sig["lookalike_of"] = {"id": check.match["id"]}
        sig["quarantine_reason"] = sig.get("quarantine_reason") or HELD


def current(store: Table, letter: dict, ref: dict) -> dict:
    """The match of a held lookalike as it is now (a withdrawn one has no name left)."""
    sig = store.signature(letter, ref["id"]) or {}
    return {"id": ref["id"], **{f: sig.get(f) for f in MATCH_FIELDS},
            **({} if sig else {"state": "deleted"})}
