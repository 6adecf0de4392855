"""Jobs over either store: a job runs once to its result, reports its rows, is split over
shard ranges when the letter is large, is retried after a failure, and is never left
"running" by a worker that died. Retention: pending signatures expire by TTL, a closed
letter is anonymised by one job at its due date."""
from __future__ import annotations

import datetime as dt

from chalicelib.clock import parse_iso
from chalicelib.jobs.records import RUNNING
from chalicelib.models import signature_in
from chalicelib.states import pending_ttl
from chalicelib.storage import Delete, Query, Update, keys
from helpers import individual, make_letter
from tools.job_pump import JobPump

IP = "192.0.2.30"
WHO = "Organiser (t1)"


def sign(services, letter, n: int, confirm: bool = True, **kw) -> None:
    for i in range(n):
        services.signing.sign(letter.slug, signature_in.validate_python(
            individual(letter, email=f"p{i}@example.org", name=f"Person {i}", **kw)), IP)
        if confirm:
            services.signing.confirm(services.mailer.last_token(), IP)


def signatures(services, slug: str) -> list[dict]:
    shards = services.letters.letter_item(slug, fresh=True)["shards"]
    return [s for n in range(shards) for s in services.store.query(services.store.shard_query(slug, n))]


def test_a_recount_job_reports_its_rows_and_the_drift(services, mailer):
    letter = make_letter(services)
    sign(services, letter, 3)
    services.store.update(keys.counter_key(letter.slug, 0), Update(add={"n_individual": 5}))
    job = services.jobs.submit(letter.slug, "recount", {"fix": False}, WHO)
    assert (job.state, job.parts) == ("queued", 1)
    assert JobPump(services).drain() == ["complete"]
    done = services.jobs.status(letter.slug, job.id)
    assert done.state == "complete" and done.rows_read == 3
    assert done.result["drift"] == {"n_individual": -5}
    assert done.result == services.recount.recount(letter.slug).model_dump()


def test_a_large_letters_recount_is_split_over_shard_ranges_and_combined(services, mailer):
    settings = services.settings.model_copy(update={"job_part_rows": 2, "job_max_parts": 3})
    services.settings = services.jobs.svc.settings = settings
    letter = make_letter(services)
    sign(services, letter, 5)
    job = services.jobs.submit(letter.slug, "recount", {"fix": False}, WHO)
    assert job.parts == 3  # 5 rows at 2 a part, at most 3 parts (the letter has 4 shards)
    done_by = JobPump(services).drain()
    assert done_by.count("complete") == 4  # three parts, then the combining
    done = services.jobs.status(letter.slug, job.id)
    assert (done.state, done.parts_done, done.rows_read) == ("complete", 3, 5)
    assert done.result["recounted"]["total"] == 5 and done.result["drift"] == {}


def test_a_failing_job_is_retried_then_reported_failed(services, mailer, monkeypatch):
    letter = make_letter(services)
    calls = []

    def broken(slug, shards, **kw):
        calls.append(slug)
        raise RuntimeError("disk full")
    monkeypatch.setattr(services.recount, "recount_shards", broken)
    job = services.jobs.submit(letter.slug, "recount", {}, WHO)
    JobPump(services).drain()
    done = services.jobs.status(letter.slug, job.id)
    assert len(calls) == services.settings.job_attempts
    assert (done.state, done.error, done.attempts) == ("failed", "RuntimeError", 3)


def test_a_job_its_input_refuses_fails_at_once_with_the_reason(services, mailer, monkeypatch):
    """A refusal (a 4xx domain error) would be refused again: no retry, the reason kept."""
    from chalicelib.exports.delivery_pdf import PdfGlyphsMissingError
    letter = make_letter(services)
    calls = []

    def refusing(slug, shards, **kw):
        calls.append(slug)
        raise PdfGlyphsMissingError("no font draws a character of signature x")
    monkeypatch.setattr(services.recount, "recount_shards", refusing)
    job = services.jobs.submit(letter.slug, "recount", {}, WHO)
    JobPump(services).drain()
    done = services.jobs.status(letter.slug, job.id)
    assert len(calls) == 1
    assert (done.state, done.error) == ("failed", PdfGlyphsMissingError.CODE)


def test_a_job_whose_worker_died_is_taken_over_or_reported_failed(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter, 2)
    job = services.jobs.submit(letter.slug, "recount", {}, WHO)
    key = keys.job_key(letter.slug, job.id)
    # a worker took it and died: its lease stops being renewed
    services.store.update(key, Update(set={"state": RUNNING, "owner": "dead", "attempts": 1}))
    assert JobPump(services).drain() == ["busy"]  # the lease is still live
    clock.advance(seconds=services.settings.job_lease_seconds + 1)
    services.jobs.queue.send({"slug": letter.slug, "job": job.id})  # the queue's redelivery
    assert JobPump(services).drain() == ["complete"]
    assert services.jobs.status(letter.slug, job.id).state == "complete"

    second = services.jobs.submit(letter.slug, "recount", {}, WHO)
    services.jobs.queue.take(ignore_delay=True)  # its message lost, and no redelivery comes
    services.store.update(keys.job_key(letter.slug, second.id),
                          Update(set={"state": RUNNING, "owner": "dead", "attempts": 1}))
    clock.advance(seconds=services.settings.job_lease_seconds + services.settings.job_retry_seconds + 1)
    view = services.jobs.status(letter.slug, second.id)
    assert (view.state, view.error) == ("failed", "the worker stopped")
    assert services.store.get(keys.job_key(letter.slug, second.id))["state"] == "failed"


