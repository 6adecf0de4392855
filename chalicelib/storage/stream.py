"""The table's stream as the mail worker reads it: records in the shape Lambda hands a
DynamoDB-stream function, from DynamoDB Streams (make run, tests) or from MemoryStore.

In AWS the event source mapping reads the stream; locally `StreamReader` does what it does:
each shard from its oldest record, in order, remembering where it stopped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from .codec import from_item


@dataclass(frozen=True)
class ItemChange:
    """One record: what a write did to one item (images as plain values)."""

    event: str  # INSERT, MODIFY or REMOVE
    keys: dict
    new: Optional[dict]
    old: Optional[dict]
    at: dt.datetime  # when the write happened (approximately, to the second)


def decode(record: dict) -> ItemChange:
    d = record["dynamodb"]
    at = d.get("ApproximateCreationDateTime", 0)  # epoch seconds; boto3 parses it to a datetime
    if not isinstance(at, dt.datetime):
        at = dt.datetime.fromtimestamp(float(at), dt.timezone.utc)
    return ItemChange(event=record["eventName"], keys=from_item(d["Keys"]),
                      new=from_item(d["NewImage"]) if "NewImage" in d else None,
                      old=from_item(d["OldImage"]) if "OldImage" in d else None, at=at)


def record(event: str, keys: dict, new: Optional[dict], old: Optional[dict],
           at: dt.datetime, seq: int) -> dict:
    """A stream record in Lambda's shape (MemoryStore writes these)."""
    from .codec import to_item
    body: dict[str, Any] = {"Keys": to_item(keys), "SequenceNumber": f"{seq:021d}",
                            "ApproximateCreationDateTime": int(at.timestamp()),
                            "StreamViewType": "NEW_AND_OLD_IMAGES", "SizeBytes": 0}
    if new is not None:
        body["NewImage"] = to_item(new)
    if old is not None:
        body["OldImage"] = to_item(old)
    return {"eventID": f"{seq}", "eventName": event, "eventSource": "aws:dynamodb",
            "dynamodb": body}


class StreamReader:
    """Reads a table's stream from DynamoDB Streams (DynamoDB Local serves it), every shard
    from its oldest record, each in order; `read()` returns what arrived since the last call.

    At-least-once, as Lambda's: a reader started again reads the shards from their start,
    and the worker skips what it has done.
    """

    def __init__(self, streams: Any, dynamodb: Any, table: str) -> None:
        self._streams, self._db, self.table = streams, dynamodb, table
        self._arn: Optional[str] = None
        self._iterators: dict[str, Optional[str]] = {}  # shard id → next iterator (None: closed)

    def _shards(self) -> list[str]:
        if self._arn is None:
            self._arn = self._db.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        out, start = [], None
        while True:
            kwargs = {"StreamArn": self._arn, **({"ExclusiveStartShardId": start} if start else {})}
            desc = self._streams.describe_stream(**kwargs)["StreamDescription"]
            out += [s["ShardId"] for s in desc.get("Shards", [])]
            start = desc.get("LastEvaluatedShardId")
            if not start:
                return out

    def read(self, limit: int = 1000) -> list[dict]:
        for shard in self._shards():
            if shard not in self._iterators:
                self._iterators[shard] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records: list[dict] = []
        for shard, iterator in list(self._iterators.items()):
            while iterator and len(records) < limit:
                resp = self._streams.get_records(ShardIterator=iterator, Limit=limit)
                records += resp.get("Records", [])
                iterator = resp.get("NextShardIterator")
                if not resp.get("Records"):
                    break
            self._iterators[shard] = iterator
        return records
