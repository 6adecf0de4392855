"""Retention: what is kept, and for how long (see docs/PRIVACY.md).

The scheduled job, for every letter:
  * deletes pending signatures whose confirmation link expired more than
    PENDING_GRACE_DAYS ago (with their email claim): nothing of them was ever public;
  * once the letter has been closed for RETENTION_DAYS, anonymises it: every signature
    loses its email, email hash and domain (unless the signer opted in to updates,
    whose email stays for that purpose), its link hashes, its language; signatures that
    were never public (rejected, hidden, quarantined, awaiting approval) lose their name,
    affiliation and country too. Email claims are deleted.
A second run changes nothing: anonymised signatures carry `anonymised_at` and are skipped.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from . import store as keys
from .services import (LISTED, PENDING, PERSONAL_FIELDS, WITHDRAWN, Undersigned, iso,
                       parse_iso)
from .store import TransactionConflict

log = logging.getLogger(__name__)
LINK_FIELDS = ("confirm_hashes", "withdraw_hash", "language", "quarantine_reason")
EMAIL_FIELDS = ("email", "email_hash", "email_domain")


def closed_since(letter: dict, now: dt.datetime) -> dt.datetime | None:
    """When the letter stopped taking names, if it has."""
    if letter.get("closed_at"):
        return parse_iso(letter["closed_at"])
    if letter.get("closes_at") and parse_iso(letter["closes_at"]) <= now:
        return parse_iso(letter["closes_at"])
    return None


def run_retention(app: Undersigned, now: dt.datetime) -> list[dict]:
    """One pass over every letter; a report per letter of what was deleted or anonymised."""
    reports = []
    # The run's id goes into each transaction's token: a retry within this run is
    # idempotent, while a concurrent run's write fails its condition (and is not counted).
    run = uuid.uuid4().hex
    for letter in app.store.list_letters():
        report = {"slug": letter["slug"], "pending_deleted": 0, "anonymised": 0}
        closed = closed_since(letter, now)
        anonymise = closed is not None and now >= closed + dt.timedelta(days=app.settings.retention_days)
        pending_cutoff = now - dt.timedelta(days=app.settings.pending_grace_days)
        for shard in range(letter["shards"]):
            for sig in app.store.query(
                    KeyConditionExpression="PK = :pk AND begins_with(SK, :sig)",
                    FilterExpression="attribute_not_exists(anonymised_at)", ConsistentRead=True,
                    ExpressionAttributeValues={
                        ":pk": {"S": keys.signature_partition(letter["slug"], shard)},
                        ":sig": {"S": "SIG#"}}):
                if sig["state"] == PENDING and sig.get("confirm_expires_at") and \
                        parse_iso(sig["confirm_expires_at"]) < pending_cutoff:
                    report["pending_deleted"] += _delete_pending(app, letter, sig, run)
                elif anonymise:
                    report["anonymised"] += _anonymise(app, letter, sig, now, run)
        if report["pending_deleted"] or report["anonymised"]:
            log.info("retention %s: %s pending deleted, %s anonymised", letter["slug"],
                     report["pending_deleted"], report["anonymised"])
        reports.append(report)
    return reports


def _delete_pending(app: Undersigned, letter: dict, sig: dict, run: str) -> int:
    # Still pending, and no link sent since it was read (a resend moves the expiry on).
    actions: list[dict[str, Any]] = [{"Delete": {
        "Key": keys.to_item(keys.key_of(sig)),
        "ConditionExpression": "#s = :p AND confirm_expires_at = :e",
        "ExpressionAttributeNames": {"#s": "state"},
        "ExpressionAttributeValues": {":p": {"S": PENDING},
                                      ":e": {"S": sig["confirm_expires_at"]}}}}]
    if sig.get("email_hash"):
        actions.append(_claim_delete(letter, sig))
    try:
        app.store.transact(actions, "expire", sig["sig_id"], run)
    except TransactionConflict:
        return 0  # confirmed meanwhile: it stays
    return 1


def _claim_delete(letter: dict, sig: dict) -> dict:
    """The signature's email claim goes with it (if the claim is still its own)."""
    return {"Delete": {
        "Key": keys.to_item(keys.email_claim_key(letter["slug"], sig["email_hash"])),
        "ConditionExpression": "attribute_not_exists(PK) OR sig_id = :me",
        "ExpressionAttributeValues": {":me": {"S": sig["sig_id"]}}}}


def _anonymise(app: Undersigned, letter: dict, sig: dict, now: dt.datetime, run: str) -> int:
    keep_email = bool(sig.get("updates_opt_in")) and sig["state"] in (LISTED, "hidden")
    drop = set(LINK_FIELDS) | ({"original_name"} if sig["state"] == LISTED else set())
    if not keep_email:
        drop |= set(EMAIL_FIELDS)
    if sig["state"] not in (LISTED, WITHDRAWN):
        drop |= set(PERSONAL_FIELDS) - (set(EMAIL_FIELDS) if keep_email else set())
    drop = {f for f in drop if f in sig}
    names = {f"#d{i}": f for i, f in enumerate(sorted(drop))}
    expr = "SET anonymised_at = :t"
    if drop:
        expr += " REMOVE " + ", ".join(names)
    # What is dropped depends on the state read: the signature must still be in it (an
    # organiser may have unhidden it meanwhile), else this run leaves it to the next.
    actions: list[dict[str, Any]] = [{"Update": {
        "Key": keys.to_item(keys.key_of(sig)), "UpdateExpression": expr,
        "ConditionExpression": "attribute_not_exists(anonymised_at) AND #s = :state "
                               "AND (attribute_not_exists(v) OR v = :v)",
        "ExpressionAttributeNames": {**names, "#s": "state"},
        "ExpressionAttributeValues": {":t": {"S": iso(now)}, ":state": {"S": sig["state"]},
                                      ":v": {"N": str(sig.get("v", 0))}}}}]
    if sig.get("email_hash") and not keep_email:
        actions.append(_claim_delete(letter, sig))
    try:
        app.store.transact(actions, "anonymise", sig["sig_id"], run)
    except TransactionConflict:
        return 0
    return 1
