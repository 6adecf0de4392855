"""Undersigned's API: a table of contents. Each route delegates to chalicelib in a line or two.

Every handler is `wiring.get()` → a use case (a field of `wiring.Services`) → its method:
two hops from here to the code. Routes are mounted under the API Gateway stage `api`, so
`/letters` here is `/api/letters` on the site (CloudFront routes /api/* to the stage).
Modules only some routes use (exports, snapshots, retention, the OpenAPI document, the
organiser models) are imported in their handlers, to keep a public request's cold start short.
"""
import functools
import os

# pydantic scans every installed package's entry points for plugins when the first model
# is built (~15 ms of a cold start); we use none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from chalice import AuthResponse, Chalice, Cron, Response  # noqa: E402

from chalicelib import http, logs, models, wiring  # noqa: E402
from chalicelib.models import ConfirmationIn, signature_in  # noqa: E402
from chalicelib.principal import MANAGE, MODERATE, NOBODY, READ, principal_from  # noqa: E402
from chalicelib.settings import packaging_setting  # noqa: E402

app = Chalice(app_name="undersigned")
logs.install()  # no email, token or IP in any log line
# The query names of each public read; any other is refused (a CDN must not cache it).
PUBLIC_QUERY = {"/letters/{slug}/signatures": ("cursor", "limit", "kind")}
app.register_middleware(http.make_error_middleware(lambda: wiring.get().settings, PUBLIC_QUERY),
                        "http")

PUBLIC_CACHE = 10  # seconds a CDN may serve a public read
# A GET has no body, so its Content-Type means nothing, yet proxies, SDKs and load tools send
# one: Chalice's per-route check (415 unless application/json) is switched off for GETs.
# Bodies are checked in http.error_middleware, for the methods that carry one.
ANY_CONTENT_TYPE = ["*/*"]


def get(path, **kwargs):
    return app.route(path, methods=["GET"], content_types=ANY_CONTENT_TYPE, **kwargs)


@get("/letters")
def list_letters():
    return http.json_response(models.LetterList(letters=wiring.get().letters.list_letters()),
                              cache_seconds=PUBLIC_CACHE)


@get("/letters/{slug}")
def get_letter(slug):
    return http.json_response(wiring.get().letters.get_letter(slug), cache_seconds=PUBLIC_CACHE)


@app.route("/letters/{slug}/signatures", methods=["POST"])
def sign(slug):
    data = http.parse_body(app.current_request, signature_in)
    return http.json_response(wiring.get().signing.sign(slug, data, http.source_ip(app.current_request)),
                              status=202)


@get("/letters/{slug}/signatures")
def list_signatures(slug):
    q = app.current_request.query_params
    page = wiring.get().letters.public_list(
        slug, cursor=(q or {}).get("cursor"),
        limit=http.query_int(q, "limit", 100, 1, wiring.get().settings.list_page_max),
        kind=http.query_choice(q, "kind", ("organisation", "individual")))
    return http.json_response(page, cache_seconds=PUBLIC_CACHE)


@app.route("/confirmations", methods=["POST"])
def confirm():
    data = http.parse_body(app.current_request, ConfirmationIn)
    return http.json_response(wiring.get().signing.confirm(data.token, http.source_ip(app.current_request)))


@app.route("/withdrawals", methods=["POST"])
def withdraw():
    data = http.parse_body(app.current_request, models.WithdrawalIn)
    return http.json_response(wiring.get().signing.withdraw(data.token, http.source_ip(app.current_request)))


