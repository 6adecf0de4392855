"""The CLI's job progress (tools/job_wait.py): what its bar counts for each kind of job."""
from __future__ import annotations

from tools import job_wait


class Api:
    """The job's status as the API answers it, one poll after another."""

    def __init__(self, states: list[dict]) -> None:
        self.states, self.seen = states, []

    def call(self, method: str, path: str) -> dict:
        self.seen.append(path)
        return self.states.pop(0)


def job(kind: str, state: str, read: int, written: int, total=None) -> dict:
    return {"id": "j1", "kind": kind, "state": state, "rows_read": read,
            "rows_written": written, "rows_total": total, "result": {"ok": True}}


def test_a_recount_counts_what_it_has_read_an_export_its_reading_then_its_writing():
    assert job_wait.done_rows(job("recount", "running", 4_000, 0)) == 4_000
    # a job that writes: half for reading its rows (a snapshot reads every state), half writing
    assert job_wait.done_rows(job("export", "running", 9_000, 2_500, 10_000)) == 5_750
    assert job_wait.done_rows(job("snapshot", "running", 12_000, 0, 10_000)) == 5_000
    assert job_wait.done_rows(job("export", "complete", 10_000, 10_000, 10_000)) == 10_000
    assert job_wait.done_rows(job("export", "running", 70, 40, None)) == 40  # no total known


def test_waiting_polls_until_the_job_ends_and_names_a_failure(monkeypatch):
    monkeypatch.setattr(job_wait.time, "sleep", lambda s: None)
    api = Api([job("recount", "running", 10, 0), job("recount", "complete", 20, 0)])
    done = job_wait.wait(api, "s", job("recount", "queued", 0, 0), label="recounting")
    assert done["state"] == "complete" and api.seen == ["/admin/letters/s/jobs/j1"] * 2
    failed = Api([{**job("export", "failed", 5, 0), "error": "TIMEOUT"}])
    try:
        job_wait.wait(failed, "s", job("export", "queued", 0, 0), label="x", path="exports")
    except job_wait.click.ClickException as exc:
        assert "export job j1 failed: TIMEOUT" in exc.message
    else:
        raise AssertionError("a failed job did not raise")
