"""Undersigned's API: a table of contents. Each route delegates to chalicelib in a line or two.

Routes are mounted under the API Gateway stage `api`, so `/letters` here is
`/api/letters` on the site (CloudFront routes /api/* to the stage). Modules only some
routes use (exports, snapshots, retention, the OpenAPI document, organiser models) are
imported in their handlers, to keep the cold start of a public request short.
"""
import os

# pydantic scans every installed package's entry points for plugins when the first model
# is built (~15 ms of a cold start); we use none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from chalice import AuthResponse, Chalice, Cron  # noqa: E402

from chalicelib import http, logs, models, wiring  # noqa: E402
from chalicelib.models import ConfirmationIn, signature_in  # noqa: E402
from chalicelib.principal import principal_from  # noqa: E402
from chalicelib.settings import packaging_setting  # noqa: E402

app = Chalice(app_name="undersigned")
logs.install()  # no email, token or IP in any log line
app.register_middleware(http.make_error_middleware(lambda: wiring.get().settings), "http")

PUBLIC_CACHE = 10  # seconds a CDN may serve a public read


@app.route("/letters", methods=["GET"])
def list_letters():
    return http.json_response(models.LetterList(letters=wiring.get().list_letters()),
                              cache_seconds=PUBLIC_CACHE)


@app.route("/letters/{slug}", methods=["GET"])
def get_letter(slug):
    return http.json_response(wiring.get().get_letter(slug), cache_seconds=PUBLIC_CACHE)


@app.route("/letters/{slug}/signatures", methods=["POST"])
def sign(slug):
    data = http.parse_body(app.current_request, signature_in)
    return http.json_response(wiring.get().sign(slug, data, http.source_ip(app.current_request)),
                              status=202)


@app.route("/letters/{slug}/signatures", methods=["GET"])
def list_signatures(slug):
    q = app.current_request.query_params
    page = wiring.get().public_list(
        slug, cursor=(q or {}).get("cursor"),
        limit=http.query_int(q, "limit", 100, 1, wiring.get().settings.list_page_max),
        kind=http.query_choice(q, "kind", ("organisation", "individual")))
    return http.json_response(page, cache_seconds=PUBLIC_CACHE)


@app.route("/confirmations", methods=["POST"])
def confirm():
    data = http.parse_body(app.current_request, ConfirmationIn)
    return http.json_response(wiring.get().confirm(data.token, http.source_ip(app.current_request)))


@app.route("/withdrawals", methods=["POST"])
def withdraw():
    data = http.parse_body(app.current_request, models.WithdrawalIn)
    return http.json_response(wiring.get().withdraw(data.token, http.source_ip(app.current_request)))


