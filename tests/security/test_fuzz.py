"""Schemathesis against the RUNNING local site: every documented route, ≥ 1,000 requests.

The schema is loaded from /api/openapi.json over HTTP (schemathesis.openapi.from_url), and
each operation's cases come from its Hypothesis strategy (`APIOperation.as_strategy`), in
both generation modes (positive: valid by the schema; negative: violating it), with
derandomize=True so a run is reproducible. /admin routes carry a valid organiser token, so
the budget of failed sign-ins is never touched.

Every response goes through schemathesis's own checks: not_a_server_error (no 5xx),
status_code_conformance (no undocumented status), content_type_conformance,
response_schema_conformance and response_headers_conformance. Failures are collected,
not raised inside Hypothesis (no shrinking: the budget is for breadth), and reported
together at the end with their request as curl.
"""
from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

SLUG = "eu-hrc43-dprk"  # the example letter (tools/seed.py)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
MIN_REQUESTS = 1000
# Examples per operation and generation mode. Every route is fuzzed; two get fewer cases
# (not excluded) because each request does real work on the 2-core test box:
#   POST /admin/letters/{slug}/snapshots — a cut writes 6 files (incl. a DOCX) by multipart
#     upload to moto and verifies them (~0.3-1 s each with force=true);
#   POST /admin/letters/{slug}/exports — each renders and uploads a file (DOCX is slow).
EXAMPLES = {"default": 30, ("POST", "/admin/letters/{slug}/snapshots"): 4,
            ("POST", "/admin/letters/{slug}/exports"): 10}
# The same again with the real letter's slug (and a real signature id) in the path, so
# cases reach the handler behind the 404 of a random slug.
EXAMPLES_REAL_PATH = {"default": 20, ("POST", "/admin/letters/{slug}/snapshots"): 3,
                      ("POST", "/admin/letters/{slug}/exports"): 8}


@pytest.fixture(scope="module")
def fuzz_site(site):
    svc = site.service
    token = svc.organisers.create("fuzz", []).token
    victim = svc.organisers.create("fuzz-victim", [])  # the token_id fixed in DELETE paths
    sig_id = svc.public_list(SLUG, cursor=None, limit=1, kind=None).signatures[0].id
    # The document is fetched from the running app. (schemathesis.openapi.from_url(...) drops
    # the operation that serves the schema itself, GET /openapi.json, from its operations; the
    # same document through from_dict keeps all 22, so that route is fuzzed too.)
    raw = requests.get(f"{site.url}/api/openapi.json", timeout=10)
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    return site, schema, token, {"slug": SLUG, "sig_id": sig_id, "token_id": victim.id}


def _ops(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def _describe(case, response, exc: FailureGroup) -> str:
    titles = "; ".join(f"{f.title}: {getattr(f, 'message', '')}"[:400] for f in exc.exceptions)
    body = case.body if not isinstance(case.body, (bytes, bytearray)) else repr(case.body)[:300]
    return (f"{case.method} {case.formatted_path} query={case.query} body={json.dumps(body, default=str)[:300]}"
            f" -> {response.status_code} {response.text[:300]!r}\n    {titles}")


def test_fuzz_every_route_of_the_running_site(fuzz_site):
    site, schema, token, real = fuzz_site
    session = requests.Session()
    base_url = f"{site.url}/api"  # the document's server is the relative "/api"
    auth = {"Authorization": f"Bearer {token}"}
    stats = {"requests": 0, "5xx": 0, "by_status": {}}
    failures: list[str] = []
    timing: list = []
    operations = list(_ops(schema))
    documented = {(o.method.upper(), o.path) for o in operations}
    from chalicelib import openapi
    assert documented == openapi.documented_routes(), "the served document lists every route"

    for op in operations:
        key = (op.method.upper(), op.path)
        headers = auth if op.path.startswith("/admin") else {}
        plans = [(mode, None, EXAMPLES.get(key, EXAMPLES["default"]))
                 for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        names = [p for p in ("slug", "sig_id", "token_id") if "{" + p + "}" in op.path]
        if names:
            plans.append((GenerationMode.POSITIVE, {n: real[n] for n in names},
                          EXAMPLES_REAL_PATH.get(key, EXAMPLES_REAL_PATH["default"])))
        for mode, path_parameters, n in plans:
            strategy = op.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(max_examples=n, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                response = case.call(base_url=base_url, session=session, headers=headers,
                                     timeout=30)
                stats["requests"] += 1
                stats["by_status"][response.status_code] = \
                    stats["by_status"].get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    stats["5xx"] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers,
                                           transport_kwargs={"base_url": base_url})
                except FailureGroup as exc:
                    failures.append(_describe(case, response, exc))

            started, before = time.monotonic(), stats["requests"]
            try:
                run()
            except Unsatisfiable:
                # Negative mode on an operation with no input to break (GET /letters,
                # GET /admin/tokens, GET /openapi.json): nothing to generate.
                assert mode is GenerationMode.NEGATIVE, (key, mode)
            timing.append((time.monotonic() - started, stats["requests"] - before, key, mode.value,
                           bool(path_parameters)))

    print(f"\nfuzzed {stats['requests']} requests over {len(operations)} operations; "
          f"5xx: {stats['5xx']}; check failures: {len(failures)}; "
          f"statuses: {dict(sorted(stats['by_status'].items()))}")
    for t in sorted(timing, reverse=True)[:5]:
        print(f"  slowest: {t[0]:.1f}s {t[1]} requests {t[2]} {t[3]} real-path={t[4]}")
    for f in failures[:40]:
        print("  FAIL", f)
    assert stats["requests"] >= MIN_REQUESTS
    assert stats["5xx"] == 0 and not failures, "\n".join(failures[:40])
