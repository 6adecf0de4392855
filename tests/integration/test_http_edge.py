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
