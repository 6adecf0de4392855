"""Authorization: every route of app.app.routes that is not public refuses bad tokens.

For each non-public route: no token, malformed tokens, a revoked token and a token scoped to
another letter are refused (401/403), and the same request with an all-letters token is NOT
refused (so each refusal is the authorizer's or the scope check's, not a 404 on a bad path).
Routes with {slug} and the token routes (/admin/tokens*) refuse a scoped token with 403.
A refused request changes nothing (the letter, its counts, its audit trail, the tokens).

The per-address budget of refused tokens (auth_failures_per_minute) is spent by these
refusals on purpose; the injected clock moves a minute on after each route so that a 429
never stands in for the refusal being checked.
"""
from __future__ import annotations

import hashlib
import json


import app
from helpers import OPEN_LETTER

SLUG = "eu-hrc43-dprk"
PUBLIC = {("GET", "/letters"), ("GET", "/letters/{slug}"), ("POST", "/letters/{slug}/signatures"),
          ("GET", "/letters/{slug}/signatures"), ("POST", "/confirmations"),
          ("POST", "/withdrawals"), ("GET", "/openapi.json"), ("GET", "/letters.html"),
          ("GET", "/letters/{slug}/partners/{code}"),
          # an update's one-click unsubscribe (RFC 8058): its token names a signature
          ("POST", "/unsubscribe"), ("GET", "/unsubscribe")}
# Routes that are neither per letter nor token management: /admin/me answers "who am I" to
# any valid token, scoped or not (it reveals only that token's own name and letters), and
# GET /admin/letters lists the letters in the token's own scope.
ANY_VALID_TOKEN = {("GET", "/admin/me"), ("GET", "/admin/letters")}


def _routes():
    return sorted((m, p) for p, methods in app.app.routes.items() for m in methods)


def _body(method: str, path: str, sig_id: str) -> dict | None:
    if method in ("GET", "DELETE"):
        return None
    return {
        "/admin/tokens": {"name": "authz probe", "letters": []},
        "/admin/letters": {"markdown": OPEN_LETTER.format(slug="authz-new", approval="false")},
        "/admin/letters/{slug}": {"markdown": OPEN_LETTER.format(slug=SLUG, approval="false")},
        "/admin/letters/{slug}/status": {"status": "open"},
        "/admin/letters/{slug}/signatures/{sig_id}/actions": {"action": "hide"},
        "/admin/letters/{slug}/bulk": {"ids": [sig_id], "action": "hide"},
        "/admin/letters/{slug}/invalidations": {"reason": "authz", "country": "KR",
                                                "dry_run": True},
        "/admin/letters/{slug}/recount": {},
        "/admin/letters/{slug}/exports": {"format": "csv"},
        "/admin/letters/{slug}/snapshots": {},
        "/admin/preview": {"body": "Hello {{total}}", "slug": SLUG},
        "/admin/letters/{slug}/translations/{language}": {
            "title": "공개 서한", "addressee": "유엔 인권이사회", "salutation": "이사국 여러분께,",
            "closing": "삼가 드림,", "body": "본문"},
        # No such snapshot: the control request is a 404, and nothing is sent.
        "/admin/letters/{slug}/deliveries": DELIVERY_PROBE,
        "/admin/letters/{slug}/deliveries/preview": DELIVERY_PROBE,
        "/admin/letters/{slug}/imports": {"format": "csv", "content": "bmFtZQpBIEI=",
                                          "mapping": {"name": "name"}, "source": "authz",
                                          "default_kind": "individual"},
        "/admin/letters/{slug}/partners": {"name": "Authz Partner", "code": "authz"},
        "/admin/letters/{slug}/partners/{code}": {"public_count": False},
        "/admin/letters/{slug}/partners/{code}/exports": {},
        "/admin/letters/{slug}/updates": UPDATE_PROBE,
        "/admin/letters/{slug}/updates/preview": UPDATE_PROBE,
        "/admin/letters/{slug}/updates/{seq}": UPDATE_PROBE,
        "/admin/letters/{slug}/updates/{seq}/reach": {},
        "/admin/letters/{slug}/updates/{seq}/send": {},
    }[path]


UPDATE_PROBE = {"texts": {"en": {"subject": "authz probe", "body": "authz probe"}}}


DELIVERY_PROBE = {"snapshot": "2020-01-01", "recipients": ["authz@example.org"],
                  "message": "authz probe"}


