"""Hostile inputs the fuzzer found (or that sit just past what a schema lets it generate).

Each test states the behaviour we want: a 4xx in the error shape, and nothing broken for
anyone else. The ones that fail today are marked xfail(strict=True) with "BUG-n" — the
input, the root cause and the proposed fix are in the reason and the docstring — so the
lead can apply the fix and delete the mark (strict: an unexpected pass fails the run).
"""
from __future__ import annotations

import base64
import json

import pytest

from helpers import individual, post

SLUG = "eu-hrc43-dprk"
ADMIN = f"/admin/letters/{SLUG}"


@pytest.fixture
def auth(service):
    return {"authorization": f"Bearer {service.organisers.create('hostile', []).token}"}


def _b64(raw: str, pad: bool = False) -> str:
    out = base64.urlsafe_b64encode(raw.encode()).decode()
    return out if pad else out.rstrip("=")


def _is_4xx_error(resp) -> bool:
    if not 400 <= resp.status_code < 500:
        return False
    err = resp.json_body["error"]
    return err["status"] == resp.status_code and err["code"] and "Traceback" not in resp.body.decode()


# ---- BUG-1: a closing time before year 1000 --------------------------------------------

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "BUG-1: POST /admin/letters/{slug}/status {'status':'open','closes_at':'0288-12-07T00:12:07Z'}"
    " -> 500, and the stored closes_at '288-12-07T…Z' then makes GET /letters, GET /letters/{slug}"
    " and POST …/signatures 500 for everyone. services.iso() (chalicelib/services.py:56) uses"
    " strftime('%Y'), which glibc does not zero-pad below year 1000; parse_iso() "
    "(datetime.fromisoformat) rejects it. Fix: iso() -> t.astimezone(utc).isoformat("
    "timespec='microseconds').replace('+00:00','Z'), and bound Timestamp (2000 <= year <= 9998) "
    "in the models so such a date is a 422."))
def test_an_ancient_closing_time_is_refused_and_breaks_nothing(client, example, auth):
    resp = post(client, f"{ADMIN}/status", {"status": "open", "closes_at": "0288-12-07T00:12:07Z"},
                auth)
    assert _is_4xx_error(resp) or resp.status_code == 200, (resp.status_code, resp.body)
    # whatever the answer, the public pages must keep working
    assert client.http.get("/letters").status_code == 200
    assert client.http.get(f"/letters/{SLUG}").status_code == 200
    signed = post(client, f"/letters/{SLUG}/signatures", individual(example, email="x@example.org"))
    assert signed.status_code == 202, signed.body


# ---- BUG-2: aware datetimes at the ends of the range -------------------------------------

EXTREME_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "BUG-2: an aware datetime that overflows when converted to UTC (0001-01-01T00:00:00+01:00,"
    " 9999-12-31T23:59:59-01:00) -> OverflowError in services.iso() -> 500 on POST …/status "
    "(closes_at), POST …/invalidations and GET …/signatures (since/until). Fix: a bounded "
    "Timestamp type in the models (AfterValidator: 2000 <= year <= 9998, else a 422 "
    "'out_of_range'), used by LetterStatusIn.closes_at and Filters.since/until."))
def test_extreme_datetimes_are_a_422_not_a_500(client, example, auth):
    bad = []
    for when in EXTREME_TIMES:
        q = when.replace("+", "%2B")
        for what, resp in [
            ("status", post(client, f"{ADMIN}/status", {"status": "open", "closes_at": when}, auth)),
            ("invalidations", post(client, f"{ADMIN}/invalidations",
                                   {"reason": "x", "since": when, "dry_run": True}, auth)),
            ("since", client.http.get(f"{ADMIN}/signatures?since={q}", headers=auth)),
            ("until", client.http.get(f"{ADMIN}/signatures?until={q}", headers=auth)),
        ]:
            if not (_is_4xx_error(resp) or resp.status_code == 200):
                bad.append((when, what, resp.status_code))
    assert bad == []


# ---- BUG-3: Unicode digits in an integer query parameter ---------------------------------

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "BUG-3: GET /letters/{slug}/signatures?limit=%C2%B2 ('²') -> 500 (public, no token). "
    "http.query_int (chalicelib/http.py:186, `if not raw.isdigit()`) lets Unicode digits through "
    "str.isdigit(), then int('²') raises ValueError. Fix: `if not (raw.isascii() and "
    "raw.isdigit()) or not low <= int(raw) <= high:` -> 422 out_of_range."))
