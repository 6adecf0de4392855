"""Undersigned's API: a table of contents. Each route delegates to chalicelib in a line or two.

Every handler is `wiring.get()` → a use case (a field of `wiring.Services`) → its method:
two hops from here to the code. The public routes and the functions' entry points are here;
the organisers' routes (behind their authorizer) are the blueprint in
chalicelib/organiser_api.py, written the same way. Routes are mounted under the API Gateway stage `api`, so
`/letters` here is `/api/letters` on the site (CloudFront routes /api/* to the stage).
Modules only some routes use (exports, snapshots, retention, the OpenAPI document, the
organiser models) are imported in their handlers, to keep a public request's cold start short.
"""
import os

# pydantic scans every installed package's entry points for plugins when the first model
# is built (~15 ms of a cold start); we use none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from chalice import Chalice, Cron, Rate, Response  # noqa: E402

from chalicelib import http, logs, models, wiring  # noqa: E402
from chalicelib.models import ConfirmationIn, signature_in  # noqa: E402
from chalicelib.settings import packaging_setting  # noqa: E402

app = Chalice(app_name="undersigned")
logs.install()  # no email, token or IP in any log line
# The query names of each public read; any other is refused (a CDN must not cache it).
PUBLIC_QUERY = {"/letters/{slug}/signatures": ("cursor", "limit", "kind"),
                "/unsubscribe": ("token",)}
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


# RFC 8058 one-click unsubscribe from updates: a mail client POSTs `List-Unsubscribe=One-Click`
# (a form) to the List-Unsubscribe URL; the page's button POSTs the same. No session: the token
# names a signature (chalicelib/updates/unsubscribe.py). A GET only shows the page.
@app.route("/unsubscribe", methods=["POST"], content_types=http.FORM_TYPES)
def unsubscribe():
    token = (app.current_request.query_params or {}).get("token", "")
    return http.json_response(wiring.get().unsubscribe.unsubscribe(token))


@get("/unsubscribe")
def unsubscribe_page():
    """A GET (a person's click, a mail scanner's fetch) changes nothing: to the page, which
    asks first; the token moves to the fragment, out of any further log or Referer."""
    token = (app.current_request.query_params or {}).get("token", "")
    site = wiring.get().settings.site_url
    return Response(body="To the unsubscribe page.\n", status_code=303, headers={
        **http.SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8",
        "Location": f"{site}/unsubscribe.html#token={http.safe_token(token)}"})


@get("/letters/{slug}/partners/{code}")
def partner_link(slug, code):
    """What a partner's link shows: its name, its consent text, and its count if public."""
    return http.json_response(wiring.get().partners.public(slug, code), cache_seconds=PUBLIC_CACHE)


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


# ---- organisers: chalicelib/organiser_api.py (one authorizer; each route names its role) ----
from chalicelib.organiser_api import organiser_api  # noqa: E402

app.register_blueprint(organiser_api)

# ---- scheduled jobs ------------------------------------------------------------------


@app.schedule(Cron(0, packaging_setting("snapshot_hour_utc"), "*", "*", "?", "*"),
              name="nightly_snapshot")
def nightly_snapshot(event):
    """Every open and recently closed letter's list to S3 (idempotent per letter and day)."""
    from chalicelib.snapshots import job
    svc = wiring.get()
    # A large letter's cut is queued as a job, which the job worker splits over workers.
    reports = job.run_nightly(svc, wiring.job_s3(), svc.clock(), submit=lambda slug: svc.jobs.submit(
        slug, "snapshot", {"force": False}, "nightly snapshot").id)
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


# Hourly: a reminder to each pending signer whose REMINDER_AFTER_HOURS have passed
# (chalicelib/reminders.py; the mail worker sends them off the stream).
@app.schedule(Rate(1, unit=Rate.HOURS), name="reminders")
def reminders(event):
    """Queue the reminders due since the last run (each once; a missed run's too)."""
    svc = wiring.get()
    return svc.reminders.run(svc.clock(), budget_seconds=240)


# The update mailer: organisers' updates to signers who opted in, queued by the fan-out job
# (chalicelib/updates/). The queue's ARN and dead-letter queue are set in infra/resources.yaml.
@app.on_sqs_message(queue_arn="arn:aws:sqs:eu-west-1:000000000000:set-by-infra-resources-yaml",
                    batch_size=1, name="update_mailer")
def update_mailer(event):
    import json
    return [wiring.get().update_mailer.handle(json.loads(record.body)) for record in event]


@app.schedule(Cron(15, packaging_setting("retention_hour_utc"), "*", "*", "?", "*"), name="retention")
def retention(event):
    """Start the anonymisation of each letter due today (pending signatures expire by TTL)."""
    svc = wiring.get()
    return svc.retention.run(svc.clock())
