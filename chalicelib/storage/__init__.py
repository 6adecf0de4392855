"""Storage: the DynamoDB table (and an in-memory stand-in with the same interface) and S3.

Use cases import from here: the stores, the key builders and the condition/update objects.
"""
from .expressions import (NEW_ITEM, Change, Check, Cond, Delete, Put, Query, Step, Update,
                          absent, all_of, eq, exists, ge, lt)
from .table import Table, TransactionConflict

__all__ = ["NEW_ITEM", "Change", "Check", "Cond", "Delete", "Put", "Query", "Step", "Update",
           "absent", "all_of", "eq", "exists", "ge", "lt", "Table", "TransactionConflict"]
