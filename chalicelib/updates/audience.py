"""Who an update reaches, decided in one place for the reach count, the fan-out and the mail.

A signature is reached when it is confirmed and not held (listed, or an organisation awaiting
approval), its signer ticked "keep me updated" (`updates_opt_in`) and has not unsubscribed
since (an unsubscribe sets it false), it is not withdrawn or anonymised (a withdrawal removes
the opt-in with the other personal fields), it has an address and a link salt (the
unsubscribe link is derived from it), and its address is not suppressed (SUPPRESS#, after a
hard bounce or a complaint). Hidden, rejected and quarantined signatures are not reached.
"""
from __future__ import annotations

from typing import Iterator

from ..progress import NO_PROGRESS, Progress
from ..states import AWAITING, LISTED
from ..storage import Cond, Table, absent, eq, exists, keys, lt

STATES = (LISTED, AWAITING)
FIELDS = ("sig_id", "state", "updates_opt_in", "email_hash", "link_salt", "anonymised_at",
          "update_sent")
BATCH = 100  # signatures per suppression BatchGetItem (its limit)


def opted_in(sig: dict, seq: int = 0) -> bool:
    """The signature's own part of the rule (suppression is the address's: `suppressed`)."""
    return sig.get("state") in STATES and sig.get("updates_opt_in") is True \
        and bool(sig.get("email_hash")) and bool(sig.get("link_salt")) \
        and not sig.get("anonymised_at") and sig.get("update_sent", 0) < max(seq, 1)


def query_filter(seq: int) -> Cond:
    """`opted_in` as the shard Query's filter (so a page carries only the signers reached);
    a signature already mailed update `seq` is left out, so a fan-out run again after a
    crash queues only what is left."""
    return (eq("state", LISTED) | eq("state", AWAITING)) & eq("updates_opt_in", True) \
        & exists("email_hash") & exists("link_salt") & absent("anonymised_at") \
        & (absent("update_sent") | lt("update_sent", seq))


def suppressed(store: Table, sigs: list[dict]) -> set[str]:
    """The ids of those of `sigs` whose address is suppressed: one BatchGetItem per 100."""
    out: set[str] = set()
    for i in range(0, len(sigs), BATCH):
        page = sigs[i:i + BATCH]
        got = {item["PK"] for item in store.batch_get(
            [keys.suppression_key(h) for h in {s["email_hash"] for s in page}])}
        out |= {s["sig_id"] for s in page if keys.suppression_key(s["email_hash"])["PK"] in got}
    return out


def reached(store: Table, slug: str, shards: range, seq: int,
            progress: Progress = NO_PROGRESS) -> Iterator[list[dict]]:
    """The signatures update `seq` reaches in a range of the letter's shards, a page at a time
    (at most BATCH each: memory stays flat at any size), in shard then id order."""
    for shard in shards:
        page: list[dict] = []
        q = store.shard_query(slug, shard, filter=query_filter(seq), fields=FIELDS)
        for sig in store.query(q):
            progress.read()
            if opted_in(sig, seq):
                page.append(sig)
            if len(page) == BATCH:
                yield _unsuppressed(store, page)
                page = []
        if page:
            yield _unsuppressed(store, page)


def _unsuppressed(store: Table, page: list[dict]) -> list[dict]:
    gone = suppressed(store, page)
    return [s for s in page if s["sig_id"] not in gone]
