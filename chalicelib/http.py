"""The HTTP edge: body parsing, input validation, and one JSON shape for every error.

`error_middleware` wraps every route (see app.py). Chalice's own error bodies
(405, 415, a caught 500) are rewritten into the same shape here.
"""
from __future__ import annotations

import json
import logging
import secrets
from typing import Any, Callable, Optional, TypeVar

from chalice import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from . import errors
from .models import ErrorBody, ErrorDetail, FieldProblem

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_DEPTH = 32
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# RFC 8058: a mail client's one-click unsubscribe POSTs a form, not JSON. Only there.
FORM_PATHS = ("/unsubscribe",)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json"]


def safe_token(token: str) -> str:
    """A link token put back into a URL: its own characters only ([A-Za-z0-9_-])."""
    return "".join(c for c in token[:200] if c.isascii() and (c.isalnum() or c in "-_"))


def error_response(status: int, code: str, message: str, *, fields: Optional[list] = None,
                   headers: Optional[dict] = None, request_id: Optional[str] = None) -> Response:
    body = ErrorBody(error=ErrorDetail(
        status=status, code=code, message=message,
        fields=[FieldProblem(**f) for f in (fields or [])], request_id=request_id))
    return Response(body=body.model_dump_json(), status_code=status,
                    headers={**SECURITY_HEADERS, "Content-Type": "application/json",
                             **(headers or {})})


def render_error(exc: errors.AppError) -> Response:
    return error_response(exc.STATUS_CODE, exc.CODE, exc.message, fields=exc.fields,
                          headers=exc.headers)


def json_response(model: BaseModel, status: int = 200, *, cache_seconds: int = 0) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Type": "application/json"}
    if cache_seconds:
        # Public reads: the CDN may serve them for a few seconds (see infra).
        headers["Cache-Control"] = f"public, max-age={cache_seconds}, s-maxage={cache_seconds}"
    return Response(body=model.model_dump_json(), status_code=status, headers=headers)


_CHALICE_ERRORS = {
    405: errors.MethodNotAllowedError,
    415: errors.UnsupportedMediaTypeError,
    400: errors.BadRequestError,
}


def make_error_middleware(settings: Callable[[], Any],
                          public_query: Optional[dict[str, tuple[str, ...]]] = None):
    """Build the HTTP middleware; `settings` is called per request (they load lazily).

    `public_query`: the query names each public GET takes (resource path → names); any
    other name on a GET outside /admin is refused (see `refuse_unknown_query`).
    """
    public_query = public_query or {}

    def error_middleware(event, get_response):
        body = event.raw_body if event.method in ("POST", "PUT", "PATCH", "DELETE") else b""
        try:
            if event.method == "GET" and not event.path.startswith("/admin"):
                refuse_unknown_query(event.query_params, public_query.get(event.path, ()))
            if body:
                s = settings()
                limit = s.max_admin_body_bytes if event.path.startswith("/admin") \
                    else s.max_body_bytes
                if event.path.endswith("/imports"):  # a file, base64 in JSON
                    limit = s.max_import_bytes * 4 // 3 + 64 * 1024
                if len(body) > limit:
                    raise errors.PayloadTooLargeError()
            if body or event.method in ("POST", "PUT", "PATCH"):
                ctype = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
                if ctype != "application/json" and not (
                        event.path in FORM_PATHS and (ctype in FORM_TYPES or not body)):
                    raise errors.UnsupportedMediaTypeError()
            response = get_response(event)
        except errors.AppError as exc:
            return render_error(exc)
        return _normalise(response, event)

    return error_middleware


def _normalise(response: Response, event: Any) -> Response:
    """Rewrite Chalice's own error bodies ({Code, Message}) into ours."""
    if response.status_code < 400 or not isinstance(response.body, dict) \
            or "Code" not in response.body:
        return response
    if response.status_code >= 500:
        # Chalice has already logged the traceback (with the path only, never the body).
        # API Gateway's own request id, so a user's report matches the gateway's log.
        request_id = str((getattr(event, "context", None) or {}).get("requestId")
                         or secrets.token_hex(16))[:64]
        log.error("unhandled error, request_id=%s", request_id)
        return error_response(500, "internal_error",
                              "Something went wrong on our side. Please try again later.",
                              request_id=request_id)
    cls = _CHALICE_ERRORS.get(response.status_code, errors.BadRequestError)
    return render_error(cls(headers={k: v for k, v in response.headers.items() if k == "Allow"}))


# ---- request bodies ----------------------------------------------------------

def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise errors.MalformedJSONError("The request body repeats a key.")
        seen[key] = value
    return seen


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def parse_json(raw: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.MalformedJSONError("The request body is not valid UTF-8.") from None
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicates,
                           parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise errors.MalformedJSONError() from None
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise errors.MalformedJSONError("The request body is nested too deeply.")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def validation_problems(exc: ValidationError, where: str) -> list[dict]:
    """Pydantic errors reduced to location and type: no input values, no internals."""
    problems = []
    for e in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = [p for p in e["loc"] if p not in ("organisation", "individual")] \
            if e["type"] != "union_tag_invalid" else ["kind"]
        if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
            loc = ["kind"]
        problems.append({"loc": [where, *loc], "type": e["type"]})
    return problems


def parse_body(request: Any, adapter: TypeAdapter[T] | type[BaseModel]) -> T:
    """Decode and validate a JSON body against a model (or TypeAdapter); 400/422 on failure."""
    value = parse_json(request.raw_body or b"")
    try:
        if isinstance(adapter, TypeAdapter):
            return adapter.validate_python(value)
        return adapter.model_validate(value)
    except ValidationError as exc:
        raise errors.ValidationFailedError(fields=validation_problems(exc, "body")) from None


def parse_query(params: dict, model: type[BaseModel], exclude: tuple[str, ...] = ()) -> Any:
    """Validate query parameters against a model (lax: query values are strings)."""
    values = {k: v for k, v in params.items() if k not in exclude}
    try:
        return model.model_validate(values, strict=False)
    except ValidationError as exc:
        raise errors.ValidationFailedError(fields=validation_problems(exc, "query")) from None


def source_ip(request: Any) -> str:
    """The caller's address as API Gateway saw it; never a client-supplied X-Forwarded-For."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"


def refuse_unknown_query(params: Optional[dict], allowed: tuple[str, ...]) -> None:
    """422 for a query name a public read does not take.

    A CDN keys its cache on the names as sent while an origin may decode them (`%6Cimit`
    would act as `limit`): a name the route does not know must never shape a cacheable
    page. The dev server hands names over as sent; in AWS, API Gateway decodes them, so
    CloudFront keys public reads on the whole query string (infra/resources.yaml).
    """
    unknown = sorted(k for k in (params or {}) if k not in allowed)
    if unknown:
        raise errors.ValidationFailedError(
            "Unknown query parameter.",
            fields=[{"loc": ["query", k[:64]], "type": "unknown_parameter"} for k in unknown[:5]])


def query_int(params: Optional[dict], name: str, default: int, low: int, high: int) -> int:
    raw = (params or {}).get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise errors.ValidationFailedError(fields=[{"loc": ["query", name], "type": "out_of_range"}])
    return int(raw)


def query_choice(params: Optional[dict], name: str, choices: tuple[str, ...]) -> Optional[str]:
    raw = (params or {}).get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise errors.ValidationFailedError(fields=[{"loc": ["query", name], "type": "enum"}])
    return raw
