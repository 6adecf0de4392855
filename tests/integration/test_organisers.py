"""Organisers: tokens, the authorizer, moderation, bulk invalidation, audit, letters, recount."""
from __future__ import annotations

import json

import pytest

import app
from chalicelib.storage import Update
from helpers import individual, make_letter, organisation, post


@pytest.fixture
def token(service):
    return service.organisers.create("Test organiser", []).token


def auth(token):
    return {"authorization": f"Bearer {token}"}


def admin_get(client, path, token):
    return client.http.get(path, headers=auth(token))


def admin_post(client, path, body, token):
    return post(client, path, body, auth(token))


PUBLIC = {("GET", "/letters"), ("GET", "/letters/{slug}"), ("POST", "/letters/{slug}/signatures"),
          ("GET", "/letters/{slug}/signatures"), ("POST", "/confirmations"),
          ("GET", "/openapi.json"), ("POST", "/withdrawals"), ("GET", "/letters.html"),
          ("GET", "/letters/{slug}/partners/{code}"),
          ("POST", "/unsubscribe"), ("GET", "/unsubscribe")}  # RFC 8058: its token names a signature


def test_every_non_public_route_is_behind_the_organiser_authorizer():
    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            if (method, path) in PUBLIC:
                assert entry.authorizer is None, (method, path)
            else:
                assert entry.authorizer is not None and entry.authorizer.name == "organiser_auth", \
                    (method, path)


def _concrete(path):
    return path.replace("{slug}", "eu-hrc43-dprk").replace("{sig_id}", "a" * 26) \
        .replace("{token_id}", "abc").replace("{code}", "abc")


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer nope"},
                                     {"authorization": "Bearer us_" + "x" * 43},
                                     {"authorization": "Basic dXNlcjpwYXNz"}])
def test_every_admin_route_refuses_a_missing_or_bad_token(client, example, headers, clock):
    for path, methods in app.app.routes.items():
        for method in methods:
            if (method, path) in PUBLIC:
                continue
            resp = client.http.request(method, _concrete(path), headers={
                "content-type": "application/json", **headers}, body=b"{}")
            assert resp.status_code in (401, 403), (method, path, resp.status_code)
            clock.advance(seconds=61)  # more routes than one minute's failure budget


def test_revoked_and_out_of_scope_tokens_are_refused(client, example, service, token):
    scoped = service.organisers.create("Other letter only", ["other-letter"])
    resp = admin_get(client, "/admin/letters/eu-hrc43-dprk/signatures", scoped.token)
    assert resp.status_code == 403 and resp.json_body["error"]["code"] == "forbidden"
    assert admin_get(client, "/admin/tokens", scoped.token).status_code == 403
    revoked = service.organisers.create("Leaver", [])
    assert admin_get(client, "/admin/tokens", revoked.token).status_code == 200
    client.http.delete(f"/admin/tokens/{revoked.id}", headers=auth(token))
    assert admin_get(client, "/admin/tokens", revoked.token).status_code == 403


def test_tokens_are_stored_only_as_hashes_and_listed_without_secrets(client, service, token):
    created = admin_post(client, "/admin/tokens", {"name": "Press team", "letters": ["a-letter"]},
                         token)
    assert created.status_code == 201 and created.json_body["token"].startswith("us_")
    assert len(created.json_body["token"]) >= 3 + 43  # ≥ 256 bits
    listing = admin_get(client, "/admin/tokens", token).json_body["tokens"]
    assert {t["name"] for t in listing} == {"Test organiser", "Press team"}
    raw = json.dumps(listing)
    items = list(service.store.organiser_tokens())
    assert created.json_body["token"] not in raw and created.json_body["token"] not in json.dumps(items)
    assert any(t["last_used_at"] for t in listing)


def test_refused_tokens_are_limited_per_address_and_a_valid_token_never_is(client, example,
                                                                           service, token, clock):
    limit = service.settings.auth_failures_per_minute
    codes = [admin_get(client, "/admin/tokens", f"us_wrong{i}").status_code for i in range(limit + 1)]
    assert codes == [403] * limit + [429]
    # the valid token works from the very address that is over its budget
    assert admin_get(client, "/admin/tokens", token).status_code == 200
    limited = admin_get(client, "/admin/tokens", "us_wrong")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) <= 60
    assert limited.json_body["error"]["code"] == "too_many_requests"
    clock.advance(seconds=60)
    assert admin_get(client, "/admin/tokens", "us_wrong").status_code == 403


