"""The one DynamoDB table: every key is built here, every access pattern listed here.

Table: partition key PK, sort key SK (strings); TTL attribute `ttl` (epoch seconds);
three sparse indexes, GSI1 (the public list), GSI2 (the moderation queues) and GSI3 (the
pending signatures a reminder is due to, keys only).

| item                | PK                          | SK            | index keys                               |
|---------------------|-----------------------------|---------------|------------------------------------------|
| letter (current)    | LETTERS                     | {slug}        |                                          |
| letter text version | LETTER#{slug}               | V#{sha256}    |                                          |
| letter translation  | LETTER#{slug}               | T#{language}  |                                          |
| signature           | SIGS#{slug}#{shard}         | SIG#{sig_id}  | GSI1 while listed:                       |
|                     |                             |               |   LIST#{slug}#{shard} / {k}#{sortkey}#{id} |
|                     |                             |               |   (k=1 organisation, 2 individual)       |
|                     |                             |               | GSI2 in a moderation state:              |
|                     |                             |               |   Q#{slug}#{state} / {created_at}#{id}   |
|                     |                             |               | GSI3 while pending, a reminder to come:  |
|                     |                             |               |   R#{slug}#{shard} / {due}#{n}           |
| email claim         | EMAIL#{slug}#{hmac(email)}  | EMAIL         |                                          |
| counter shard       | COUNT#{slug}#{shard}        | COUNT         |                                          |
| hourly counter shard| HOURS#{slug}#{shard}        | {YYYY-MM-DDTHH}|                                         |
| audit record        | AUDIT#{slug}                | {time}#{seq}  |                                          |
| snapshot claim      | SNAP#{slug}                 | {date}        |                                          |
| rate-limit window   | RATE#{rule}#{hmac(subject)} | {window start}|  (expires by TTL)                        |
| organiser token     | ORGTOKENS                   | {sha256(tok)} |                                          |
| repeat request      | REPEAT#{slug}#{hmac(email)} | {minute}      |  (expires by TTL; read off the stream)   |
| parked mail         | MAILFAIL#{slug}             | {time}#{id}   |                                          |
| mail queue status   | MAILSTATUS                  | STATUS        |                                          |
| migration progress  | MIGRATION#{name}            | PROGRESS      |                                          |
| job (export, ...)   | JOB#{slug}                  | {job_id}      |  (expires by TTL)                        |
| job part (fan-out)  | JOB#{slug}                  | {job_id}#{n}  |  (expires by TTL)                        |
| retention due       | DUE                         | {date}#{slug} |                                          |
| delivery            | DELIVERY#{slug}             | {delivery id} |                                          |
| SES message         | SESMSG#{SES message id}     | SESMSG        |  (names the item a mail belongs to;      |
|                     |                             |               |   a signer's mail's expires by TTL)      |
| suppressed address  | SUPPRESS#{hmac(email)}      | SUPPRESS      |  (a hard bounce or a complaint)          |
| organisation name   | ORGNAME#{slug}#{h(name key)}| ORGNAME       |  (lookalike.name_key; names its signature) |
| partner             | PARTNER#{slug}              | {code}        |                                          |
| partner counter     | PCOUNT#{slug}#{code}#{shard}| COUNT         |                                          |
| update to signers   | UPDATE#{slug}               | {seq:06d}     |  (the texts, its state, reach, counts)   |

Access patterns (each a method of `storage.table.Table` or of a use case named here):
1. List letters: Query PK=LETTERS.                       2. Get a letter: GetItem.
3. Sign: TransactWriteItems (claim + signature, each attribute_not_exists).
4. Find a signature by email: GetItem claim, then GetItem signature (shard from its id).
5. Confirm / withdraw / moderate: GetItem signature, then one TransactWriteItems (state
   change conditioned on state and version, counter shard ADD, audit Put) — transitions.py.
6. Public list: Query GSI1 on each of the letter's shards (GSI1SK > cursor), merged.
7. Counts: BatchGetItem of the letter's counter shards, summed.
8. Every signature of a letter (snapshots, exports, recount, retention): a consistent
   Query per shard PK=SIGS#{slug}#{shard}, SK begins_with SIG#, paginated; shards read in
   parallel (signature_streams.py).
9. Moderation queue of a small state: Query GSI2 PK=Q#{slug}#{state}.
10. Audit trail of a letter: Query PK=AUDIT#{slug}, newest first.
11. Snapshot claim of a letter and day: conditional Put / Update of SNAP#{slug} {date}.
12. Rate limits: one UpdateItem ADD per check (ratelimit.py).
13. Organiser tokens: GetItem by the token's hash; Query PK=ORGTOKENS to list.
14. The mail outbox is the table's stream (NEW_AND_OLD_IMAGES): a pending signature whose
    `sends` passed `mailed`, a confirmed one whose `notices` passed `noticed`, and a repeat
    request are the mail worker's work (mail_worker.py); parked mails: Query MAILFAIL#{slug}.
    A pending signature carries `ttl` (its link's expiry + PENDING_GRACE_DAYS): DynamoDB
    deletes it, and the worker deletes its email claim off the stream's REMOVE record.
15. A one-off migration's position: GetItem / PutItem MIGRATION#{name} (sealing/migrate.py).
16. Jobs (exports, snapshots, recounts, anonymisation): conditional Put / Update of
    JOB#{slug} {job_id} and its parts {job_id}#{n} (a lease each); a job and its parts: one
    Query PK=JOB#{slug}, SK begins_with {job_id}.
17. Retention due dates: Query PK=DUE, SK <= {today}#… (one item per closed letter not yet
    anonymised, put when it closes); the daily job reads nothing else.
18. The dashboard's activity: an ADD on HOURS#{slug}#{shard} / {hour} in the same
    transaction as the sign-on (3) or the confirmation (5); read by a Query per shard
    (dashboard.py), never by reading signatures.
19. Deliveries of a letter: conditional Put of DELIVERY#{slug} {id} before the send, an
    UpdateItem after it; Query DELIVERY#{slug} to list them (a letter has few).
20. An SES event (delivery, bounce, complaint) to what it is about: GetItem SESMSG#{id},
    then an UpdateItem of the item it names (delivery/deliveries.py). A signer's mail: its
    SESMSG is Put by the mail worker after the send; a hard bounce or complaint Puts
    SUPPRESS#{hmac(email)}, which the worker GetItems before every mail to that address.
21. Lookalike organisations: ORGNAME#{slug}#{h(name key)}, at any size of letter. A sign-on
    reads nothing first: its transaction Puts it (an organisation, the first of its name
    key) or ConditionChecks it (an individual), conditioned on its absence; only if that
    fails, GetItem it and the signature it names, and the sign-on goes again. An import row
    GetItems it first.
22. Partners of a letter: Query PK=PARTNER#{slug}; one partner: GetItem (cached per
    instance, as the letter item). A sign-on through a partner's link ADDs to the partner's
    counter shard (the signature's shard) in its transaction; a confirmation and every move
    into or out of `listed` ADD in theirs. Figures: BatchGetItem of the partner's shards.
    Its export: a job (16) reading every shard (8) with a filter on `via` (and its consent).
23. Reminders to pending signers (reminders.py): a sign-on puts GSI3 keys on its pending
    signature (R#{slug}#{shard} / {due}#{n}: reminder n is due at {due}); leaving
    `pending` drops them (transitions.py). The hourly run Queries GSI3 per shard, SK <= now
    (keys only: only what is due and not yet handled), and per entry one UpdateItem raising
    `reminders` (the mail worker's outbox, 14) and moving the keys to the next reminder or
    dropping them, conditioned on the entry being the one read. The index holds only pending
    signatures a reminder is still to go to; at 10 million signatures an hour reads what
    fell due in that hour.
24. Updates to signers who opted in (updates/): Query UPDATE#{slug} (newest first) to list
    them and to number the next one (a conditional Put of {seq:06d}); its reach and its
    fan-out are jobs reading every signature (8), with one BatchGetItem of SUPPRESS# keys a
    page; the update mailer leases each mail on the signature itself (`update_lease`, then
    `update_sent` = the update's number: once per update and signature) and ADDs its
    batch's counts on the update; an unsubscribe is one conditional UpdateItem of the
    signature.

A signer's address is never in the table in clear: its email claim's `email_sealed` holds it
sealed to the letter's public key (sealing/), whose private half is wrapped by KMS outside the
table. On the claim, not the signature: a confirmed signature stays under 1 KB (one WRU per
update), and the claim is deleted wherever the address must go (withdrawal, expiry, retention).

No email, token or IP appears in a key: emails and IPs are keyed-hashed (HMAC-SHA256
with a secret); link secrets and organiser tokens are stored only as sha256 hashes.
Shards spread each letter's write load so no partition key takes more than
count_shards⁻¹ of it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time

GSI1 = "GSI1"
GSI2 = "GSI2"
GSI3 = "GSI3"
TTL_ATTRIBUTE = "ttl"
LETTERS_PK = "LETTERS"
ORGTOKENS_PK = "ORGTOKENS"
SIGNATURE_PREFIX = "SIG#"
KIND_ORDER = {"organisation": "1", "individual": "2"}
# What GSI1 carries besides its keys: only public fields, so a list query cannot leak an email.
GSI1_FIELDS = ("sig_id", "kind", "name", "affiliation", "country")
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")
REMINDER_KEYS = ("GSI3PK", "GSI3SK")


def letter_key(slug: str) -> dict:
    return {"PK": LETTERS_PK, "SK": slug}


def version_key(slug: str, sha: str) -> dict:
    return {"PK": f"LETTER#{slug}", "SK": f"V#{sha}"}


def translation_key(slug: str, language: str) -> dict:
    """The letter's text in another language (the letter item's `translations` maps each
    language to its text's hash)."""
    return {"PK": f"LETTER#{slug}", "SK": f"T#{language}"}


