"""How a long job reports how far it got: rows read from the table, rows written to a file.

The jobs' worker passes a `Progress` that records this on the job's item (and renews the
job's lease as it does); everything else passes `NO_PROGRESS`. Callers tick once per row:
an implementation must keep that cheap (it batches its writes).
"""
from __future__ import annotations


class Progress:
    """Counts rows; this base counts only in memory."""

    def __init__(self) -> None:
        self.rows_read = 0
        self.rows_written = 0

    def read(self, n: int = 1) -> None:
        self.rows_read += n

    def wrote(self, n: int = 1) -> None:
        self.rows_written += n

    def phase(self, name: str) -> None:
        """A new step of the job begins (e.g. "reading", "writing", "uploading")."""


class _Unrecorded(Progress):
    def read(self, n: int = 1) -> None:
        pass

    def wrote(self, n: int = 1) -> None:
        pass


NO_PROGRESS: Progress = _Unrecorded()
