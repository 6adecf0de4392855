"""The local server: one origin with the page, the API under /api, and the CDN's headers."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from chalicelib.storage import s3_objects


def fetch(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_api_is_served_under_api_on_the_same_origin(live_site):
    status, headers, body = fetch(f"{live_site.url}/api/letters/eu-hrc43-dprk")
    assert status == 200
    assert json.loads(body)["counts"] == {"organisations": 31, "individuals": 4, "total": 35,
                                          "countries": 10}
    assert "Access-Control-Allow-Origin" not in headers


def test_page_is_served_with_security_headers(live_site):
    status, headers, body = fetch(f"{live_site.url}/")
    assert status == 200 and body.lower().startswith(b"<!doctype html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = fetch(f"{live_site.url}/l/eu-hrc43-dprk")
    assert status == 200


def test_unknown_api_route_is_a_404_in_the_error_shape(live_site):
    status, _, body = fetch(f"{live_site.url}/api/nothing-here")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_path_traversal_is_refused(live_site):
    status, _, body = fetch(f"{live_site.url}/../app.py")
    assert status == 404 and b"Chalice" not in body
    status, _, body = fetch(f"{live_site.url}/%2e%2e/app.py")
    assert status == 404 and b"Chalice" not in body


def test_a_nul_in_a_static_path_is_a_404_not_a_dropped_connection(live_site):
    status, _, body = fetch(f"{live_site.url}/%00")
    assert status == 404
    status, _, _ = fetch(f"{live_site.url}/index.html%00.js")
    assert status == 404


def test_an_unsupported_method_is_a_405_in_the_error_shape_with_allow(live_site):
    for path, allow in (("/", "GET, HEAD"), ("/api/letters", "GET, HEAD, POST, PUT, PATCH, "
                                                              "DELETE, OPTIONS")):
        status, headers, body = fetch(f"{live_site.url}{path}", method="TRACE")
        assert status == 405 and headers["Allow"] == allow
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"error": {"status": 405, "code": "method_not_allowed",
                                              "message": "This method is not allowed here.",
                                              "fields": [], "request_id": None}}
    status, headers, body = fetch(f"{live_site.url}/", data=b"{}", method="POST")
    assert status == 405 and json.loads(body)["error"]["code"] == "method_not_allowed"


def test_a_client_that_goes_away_mid_response_prints_no_traceback(live_site, capfd):
    import socket
    import struct
    import threading
    import time
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", live_site.server.port))
        s.sendall(b"GET /api/letters/eu-hrc43-dprk HTTP/1.1\r\nHost: x\r\n\r\n")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # a reset, as a closed browser tab sends: the answer has nowhere to go
    deadline = time.monotonic() + 30  # let every request thread finish writing
    while time.monotonic() < deadline and any(
            "process_request_thread" in t.name and t.is_alive() for t in threading.enumerate()):
        time.sleep(0.05)  # (a thread just being started cannot be joined yet)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "127.0.0.1" not in err


def test_sign_and_confirm_over_http_writes_the_link_to_the_outbox(live_site):
    letter = live_site.service.letters.get_letter("eu-hrc43-dprk")
    payload = {"kind": "individual", "name": "Kim Min-ji", "email": "minji@example.kr",
               "consent": True, "country": "KR", "letter_sha256": letter.text_sha256}
    status, _, body = fetch(f"{live_site.url}/api/letters/eu-hrc43-dprk/signatures",
                            json.dumps(payload).encode(), {"Content-Type": "application/json"})
    assert status == 202, body
    [link] = live_site.links()
    assert link.startswith(f"{live_site.url}/confirm.html#token=")
    token = link.split("#token=")[1]
    status, _, body = fetch(f"{live_site.url}/api/confirmations",
                            json.dumps({"token": token}).encode(),
                            {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["state"] == "listed"
    status, _, body = fetch(f"{live_site.url}/api/letters/eu-hrc43-dprk")
    assert json.loads(body)["counts"]["individuals"] == 5


def test_a_visitor_without_javascript_can_read_the_letter(live_site):
    from html.parser import HTMLParser
    status, _, page = fetch(f"{live_site.url}/")
    assert b'href="/api/letters.html"' in page.split(b"</noscript>")[0]
    status, headers, body = fetch(f"{live_site.url}/api/letters.html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    text = body.decode()
    assert "Your Excellency," in text and "on behalf of 35 non-governmental" in text
    assert "from 10 different countries" in text and "<script" not in text

    class Tags(HTMLParser):
        tags: list = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
    parser = Tags()
    parser.feed(text)
    assert "article" in parser.tags and "script" not in parser.tags


def test_make_run_keeps_s3_objects_as_they_were_across_a_restart(stack, tmp_path, monkeypatch):
    """Saved at stop, restored at start: same bytes, same ETag (so `us snapshots verify`
    still matches a snapshot's manifest), same content type."""
    import uuid
    from chalicelib.wiring import boto_client
    from tools import localstack, run
    bucket = f"restart-{uuid.uuid4().hex[:8]}"
    localstack.bootstrap(f"t-{uuid.uuid4().hex[:8]}", bucket)
    monkeypatch.setattr(run, "BUCKET", bucket)
    monkeypatch.setattr(run, "S3_DIR", tmp_path / "s3")
    s3 = boto_client("s3")
    data = tmp_path / "signatories.csv"
    data.write_bytes("name\n김민준\n".encode() * 1000)
    s3_objects.upload(s3, bucket, "letters/x/snapshots/2026-03-01/signatories.csv", data,
                     "text/csv; charset=utf-8")  # multipart: an ETag "md5-N"
    s3.put_object(Bucket=bucket, Key="letters/x/latest.json", Body=b"{}",
                  ContentType="application/json")

    def state():
        out = {}
        for obj in s3.list_objects_v2(Bucket=bucket)["Contents"]:
            head = s3.head_object(Bucket=bucket, Key=obj["Key"])
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = (head["ETag"], head["ContentType"], body)
        return out
    before = state()
    assert any("-" in etag for etag, _, _ in before.values())
    assert run.save_s3() == 2
    for key in before:  # moto server keeps nothing: a restart starts empty
        s3.delete_object(Bucket=bucket, Key=key)
    assert run.restore_s3() == 2
    assert state() == before


def test_a_local_table_made_before_the_reminders_index_gets_it_at_start(stack):
    """`make run` keeps its table across runs: one created before GSI3 gets the index, so the
    hourly reminders can query it (its older items carry no GSI3 keys: no reminder)."""
    import uuid
    from chalicelib.storage.keys import table_definition
    from chalicelib.wiring import boto_client
    from tools import localstack
    table = f"t-{uuid.uuid4().hex[:8]}"
    older = table_definition(table)
    older["GlobalSecondaryIndexes"] = [i for i in older["GlobalSecondaryIndexes"]
                                       if i["IndexName"] != "GSI3"]
    older["AttributeDefinitions"] = [a for a in older["AttributeDefinitions"]
                                     if not a["AttributeName"].startswith("GSI3")]
    ddb = boto_client("dynamodb")
    ddb.create_table(**older)
    localstack.bootstrap(table, f"b-{uuid.uuid4().hex[:8]}")
    indexes = ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    assert sorted(i["IndexName"] for i in indexes) == ["GSI1", "GSI2", "GSI3"]
    localstack.bootstrap(table, f"b-{uuid.uuid4().hex[:8]}")     # and again: nothing to do