def test_unicode_digits_in_limit_are_a_422(client, example, auth):
    bad = []
    for path in (f"/letters/{SLUG}/signatures", f"{ADMIN}/signatures", f"{ADMIN}/audit"):
        for digit in ("%C2%B2", "%E2%91%A0"):  # '²', '①': str.isdigit() is True, int() fails
            resp = client.http.get(f"{path}?limit={digit}", headers=auth)
            if not (resp.status_code == 422 and _is_4xx_error(resp)):
                bad.append((path, digit, resp.status_code))
    assert bad == []


# ---- BUG-4: a forged public-list cursor ----------------------------------------------------

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "BUG-4: GET /letters/{slug}/signatures?cursor=base64('v1:\\U0010ffff\\U0010ffff') or "
    "?kind=organisation&cursor=base64('v1:9') -> 500 (public, no token): DynamoDB "
    "ValidationException 'BETWEEN … upper bound >= lower bound'. decode_cursor accepts any "
    "'v1:' text and Store.list_page (chalicelib/store.py:358, low = max(after+'\\x01', prefix)) "
    "queries BETWEEN low AND high with low > high. Fix: in list_page, `if low.encode() > "
    "high.encode(): return [], False`; and have decode_cursor require the sort-key shape "
    "(^[12]#.*#[a-z2-7]{26}$) -> 422 invalid_cursor otherwise."))
def test_a_forged_public_cursor_is_not_a_500(client, example):
    bad = []
    for query in ("cursor=" + _b64("v1:\U0010ffff\U0010ffff"),
                  "kind=organisation&cursor=" + _b64("v1:9"),
                  "kind=individual&cursor=" + _b64("v1:3")):
        resp = client.http.get(f"/letters/{SLUG}/signatures?{query}")
        if resp.status_code not in (200, 422) or \
                (resp.status_code == 200 and resp.json_body["signatures"]):
            bad.append((query, resp.status_code))
    assert bad == []


def test_odd_but_harmless_inputs_are_answered(client, example):
    """Not bugs today; kept as regressions next to the ones above."""
    # '٣' (Arabic-Indic three) passes isdigit() and int(): a page of 3, not a 5xx
    assert client.http.get(f"/letters/{SLUG}/signatures?limit=%D9%A3").status_code in (200, 422)
    # an empty cursor position: the first page of the public index, public fields only
    resp = client.http.get(f"/letters/{SLUG}/signatures?cursor=" + _b64("v1:"))
    assert resp.status_code == 200
    for s in resp.json_body["signatures"]:
        assert set(s) == {"id", "kind", "name", "affiliation", "country"}


# ---- BUG-5: forged organiser cursors ------------------------------------------------------

ADMIN_CURSORS = [
    ("signatures", {"src": "s0"}),                              # KeyError 'key'
    ("signatures", {"src": "s0", "key": "x"}),                  # AttributeError
    ("signatures", {"src": "s0", "key": {"PK": 5}}),            # botocore ParamValidationError
    ("signatures", {"src": "s0", "key": {"PK": "zzz", "SK": "y"}}),  # DynamoDB ValidationException
    ("audit", {"x": 1}),                                        # KeyError 'sk'
    ("audit", {"sk": 5}),                                       # botocore ParamValidationError
]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "BUG-5: organiser cursors are base64 JSON checked only for being a dict "
    "(chalicelib/moderation.py:47 _uncursor; used at :122 and :159); GET /admin/letters/{slug}/signatures?cursor=base64('{\"src\":\"s0\"}')"
    " (and 5 other shapes, see ADMIN_CURSORS) -> 500 from KeyError/AttributeError/"
    "ParamValidationError/ValidationException in Moderation._items and Moderation.audit. "
    "Fix: validate the decoded cursor in _uncursor against the expected shape (src in "
    "{'q','s0'..}, key: dict[str,str] with PK/SK (and GSI2PK/GSI2SK for 'q') whose PK is this "
    "letter's partition; audit: {'sk': str}) and raise 422 invalid_cursor otherwise; better, "
    "HMAC-sign cursors with the email hash key."))
def test_a_forged_organiser_cursor_is_a_422(client, example, auth):
    bad = []
    for route, cursor in ADMIN_CURSORS:
        resp = client.http.get(f"{ADMIN}/{route}?cursor=" + _b64(json.dumps(cursor), pad=True),
                               headers=auth)
        if not (resp.status_code == 422 and _is_4xx_error(resp)):
            bad.append((route, cursor, resp.status_code))
    assert bad == []
