"""Bad input gets a clear 4xx in the one error shape, and nothing stored changes."""
from __future__ import annotations

import base64

import json

import pytest

from helpers import individual, make_letter, organisation, post

SIGN = "/letters/test-letter/signatures"

# (description, path, body or raw bytes, headers, expected status, expected code or field type)
BAD_INPUTS = [
    ("malformed JSON", SIGN, b'{"kind": "individual",', {}, 400, "malformed_json"),
    ("duplicate keys", SIGN, b'{"kind":"individual","kind":"organisation"}', {}, 400, "malformed_json"),
    ("invalid UTF-8", SIGN, b'{"name": "\xff\xfe"}', {}, 400, "malformed_json"),
    ("NaN literal", SIGN, b'{"consent": NaN}', {}, 400, "malformed_json"),
    ("nested 100 deep", SIGN, b"[" * 100 + b"]" * 100, {}, 400, "malformed_json"),
    ("JSON array body", SIGN, b"[]", {}, 422, "invalid_fields"),
    ("text/plain body", SIGN, b"{}", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ("form body", SIGN, b"a=b", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ("16 KB + 1 byte", SIGN, b" " * (16 * 1024 + 1), {}, 413, "payload_too_large"),
    ("unknown letter", "/letters/no-such-letter/signatures", "VALID", {}, 404, "letter_not_found"),
    ("slug with odd characters", "/letters/%20x%00/signatures", "VALID", {}, 404, "letter_not_found"),
    ("missing kind", SIGN, {"name": "A"}, {}, 422, "kind"),
    ("unknown kind", SIGN, "KIND=robot", {}, 422, "kind"),
    ("consent false", SIGN, "consent=False", {}, 422, "consent_required"),
    ("consent as string", SIGN, "consent=true-string", {}, 422, "bool_type"),
    ("authorised false", SIGN, "ORG authorised=False", {}, 422, "authorisation_required"),
    ("bad email", SIGN, "email=not-an-email", {}, 422, "invalid_email"),
    ("formula name", SIGN, "name==HYPERLINK(\"x\")", {}, 422, "formula_prefix"),
    ("URL in name", SIGN, "name=see http://x.example", {}, 422, "contains_url"),
    ("bidi override in name", SIGN, "name=Ann\u202eevil", {}, 422, "forbidden_characters"),
    ("zero-width in name", SIGN, "name=A\u200bB", {}, 422, "forbidden_characters"),
    ("name 201 chars", SIGN, "name=" + "x" * 201, {}, 422, "too_long"),
    ("affiliation 301 chars", SIGN, "affiliation=" + "x" * 301, {}, 422, "too_long"),
    ("invalid country", SIGN, "country=XX", {}, 422, "invalid_country"),
    ("extra field", SIGN, "extra=1", {}, 422, "extra_forbidden"),
    ("name as number", SIGN, "name#=5", {}, 422, "string_type"),
    ("stale letter hash", SIGN, "letter_sha256=" + "0" * 64, {}, 422, "unknown_letter_version"),
    ("bad cursor", "GET /letters/test-letter/signatures?cursor=%%%", None, {}, 422, "invalid_cursor"),
    # a well-formed cursor whose key is longer than DynamoDB takes (1,024 bytes)
    ("oversized cursor", "GET /letters/test-letter/signatures?cursor=" + base64.urlsafe_b64encode(
        ("v1:2#" + "é" * 600 + "#" + "a" * 26).encode()).decode().rstrip("="), None, {}, 422,
     "invalid_cursor"),
    ("limit out of range", "GET /letters/test-letter/signatures?limit=100000", None, {}, 422,
     "out_of_range"),
    ("unknown kind filter", "GET /letters/test-letter/signatures?kind=robot", None, {}, 422, "enum"),
    ("short token", "/confirmations", {"token": "abc"}, {}, 422, "string_too_short"),
    ("wrong method", "PUT /letters/test-letter", b"{}", {}, 405, "method_not_allowed"),
]


def _body(letter, spec):
    if spec == "VALID":
        return individual(letter)
    if not isinstance(spec, str):
        return spec
    if spec.startswith("ORG "):
        field, value = spec[4:].split("=", 1)
        return organisation(letter, **{field: value == "True"})
    field, value = spec.split("=", 1)
    if field == "KIND":
        return individual(letter, kind=value)
    if field == "consent":
        return individual(letter, consent={"False": False}.get(value, value))
    if field == "name#":
        return individual(letter, name=int(value))
    if field == "extra":
        return individual(letter, extra=value)
    return individual(letter, **{field: value})


def send(client, letter, path, spec, headers):
    method = "POST"
    if " " in path and path.split(" ", 1)[0] in ("GET", "PUT"):
        method, path = path.split(" ", 1)
    body = _body(letter, spec)
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {"content-type": "application/json", **headers}
    return client.http.request(method, path, body=raw or b"", headers=hdrs)


def _stored(service, slug="test-letter"):
    return service.letters.counts(service.store.get_letter(slug)), \
        service.letters.public_list(slug, cursor=None, limit=100, kind=None)


@pytest.mark.parametrize("what,path,spec,headers,status,code", BAD_INPUTS,
                         ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(client, service, mailer, what, path, spec,
                                                       headers, status, code):
    letter = make_letter(service)
    post(client, SIGN, individual(letter, email="first@example.org"))
    post(client, "/confirmations", {"token": mailer.last_token()})
    before = _stored(service)
    resp = send(client, letter, path, spec, headers)
    assert resp.status_code == status, resp.body
    err = resp.json_body["error"]
    assert set(err) == {"status", "code", "message", "fields", "request_id"}
    assert err["status"] == status and err["message"]
    assert code == err["code"] or code in [f["type"] for f in err["fields"]] or \
        code in [f["loc"][-1] for f in err["fields"]]
    for f in err["fields"]:
        assert set(f) == {"loc", "type"}  # location and type only: no input, no internals
    text = resp.body.decode()
    assert "pydantic" not in text and "Traceback" not in text and "first@example.org" not in text
    assert _stored(service) == before
    assert len(mailer.sent) == 1


def test_an_unexpected_error_is_a_generic_500_with_a_request_id(client, service, caplog):
    def boom(*a, **kw):
        raise RuntimeError("secret detail ada@example.org")
    service.letters.list_letters = boom
    resp = client.http.get("/letters")
    assert resp.status_code == 500
    err = resp.json_body["error"]
    assert err["code"] == "internal_error" and err["request_id"]
    assert "secret detail" not in resp.body.decode()


def test_throttling_that_outlasts_retries_is_a_503_with_retry_after(client, service):
    from botocore.exceptions import ClientError

    def throttled(*a, **kw):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                          "Query")
    service.store._db.query = throttled
    resp = client.http.get("/letters")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
    assert resp.json_body["error"]["code"] == "service_unavailable"


def test_a_500_carries_the_gateways_request_id_in_its_body_and_its_log(service, caplog):
    """So a user's report ("request id …") can be matched to API Gateway's own log."""
    import json as _json

    import app
    from tools.serve import _Gateway
    gateway = _Gateway(app.app).gateway
    event = gateway._generate_lambda_event("GET", "/letters", {}, None)
    event["requestContext"]["requestId"] = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def boom(*a, **kw):
        raise RuntimeError("secret detail")
    service.letters.list_letters = boom
    resp = app.app(event, gateway._generate_lambda_context())
    assert resp["statusCode"] == 500
    assert _json.loads(resp["body"])["error"]["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" in caplog.text