def shard_of(sig_id: str, shards: int) -> int:
    """Deterministic, so a reversal hits the shard its listing hit (and retries match)."""
    return int.from_bytes(hashlib.sha256(sig_id.encode()).digest()[:4], "big") % shards


def signature_partition(slug: str, shard: int) -> str:
    return f"SIGS#{slug}#{shard:03d}"


def signature_key(slug: str, sig_id: str, shards: int) -> dict:
    """Signatures live in `shards` item collections per letter: a consistent Query of each
    reads the whole letter (snapshots), and no collection takes more than 1/shards of the writes."""
    return {"PK": signature_partition(slug, shard_of(sig_id, shards)),
            "SK": f"{SIGNATURE_PREFIX}{sig_id}"}


def key_of(item: dict) -> dict:
    return {"PK": item["PK"], "SK": item["SK"]}


def email_claim_key(slug: str, email_hash: str) -> dict:
    return {"PK": f"EMAIL#{slug}#{email_hash}", "SK": "EMAIL"}


def list_partition(slug: str, shard: int) -> str:
    return f"LIST#{slug}#{shard:03d}"


def list_sort_key(kind: str, sortkey: str, sig_id: str) -> str:
    return f"{KIND_ORDER[kind]}#{sortkey}#{sig_id}"


def list_keys(slug: str, sig_id: str, kind: str, sortkey: str, shards: int) -> dict:
    """GSI1's keys of a listed signature."""
    return {"GSI1PK": list_partition(slug, shard_of(sig_id, shards)),
            "GSI1SK": list_sort_key(kind, sortkey, sig_id)}


