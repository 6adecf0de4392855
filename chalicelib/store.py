"""The one DynamoDB table: every key is built here, every access pattern listed here.

Table: partition key PK, sort key SK (strings); GSI1 (GSI1PK, GSI1SK) for the public
list; TTL attribute `ttl` (epoch seconds).

| item                | PK                          | SK            | GSI1PK / GSI1SK                          |
|---------------------|-----------------------------|---------------|------------------------------------------|
| letter (current)    | LETTERS                     | {slug}        |                                          |
| letter text version | LETTER#{slug}               | V#{sha256}    |                                          |
| signature           | SIGS#{slug}#{shard}         | SIG#{sig_id}  | LIST#{slug}#{shard} / {k}#{sortkey}#{id} |
|                     |                             |               |   (only while listed; k=1 org, 2 ind.)   |
| email claim         | EMAIL#{slug}#{hmac(email)}  | EMAIL         |                                          |
| counter shard       | COUNT#{slug}#{shard}        | COUNT         |                                          |
| audit record        | AUDIT#{slug}                | {time}#{rand} |                                          |
| rate-limit window   | RATE#{rule}#{hmac(subject)} | {window start}|  (expires by TTL)                        |
| organiser token     | ORGTOKENS                   | {sha256(tok)} |                                          |

GSI2 (GSI2PK / GSI2SK, sparse): Q#{slug}#{state} / {created_at}#{id} for the moderation
states only (awaiting_approval, quarantined, hidden, rejected).

Access patterns:
1. List letters: Query PK=LETTERS.                        2. Get a letter: GetItem.
3. Sign: TransactWriteItems (claim + signature, each attribute_not_exists).
4. Find a signature by email: GetItem claim, then GetItem signature (shard from its id).
5. Confirm / withdraw: the link's token names letter, signature id and a secret whose
   sha256 the signature holds: GetItem letter, GetItem signature, TransactWriteItems
   (state change with condition, counter shard ADD).
6. Public list: Query GSI1 on each of the letter's shards (GSI1SK > cursor), merged.
7. Counts: BatchGetItem of the letter's counter shards, summed.
9. Moderation queue of a small state: Query GSI2 PK=Q#{slug}#{state}.
10. Audit trail of a letter: Query PK=AUDIT#{slug} (time-ordered).
8. Every signature of a letter (snapshots, exports): a consistent Query per shard
   PK=SIGS#{slug}#{shard}, SK begins_with SIG#, paginated; shards read in parallel.

No email, token or IP appears in a key: emails and IPs are keyed-hashed (HMAC-SHA256
with a secret); link secrets are stored only as sha256 hashes, on the signature. Shards spread each letter's write load so no
partition key takes more than count_shards⁻¹ of it.
"""
from __future__ import annotations

import hashlib
import heapq
import secrets
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from botocore.exceptions import ClientError

from .errors import ServiceUnavailableError

GSI1 = "GSI1"
GSI2 = "GSI2"
TTL_ATTRIBUTE = "ttl"
LETTERS_PK = "LETTERS"
KIND_ORDER = {"organisation": "1", "individual": "2"}
THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException",
                  "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"}


# ---- keys ------------------------------------------------------------------

def letter_key(slug: str) -> dict:
    return {"PK": LETTERS_PK, "SK": slug}


def version_key(slug: str, sha: str) -> dict:
    return {"PK": f"LETTER#{slug}", "SK": f"V#{sha}"}


def signature_key(slug: str, sig_id: str, shards: int) -> dict:
    """Signatures live in `shards` item collections per letter: a consistent Query of each
    reads the whole letter (snapshots), and no collection takes more than 1/shards of the writes."""
    return {"PK": signature_partition(slug, shard_of(sig_id, shards)), "SK": f"SIG#{sig_id}"}


def signature_partition(slug: str, shard: int) -> str:
    return f"SIGS#{slug}#{shard:03d}"


def key_of(item: dict) -> dict:
    return {"PK": item["PK"], "SK": item["SK"]}


def email_claim_key(slug: str, email_hash: str) -> dict:
    return {"PK": f"EMAIL#{slug}#{email_hash}", "SK": "EMAIL"}


def queue_partition(slug: str, state: str) -> str:
    return f"Q#{slug}#{state}"


def audit_key(slug: str, at: str) -> dict:
    """Time-ordered; within one instant, in the order this process wrote them."""
    return {"PK": f"AUDIT#{slug}",
            "SK": f"{at}#{time.monotonic_ns():020d}{secrets.token_hex(3)}"}


