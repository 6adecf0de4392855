"""A signature's states, which fields each keeps, and the organisers' moves between them.

    pending ──confirm──▶ listed | awaiting_approval | quarantined
    awaiting_approval, quarantined ──approve──▶ listed
    listed ──hide──▶ hidden ──unhide──▶ listed
    pending, awaiting_approval, quarantined, listed, hidden ──reject──▶ rejected
    any but withdrawn ──the signer's withdrawal──▶ withdrawn
"""
from __future__ import annotations

import datetime as dt

PENDING, LISTED, AWAITING = "pending", "listed", "awaiting_approval"
QUARANTINED, HIDDEN, REJECTED, WITHDRAWN = "quarantined", "hidden", "rejected", "withdrawn"
ALL_STATES = (PENDING, LISTED, AWAITING, QUARANTINED, HIDDEN, REJECTED, WITHDRAWN)
# Confirmed, and on the way to the list or on it: a second click says "already confirmed".
CONFIRMED_STATES = (LISTED, AWAITING, QUARANTINED, HIDDEN)
# The small states organisers work through: indexed in GSI2 (sparse), one partition each.
QUEUE_STATES = (AWAITING, QUARANTINED, HIDDEN, REJECTED)
# In a snapshot's diff: a change into one of these is reported.
DIFF_STATES = (WITHDRAWN, HIDDEN, REJECTED, QUARANTINED)
PUBLIC_STATES = (LISTED, AWAITING)

# Deleted on withdrawal (and by retention): everything that identifies the signer.
# (withdraw_hash stays until retention, so a second click answers "already withdrawn".)
# (The link hashes stay too, so an old confirmation link answers "withdrawn", not "invalid".)
# ("email": an address stored in clear before sealing; sealed ones are on the email claim.)
PERSONAL_FIELDS = ("name", "original_name", "affiliation", "country", "email", "email_hash",
                   "email_domain", "quarantine_reason", "updates_opt_in",
                   "language", "link_salt", "notices", "noticed", "lookalike_of")
# Needed only while a signature waits for its confirmation; confirming drops them, which
# keeps a confirmed signature under 1 KB (one write unit per update, docs/COST.md).
PENDING_ONLY_FIELDS = ("confirm_expires_at", "last_sent_at", "sends", "mailed", "mail_lease",
                       "mail_attempts", "reminders", "reminded")

# An organiser's action → (states it applies to, state it leads to)
ACTIONS = {
    "approve": ((AWAITING, QUARANTINED), LISTED),
    "reject": ((PENDING, AWAITING, QUARANTINED, LISTED, HIDDEN), REJECTED),
    "hide": ((LISTED,), HIDDEN),
    "unhide": ((HIDDEN,), LISTED),
}


def pending_ttl(link_expires: dt.datetime, grace_days: int) -> int:
    """When DynamoDB's TTL deletes a pending signature (epoch seconds): PENDING_GRACE_DAYS
    after its newest link expires. Leaving `pending` drops the attribute."""
    return int(link_expires.timestamp()) + grace_days * 86_400