def test_an_unconfirmed_signature_expires_by_ttl_and_frees_its_address(services, mailer, clock):
    letter = make_letter(services)
    sign(services, letter, 1, confirm=False)
    [sig] = signatures(services, letter.slug)
    assert len(mailer.sent) == 1  # its link went out, and was never used
    assert sig["ttl"] == pending_ttl(parse_iso(sig["confirm_expires_at"]),
                                     services.settings.pending_grace_days)
    # DynamoDB's TTL deletes it (DynamoDB Local never does: the same delete, by hand)
    services.store.transact([Delete(keys.key_of(sig))], "ttl", sig["sig_id"])
    mailer.sent  # noqa: B018 (the mail worker reads the stream: the REMOVE frees the claim)
    assert services.store.get(keys.email_claim_key(letter.slug, sig["email_hash"])) is None
    sign(services, letter, 1, confirm=False)  # the address signs again: a new link
    assert len(mailer.sent) == 2 and "/confirm.html#token=" in mailer.sent[-1].text
    assert services.retention.run(clock()) == []  # nothing is due: nothing is read


def test_confirming_keeps_a_signature_from_expiring(services, mailer):
    letter = make_letter(services)
    sign(services, letter, 1)
    [sig] = signatures(services, letter.slug)
    assert sig["state"] == "listed" and "ttl" not in sig


def test_a_closed_letter_is_anonymised_by_one_job_at_its_due_date(services, mailer, clock):
    from chalicelib.principal import Principal
    letter = make_letter(services)
    sign(services, letter, 3)
    services.letter_admin.set_status(letter.slug, "closed", None, Principal("t1", "O", ()))
    due = (clock() + dt.timedelta(days=services.settings.retention_days)).date().isoformat()
    items = list(services.store.query(Query(pk=keys.DUE_PK, consistent=True)))
    assert [i["SK"] for i in items] == [f"{due}#{letter.slug}"]
    assert services.retention.run(clock()) == []  # not yet due
    clock.advance(days=services.settings.retention_days, seconds=1)
    [started] = services.retention.run(clock())
    assert started["status"] == "started"
    assert JobPump(services).drain() == ["complete"]
    assert all("anonymised_at" in s and "email" not in s for s in signatures(services, letter.slug))
    assert services.store.get(keys.letter_key(letter.slug))["anonymised_at"]
    assert list(services.store.query(Query(pk=keys.DUE_PK, consistent=True))) == []
    assert services.retention.run(clock()) == []  # done: the next day reads nothing


def test_migrating_gives_old_pending_signatures_a_ttl_and_closed_letters_a_due_date(
        services, mailer, clock):
    """Data stored before TTL retention: a pending signature without `ttl`, a letter closed
    without a due item. One migration fixes both; a second finds nothing to do."""
    letter = make_letter(services)
    sign(services, letter, 1, confirm=False)
    [sig] = signatures(services, letter.slug)
    services.store.update(keys.key_of(sig), Update(remove=("ttl",)))
    services.store.update(keys.letter_key(letter.slug), Update(set={
        "status": "closed", "closed_at": "2026-01-01T00:00:00.000000Z"}))
    assert services.retention.migrate(clock()) == {"letters_with_due_date": 1, "pending_given_ttl": 1}
    [sig] = signatures(services, letter.slug)
    assert sig["ttl"] == pending_ttl(parse_iso(sig["confirm_expires_at"]),
                                     services.settings.pending_grace_days)
    [due] = services.store.query(Query(pk=keys.DUE_PK, consistent=True))
    assert due["slug"] == letter.slug
    assert services.retention.migrate(clock()) == {"letters_with_due_date": 1, "pending_given_ttl": 0}


def test_a_request_retried_after_a_timeout_keeps_the_lease_it_took(services, mailer):
    """A take, renewal or finish the client sent twice (the first applied, its answer lost)
    fails its condition the second time: the worker still holds its job, no one else does."""
    from chalicelib.jobs.records import Lease
    letter = make_letter(services)
    job = services.jobs.submit(letter.slug, "recount", {}, WHO)
    key = keys.job_key(letter.slug, job.id)
    mine = Lease(services.store, services.clock, key, "me", 60)
    assert mine.take(3) and mine.take(3)  # the retry: ours all the same
    assert not Lease(services.store, services.clock, key, "other", 60).take(3)
    mine.renew({"rows_read": 1})
    assert mine.finish("complete", {}) and mine.finish("complete", {})
    assert services.store.get(key)["attempts"] == 1  # the retry applied nothing more
