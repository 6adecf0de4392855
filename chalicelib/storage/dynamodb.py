"""The table in DynamoDB: the primitives of `Table`, compiled into DynamoDB requests.

Throttling, transaction conflicts and an unreachable or silent endpoint all become
ServiceUnavailableError (503 with Retry-After); a failed condition becomes False or a
TransactionConflict.
"""
from __future__ import annotations

import heapq
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from botocore.exceptions import (ClientError, ConnectionClosedError, ConnectTimeoutError,
                                 EndpointConnectionError, ReadTimeoutError)

from ..errors import ServiceUnavailableError
from . import keys
from .codec import from_item, to_item
from .expressions import Change, Check, Compiler, Cond, Delete, Put, Query, Step, Update
from .table import Table, TransactionConflict

THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException",
                  "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"}
# The endpoint refused, dropped or did not answer in time (botocore raises these, not ClientError).
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
               ConnectionClosedError)


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


def _failed_condition(exc: ClientError) -> bool:
    """False for a write whose condition failed; anything else is raised again."""
    if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        return False
    raise exc


class DynamoStore(Table):
    """Takes its boto3 DynamoDB client (its timeouts bound how long a silent endpoint holds
    a request: wiring.boto_client)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self.table = table_name

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Throttles, conflicts and an unreachable endpoint as the domain's errors."""
        try:
            yield
        except ClientError as exc:
            _raise_for(exc)  # a failed condition is raised as it is
        except UNREACHABLE as exc:
            raise ServiceUnavailableError() from exc

    def get(self, key: dict, *, consistent: bool = True) -> Optional[dict]:
        with self._translated():
            item = self._db.get_item(TableName=self.table, Key=to_item(key),
                                     ConsistentRead=consistent).get("Item")
        return from_item(item) if item else None

    def put(self, item: dict, *, condition: Optional[Cond] = None) -> bool:
        c = Compiler()
        kwargs: dict = {"Item": to_item(item)}
        if condition is not None:
            kwargs["ConditionExpression"] = c.condition(condition)
        try:
            with self._translated():
                self._db.put_item(TableName=self.table, **kwargs, **c.arguments())
        except ClientError as exc:
            return _failed_condition(exc)
        return True

    def update(self, key: dict, update: Update, *, condition: Optional[Cond] = None) -> bool:
        c = Compiler()
        kwargs: dict = {"Key": to_item(key), "UpdateExpression": c.update(update)}
        if condition is not None:
            kwargs["ConditionExpression"] = c.condition(condition)
        try:
            with self._translated():
                self._db.update_item(TableName=self.table, **kwargs, **c.arguments())
        except ClientError as exc:
            return _failed_condition(exc)
        return True

    def increment(self, key: dict, attributes: list[str], expires_at: int) -> dict[str, int]:
        c = Compiler()
        expr = c.update(Update(add={a: 1 for a in attributes},
                               set_if_absent={keys.TTL_ATTRIBUTE: expires_at}))
        with self._translated():
            attrs = self._db.update_item(TableName=self.table, Key=to_item(key),
                                         UpdateExpression=expr, ReturnValues="UPDATED_NEW",
                                         **c.arguments())["Attributes"]
        return {a: int(attrs[a]["N"]) for a in attributes}

    def _step(self, step: Step) -> dict:
        c = Compiler()
        if isinstance(step, Put):
            body: dict = {"Item": to_item(step.item)}
            name = "Put"
        elif isinstance(step, Change):
            body = {"Key": to_item(step.key), "UpdateExpression": c.update(step.update)}
            name = "Update"
        elif isinstance(step, Delete):
            body = {"Key": to_item(step.key)}
            name = "Delete"
        elif isinstance(step, Check):
            body = {"Key": to_item(step.key)}
            name = "ConditionCheck"
        else:
            raise TypeError(f"not a transaction step: {step!r}")
        if step.condition is not None:
            body["ConditionExpression"] = c.condition(step.condition)
        return {name: {"TableName": self.table, **body, **c.arguments()}}

    def transact(self, steps: list[Step], *operation: str) -> None:
        with self._translated():
            self._db.transact_write_items(TransactItems=[self._step(s) for s in steps],
                                          ClientRequestToken=keys.request_token(self.table, *operation))

    def _query_args(self, q: Query) -> dict:
        c = Compiler()
        kwargs: dict = {"KeyConditionExpression": c.key_condition(q)}
        if q.index:
            kwargs["IndexName"] = q.index
        if q.filter is not None:
            kwargs["FilterExpression"] = c.condition(q.filter)
        if q.fields:
            kwargs["ProjectionExpression"] = c.projection(q.fields)
        if not q.forward:
            kwargs["ScanIndexForward"] = False
        if q.consistent:
            kwargs["ConsistentRead"] = True
        if q.page_size:
            kwargs["Limit"] = q.page_size
        return {**kwargs, **c.arguments()}

    def query(self, q: Query, *, start: Optional[dict] = None) -> Iterator[dict]:
        kwargs = self._query_args(q)
        if start:
            kwargs["ExclusiveStartKey"] = to_item(start)
        while True:
            with self._translated():
                resp = self._db.query(TableName=self.table, **kwargs)
            for item in resp.get("Items", []):
                yield from_item(item)
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def batch_get(self, keys_: list[dict]) -> list[dict]:
        out: list[dict] = []
        pending = [to_item(k) for k in keys_]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request = {self.table: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                with self._translated():
                    resp = self._db.batch_get_item(RequestItems=request)
                out.extend(from_item(i) for i in resp.get("Responses", {}).get(self.table, []))
                request = resp.get("UnprocessedKeys") or None
        return out

    def merged_page(self, queries: list[Query], sort_attr: str,
                    limit: int) -> tuple[list[dict], bool]:
        streams, more = [], False
        for q in queries:  # one request each: page_size bounds what it reads
            with self._translated():
                resp = self._db.query(TableName=self.table, **self._query_args(q))
            items = resp.get("Items", [])
            if len(items) > limit or resp.get("LastEvaluatedKey"):
                more = True
            streams.append(items[:limit])
        # merge on the raw sort keys; deserialise only the page that is returned
        merged = list(heapq.merge(*streams, key=lambda i: i[sort_attr]["S"]))
        if len(merged) > limit:
            more = True
        return [from_item(i) for i in merged[:limit]], more
