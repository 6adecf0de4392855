"""Storage that cannot be reached answers 503 with Retry-After, never 500 (audit D2).

Real broken endpoints, not stubbed errors: a closed loopback port (connection refused) and a
socket that listens and never answers (a stopped process: the kernel completes the
handshake, nobody reads). The clients are wiring.boto_client with short timeouts so the test
takes seconds; the production timeouts are checked against the API function's limit.
"""
from __future__ import annotations

import json
import socket

import pytest

from chalicelib import wiring
from chalicelib.link_tokens import make_token, new_id, new_secret
from support import RecordingMailer, make_settings

ROOT_CONFIG = __import__("pathlib").Path(__file__).resolve().parents[2] / ".chalice" / "config.json"
REQUESTS = [("GET", "/letters", None), ("GET", "/letters/eu-hrc43-dprk", None),
            ("GET", "/letters/eu-hrc43-dprk/signatures", None),
            ("POST", "/letters/eu-hrc43-dprk/signatures",
             {"kind": "individual", "name": "Ada", "email": "ada@example.org", "consent": True,
              "letter_sha256": "0" * 64}),
            ("POST", "/confirmations", {"token": make_token(new_id(), new_secret(), "eu-hrc43-dprk")})]


@pytest.fixture
def refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    return port


@pytest.fixture
def silent_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)  # connections are accepted by the kernel and never answered
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def app_on(monkeypatch):
    from chalice.test import Client

    import app

    def start(port: int):
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{port}")
        dynamodb = wiring.boto_client("dynamodb", connect_timeout=1, read_timeout=1, attempts=2)
        wiring.configure(wiring.build(make_settings(), dynamodb=dynamodb, mailer=RecordingMailer()))
        return Client(app.app)
    yield start
    wiring.configure(None)


@pytest.mark.parametrize("endpoint", ["refused_port", "silent_port"])
def test_unreachable_storage_is_a_503_with_retry_after(request, app_on, endpoint):
    client = app_on(request.getfixturevalue(endpoint))
    for method, path, body in REQUESTS:
        resp = client.http.request(method, path, body=json.dumps(body).encode() if body else b"",
                                   headers={"content-type": "application/json"})
        assert resp.status_code == 503, (path, resp.body)
        assert int(resp.headers["Retry-After"]) >= 1
        assert resp.json_body["error"]["code"] == "service_unavailable"


def test_a_silent_endpoint_holds_a_call_for_less_than_the_api_functions_limit():
    limit = json.loads(ROOT_CONFIG.read_text())["stages"]["prod"]["lambda_functions"][
        "api_handler"]["lambda_timeout"]
    assert wiring.worst_case_seconds() <= limit - 8  # room for the calls before the stuck one
    config = wiring.boto_client("dynamodb").meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (
        wiring.CONNECT_TIMEOUT, wiring.READ_TIMEOUT, wiring.ATTEMPTS)


def test_the_job_worker_waits_longer_for_s3_but_well_within_its_own_limit():
    """A large file's upload may take S3 (moto, locally) longer than the API's 5 s to
    complete; the job worker and the nightly cut, which live 15 minutes, may wait for it."""
    functions = json.loads(ROOT_CONFIG.read_text())["stages"]["prod"]["lambda_functions"]
    for name in ("job_worker", "nightly_snapshot"):
        limit = functions[name]["lambda_timeout"]
        assert wiring.worst_case_seconds(read_timeout=wiring.JOB_READ_TIMEOUT) <= limit / 4
    assert wiring.job_s3().meta.config.read_timeout == wiring.JOB_READ_TIMEOUT > wiring.READ_TIMEOUT
    assert wiring.s3().meta.config.read_timeout == wiring.READ_TIMEOUT  # the API's stays short


def test_an_organiser_request_while_storage_is_unreachable_is_a_503(live_site, refused_port,
                                                                   monkeypatch):
    """The authorizer reads the store too: its failure is API Gateway's AUTHORIZER_FAILURE,
    a 503 in the template (tests/infra), and the same from the dev server."""
    import urllib.error
    import urllib.request
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{refused_port}")
    dynamodb = wiring.boto_client("dynamodb", connect_timeout=1, read_timeout=1, attempts=1)
    wiring.configure(wiring.build(live_site.settings, dynamodb=dynamodb, mailer=RecordingMailer()))
    req = urllib.request.Request(f"{live_site.url}/api/admin/me",
                                 headers={"Authorization": "Bearer us_" + "x" * 43})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "2"
    assert json.loads(refused.value.read())["error"]["code"] == "service_unavailable"