@app.route("/letters.html", methods=["GET"])
def plain_letters():
    """The open letters as plain HTML, for visitors without JavaScript."""
    from chalice import Response

    from chalicelib import plain
    return Response(body=plain.letters_page(wiring.get()), status_code=200, headers={
        **http.SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": f"public, max-age={PUBLIC_CACHE}, s-maxage={PUBLIC_CACHE}"})


@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    from chalicelib import openapi
    return openapi.response(app)


# ---- organisers: every route below sits behind this one authorizer ----------------


@app.authorizer(ttl_seconds=60)
def organiser_auth(auth_request):
    """Bearer token → allow every organiser route (scope is checked per letter in the handler)."""
    principal = wiring.get().organisers.authenticate(auth_request.token)
    if principal is None:
        return AuthResponse(routes=[], principal_id="nobody")
    return AuthResponse(routes=["*"], principal_id=principal.token_id,
                        context={"name": principal.name, "letters": ",".join(principal.letters)})


def admin(path, methods):
    return app.route(path, methods=methods, authorizer=organiser_auth)


def who():
    return principal_from(app.current_request)


@admin("/admin/me", ["GET"])
def whoami():
    me = who()
    return http.json_response(models.Me(id=me.token_id, name=me.name, letters=list(me.letters)))


@admin("/admin/letters/{slug}", ["GET"])
def letter_for_organisers(slug):
    who().require(slug)
    return http.json_response(wiring.get().moderation.letter_view(slug))


@admin("/admin/tokens", ["GET"])
def list_tokens():
    who().require()
    return http.json_response(models.TokenList(tokens=wiring.get().organisers.list()))


@admin("/admin/tokens", ["POST"])
def create_token():
    who().require()
    data = http.parse_body(app.current_request, models.TokenCreateIn)
    return http.json_response(wiring.get().organisers.create(data.name, data.letters), status=201)


@admin("/admin/tokens/{token_id}", ["DELETE"])
def revoke_token(token_id):
    who().require()
    return http.json_response(wiring.get().organisers.revoke(token_id))


@admin("/admin/letters", ["POST"])
def create_letter():
    data = http.parse_body(app.current_request, models.LetterSourceIn)
    return http.json_response(wiring.get().moderation.save_letter(data.markdown, who(), create=True),
                              status=201)


@admin("/admin/letters/{slug}", ["PUT"])
def edit_letter(slug):
    who().require(slug)
    data = http.parse_body(app.current_request, models.LetterSourceIn)
    return http.json_response(wiring.get().moderation.save_letter(
        data.markdown, who(), slug=slug, create=False))


@admin("/admin/letters/{slug}/status", ["POST"])
def set_letter_status(slug):
    who().require(slug)
    data = http.parse_body(app.current_request, models.LetterStatusIn)
    return http.json_response(wiring.get().moderation.set_status(slug, data.status, data.closes_at,
                                                                 who()))


@admin("/admin/letters/{slug}/signatures", ["GET"])
def moderation_queue(slug):
    who().require(slug)
    q = app.current_request.query_params or {}
    filters = http.parse_query(q, models.Filters, exclude=("cursor", "limit"))
    return http.json_response(wiring.get().moderation.search(
        slug, filters, q.get("cursor"), http.query_int(q, "limit", 100, 1, 500)))


@admin("/admin/letters/{slug}/signatures/{sig_id}/actions", ["POST"])
def moderate(slug, sig_id):
    who().require(slug)
    data = http.parse_body(app.current_request, models.ActionIn)
    return http.json_response(wiring.get().moderation.act(
        slug, sig_id, data.action, who(), reason=data.reason, name=data.name))


@admin("/admin/letters/{slug}/bulk", ["POST"])
def moderate_many(slug):
    who().require(slug)
    data = http.parse_body(app.current_request, models.BulkIn)
    return http.json_response(wiring.get().moderation.bulk(slug, data.ids, data.action, who(),
                                                           data.reason))


@admin("/admin/letters/{slug}/invalidations", ["POST"])
def invalidate(slug):
    who().require(slug)
    data = http.parse_body(app.current_request, models.InvalidationIn)
    filters = models.Filters(**data.model_dump(exclude={"reason", "dry_run"}))
    return http.json_response(wiring.get().moderation.invalidate(slug, filters, who(), data.reason,
                                                                 data.dry_run))


@admin("/admin/letters/{slug}/audit", ["GET"])
def audit_trail(slug):
    who().require(slug)
    q = app.current_request.query_params or {}
    return http.json_response(wiring.get().moderation.audit(
        slug, q.get("cursor"), http.query_int(q, "limit", 100, 1, 500)))


@admin("/admin/letters/{slug}/recount", ["POST"])
def recount(slug):
    who().require(slug)
    data = http.parse_body(app.current_request, models.RecountIn)
    return http.json_response(wiring.get().moderation.recount(slug, fix=data.fix))


@admin("/admin/letters/{slug}/exports", ["POST"])
def export_letter(slug):
    who().require(slug)
    from chalicelib import exports
    data = http.parse_body(app.current_request, models.ExportIn)
    svc = wiring.get()
    return http.json_response(models.ExportOut(**exports.export_to_s3(
        svc, wiring.s3(), slug, data.format, include_email=data.include_email, now=svc.clock())))


@admin("/admin/letters/{slug}/snapshots", ["GET"])
def list_snapshots(slug):
    from chalicelib import snapshots
    who().require(slug)
    return http.json_response(snapshots.snapshot_list(wiring.get(), wiring.s3(), slug))


@admin("/admin/letters/{slug}/snapshots", ["POST"])
def cut_snapshot(slug):
    who().require(slug)
    from chalicelib import snapshots
    data = http.parse_body(app.current_request, models.SnapshotCutIn)
    svc = wiring.get()
    report = snapshots.snapshot_letter(svc, wiring.s3(), slug, svc.clock(), force=data.force,
                                       lease_seconds=snapshots.API_LEASE_SECONDS)
    return http.json_response(models.SnapshotReport(**report))


# ---- scheduled jobs ------------------------------------------------------------------


@app.schedule(Cron(0, packaging_setting("snapshot_hour_utc"), "*", "*", "?", "*"),
              name="nightly_snapshot")
def nightly_snapshot(event):
    """Every open and recently closed letter's list to S3 (idempotent per letter and day)."""
    from chalicelib import snapshots
    svc = wiring.get()
    reports = snapshots.run_nightly(svc, wiring.s3(), svc.clock())
    if any(r["status"] == "failed" for r in reports):
        raise RuntimeError(f"snapshot failed for {[r['slug'] for r in reports if r['status'] == 'failed']}")
    return reports


@app.schedule(Cron(15, packaging_setting("retention_hour_utc"), "*", "*", "?", "*"), name="retention")
def retention(event):
    """Delete expired pending signatures; anonymise letters closed RETENTION_DAYS ago."""
    from chalicelib import privacy
    svc = wiring.get()
    return privacy.run_retention(svc, svc.clock())