def test_one_address_failing_locks_out_no_organiser_elsewhere(stack, tmp_path):
    """Audit D3: 31 made-up tokens from one address, then a real one from another."""
    import http.client
    from support import FakeClock, start_site
    site = start_site(tmp_path / "outbox", clock=FakeClock())
    try:
        token = site.service.organisers.create("Moderator", []).token
        limit = site.settings.auth_failures_per_minute

        def me(bearer: str, source: str) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", site.server.port, timeout=10,
                                              source_address=(source, 0))
            conn.request("GET", "/api/admin/me", headers={"Authorization": f"Bearer {bearer}"})
            status = conn.getresponse().status
            conn.close()
            return status
        codes = [me(f"us_made-up-{i}", "127.0.0.2") for i in range(limit + 1)]
        assert codes[-1] == 429 and set(codes[:-1]) == {403}
        assert me(token, "127.0.0.3") == 200
        assert me("us_made-up", "127.0.0.3") == 403  # another address has its own budget
        assert me("us_made-up", "127.0.0.2") == 429  # the failing one stays limited
    finally:
        site.stop()


def test_approve_an_organisation_and_see_it_listed(client, example, mailer, token):
    letter = example
    post(client, "/letters/eu-hrc43-dprk/signatures",
         organisation(letter, name="Seoul Civic Forum", email="info@scf.example"))
    post(client, "/confirmations", {"token": mailer.last_token()})
    queue = admin_get(client, "/admin/letters/eu-hrc43-dprk/signatures?state=awaiting_approval",
                      token).json_body["signatures"]
    assert [s["name"] for s in queue] == ["Seoul Civic Forum"]
    # The queue shows the domain; the address itself is sealed and no organiser route opens it.
    assert queue[0]["email_domain"] == "scf.example" and "email" not in queue[0]
    resp = admin_post(client, f"/admin/letters/eu-hrc43-dprk/signatures/{queue[0]['id']}/actions",
                      {"action": "approve"}, token)
    assert resp.status_code == 200 and resp.json_body["state"] == "listed"
    body = client.http.get("/letters/eu-hrc43-dprk").json_body
    assert body["counts"]["organisations"] == 32
    names = [s["name"] for s in client.http.get(
        "/letters/eu-hrc43-dprk/signatures?kind=organisation&limit=100").json_body["signatures"]]
    assert "Seoul Civic Forum" in names
    assert admin_get(client, "/admin/letters/eu-hrc43-dprk/signatures?state=awaiting_approval",
                     token).json_body["signatures"] == []


def _listed(client, service, mailer, names):
    letter = make_letter(service)
    ids = []
    for i, name in enumerate(names):
        post(client, "/letters/test-letter/signatures",
             individual(letter, name=name, email=f"p{i}@{'spam.example' if 'Bot' in name else 'ok.example'}"))
        post(client, "/confirmations", {"token": mailer.last_token()})
    for s in client.http.get("/letters/test-letter/signatures").json_body["signatures"]:
        ids.append(s["id"])
    return letter, ids


def test_hide_unhide_reject_move_the_count_and_are_audited(client, service, mailer, token):
    _, ids = _listed(client, service, mailer, ["Ann Alpha", "Ben Beta"])
    base = "/admin/letters/test-letter"
    assert admin_post(client, f"{base}/signatures/{ids[0]}/actions", {"action": "hide"},
                      token).json_body["state"] == "hidden"
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 1
    admin_post(client, f"{base}/signatures/{ids[0]}/actions", {"action": "unhide"}, token)
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 2
    resp = admin_post(client, f"{base}/signatures/{ids[1]}/actions",
                      {"action": "reject", "reason": "not a real person"}, token)
    assert resp.json_body["state"] == "rejected" and resp.json_body["reason"] == "not a real person"
    again = admin_post(client, f"{base}/signatures/{ids[1]}/actions", {"action": "hide"}, token)
    assert again.status_code == 409 and again.json_body["error"]["code"] == "state_conflict"
    entries = admin_get(client, f"{base}/audit", token).json_body["entries"]
    assert [e["action"] for e in entries] == ["reject", "unhide", "hide"]
    assert entries[0]["before"]["state"] == "listed" and entries[0]["after"]["state"] == "rejected"
    assert entries[0]["who"].startswith("Test organiser")
    assert service.recount.recount("test-letter").drift == {}


def test_rename_fixes_a_typo_keeps_the_original_and_reorders(client, service, mailer, token):
    _, ids = _listed(client, service, mailer, ["Zed Zulu", "Amy Adams"])
    zed = ids[1]  # Adams sorts first
    resp = admin_post(client, f"/admin/letters/test-letter/signatures/{zed}/actions",
                      {"action": "rename", "name": "Zed Aaronson"}, token)
    assert resp.json_body["name"] == "Zed Aaronson" and resp.json_body["original_name"] == "Zed Zulu"
    names = [s["name"] for s in client.http.get("/letters/test-letter/signatures").json_body["signatures"]]
    assert names == ["Zed Aaronson", "Amy Adams"]
    bad = admin_post(client, f"/admin/letters/test-letter/signatures/{zed}/actions",
                     {"action": "rename", "name": "=cmd()"}, token)
    assert bad.status_code == 422


