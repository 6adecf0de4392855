"""Python values ⇄ DynamoDB AttributeValues.

boto3's TypeSerializer/TypeDeserializer would do this, but they return numbers as Decimal;
the items here hold only strings, integers, booleans, nulls, lists and maps, and the code
wants plain ints. Only the storage package uses this module.
"""
from __future__ import annotations

from typing import Any


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
    """An item to store: attributes whose value is None are left out."""
    return {k: to_av(v) for k, v in data.items() if v is not None}


def from_item(item: dict) -> dict:
    return {k: from_av(v) for k, v in item.items()}