@get("/letters.html")
def plain_letters():
    """The open letters as plain HTML, for visitors without JavaScript."""
    from chalicelib import plain
    return Response(body=plain.letters_page(wiring.get().letters), status_code=200, headers={
        **http.SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": f"public, max-age={PUBLIC_CACHE}, s-maxage={PUBLIC_CACHE}"})


@get("/openapi.json")
def openapi_document():
    from chalicelib import openapi
    return openapi.response(app)


# ---- organisers: every route below sits behind this one authorizer ----------------


# Chalice's authorizer is a TOKEN authorizer: it sees the token, never the caller's address.
# So it refuses nothing: a token it does not accept passes as NOBODY, and organiser_guard, in
# the API function, which sees the source address, refuses it there and counts the failure
# per address (past AUTH_FAILURES_PER_MINUTE that address gets 429). A valid token is never
# refused because of anyone's failures. (A REQUEST authorizer could read the address, but
# Chalice generates only TOKEN ones and its local mode runs no other.)
# API Gateway caches each token's answer for ttl_seconds: a revoked token keeps working for
# at most that long (docs/DEPLOY.md).
@app.authorizer(ttl_seconds=10)
def organiser_auth(auth_request):
    """Bearer token → allow every organiser route (scope is checked per letter in the handler)."""
    principal = wiring.get().organisers.authenticate(auth_request.token)
    if principal is None:
        return AuthResponse(routes=["*"], principal_id=NOBODY)
    return AuthResponse(routes=["*"], principal_id=principal.token_id,
                        context={"name": principal.name, "letters": ",".join(principal.letters),
                                 "role": principal.role})


@app.middleware("http")
def organiser_guard(event, get_response):
    """A token the authorizer did not accept: refused before any handler runs."""
    if ((event.context or {}).get("authorizer") or {}).get("principalId") == NOBODY:
        wiring.get().organisers.refuse(http.source_ip(event))
    return get_response(event)


def admin(path, methods, role=MANAGE):
    """An organiser route; its token's role must include `role` (principal.ROLES), checked
    before the handler runs. Unnamed, a route needs the strongest role."""
    def register(handler):
        @functools.wraps(handler)
        def guarded(*args, **kwargs):
            who().allow(role)
            return handler(*args, **kwargs)
        guarded.role = role  # tests/security/test_authz.py reads it
        if methods == ["GET"]:
            return get(path, authorizer=organiser_auth)(guarded)
        return app.route(path, methods=methods, authorizer=organiser_auth)(guarded)
    return register


def who():
    return principal_from(app.current_request)


@admin("/admin/me", ["GET"], role=READ)
def whoami():
    from chalicelib.organiser_models import Me
    me = who()
    return http.json_response(Me(id=me.token_id, name=me.name, letters=list(me.letters),
                                 role=me.role))


@admin("/admin/letters/{slug}", ["GET"], role=READ)
def letter_for_organisers(slug):
    who().require(slug)
    return http.json_response(wiring.get().letter_admin.letter_view(slug))


@admin("/admin/tokens", ["GET"])
def list_tokens():
    from chalicelib.organiser_models import TokenList
    who().require()
    return http.json_response(TokenList(tokens=wiring.get().organisers.list()))


@admin("/admin/tokens", ["POST"])
def create_token():
    from chalicelib.organiser_models import TokenCreateIn
    who().require()
    data = http.parse_body(app.current_request, TokenCreateIn)
    return http.json_response(wiring.get().organisers.create(data.name, data.letters, data.role),
                              status=201)


@admin("/admin/tokens/{token_id}", ["DELETE"])
def revoke_token(token_id):
    who().require()
    return http.json_response(wiring.get().organisers.revoke(token_id))


@admin("/admin/letters", ["GET"], role=READ)
def letters_for_organisers():
    return http.json_response(wiring.get().letter_admin.letters_for(who()))


@admin("/admin/letters", ["POST"])
def create_letter():
    from chalicelib.organiser_models import LetterSourceIn
    data = http.parse_body(app.current_request, LetterSourceIn)
    return http.json_response(wiring.get().letter_admin.save_letter(data, who(), create=True),
                              status=201)


@admin("/admin/letters/{slug}", ["PUT"])
def edit_letter(slug):
    from chalicelib.organiser_models import LetterSourceIn
    who().require(slug)
    data = http.parse_body(app.current_request, LetterSourceIn)
    return http.json_response(wiring.get().letter_admin.save_letter(
        data, who(), slug=slug, create=False))


@admin("/admin/letters/{slug}/source", ["GET"], role=READ)
def letter_source(slug):
    who().require(slug)
    return http.json_response(wiring.get().letter_admin.source(slug))


@admin("/admin/letters/{slug}/translations", ["GET"], role=READ)
def letter_translations(slug):
    from chalicelib.workspace_models import TranslationList
    who().require(slug)
    return http.json_response(TranslationList(translations=wiring.get().translations.sources(slug)))


@admin("/admin/letters/{slug}/translations/{language}", ["PUT"])
def save_translation(slug, language):
    from chalicelib.workspace_models import TranslationIn
    who().require(slug)
    data = http.parse_body(app.current_request, TranslationIn)
    return http.json_response(wiring.get().translations.save(slug, language, data, who()))


@admin("/admin/preview", ["POST"], role=READ)
def preview_letter():
    from chalicelib.workspace_models import PreviewIn
    data = http.parse_body(app.current_request, PreviewIn)
    if data.slug:
        who().require(data.slug)
    return http.json_response(wiring.get().letter_admin.preview(data.body, data.slug))


@admin("/admin/letters/{slug}/dashboard", ["GET"], role=READ)
def dashboard(slug):
    who().require(slug)
    return http.json_response(wiring.get().dashboard.view(slug))


@admin("/admin/letters/{slug}/status", ["POST"])
def set_letter_status(slug):
    from chalicelib.organiser_models import LetterStatusIn
    who().require(slug)
    data = http.parse_body(app.current_request, LetterStatusIn)
    return http.json_response(wiring.get().letter_admin.set_status(slug, data.status, data.closes_at,
                                                                 who()))


@admin("/admin/letters/{slug}/signatures", ["GET"], role=READ)
def moderation_queue(slug):
    from chalicelib.organiser_models import Filters
    who().require(slug)
    q = app.current_request.query_params or {}
    filters = http.parse_query(q, Filters, exclude=("cursor", "limit"))
    return http.json_response(wiring.get().queue.search(
        slug, filters, q.get("cursor"), http.query_int(q, "limit", 100, 1, 500)))


@admin("/admin/letters/{slug}/duplicates", ["GET"], role=READ)
def duplicates(slug):
    who().require(slug)
    return http.json_response(wiring.get().queue.duplicates(slug))


@admin("/admin/letters/{slug}/signatures/{sig_id}/actions", ["POST"], role=MODERATE)
def moderate(slug, sig_id):
    from chalicelib.organiser_models import ActionIn
    who().require(slug)
    data = http.parse_body(app.current_request, ActionIn)
    return http.json_response(wiring.get().actions.act(
        slug, sig_id, data.action, who(), reason=data.reason, name=data.name))


@admin("/admin/letters/{slug}/bulk", ["POST"], role=MODERATE)
def moderate_many(slug):
    from chalicelib.organiser_models import BulkIn
    who().require(slug)
    data = http.parse_body(app.current_request, BulkIn)
    return http.json_response(wiring.get().actions.bulk(slug, data.ids, data.action, who(),
                                                        data.reason))


@admin("/admin/letters/{slug}/invalidations", ["POST"], role=MODERATE)
def invalidate(slug):
    from chalicelib.organiser_models import InvalidationIn
    who().require(slug)
    data = http.parse_body(app.current_request, InvalidationIn)
    # InvalidationIn is a Filters: its filters apply as they are (reason and dry_run unused)
    return http.json_response(wiring.get().actions.invalidate(slug, data, who(), data.reason,
                                                              data.dry_run))


@admin("/admin/letters/{slug}/audit", ["GET"], role=READ)
def audit_trail(slug):
    who().require(slug)
    q = app.current_request.query_params or {}
    return http.json_response(wiring.get().queue.audit(
        slug, q.get("cursor"), http.query_int(q, "limit", 100, 1, 500)))


@admin("/admin/letters/{slug}/mail-failures", ["GET"], role=READ)
def mail_failures(slug):
    who().require(slug)
    return http.json_response(wiring.get().queue.mail_failures(slug))


# ---- jobs: exports, snapshots and recounts run on the job worker; 202 and a job id --------


def job_accepted(job):
    return http.json_response(job, status=202)


@admin("/admin/letters/{slug}/recount", ["POST"], role=MODERATE)
def recount(slug):
    from chalicelib.organiser_models import RecountIn
    who().require(slug)
    data = http.parse_body(app.current_request, RecountIn)
    return job_accepted(wiring.get().jobs.submit(slug, "recount", {"fix": data.fix}, who().who))


@admin("/admin/letters/{slug}/exports", ["POST"], role=MODERATE)
def export_letter(slug):
    from chalicelib.organiser_models import ExportIn
    who().require(slug)
    data = http.parse_body(app.current_request, ExportIn)
    return job_accepted(wiring.get().jobs.submit(slug, "export", data.model_dump(), who().who))


@admin("/admin/letters/{slug}/exports/{job_id}", ["GET"], role=MODERATE)  # its link
def export_status(slug, job_id):
    who().require(slug)
    return http.json_response(wiring.get().jobs.status(slug, job_id, kind="export"))


@admin("/admin/letters/{slug}/jobs/{job_id}", ["GET"], role=MODERATE)  # an export's link
def job_status(slug, job_id):
    who().require(slug)
    return http.json_response(wiring.get().jobs.status(slug, job_id))


@admin("/admin/letters/{slug}/snapshots", ["GET"], role=READ)
def list_snapshots(slug):
    from chalicelib.snapshots import job
    who().require(slug)
    return http.json_response(job.snapshot_list(wiring.get(), wiring.s3(), slug))


@admin("/admin/letters/{slug}/snapshots", ["POST"], role=MODERATE)
def cut_snapshot(slug):
    from chalicelib.organiser_models import SnapshotCutIn
    who().require(slug)
    data = http.parse_body(app.current_request, SnapshotCutIn)
    return job_accepted(wiring.get().jobs.submit(slug, "snapshot", {"force": data.force},
                                                 who().who))


@admin("/admin/letters/{slug}/deliveries", ["GET"])
def list_deliveries(slug):
    who().require(slug)
    return http.json_response(wiring.get().deliveries.list(slug))


@admin("/admin/letters/{slug}/deliveries/preview", ["POST"])
def preview_delivery(slug):
    from chalicelib.delivery.models import DeliveryIn
    who().require(slug)
    data = http.parse_body(app.current_request, DeliveryIn)
    return http.json_response(wiring.get().deliveries.preview(slug, data))


@admin("/admin/letters/{slug}/deliveries", ["POST"])
def deliver(slug):
    from chalicelib.delivery.models import DeliveryIn
    me = who()
    me.require(slug)
    data = http.parse_body(app.current_request, DeliveryIn)
    return http.json_response(wiring.get().deliveries.deliver(slug, data, me), status=201)


# ---- scheduled jobs ------------------------------------------------------------------


@app.schedule(Cron(0, packaging_setting("snapshot_hour_utc"), "*", "*", "?", "*"),
              name="nightly_snapshot")
def nightly_snapshot(event):
    """Every open and recently closed letter's list to S3 (idempotent per letter and day)."""
    from chalicelib.snapshots import job
    svc = wiring.get()
    reports = job.run_nightly(svc, wiring.s3(), svc.clock())
    if any(r["status"] == "failed" for r in reports):
        raise RuntimeError(f"snapshot failed for {[r['slug'] for r in reports if r['status'] == 'failed']}")
    return reports


# The mail worker: the table's stream is the outbox (chalicelib/mail_worker.py). The
# stream's ARN, retries, bisection and the dead-letter queue are set in infra/resources.yaml.
@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-west-1:000000000000:table/undersigned/"
                                   "stream/set-by-infra-resources-yaml",
                        batch_size=100, starting_position="TRIM_HORIZON", name="mail_worker")
def mail_worker(event):
    return wiring.get().mail_worker.handle(event.to_dict()["Records"])


# The job worker: exports, snapshots, recounts and anonymisation, one SQS message at a time
# (chalicelib/jobs/). The queue's ARN, its dead-letter queue and concurrency cap are set in
# infra/resources.yaml.
@app.on_sqs_message(queue_arn="arn:aws:sqs:eu-west-1:000000000000:set-by-infra-resources-yaml",
                    batch_size=1, name="job_worker")
def job_worker(event):
    import json
    return [wiring.get().jobs.handle(json.loads(record.body)) for record in event]


# SES's delivery, bounce and complaint events: its configuration set publishes them to a
# topic whose ARN infra/resources.yaml sets (a Ref). chalicelib/delivery/ses_events.py.
@app.on_sns_message(topic="arn:aws:sns:eu-west-1:000000000000:set-by-infra-resources-yaml",
                    name="ses_events")
def ses_events(event):
    return wiring.get().ses_events.handle_sns(event.message)


@app.schedule(Cron(15, packaging_setting("retention_hour_utc"), "*", "*", "?", "*"), name="retention")
def retention(event):
    """Start the anonymisation of each letter due today (pending signatures expire by TTL)."""
    svc = wiring.get()
    return svc.retention.run(svc.clock())