def test_bulk_invalidation_dry_run_then_apply_the_same_count(client, service, mailer, token):
    _listed(client, service, mailer, ["Real Person", "Bot One", "Bot Two", "Bot Three"])
    body = {"email_domain": "spam.example", "reason": "bot wave"}
    dry = admin_post(client, "/admin/letters/test-letter/invalidations", {**body, "dry_run": True},
                     token).json_body
    assert dry == {"dry_run": True, "matched": 3, "changed": 0}
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 4
    done = admin_post(client, "/admin/letters/test-letter/invalidations", {**body, "dry_run": False},
                      token).json_body
    assert done == {"dry_run": False, "matched": 3, "changed": 3}
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 1
    assert service.recount.recount("test-letter").drift == {}
    rejected = admin_get(client, "/admin/letters/test-letter/signatures?state=rejected",
                         token).json_body["signatures"]
    assert sorted(s["name"] for s in rejected) == ["Bot One", "Bot Three", "Bot Two"]


def test_invalidation_needs_a_filter(client, service, token):
    make_letter(service)
    resp = admin_post(client, "/admin/letters/test-letter/invalidations",
                      {"reason": "everything", "dry_run": False}, token)
    assert resp.status_code == 422


def test_search_by_name_country_and_paginate(client, example, token):
    got, cursor = [], None
    while True:
        page = admin_get(client, "/admin/letters/eu-hrc43-dprk/signatures?state=listed&country=KR"
                         "&limit=7" + (f"&cursor={cursor}" if cursor else ""), token).json_body
        got += page["signatures"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    from tools.seed import EXAMPLE, read_signatories
    expected = sorted(r["name"] for r in read_signatories(EXAMPLE) if r["country"] == "KR")
    assert sorted(s["name"] for s in got) == expected  # every one once, across pages
    hits = admin_get(client, "/admin/letters/eu-hrc43-dprk/signatures?q=unification",
                     token).json_body["signatures"]
    expected = sorted(r["name"] for r in read_signatories(EXAMPLE) if "unification" in r["name"].lower())
    assert len(expected) == 5 and sorted(s["name"] for s in hits) == expected


def test_letters_are_created_edited_closed_and_reopened(client, service, token, mailer):
    from helpers import OPEN_LETTER
    src = OPEN_LETTER.format(slug="new-letter", approval="false")
    created = admin_post(client, "/admin/letters", {"markdown": src}, token)
    assert created.status_code == 201
    first_hash = created.json_body["text_sha256"]
    assert admin_post(client, "/admin/letters", {"markdown": src}, token).status_code == 409
    post(client, "/letters/new-letter/signatures",
         {"kind": "individual", "name": "Early Signer", "email": "early@example.org",
          "consent": True, "letter_sha256": first_hash})
    edited = client.http.put("/admin/letters/new-letter", headers={**auth(token),
                             "content-type": "application/json"},
                             body=json.dumps({"markdown": src.replace("change", "reform")}))
    assert edited.status_code == 200 and edited.json_body["text_sha256"] != first_hash
    assert edited.json_body["versions"] == [first_hash, edited.json_body["text_sha256"]]
    post(client, "/confirmations", {"token": mailer.last_token()})  # signed the old text: still fine
    closed = admin_post(client, "/admin/letters/new-letter/status", {"status": "closed"}, token)
    assert closed.json_body["status"] == "closed"
    late = post(client, "/letters/new-letter/signatures",
                {"kind": "individual", "name": "Late", "email": "late@example.org", "consent": True,
                 "letter_sha256": edited.json_body["text_sha256"]})
    assert late.status_code == 410
    reopened = admin_post(client, "/admin/letters/new-letter/status",
                          {"status": "open", "closes_at": "2030-01-01T00:00:00Z"}, token)
    assert reopened.json_body["status"] == "open" and reopened.json_body["closes_at"].startswith("2030")


def test_editing_a_closed_letter_keeps_when_it_closed_and_its_last_snapshot(client, service,
                                                                               token):
    from chalicelib.storage import keys
    from helpers import OPEN_LETTER
    src = OPEN_LETTER.format(slug="test-letter", approval="false")
    make_letter(service)
    admin_post(client, "/admin/letters/test-letter/status", {"status": "closed"}, token)
    service.store.update(keys.letter_key("test-letter"), Update(set={"last_snapshot": "2026-03-01"}))
    closed = service.store.get(keys.letter_key("test-letter"))
    edited = client.http.put("/admin/letters/test-letter", headers={
        **auth(token), "content-type": "application/json"},
        body=json.dumps({"markdown": src.replace("change", "real change")}))
    assert edited.status_code == 200 and edited.json_body["changed"] is True
    item = service.store.get(keys.letter_key("test-letter"))
    assert item["text_sha256"] != closed["text_sha256"] and item["status"] == "closed"
    assert (item["closed_at"], item["last_snapshot"]) == (closed["closed_at"], "2026-03-01")


def test_an_edit_racing_another_edit_is_refused_not_lost(client, service, token):
    from chalicelib.storage import keys
    from chalicelib.letters import parse_letter
    from helpers import OPEN_LETTER
    src = OPEN_LETTER.format(slug="test-letter", approval="false")
    make_letter(service)
    real_update = service.store.update

    def other_edit_first(key, *args, **kw):  # another organiser saves between our read and write
        if key == keys.letter_key("test-letter"):
            service.store.update = real_update
            service.letters.upsert_letter(parse_letter(src.replace("change", "other change")))
        return real_update(key, *args, **kw)
    service.store.update = other_edit_first
    try:
        mine = client.http.put("/admin/letters/test-letter", headers={
            **auth(token), "content-type": "application/json"},
            body=json.dumps({"markdown": src.replace("change", "my change")}))
    finally:
        service.store.update = real_update
    assert mine.status_code == 409 and mine.json_body["error"]["code"] == "letter_changed"
    assert "other change" in client.http.get("/letters/test-letter").json_body["body_html"]


def test_recount_repair_keeps_a_confirmation_landing_during_it(client, service, mailer, token):
    from chalicelib.storage import keys
    post(client, "/letters/test-letter/signatures", individual(make_letter(service)))
    link = mailer.last_token()
    partition = keys.signature_partition(
        "test-letter", keys.shard_of(link[:26], service.letters.letter_item("test-letter")["shards"]))
    real_query = service.store.query
    done = []

    def confirm_after_its_shard_is_scanned(q, **kw):
        items = list(real_query(q, **kw))
        if q.pk == partition and not done:
            done.append(1)  # the scan did not see it; its counter will
            service.signing.confirm(link, "198.51.100.1")
        return items
    service.store.query = confirm_after_its_shard_is_scanned
    try:
        report = service.recount.recount("test-letter", fix=True)
    finally:
        service.store.query = real_query
    assert report.drift == {} and report.fixed is False
    assert client.http.get("/letters/test-letter").json_body["counts"]["total"] == 1
    assert service.recount.recount("test-letter").drift == {}


@pytest.mark.parametrize("cursor", [
    {"src": "s\u00b2", "key": {"PK": "a", "SK": "b"}},  # a digit Python's int() refuses
    {"src": "s0", "key": {"PK": "SIGS#test-letter#000", "SK": ""}},  # an empty key
])
def test_bad_queue_cursors_are_422(client, service, token, cursor):
    import base64
    make_letter(service)
    raw = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    resp = admin_get(client, f"/admin/letters/test-letter/signatures?cursor={raw}", token)
    assert resp.status_code == 422 and resp.json_body["error"]["fields"][0]["type"] == "invalid_cursor"


def test_bad_audit_cursor_is_422_and_a_real_one_pages(client, service, token):
    import base64
    make_letter(service)
    for status in ("closed", "open", "closed"):
        admin_post(client, "/admin/letters/test-letter/status", {"status": status}, token)
    for sk in ("", "x" * 2000, "2026-01-01"):
        raw = base64.urlsafe_b64encode(json.dumps({"sk": sk}).encode()).decode()
        assert admin_get(client, f"/admin/letters/test-letter/audit?cursor={raw}",
                         token).status_code == 422
    first = admin_get(client, "/admin/letters/test-letter/audit?limit=2", token).json_body
    rest = admin_get(client, f"/admin/letters/test-letter/audit?limit=2&cursor={first['next_cursor']}",
                     token).json_body
    assert len(first["entries"]) == 2 and len(rest["entries"]) == 1


def test_recount_finds_and_fixes_drift(client, service, example, token):
    from chalicelib.storage import keys
    service.store.update(keys.counter_key("eu-hrc43-dprk", 0), Update(add={"n_individual": 5}))
    def recount(body: dict) -> dict:
        """A job: 202, then (the worker has run it) its result on GET …/jobs/{id}."""
        from tools.job_pump import JobPump
        started = admin_post(client, "/admin/letters/eu-hrc43-dprk/recount", body, token)
        assert started.status_code == 202 and started.json_body["kind"] == "recount"
        JobPump(service).drain()
        job = admin_get(client, f"/admin/letters/eu-hrc43-dprk/jobs/{started.json_body['id']}",
                        token).json_body
        assert job["state"] == "complete", job
        return job["result"]
    report = recount({})
    assert report["drift"] == {"n_individual": -5} and report["fixed"] is False
    assert recount({"fix": True})["fixed"] is True
    assert service.recount.recount("eu-hrc43-dprk").drift == {}
    assert client.http.get("/letters/eu-hrc43-dprk").json_body["counts"]["individuals"] == 4
