"""The organisers' API: every route here sits behind one authorizer and names the role it
needs. A Chalice blueprint, registered by app.py; each handler is `wiring.get()` → a use case
→ its method, as in app.py. Models are imported in their handlers (a public request's cold
start never loads them).
"""
import functools

from chalice import AuthResponse, Blueprint

from . import coalition_routes, http, update_routes, wiring
from .principal import MANAGE, MODERATE, NOBODY, READ, principal_from

organiser_api = Blueprint(__name__)
bp = organiser_api
ANY_CONTENT_TYPE = ["*/*"]  # as app.py: a GET's Content-Type means nothing


def get(path, **kwargs):
    return bp.route(path, methods=["GET"], content_types=ANY_CONTENT_TYPE, **kwargs)


# ---- organisers: every route below sits behind this one authorizer ----------------


# Chalice's authorizer is a TOKEN authorizer: it sees the token, never the caller's address.
# So it refuses nothing: a token it does not accept passes as NOBODY, and organiser_guard, in
# the API function, which sees the source address, refuses it there and counts the failure
# per address (past AUTH_FAILURES_PER_MINUTE that address gets 429). A valid token is never
# refused because of anyone's failures. (A REQUEST authorizer could read the address, but
# Chalice generates only TOKEN ones and its local mode runs no other.)
# API Gateway caches each token's answer for ttl_seconds: a revoked token keeps working for
# at most that long (docs/DEPLOY.md).
@bp.authorizer(ttl_seconds=10)
def organiser_auth(auth_request):
    """Bearer token → allow every organiser route (scope is checked per letter in the handler)."""
    principal = wiring.get().organisers.authenticate(auth_request.token)
    if principal is None:
        return AuthResponse(routes=["*"], principal_id=NOBODY)
    return AuthResponse(routes=["*"], principal_id=principal.token_id,
                        context={"name": principal.name, "letters": ",".join(principal.letters),
                                 "role": principal.role, "partner": principal.partner or ""})


@bp.middleware("http")
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
        return bp.route(path, methods=methods, authorizer=organiser_auth)(guarded)
    return register


def who():
    return principal_from(bp.current_request)


coalition_routes.register(bp, admin, who)  # imports and partners (issue 16)
update_routes.register(bp, admin, who)  # updates to signers who opted in (issue 17)


@admin("/admin/me", ["GET"], role=READ)
def whoami():
    from chalicelib.organiser_models import Me
    me = who()
    return http.json_response(Me(id=me.token_id, name=me.name, letters=list(me.letters),
                                 role=me.role, partner=me.partner))


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
    data = http.parse_body(bp.current_request, TokenCreateIn)
    wiring.get().partners.require_exists(data.partner)  # a partner's token: 404 if none
    return http.json_response(wiring.get().organisers.create(data.name, data.letters, data.role,
                                                             data.partner), status=201)


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
    data = http.parse_body(bp.current_request, LetterSourceIn)
    return http.json_response(wiring.get().letter_admin.save_letter(data, who(), create=True),
                              status=201)


@admin("/admin/letters/{slug}", ["PUT"])
def edit_letter(slug):
    from chalicelib.organiser_models import LetterSourceIn
    who().require(slug)
    data = http.parse_body(bp.current_request, LetterSourceIn)
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
    data = http.parse_body(bp.current_request, TranslationIn)
    return http.json_response(wiring.get().translations.save(slug, language, data, who()))


@admin("/admin/preview", ["POST"], role=READ)
def preview_letter():
    from chalicelib.workspace_models import PreviewIn
    data = http.parse_body(bp.current_request, PreviewIn)
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
    data = http.parse_body(bp.current_request, LetterStatusIn)
    return http.json_response(wiring.get().letter_admin.set_status(slug, data.status, data.closes_at,
                                                                 who()))


@admin("/admin/letters/{slug}/signatures", ["GET"], role=READ)
def moderation_queue(slug):
    from chalicelib.organiser_models import Filters
    who().require(slug)
    q = bp.current_request.query_params or {}
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
    data = http.parse_body(bp.current_request, ActionIn)
    return http.json_response(wiring.get().actions.act(
        slug, sig_id, data.action, who(), reason=data.reason, name=data.name))


@admin("/admin/letters/{slug}/bulk", ["POST"], role=MODERATE)
def moderate_many(slug):
    from chalicelib.organiser_models import BulkIn
    who().require(slug)
    data = http.parse_body(bp.current_request, BulkIn)
    return http.json_response(wiring.get().actions.bulk(slug, data.ids, data.action, who(),
                                                        data.reason))


@admin("/admin/letters/{slug}/invalidations", ["POST"], role=MODERATE)
def invalidate(slug):
    from chalicelib.organiser_models import InvalidationIn
    who().require(slug)
    data = http.parse_body(bp.current_request, InvalidationIn)
    # InvalidationIn is a Filters: its filters apply as they are (reason and dry_run unused)
    return http.json_response(wiring.get().actions.invalidate(slug, data, who(), data.reason,
                                                              data.dry_run))


@admin("/admin/letters/{slug}/audit", ["GET"], role=READ)
def audit_trail(slug):
    who().require(slug)
    q = bp.current_request.query_params or {}
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
    data = http.parse_body(bp.current_request, RecountIn)
    return job_accepted(wiring.get().jobs.submit(slug, "recount", {"fix": data.fix}, who().who))


@admin("/admin/letters/{slug}/exports", ["POST"], role=MODERATE)
def export_letter(slug):
    from chalicelib.organiser_models import ExportIn
    who().require(slug)
    data = http.parse_body(bp.current_request, ExportIn)
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
    data = http.parse_body(bp.current_request, SnapshotCutIn)
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
    data = http.parse_body(bp.current_request, DeliveryIn)
    return http.json_response(wiring.get().deliveries.preview(slug, data))


@admin("/admin/letters/{slug}/deliveries", ["POST"])
def deliver(slug):
    from chalicelib.delivery.models import DeliveryIn
    me = who()
    me.require(slug)
    data = http.parse_body(bp.current_request, DeliveryIn)
    return http.json_response(wiring.get().deliveries.deliver(slug, data, me), status=201)


