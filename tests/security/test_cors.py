"""CORS: a foreign Origin gets no Access-Control-Allow-* header from anything, over HTTP.

The page and the API share one origin (CloudFront in AWS, tools/serve.py here), so the API
never needs to let another origin read it. Every route of app.app.routes is requested with
Origin: https://evil.example — its own method (with and without a valid organiser token)
and an OPTIONS preflight asking for that method with credentials-bearing headers — plus
the static pages. None may answer with any Access-Control-Allow-* header.
"""
from __future__ import annotations

import json

import requests

import app

EVIL = "https://evil.example"
SLUG = "eu-hrc43-dprk"


def _cors_headers(resp) -> dict:
    return {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}


def test_a_foreign_origin_gets_no_cors_grant_from_any_route(site):
    token = site.service.organisers.create("cors", []).token
    sig_id = site.service.letters.public_list(SLUG, cursor=None, limit=1, kind=None).signatures[0].id
    # a token to revoke (so the DELETE route's real call does not revoke ours)
    victim = site.service.organisers.create("cors-victim", []).id
    requests_sent, granted = 0, []

    def send(method, path, headers, body=None):
        nonlocal requests_sent
        resp = requests.request(method, site.url + path, timeout=10, data=body,
                                headers={"Origin": EVIL, **headers})
        requests_sent += 1
        if _cors_headers(resp):
            granted.append((method, path, resp.status_code, _cors_headers(resp)))
        return resp

    for path, methods in sorted(app.app.routes.items()):
        concrete = "/api" + path.replace("{slug}", SLUG).replace("{sig_id}", sig_id) \
            .replace("{token_id}", victim)
        for method in methods:
            body = json.dumps({}) if method in ("POST", "PUT") else None
            plain = {"Content-Type": "application/json"} if body else {}
            send(method, concrete, plain, body)
            if path.startswith("/admin"):
                send(method, concrete, {**plain, "Authorization": f"Bearer {token}"}, body)
            send("OPTIONS", concrete, {
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type"})
        send("OPTIONS", concrete, {"Access-Control-Request-Method": "DELETE"})
    for page in ("/", f"/l/{SLUG}", "/confirm.html", "/withdraw.html", f"/embed.html?letter={SLUG}",
                 "/admin.html", "/css/site.css", "/js/api.js", "/api/nowhere"):
        send("GET", page, {})
        send("OPTIONS", page, {"Access-Control-Request-Method": "POST"})
    print(f"\nCORS: {requests_sent} requests with Origin {EVIL}; "
          f"{len(granted)} with an Access-Control-Allow-* header")
    assert requests_sent > 60
    assert granted == []