def _state(service):
    letter = service.store.get_letter(SLUG)
    return (letter["status"], letter["versions"], service.letters.counts(letter),
            [s.name for s in service.letters.public_list(SLUG, cursor=None, limit=500, kind=None).signatures],
            service.queue.audit(SLUG, None, 500).entries,
            [(t.id, t.revoked_at) for t in service.organisers.list()])


def test_the_public_routes_are_exactly_the_documented_public_ones():
    routes = set(_routes())
    assert PUBLIC <= routes
    for method, path in routes:
        entry = app.app.routes[path][method]
        if (method, path) in PUBLIC:
            assert entry.authorizer is None, (method, path)
        else:
            assert entry.authorizer is not None and entry.authorizer.name == "organiser_auth", \
                (method, path)


def test_every_non_public_route_refuses_missing_malformed_revoked_and_out_of_scope_tokens(
        client, service, example, clock):
    from tools import localstack
    localstack.bootstrap(service.settings.table_name, service.settings.exports_bucket)  # for
    # the control requests to exports/snapshots (the shared `settings` fixture makes another)
    good = service.organisers.create("authz all letters", [])
    scoped = service.organisers.create("authz other letter", ["other-letter"])
    prefix = service.organisers.create("authz prefix", ["eu-hrc43"])  # a prefix of the slug
    revoked = service.organisers.create("authz revoked", [])
    service.organisers.revoke(revoked.id)
    victim = service.organisers.create("authz victim", [])
    # a partner's token sees only its own partner: 403 on another's and on everything else
    from chalicelib.partner_models import PartnerIn
    service.partners.add(SLUG, PartnerIn(name="Other Partner", code="zz"))
    partner = service.organisers.create("authz partner", [], partner=f"{SLUG}/zz")
    sig_id = service.letters.public_list(SLUG, cursor=None, limit=1, kind=None).signatures[0].id
    flipped = good.token[:-1] + ("A" if good.token[-1] != "A" else "B")
    bad_headers = {
        "no header": {},
        "empty": {"authorization": ""},
        "bearer only": {"authorization": "Bearer "},
        "not a token": {"authorization": "Bearer nope"},
        "basic": {"authorization": "Basic dXNlcjpwYXNz"},
        "well-formed unknown": {"authorization": "Bearer us_" + "x" * 43},
        "overlong": {"authorization": "Bearer us_" + "x" * 5000},
        "one char off": {"authorization": f"Bearer {flipped}"},
        "stored hash": {"authorization": f"Bearer {hashlib.sha256(good.token.encode()).hexdigest()}"},
        "revoked": {"authorization": f"Bearer {revoked.token}"},
    }
    checked, results = 0, []
    for method, path in _routes():
        if (method, path) in PUBLIC:
            continue
        concrete = path.replace("{slug}", SLUG).replace("{sig_id}", sig_id) \
            .replace("{token_id}", victim.id).replace("{language}", "ko").replace("{code}", "abc") \
            .replace("{seq}", "1")
        body = _body(method, path, sig_id)
        raw = json.dumps(body).encode() if body is not None else b""

        def call(headers):
            return client.http.request(method, concrete, body=raw, headers={
                "content-type": "application/json", **headers})

        before = _state(service)
        for label, headers in bad_headers.items():
            resp = call(headers)
            results.append((method, path, label, resp.status_code))
            assert resp.status_code in (401, 403), (method, path, label, resp.status_code, resp.body)
            checked += 1
        scoped_tokens = {"scoped to another letter": scoped, "scoped to a prefix": prefix,
                         "another partner's": partner}
        for label, token in scoped_tokens.items():
            resp = call({"authorization": f"Bearer {token.token}"})
            checked += 1
            if (method, path) in ANY_VALID_TOKEN:
                assert resp.status_code == 200, (method, path, label, resp.body)
                continue
            # {slug} routes and /admin/tokens*: 403 from the scope check (the token is valid).
            # POST /admin/letters names its slug in the body: refused the same way.
            assert resp.status_code == 403, (method, path, label, resp.status_code, resp.body)
            assert resp.json_body["error"]["code"] == "forbidden"
        assert _state(service) == before, (method, path, "a refused request changed something")
        clock.advance(seconds=61)  # a fresh failed sign-in budget for the control below
        ok = call({"authorization": f"Bearer {good.token}"})
        assert ok.status_code not in (401, 403), (method, path, "control", ok.status_code, ok.body)
        clock.advance(seconds=61)
    print(f"\nauthz: {checked} refused requests over "
          f"{len([r for r in _routes() if r not in PUBLIC])} non-public routes")