def rate_key(rule: str, subject_hash: str, window_start: int) -> dict:
    return {"PK": f"RATE#{rule}#{subject_hash}", "SK": str(window_start)}


def counter_key(slug: str, shard: int) -> dict:
    return {"PK": f"COUNT#{slug}#{shard:03d}", "SK": "COUNT"}


def shard_of(sig_id: str, shards: int) -> int:
    """Deterministic, so a reversal hits the shard its listing hit (and retries match)."""
    return int.from_bytes(hashlib.sha256(sig_id.encode()).digest()[:4], "big") % shards


def list_partition(slug: str, shard: int) -> str:
    return f"LIST#{slug}#{shard:03d}"


def list_sort_key(kind: str, sortkey: str, sig_id: str) -> str:
    return f"{KIND_ORDER[kind]}#{sortkey}#{sig_id}"


def request_token(*parts: str) -> str:
    """A deterministic ClientRequestToken (≤36 chars) for one logical operation."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:36]


def table_definition(table_name: str) -> dict:
    """CreateTable arguments; the CloudFormation template is checked against this."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"}
            for n in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                      {"AttributeName": "SK", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": GSI1,
            "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            # Only public fields reach the index, so a list query cannot leak an email.
            "Projection": {"ProjectionType": "INCLUDE",
                           "NonKeyAttributes": ["sig_id", "kind", "name", "affiliation", "country"]},
        }, {
            # Sparse: only signatures in a moderation state (awaiting approval, quarantined,
            # hidden, rejected) carry GSI2 keys, so these small queues are one Query each.
            "IndexName": GSI2,
            "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI2SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    }


# ---- (de)serialisation -------------------------------------------------------
# The items hold only strings, integers, booleans, nulls, lists and maps of those.

def to_av(value: Any) -> dict:
    kind = type(value)
    if kind is str:  # by far the most common: first, and by exact type (on the sign-on path)
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):  # str subclasses (a validated Email)
        return {"S": str(value)}
    if isinstance(value, dict):
        return {"M": {k: to_av(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_av(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_av(av: dict) -> Any:
    (tag, value), = av.items()
    if tag == "S":
        return value
    if tag == "N":
        return int(value) if "." not in value else float(value)
    if tag == "BOOL":
        return value
    if tag == "NULL":
        return None
    if tag == "M":
        return {k: from_av(v) for k, v in value.items()}
    if tag == "L":
        return [from_av(v) for v in value]
    raise TypeError(f"unexpected attribute type {tag}")


def to_item(data: dict) -> dict:
    return {k: to_av(v) for k, v in data.items() if v is not None}


def from_item(item: dict) -> dict:
    return {k: from_av(v) for k, v in item.items()}


# ---- errors ------------------------------------------------------------------

@dataclass
class TransactionConflict(Exception):
    """A TransactWriteItems condition failed; `reasons` has one code per action ('None' if fine)."""

    reasons: list[str]

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"


def _raise_for(exc: ClientError) -> None:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if any(r in THROTTLE_CODES or r == "TransactionConflict" for r in reasons):
            raise ServiceUnavailableError() from exc
        raise TransactionConflict(reasons) from exc
    if code == "IdempotentParameterMismatchException":
        # Another caller ran a different write under the same token (same item, same
        # version): the item has moved on; callers treat it as a failed condition.
        raise TransactionConflict(["IdempotentParameterMismatch"]) from exc
    if code in THROTTLE_CODES or code == "TransactionInProgressException":
        raise ServiceUnavailableError() from exc
    raise exc


# ---- the store ---------------------------------------------------------------

class Store:
    """Thin typed access to the table; takes its boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self.table = table_name

    # generic operations, each mapping throttling to ServiceUnavailableError
    def get(self, key: dict, *, consistent: bool = True) -> Optional[dict]:
        try:
            resp = self._db.get_item(TableName=self.table, Key=to_item(key),
                                     ConsistentRead=consistent)
        except ClientError as exc:
            _raise_for(exc)
        item = resp.get("Item")
        return from_item(item) if item else None

    def put(self, item: dict, *, condition: Optional[str] = None) -> bool:
        """Put an item; False if its condition failed."""
        kwargs: dict = {"TableName": self.table, "Item": to_item(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self._db.put_item(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            _raise_for(exc)
        return True

    def update(self, key: dict, expression: str, values: dict, *,
               condition: Optional[str] = None, names: Optional[dict] = None) -> bool:
        """Apply an UpdateItem; False if its condition failed."""
        kwargs: dict = {"TableName": self.table, "Key": to_item(key),
                        "UpdateExpression": expression,
                        "ExpressionAttributeValues": to_item(values)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            self._db.update_item(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            _raise_for(exc)
        return True

    def add(self, key: dict, attributes: list[str], expires_at: int) -> dict[str, int]:
        """Atomically add one to each named counter of an item (created if absent, expiring
        by TTL) in one UpdateItem; the new values."""
        names = {f"#c{i}": a for i, a in enumerate(attributes)}
        names["#ttl"] = TTL_ATTRIBUTE
        try:
            resp = self._db.update_item(
                TableName=self.table, Key=to_item(key),
                UpdateExpression="ADD " + ", ".join(f"#c{i} :one" for i in range(len(attributes)))
                                 + " SET #ttl = if_not_exists(#ttl, :ttl)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str(expires_at)}},
                ReturnValues="UPDATED_NEW")
        except ClientError as exc:
            _raise_for(exc)
        attrs = resp["Attributes"]
        return {a: int(attrs[a]["N"]) for a in attributes}

    def transact(self, actions: list[dict], *operation: str) -> None:
        """TransactWriteItems; raises TransactionConflict.

        `operation` names the logical operation (e.g. "list", sig_id, state); its hash,
        with the table's name, is the ClientRequestToken, so a retry cannot apply twice.
        """
        token = request_token(self.table, *operation)
        for a in actions:
            (op, body), = a.items()
            body["TableName"] = self.table
        try:
            self._db.transact_write_items(TransactItems=actions, ClientRequestToken=token)
        except ClientError as exc:
            _raise_for(exc)

    def query(self, **kwargs: Any) -> Iterator[dict]:
        """Every item of a Query, page by page (LastEvaluatedKey)."""
        kwargs["TableName"] = self.table
        while True:
            try:
                resp = self._db.query(**kwargs)
            except ClientError as exc:
                _raise_for(exc)
            for item in resp.get("Items", []):
                yield from_item(item)
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def batch_get(self, keys: list[dict]) -> list[dict]:
        out: list[dict] = []
        pending = [to_item(k) for k in keys]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request = {self.table: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                try:
                    resp = self._db.batch_get_item(RequestItems=request)
                except ClientError as exc:
                    _raise_for(exc)
                out.extend(from_item(i) for i in resp.get("Responses", {}).get(self.table, []))
                request = resp.get("UnprocessedKeys") or None
        return out

    # letters
    def list_letters(self) -> list[dict]:
        return list(self.query(KeyConditionExpression="PK = :pk",
                               ExpressionAttributeValues={":pk": {"S": LETTERS_PK}}))

    def get_letter(self, slug: str) -> Optional[dict]:
        return self.get(letter_key(slug), consistent=False)

    def counts(self, slug: str, shards: int) -> dict[str, int]:
        """Sum of every counter attribute over the letter's shards."""
        total: dict[str, int] = {}
        for item in self.batch_get([counter_key(slug, s) for s in range(shards)]):
            for name, value in item.items():
                if isinstance(value, int) and name not in ("PK", "SK"):
                    total[name] = total.get(name, 0) + value
        return total

    def list_page(self, slug: str, shards: int, after: str, limit: int,
                  prefix: str = "") -> tuple[list[dict], bool]:
        """Up to `limit` listed signatures after sort key `after`, merged over every shard.

        `prefix` ("1#" organisations, "2#" individuals) narrows to one kind.
        """
        # after+"\x01" is just past `after`: no sort key extends another (ids have fixed length).
        low = max(after + "\x01" if after else "", prefix)
        high = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
        if (low or " ").encode() > high.encode():  # a cursor past the end of this kind
            return [], False
        streams = []
        more = False
        for shard in range(shards):
            try:
                resp = self._db.query(
                    TableName=self.table, IndexName=GSI1,
                    KeyConditionExpression="GSI1PK = :p AND GSI1SK BETWEEN :a AND :z",
                    ExpressionAttributeValues={":p": {"S": list_partition(slug, shard)},
                                               ":a": {"S": low or " "}, ":z": {"S": high}},
                    Limit=limit + 1)
            except ClientError as exc:
                _raise_for(exc)
            items = resp.get("Items", [])
            if len(items) > limit or resp.get("LastEvaluatedKey"):
                more = True
            streams.append(items[:limit])
        # merge on the raw sort keys; deserialise only the page that is returned
        merged = list(heapq.merge(*streams, key=lambda i: i["GSI1SK"]["S"]))
        if len(merged) > limit:
            more = True
        return [from_item(i) for i in merged[:limit]], more
