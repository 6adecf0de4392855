"""Signers' addresses sealed at rest (sealing/, docs/PRIVACY.md): never in the table in
clear, opened only with the letter's private key, unreadable everywhere once it is shredded."""
from __future__ import annotations

import copy
import json

import pytest

from chalicelib.models import signature_in
from chalicelib.organiser_models import Filters
from chalicelib.principal import Principal
from chalicelib.sealing.box import SealError
from chalicelib.sealing.unseal import KeyGone
from chalicelib.storage import Update, keys
from helpers import individual, make_letter, organisation
from tools.job_pump import JobPump

IP = "192.0.2.44"
WHO = Principal("t", "Organiser", ())
ADDRESSES = {"Kim Ji-woo": "kim.jiwoo.7f3a@example.org",
             "Hanbit Relief Network": "relief.desk.91c2@hanbit.example",
             "Grace Park": "grace.park.55e1@example.net"}


def every_item(services) -> list[dict]:
    """The whole table, every attribute of every item (a scan, as a backup would hold it)."""
    if hasattr(services.store, "items"):
        return services.store.items()
    db, out = services.store._db, []
    for page in db.get_paginator("scan").paginate(TableName=services.settings.table_name):
        out += page["Items"]
    return out


def claim_of(services, sig: dict) -> dict:
    """The signature's email claim, which holds its sealed address."""
    return services.store.get(keys.email_claim_key(sig["letter"], sig["email_hash"]))


def sign(services, letter, **kw):
    services.signing.sign(letter.slug, signature_in.validate_python(
        (organisation if kw.get("kind") == "organisation" else individual)(letter, **kw)), IP)


def test_no_address_is_in_the_table_in_clear_after_signing_confirming_and_moderating(
        services, mailer):
    letter = make_letter(services, approval=True)
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"], updates_opt_in=True)
    sign(services, letter, kind="organisation", name="Hanbit Relief Network",
         email=ADDRESSES["Hanbit Relief Network"])
    sign(services, letter, name="Grace Park", email=ADDRESSES["Grace Park"])
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"])  # a repeat
    sent = {m.to: m for m in mailer.sent}
    assert set(sent) == set(ADDRESSES.values())  # the worker opened each one to mail it
    for name in ("Kim Ji-woo", "Hanbit Relief Network"):
        token = sent[ADDRESSES[name]].text.split("/confirm.html#token=")[1].split()[0]
        services.signing.confirm(token, IP)
    held = services.queue.search(letter.slug, Filters(state="awaiting_approval"), None, 10)
    services.actions.act(letter.slug, held.signatures[0].id, "approve", WHO)
    listed = services.queue.search(letter.slug, Filters(state="listed"), None, 10).signatures
    services.actions.act(letter.slug, next(s.id for s in listed if s.name == "Kim Ji-woo"),
                         "hide", WHO)
    items = every_item(services)
    table = json.dumps(items, default=str).lower()
    assert "ji-woo" in table  # the search can find what is there: names are public
    found = [a for a in ADDRESSES.values() if a in table or a.split("@")[0] in table]
    print(f"\nscanned {len(items)} items, {sum(len(i) for i in items)} attributes: "
          f"{len(found)} clear-text addresses or local parts")
    assert found == []
    sealed = [i for i in every_item(services) if "email_sealed" in json.dumps(i, default=str)]
    assert len(sealed) == 3


def test_a_sealed_address_copied_onto_another_signature_does_not_open(services, mailer):
    letter = make_letter(services)
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"])
    sign(services, letter, name="Grace Park", email=ADDRESSES["Grace Park"])
    mailer.sent  # the worker has mailed both
    sigs = services.queue.search(letter.slug, Filters(), None, 10).signatures
    item = services.letters.letter_item(letter.slug)
    kim, grace = (services.store.signature(item, s.id) for s in
                  sorted(sigs, key=lambda s: s.name != "Kim Ji-woo"))
    assert services.unsealer.email_of(item, kim) == ADDRESSES["Kim Ji-woo"]
    stolen = claim_of(services, kim)["email_sealed"]
    services.store.update(keys.email_claim_key(letter.slug, grace["email_hash"]),
                          Update(set={"email_sealed": stolen}))
    with pytest.raises(SealError):  # Grace's claim now holds Kim's ciphertext: it does not open
        services.unsealer.email_of(item, grace)
    other = make_letter(services, slug="other-letter")
    with pytest.raises(SealError):  # nor for the same id in another letter
        services.unsealer.open(other.slug, kim["sig_id"], stolen)


