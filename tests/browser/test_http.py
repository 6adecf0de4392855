"""The one fetch client (frontend/js/http.js) under both API clients, and the errors it makes."""
from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from test_page import open_letter

JS = Path(__file__).resolve().parents[2] / "frontend" / "js"


def scripts(page) -> list[str]:
    seen = []
    page.on("request", lambda r: seen.append(r.url.split("/", 3)[3]) if r.resource_type == "script" else None)
    return seen


def test_public_and_organiser_pages_share_one_fetch_client(page, site):
    seen = scripts(page)
    open_letter(page, site)
    assert "js/http.js" in seen and "js/api.js" in seen
    seen.clear()
    page.goto(f"{site.url}/admin.html")
    expect(page.locator("#token")).to_be_visible()
    assert "js/http.js" in seen and "js/admin/api.js" in seen
    calling = sorted(p.relative_to(JS).as_posix() for p in JS.rglob("*.js") if "fetch(" in p.read_text())
    assert calling == ["http.js"], calling  # nobody else talks to the API by hand


def outcome(page, status=None, body=None, headers=None, abort=False, admin=False):
    """What the client gives back for one faked answer: {ok, data} or the ApiError's fields."""
    page.unroute("**/api/letters/x")

    def answer(route):
        if abort:
            return route.abort()
        route.fulfill(status=status, headers=headers or {}, content_type="application/json"
                      if isinstance(body, dict) else "text/html",
                      body=json.dumps(body) if isinstance(body, dict) else body or "")
    page.route("**/api/letters/x", answer)
    module = "/js/admin/api.js" if admin else "/js/api.js"
    return page.evaluate("""async (module) => {
      const api = await import(module);
      const { ApiError } = await import("/js/http.js");
      try { return { ok: true, data: await api.getLetter("x") }; }
      catch (e) {
        return { ok: false, apiError: e instanceof ApiError, status: e.status, code: e.code,
                 message: e.message, fields: e.fields, requestId: e.requestId,
                 retryAfter: e.retryAfter, fromApp: e.fromApp, tokenRefused: e.tokenRefused ?? null };
      }
    }""", module)


def test_failures_become_api_errors_with_the_api_body(page, site):
    page.goto(f"{site.url}/withdraw.html")
    assert outcome(page, 200, {"slug": "x"}) == {"ok": True, "data": {"slug": "x"}}
    err = {"status": 429, "code": "too_many_requests", "message": "Slow down.",
           "fields": [{"loc": ["body", "name"], "type": "missing"}], "request_id": "r9"}
    got = outcome(page, 429, {"error": err}, {"Retry-After": "30"})
    assert got == {"ok": False, "apiError": True, "status": 429, "code": "too_many_requests",
                   "message": "Slow down.", "fields": err["fields"], "requestId": "r9",
                   "retryAfter": 30, "fromApp": True, "tokenRefused": None}
    got = outcome(page, 502, "<h1>Bad gateway</h1>")  # a proxy's page
    assert (got["status"], got["code"], got["message"], got["fromApp"], got["retryAfter"]) == (
        502, "internal_error", "HTTP 502", False, None)
    got = outcome(page, abort=True)
    assert (got["status"], got["code"], got["message"]) == (0, "network", "The server could not be reached.")


def test_organiser_client_marks_a_refused_token(page, site):
    page.goto(f"{site.url}/admin.html")
    assert outcome(page, 401, {"message": "Unauthorized"}, admin=True)["tokenRefused"] is True
    assert outcome(page, 403, None, admin=True)["tokenRefused"] is True  # the authorizer, not the app
    refused = {"error": {"status": 403, "code": "token_refused", "message": "x", "fields": [], "request_id": "r"}}
    assert outcome(page, 403, refused, admin=True)["tokenRefused"] is True
    forbidden = {"error": {"status": 403, "code": "forbidden", "message": "x", "fields": [], "request_id": "r"}}
    assert outcome(page, 403, forbidden, admin=True)["tokenRefused"] is False  # valid, not for this letter
    assert outcome(page, 500, None, admin=True)["tokenRefused"] is False