def queue_partition(slug: str, state: str) -> str:
    return f"Q#{slug}#{state}"


def queue_keys(slug: str, state: str, created_at: str, sig_id: str) -> dict:
    """GSI2's keys of a signature in a moderation state."""
    return {"GSI2PK": queue_partition(slug, state), "GSI2SK": f"{created_at}#{sig_id}"}


def reminder_partition(slug: str, shard: int) -> str:
    return f"R#{slug}#{shard:03d}"


REMINDER_TIME = "%Y%m%dT%H%M%S"  # compact (UTC): the keys sit on every pending signature


def reminder_sort_key(due: dt.datetime, n: int) -> str:
    """Reminder `n` falls due at `due`. No id: index keys need not be unique (an entry's
    table keys come with it), and each byte is on every pending signature."""
    return f"{due.astimezone(dt.timezone.utc):{REMINDER_TIME}}#{n}"


def reminder_keys(slug: str, sig_id: str, shards: int, due: dt.datetime, n: int) -> dict:
    """GSI3's keys of a pending signature whose reminder `n` falls due at `due`: sharded as
    its signature, so no index partition takes more than 1/shards of the sign-ons."""
    return {"GSI3PK": reminder_partition(slug, shard_of(sig_id, shards)),
            "GSI3SK": reminder_sort_key(due, n)}


def reminders_due_by(now: dt.datetime) -> tuple[str, str]:
    """The GSI3 sort keys of every entry due at or before `now` ("$" sorts after "#")."""
    return " ", f"{now.astimezone(dt.timezone.utc):{REMINDER_TIME}}$"


def reminder_number(sort_key: str) -> int:
    return int(sort_key.rsplit("#", 1)[1])


def counter_key(slug: str, shard: int) -> dict:
    return {"PK": f"COUNT#{slug}#{shard:03d}", "SK": "COUNT"}


def hourly_partition(slug: str, shard: int) -> str:
    return f"HOURS#{slug}#{shard:03d}"


def hourly_key(slug: str, shard: int, at: str) -> dict:
    """The counter shard of one hour: `at` is an ISO time (UTC); the hour is its first 13 chars."""
    return {"PK": hourly_partition(slug, shard), "SK": at[:13]}


def audit_partition(slug: str) -> str:
    return f"AUDIT#{slug}"


def audit_key(slug: str, at: str) -> dict:
    """Time-ordered; within one instant, in the order this process wrote them."""
    return {"PK": audit_partition(slug),
            "SK": f"{at}#{time.monotonic_ns():020d}{secrets.token_hex(3)}"}


def snapshot_claim_key(slug: str, date: str) -> dict:
    return {"PK": f"SNAP#{slug}", "SK": date}