def test_a_scoped_token_cannot_reach_another_letter_through_the_body(client, service, example):
    """PUT on its own letter with another letter's Markdown; POST a letter it may not touch."""
    from helpers import make_letter
    make_letter(service, slug="other-letter")
    scoped = service.organisers.create("authz other letter", ["other-letter"])
    auth = {"authorization": f"Bearer {scoped.token}", "content-type": "application/json"}
    before = _state(service)
    put = client.http.put("/admin/letters/other-letter", headers=auth, body=json.dumps(
        {"markdown": OPEN_LETTER.format(slug=SLUG, approval="true")}))
    assert put.status_code in (403, 422), put.body
    create = client.http.post("/admin/letters", headers=auth, body=json.dumps(
        {"markdown": OPEN_LETTER.format(slug="not-mine", approval="false")}))
    assert create.status_code == 403, create.body
    assert service.store.get_letter("not-mine") is None
    assert _state(service) == before
    # and its own letter works
    own = client.http.get("/admin/letters/other-letter/signatures", headers=auth)
    assert own.status_code == 200


ROLE_ORDER = ("read", "moderate", "manage")


def test_every_organiser_route_names_a_role():
    for method, path in _routes():
        if (method, path) in PUBLIC:
            continue
        role = getattr(app.app.routes[path][method].view_function, "role", None)
        assert role in ROLE_ORDER, (method, path, role)
    # what organisers depend on: reading is open to every role, moderation is not
    assert app.app.routes["/admin/letters/{slug}/signatures"]["GET"].view_function.role == "read"
    assert app.app.routes["/admin/letters/{slug}/signatures/{sig_id}/actions"]["POST"] \
        .view_function.role == "moderate"
    assert app.app.routes["/admin/tokens"]["POST"].view_function.role == "manage"


def test_every_organiser_route_refuses_a_role_below_its_own_and_changes_nothing(
        client, service, example, clock):
    """A read-only and a moderating token on every organiser route: below the route's role,
    403 role_forbidden and nothing stored changes; at or above it, not refused."""
    from tools import localstack
    localstack.bootstrap(service.settings.table_name, service.settings.exports_bucket)
    tokens = {r: service.organisers.create(f"role {r}", [], r) for r in ("read", "moderate")}
    victim = service.organisers.create("role victim", [])
    sig_id = service.letters.public_list(SLUG, cursor=None, limit=1, kind=None).signatures[0].id
    refused = allowed = 0
    for method, path in _routes():
        if (method, path) in PUBLIC:
            continue
        need = app.app.routes[path][method].view_function.role
        concrete = path.replace("{slug}", SLUG).replace("{sig_id}", sig_id) \
            .replace("{token_id}", victim.id).replace("{language}", "ko")
        body = _body(method, path, sig_id)
        raw = json.dumps(body).encode() if body is not None else b""
        for role, token in tokens.items():
            before = _state(service)
            resp = client.http.request(method, concrete, body=raw, headers={
                "content-type": "application/json", "authorization": f"Bearer {token.token}"})
            if ROLE_ORDER.index(role) < ROLE_ORDER.index(need):
                assert resp.status_code == 403, (method, path, role, resp.status_code, resp.body)
                assert resp.json_body["error"]["code"] == "role_forbidden", (method, path, role)
                assert _state(service) == before, (method, path, role, "changed something")
                refused += 1
            else:
                assert resp.status_code not in (401, 403), (method, path, role, resp.body)
                allowed += 1
    assert refused and allowed
    print(f"\nroles: {refused} refused, {allowed} allowed")


def test_a_read_only_co_organiser_gets_403_on_moderation_and_can_still_read(client, service,
                                                                             example):
    reader = service.organisers.create("reader", [SLUG], "read")
    auth = {"authorization": f"Bearer {reader.token}", "content-type": "application/json"}
    sig = service.letters.public_list(SLUG, cursor=None, limit=1, kind=None).signatures[0]
    resp = client.http.post(f"/admin/letters/{SLUG}/signatures/{sig.id}/actions", headers=auth,
                            body=json.dumps({"action": "hide"}))
    assert resp.status_code == 403 and resp.json_body["error"]["code"] == "role_forbidden"
    assert sig.id in [s.id for s in service.letters.public_list(
        SLUG, cursor=None, limit=500, kind=None).signatures]
    me = client.http.get("/admin/me", headers=auth).json_body
    assert me["role"] == "read"
    assert client.http.get(f"/admin/letters/{SLUG}/dashboard", headers=auth).status_code == 200
