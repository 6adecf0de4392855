"""The HTTP edge: headers and query strings that proxies and caches send or key on."""
from __future__ import annotations

import pytest

SLUG = "eu-hrc43-dprk"
PUBLIC_GETS = ["/letters", f"/letters/{SLUG}", f"/letters/{SLUG}/signatures", "/letters.html",
               "/openapi.json"]


@pytest.mark.parametrize("ctype", ["text/html", "text/plain", "application/x-www-form-urlencoded"])
def test_a_get_with_any_content_type_is_answered_as_without(client, example, service, ctype):
    token = service.organisers.create("Edge test", []).token
    admin = {"authorization": f"Bearer {token}"}
    for path, headers in [*((p, {}) for p in PUBLIC_GETS), ("/admin/me", admin),
                          (f"/admin/letters/{SLUG}/signatures", admin)]:
        plain = client.http.get(path, headers=headers)
        typed = client.http.get(path, headers={**headers, "content-type": ctype})
        assert plain.status_code == 200, path
        assert (typed.status_code, typed.body) == (200, plain.body), path


def _get(site, path):
    import json
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"{site.url}/api{path}", timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


@pytest.mark.parametrize("query,name", [("%6Cimit=5", "%6Cimit"), ("l%69mit=5", "l%69mit"),
                                        ("kin%64=organisation", "kin%64"), ("utm_source=x", "utm_source")])
def test_a_query_name_a_public_read_does_not_take_is_refused_as_sent(live_site, query, name):
    status, headers, body = _get(live_site, f"/letters/{SLUG}/signatures?{query}")
    assert status == 422 and headers["Cache-Control"] == "no-store"
    assert body["error"]["fields"] == [{"loc": ["query", name], "type": "unknown_parameter"}]
    status, _, body = _get(live_site, f"/letters/{SLUG}/signatures?limit=5&kind=organisation")
    assert status == 200 and len(body["signatures"]) == 5


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_every_public_read_refuses_unknown_query_names(client, example, path):
    resp = client.http.get(f"{path}?x=1")
    assert resp.status_code == 422
    assert resp.json_body["error"]["fields"] == [{"loc": ["query", "x"], "type": "unknown_parameter"}]
