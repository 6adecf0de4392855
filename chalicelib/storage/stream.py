"""The table's stream as the mail worker reads it: records in the shape Lambda hands a
DynamoDB-stream function (in AWS the event source mapping reads the stream; locally
tools/mail_pump.py does, from DynamoDB Local or from MemoryStore)."""
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