def rate_key(rule: str, subject_hash: str, window_start: int) -> dict:
    return {"PK": f"RATE#{rule}#{subject_hash}", "SK": str(window_start)}


def organiser_token_key(token_hash: str) -> dict:
    return {"PK": ORGTOKENS_PK, "SK": token_hash}


def repeat_key(slug: str, email_hash: str, minute: str) -> dict:
    """A sign-on repeating an address that has signed: one item a minute at most."""
    return {"PK": f"REPEAT#{slug}#{email_hash}", "SK": minute}


def mail_failure_partition(slug: str) -> str:
    return f"MAILFAIL#{slug}"


def mail_failure_key(slug: str, at: str, sig_id: str) -> dict:
    return {"PK": mail_failure_partition(slug), "SK": f"{at}#{sig_id}"}


def mail_status_key() -> dict:
    return {"PK": "MAILSTATUS", "SK": "STATUS"}


def migration_key(name: str) -> dict:
    return {"PK": f"MIGRATION#{name}", "SK": "PROGRESS"}


def job_partition(slug: str) -> str:
    return f"JOB#{slug}"


def job_key(slug: str, job_id: str) -> dict:
    return {"PK": job_partition(slug), "SK": job_id}


def job_part_key(slug: str, job_id: str, part: int) -> dict:
    """A fan-out part: sorts after its job (`#` > end of the id), before the next job."""
    return {"PK": job_partition(slug), "SK": f"{job_id}#{part:03d}"}


DUE_PK = "DUE"


def due_key(date: str, slug: str) -> dict:
    """A closed letter's anonymisation date (retention): one item per letter, in one small
    partition, so the daily job finds every letter due by today in one Query."""
    return {"PK": DUE_PK, "SK": f"{date}#{slug}"}


def delivery_partition(slug: str) -> str:
    return f"DELIVERY#{slug}"


def delivery_key(slug: str, delivery_id: str) -> dict:
    return {"PK": delivery_partition(slug), "SK": delivery_id}


def ses_message_key(message_id: str) -> dict:
    """SES's id of a sent message → the item it belongs to (its notifications carry the id)."""
    return {"PK": f"SESMSG#{message_id}", "SK": "SESMSG"}


def suppression_key(email_hash: str) -> dict:
    """An address no more mail goes to (by its keyed hash, as the claims: never the address)."""
    return {"PK": f"SUPPRESS#{email_hash}", "SK": "SUPPRESS"}


def org_name_key(slug: str, name_key: str) -> dict:
    """The organisation that first signed with this name key (lookalike.name_key); the key
    is hashed only to bound its length (organisation names are public)."""
    digest = hashlib.sha256(name_key.encode()).hexdigest()[:32]
    return {"PK": f"ORGNAME#{slug}#{digest}", "SK": "ORGNAME"}


def partner_partition(slug: str) -> str:
    return f"PARTNER#{slug}"


def partner_key(slug: str, code: str) -> dict:
    return {"PK": partner_partition(slug), "SK": code}


def partner_counter_key(slug: str, code: str, shard: int) -> dict:
    """One shard of a partner's figures: sharded as the letter's own counters, so a partner's
    viral link spreads its writes as the letter's do."""
    return {"PK": f"PCOUNT#{slug}#{code}#{shard:03d}", "SK": "COUNT"}


def update_partition(slug: str) -> str:
    return f"UPDATE#{slug}"


def update_key(slug: str, seq: int) -> dict:
    """An organisers' update to the letter's opted-in signers, numbered from 1 (the number
    orders them, and a signature's `update_sent` holds the last one mailed to it)."""
    return {"PK": update_partition(slug), "SK": f"{seq:06d}"}


def request_token(*parts: str) -> str:
    """A deterministic ClientRequestToken (≤36 chars) for one logical operation."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:36]


def table_definition(table_name: str) -> dict:
    """CreateTable arguments; the CloudFormation template is checked against this."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"} for n in KEY_ATTRIBUTES],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                      {"AttributeName": "SK", "KeyType": "RANGE"}],
        # The mail outbox (access pattern 14): the worker reads what a write changed.
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "GlobalSecondaryIndexes": [{
            "IndexName": GSI1,
            "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(GSI1_FIELDS)},
        }, {
            # Sparse: only signatures in a moderation state (awaiting approval, quarantined,
            # hidden, rejected) carry GSI2 keys, so these small queues are one Query each.
            "IndexName": GSI2,
            "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI2SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }, {
            # Sparse: only pending signatures a reminder is still to go to (access pattern
            # 23). Keys only: an entry costs one small index write when it is put and one
            # when it goes, and no update of the signature's other fields writes to it.
            "IndexName": GSI3,
            "KeySchema": [{"AttributeName": "GSI3PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI3SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
    }
