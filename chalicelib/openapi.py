"""OpenAPI 3.1 document, generated from the pydantic models.

`OPERATIONS` describes every route; a test checks it against the app's routes
so an undocumented route (or status) cannot slip in.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from chalice import Response
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from . import (import_models as im, models, organiser_models as om, partner_models as pm,
               workspace_models as wm)
from .delivery import models as dm
from .updates import models as um
from .states import ALL_STATES

__all__ = ["OPERATIONS", "document", "response"]

ERROR_TEXT = {
    400: "Malformed request (invalid JSON, duplicate keys, invalid UTF-8).",
    401: "Missing or invalid organiser token.",
    403: "The token may not act on this resource.",
    404: "Unknown letter, route or link.",
    405: "Method not allowed on this path.",
    409: "Conflict with what is stored: already signed, the signature or letter changed meanwhile, the letter exists.",
    410: "The letter is closed, or the link has expired.",
    413: "Body too large (16 KB on public routes, 256 KB on organiser routes; an import's file "
         "MAX_IMPORT_BYTES, 1 MiB, and MAX_IMPORT_ROWS rows, 2,000, by default).",
    415: "Body is not application/json.",
    422: "Invalid fields; each problem names its location and type.",
    429: "Too many requests; see Retry-After.",
    500: "Unexpected error; the body carries a request id only.",
    503: "Storage busy; retry after Retry-After seconds.",
}
COMMON = (404, 405, 500, 503)
BODY = (400, 413, 415, 422)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # Chalice path, without the /api stage prefix
    summary: str
    ok: tuple[int, Optional[type[BaseModel]]]
    request: Any = None
    errors: tuple[int, ...] = ()
    query: tuple[dict, ...] = ()
    path_params: tuple[str, ...] = ()
    tags: tuple[str, ...] = ("public",)
    security: bool = False
    extra: dict = field(default_factory=dict)


SLUG = ("slug",)
PAGE_QUERY = ({"name": "cursor", "schema": {"type": "string", "maxLength": 2000}},
              {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 500}})
ADMIN_QUERY = PAGE_QUERY + tuple(
    {"name": n, "schema": schema} for n, schema in (
        ("state", {"enum": list(ALL_STATES)}),
        ("kind", {"enum": ["organisation", "individual"]}),
        ("q", {"type": "string", "maxLength": 200}),
        ("country", {"type": "string", "minLength": 2, "maxLength": 2}),
        ("email_domain", {"type": "string", "maxLength": 253}),
        ("since", {"type": "string", "format": "date-time"}),
        ("until", {"type": "string", "format": "date-time"})))
TOKEN_QUERY = {"name": "token", "schema": {"type": "string", "maxLength": 200}}
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/letters", "List the letters", (200, models.LetterList)),
    Operation("GET", "/letters/{slug}", "A letter with its live tally", (200, models.LetterOut),
              path_params=SLUG),
    Operation("POST", "/letters/{slug}/signatures", "Sign a letter (sends a confirmation email)",
              (202, models.SignAccepted), request=models.SignatureIn,
              errors=(*BODY, 409, 410, 429), path_params=SLUG),
    Operation("GET", "/letters/{slug}/signatures",
              "The public list: listed signatures, organisations then individuals, alphabetical",
              (200, models.SignatureList), errors=(422,), path_params=SLUG, query=(
                  {"name": "cursor", "schema": {"type": "string", "maxLength": 2000}},
                  {"name": "limit", "schema": {"type": "integer", "minimum": 1,
                                               "maximum": 500, "default": 100}},
                  {"name": "kind", "schema": {"enum": ["organisation", "individual"]}})),
    Operation("GET", "/letters/{slug}/partners/{code}",
              "A partner's link: its name, its consent text, its count if public",
              (200, models.PartnerPublic), path_params=(*SLUG, "code")),
    Operation("POST", "/confirmations", "Confirm a signature with the token from its email link",
              (200, models.ConfirmationOut), request=models.ConfirmationIn,
              errors=(*BODY, 410, 429)),
    Operation("POST", "/withdrawals", "Withdraw a signature with the token from its email link",
              (200, models.WithdrawalOut), request=models.WithdrawalIn, errors=(*BODY, 429)),
    Operation("POST", "/unsubscribe",
              "Stop a letter's updates to a signature: RFC 8058 one-click (the body is the form "
              "`List-Unsubscribe=One-Click`, or `{}`); idempotent; names no address",
              (200, um.UnsubscribeOut), request=um.OneClickIn, query=(TOKEN_QUERY,)),
    Operation("GET", "/unsubscribe", "To the unsubscribe page, which asks first (changes nothing)",
              (303, None), errors=(422,), query=(TOKEN_QUERY,),
              extra={"ok_schema": {"type": "string"},
                                                        "ok_type": "text/plain"}),
    *(Operation(m, p, summary, ok, request=req, errors=errs, path_params=pp, query=qq,
                tags=("organisers",), security=True)
      for m, p, summary, ok, req, errs, pp, qq in (
        ("GET", "/admin/me", "The token's own name and letters", (200, om.Me), None, (), (), ()),
        ("GET", "/admin/letters/{slug}", "A letter as organisers see it (uncached counts)",
         (200, om.LetterAdminView), None, (), SLUG, ()),
        ("GET", "/admin/tokens", "List organiser tokens", (200, om.TokenList), None, (), (), ()),
        ("POST", "/admin/tokens", "Issue an organiser token (shown once)",
         (201, om.TokenCreated), om.TokenCreateIn, BODY, (), ()),
        ("DELETE", "/admin/tokens/{token_id}", "Revoke a token", (200, om.TokenInfo), None,
         (), ("token_id",), ()),
        ("GET", "/admin/letters", "The letters this token may act on, drafts included",
         (200, wm.LetterAdminList), None, (), (), ()),
        ("POST", "/admin/letters", "Create a letter from a letter file or the editor's fields",
         (201, om.LetterAdminOut), om.LetterSourceIn, (*BODY, 409), (), ()),
        ("PUT", "/admin/letters/{slug}", "Edit a letter (a new text version)",
         (200, om.LetterAdminOut), om.LetterSourceIn, (*BODY, 409), SLUG, ()),
        ("GET", "/admin/letters/{slug}/source", "The letter's current text, as the editor's form",
         (200, wm.LetterSource), None, (), SLUG, ()),
        ("GET", "/admin/letters/{slug}/translations", "The letter's translations (their sources)",
         (200, wm.TranslationList), None, (), SLUG, ()),
        ("PUT", "/admin/letters/{slug}/translations/{language}",
         "Store the letter's text in another language (its own hash, a new version)",
         (200, wm.TranslationSource), wm.TranslationIn, (*BODY, 409), (*SLUG, "language"), ()),
        ("POST", "/admin/preview", "A body rendered as the public page renders it",
         (200, wm.PreviewOut), wm.PreviewIn, BODY, (), ()),
        ("GET", "/admin/letters/{slug}/dashboard",
         "Sign-ons and confirmations over time, by kind and country; queue sizes",
         (200, wm.DashboardOut), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/status", "Open or close a letter, or set its closing time",
         (200, om.LetterAdminOut), om.LetterStatusIn, BODY, SLUG, ()),
        ("GET", "/admin/letters/{slug}/signatures", "The moderation queue, with search",
         (200, om.SignatureAdminList), None, (422,), SLUG, ADMIN_QUERY),
        ("GET", "/admin/letters/{slug}/duplicates",
         "Signatures that are one mailbox under the current email rule (changes nothing)",
         (200, om.DuplicateReport), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/signatures/{sig_id}/actions",
         "Approve, reject, hide, unhide or rename one signature",
         (200, om.SignatureAdmin), om.ActionIn, (*BODY, 409), (*SLUG, "sig_id"), ()),
        ("POST", "/admin/letters/{slug}/bulk", "One action on many signatures",
         (200, om.BulkResult), om.BulkIn, BODY, SLUG, ()),
        ("POST", "/admin/letters/{slug}/invalidations",
         "Reject every signature matching a filter (dry run first)",
         (200, om.InvalidationResult), om.InvalidationIn, BODY, SLUG, ()),
        ("POST", "/admin/letters/{slug}/imports",
         "Import sign-ons from a CSV or XLSX file (dry run by default; errors name the row "
         "and column)", (200, im.ImportReport), im.ImportIn, BODY, SLUG, ()),
        ("GET", "/admin/letters/{slug}/partners", "The letter's partners with their figures",
         (200, pm.PartnerList), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/partners", "Add a partner (name, country, short code)",
         (201, pm.Partner), pm.PartnerIn, (*BODY, 409), SLUG, ()),
        ("GET", "/admin/letters/{slug}/partners/{code}",
         "One partner's figures (a partner's own token too)", (200, pm.Partner), None, (),
         (*SLUG, "code"), ()),
        ("PUT", "/admin/letters/{slug}/partners/{code}",
         "Change a partner (name, country, may_download, public_count)", (200, pm.Partner),
         pm.PartnerUpdateIn, BODY, (*SLUG, "code"), ()),
        ("POST", "/admin/letters/{slug}/partners/{code}/exports",
         "Start an export of one partner's listed referrals as CSV (a partner's own token: "
         "consenting signers, if allowed): a job", (202, om.JobOut), pm.PartnerExportIn,
         BODY, (*SLUG, "code"), ()),
        ("GET", "/admin/letters/{slug}/partners/{code}/exports/{job_id}",
         "A partner export's progress; once complete, its presigned link", (200, om.JobOut),
         None, (), (*SLUG, "code", "job_id"), ()),
        ("GET", "/admin/letters/{slug}/audit", "The audit trail, newest first",
         (200, om.AuditList), None, (422,), SLUG, PAGE_QUERY),
        ("GET", "/admin/letters/{slug}/mail-failures", "Mails SES refused (parked), newest first",
         (200, om.MailFailureList), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/exports",
         "Start an export of the list (CSV, JSON, XLSX) or the delivery letter (HTML, DOCX): "
         "a job; its result holds a presigned link",
         (202, om.JobOut), om.ExportIn, (), SLUG, ()),
        ("GET", "/admin/letters/{slug}/exports/{job_id}",
         "An export job: progress (rows written of how many), then size, sha256 and a link",
         (200, om.JobOut), None, (), (*SLUG, "job_id"), ()),
        ("GET", "/admin/letters/{slug}/jobs/{job_id}",
         "Any job of the letter (export, snapshot, recount): progress and result",
         (200, om.JobOut), None, (), (*SLUG, "job_id"), ()),
        ("GET", "/admin/letters/{slug}/snapshots", "Snapshots, newest first, with download links",
         (200, om.SnapshotList), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/snapshots",
         "Start cutting today's snapshot now: a job; its result is the snapshot's report",
         (202, om.JobOut), om.SnapshotCutIn, (), SLUG, ()),
        ("GET", "/admin/letters/{slug}/deliveries", "Deliveries of the letter, newest first",
         (200, dm.DeliveryList), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/deliveries/preview",
         "The delivery as it would go (cover message, attachments and their sha256); sends nothing",
         (200, dm.DeliveryPreview), dm.DeliveryIn, (*BODY, 409), SLUG, ()),
        ("POST", "/admin/letters/{slug}/deliveries",
         "Deliver a snapshot's PDF by email (SES) and record it",
         (201, dm.DeliveryOut), dm.DeliveryIn, (*BODY, 409), SLUG, ()),
        ("GET", "/admin/letters/{slug}/updates", "The letter's updates to signers, newest first",
         (200, um.UpdateList), None, (), SLUG, ()),
        ("POST", "/admin/letters/{slug}/updates",
         "Write an update to the signers who opted in (a draft; a text per language)",
         (201, um.UpdateOut), um.UpdateIn, BODY, SLUG, ()),
        ("POST", "/admin/letters/{slug}/updates/preview",
         "Texts not stored yet, as a signer gets them (subject, text, HTML, headers)",
         (200, um.UpdatePreview), um.UpdateIn, BODY, SLUG, ()),
        ("GET", "/admin/letters/{slug}/updates/{seq}",
         "An update and its audit: who, when, reach, mails queued, sent, failed",
         (200, um.UpdateOut), None, (), (*SLUG, "seq"), ()),
        ("PUT", "/admin/letters/{slug}/updates/{seq}", "Change a draft update's texts",
         (200, um.UpdateOut), um.UpdateIn, (*BODY, 409), (*SLUG, "seq"), ()),
        ("GET", "/admin/letters/{slug}/updates/{seq}/preview",
         "An update as a signer of each language gets it", (200, um.UpdatePreview), None, (),
         (*SLUG, "seq"), ()),
        ("POST", "/admin/letters/{slug}/updates/{seq}/reach",
         "Start counting the signers an update reaches: a job (exact)",
         (202, om.JobOut), um.NothingIn, BODY, (*SLUG, "seq"), ()),
        ("POST", "/admin/letters/{slug}/updates/{seq}/send",
         "Send a draft update: a job queues its mails, sent at the send rate",
         (202, um.UpdateOut), um.NothingIn, (*BODY, 409), (*SLUG, "seq"), ()),
        ("POST", "/admin/letters/{slug}/recount",
         "Start a recount of every counter from the items: a job; its result reports drift "
         "(fix: true repairs it)",
         (202, om.JobOut), om.RecountIn, (), SLUG, ()),
    )),
    Operation("GET", "/letters.html", "The open letters as plain HTML (for pages without JavaScript)",
              (200, None), extra={"ok_schema": {"type": "string"}, "ok_type": "text/html"}),
    Operation("GET", "/openapi.json", "This document", (200, None),
              extra={"ok_schema": {"type": "object"}}),
)


def _schema_name(model: Any) -> str:
    return model.__name__ if isinstance(model, type) else "SignatureIn"


@lru_cache(maxsize=1)
def document() -> dict:
    """The whole OpenAPI 3.1 document (built once per process)."""
    named: list[tuple[Any, str]] = []
    for op in OPERATIONS:
        if op.ok[1] is not None:
            named.append((op.ok[1], "serialization"))
        if op.request is not None and isinstance(op.request, type):
            named.append((op.request, "validation"))
    named.append((models.ErrorBody, "serialization"))
    named = list(dict.fromkeys(named))
    _, defs = models_json_schema(named, ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))
    union = TypeAdapter(models.SignatureIn).json_schema(
        ref_template="#/components/schemas/{model}")
    for name, schema in union.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    schemas["SignatureIn"] = union
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        ok_schema = op.extra.get("ok_schema") or {"$ref": f"#/components/schemas/{op.ok[1].__name__}"}
        responses[str(op.ok[0])] = {"description": "OK", "content": {
            op.extra.get("ok_type", "application/json"): {"schema": ok_schema}}}
        # Every body-carrying method passes the size, content-type and JSON checks.
        body_checks = set(BODY) if op.method in ("POST", "PUT", "PATCH") else set()
        for status in sorted(set(op.errors) | set(COMMON) | body_checks
                             | ({401, 403} if op.security else set())):
            headers = {}
            if status in (429, 503):
                headers["Retry-After"] = {"schema": {"type": "integer"},
                                          "description": "Seconds to wait."}
            responses[str(status)] = {
                "description": ERROR_TEXT[status], "headers": headers,
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
        params = [{"name": p, "in": "path", "required": True,
                   "schema": {"type": "string", "maxLength": 64}} for p in op.path_params]
        params += [{"in": "query", "required": False, **q} for q in op.query]
        entry: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags),
                                 "operationId": f"{op.method.lower()}{op.path.replace('/', '_')}"
                                 .replace("{", "").replace("}", "").replace(".", "_"),
                                 "responses": responses}
        if params:
            entry["parameters"] = params
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{_schema_name(op.request)}"}}}}
        if op.security:
            entry["security"] = [{"organiserToken": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Undersigned API", "version": "1.0.0",
                 "description": "Sign-on letters. Every error has the ErrorBody shape."},
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"organiserToken": {"type": "http", "scheme": "bearer"}},
        },
    }


def response(app: Any) -> Response:
    return Response(body=json.dumps(document()), status_code=200,
                    headers={"Content-Type": "application/json",
                             "Cache-Control": "public, max-age=300"})


def documented_routes() -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in OPERATIONS}


def route_table(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the Chalice app serves."""
    return {(m, path) for path, methods in app.routes.items() for m in methods}