def test_after_the_retention_date_a_restored_copy_of_the_items_opens_nothing(services, mailer,
                                                                             clock):
    letter = make_letter(services)
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"], updates_opt_in=True)
    services.signing.confirm(mailer.last_token(), IP)
    item = services.letters.letter_item(letter.slug)
    sig_id = services.queue.search(letter.slug, Filters(), None, 1).signatures[0].id
    sig = services.store.signature(item, sig_id)
    backup = copy.deepcopy(claim_of(services, sig))  # as point-in-time recovery keeps it
    assert services.unsealer.open(letter.slug, sig_id, backup["email_sealed"]) == \
        ADDRESSES["Kim Ji-woo"]
    services.letter_admin.set_status(letter.slug, "closed", None, WHO)
    clock.advance(days=services.settings.retention_days + 1)
    services.retention.run(clock())  # starts the letter's anonymisation job: the worker runs it
    JobPump(services).drain()
    assert claim_of(services, sig) is None
    services.unsealer.forget(letter.slug)  # a new instance: nothing cached from before
    with pytest.raises(KeyGone):
        services.unsealer.open(letter.slug, sig_id, backup["email_sealed"])


def test_a_new_key_version_seals_new_signatures_and_the_old_one_still_opens(services, mailer):
    letter = make_letter(services)
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"])
    first = services.letters.letter_item(letter.slug, fresh=True)["seal_kid"]
    rotated = services.sealer.rotate(letter.slug)
    assert rotated["seal_kid"] != first
    sign(services, letter, name="Grace Park", email=ADDRESSES["Grace Park"])
    assert {m.to for m in mailer.sent} == {ADDRESSES["Kim Ji-woo"], ADDRESSES["Grace Park"]}
    kids = {claim_of(services, services.store.signature(rotated, s.id))["email_sealed"].split(".")[0]
            for s in services.queue.search(letter.slug, Filters(), None, 10).signatures}
    assert kids == {first, rotated["seal_kid"]}


def test_a_public_key_swapped_on_the_letter_is_refused_by_the_mail_worker(services, mailer):
    """Someone who can write the table (the sign function's role) puts their own public key
    on the letter, to read the addresses sealed to it: the worker notices, mails nothing
    and parks the mail where organisers see it."""
    from chalicelib.sealing import box
    letter = make_letter(services)
    services.sealer.ensure(letter.slug)
    _, theirs = box.new_key_pair()
    services.store.update(keys.letter_key(letter.slug),
                          Update(set={"seal_public": box.b64(theirs)}))
    services.letters.forget_letter(letter.slug)
    sign(services, letter, name="Kim Ji-woo", email=ADDRESSES["Kim Ji-woo"])
    assert mailer.sent == []
    parked = list(services.store.query(keys_query(letter.slug)))
    assert len(parked) == 1 and "does not open" in parked[0]["error"]


def keys_query(slug):
    from chalicelib.storage import Query
    return Query(pk=keys.mail_failure_partition(slug))


def test_the_migration_seals_clear_addresses_after_a_dry_run_and_resumes(services, clock):
    from support import store_signature
    letter = make_letter(services)
    item = services.letters.letter_item(letter.slug)
    for i in range(5):
        clock.advance(seconds=1)
        store_signature(services, item, f"{'m' * 25}{i}", "individual", f"Old Signer {i}",
                        email=f"old.signer.{i}.c0ffee@example.org")
    dry = services.seal_migration.run(dry_run=True)
    assert dry.to_seal == 5 and dry.sealed == 0
    assert "old.signer.0.c0ffee" in json.dumps(every_item(services), default=str)
    step = services.seal_migration.run(dry_run=False, limit=2)
    assert step.sealed == 2
    rest = services.seal_migration.run(dry_run=False)
    assert rest.resumed_from is not None and rest.sealed == 3
    assert "c0ffee" not in json.dumps(every_item(services), default=str)
    for i in range(5):
        sig = services.store.signature(item, f"{'m' * 25}{i}")
        assert "email" not in sig
        assert services.unsealer.email_of(item, sig) == f"old.signer.{i}.c0ffee@example.org"
    assert services.seal_migration.run(dry_run=True).to_seal == 0


class Counting:
    """A client proxy that counts the calls made through it."""

    def __init__(self, client) -> None:
        self.client, self.calls = client, []

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if callable(attr) and not name.startswith("_") and name != "exceptions":
            def counted(*a, **kw):
                self.calls.append(name)
                return attr(*a, **kw)
            return counted
        return attr


def test_one_kms_call_per_instance_and_letter_key_not_per_mail(services, mailer):
    letter = make_letter(services)
    services.sealer.ensure(letter.slug)
    kms = Counting(services.key_clients.kms)
    services.key_clients.kms = kms
    for i in range(6):
        sign(services, letter, name=f"Signer {i}", email=f"signer.{i}@example.org")
    assert len(mailer.sent) == 6
    assert kms.calls == ["decrypt"]  # sign-ons seal with the public key: no KMS call at all
