"""Undersigned's API: a table of contents. Each route delegates to chalicelib in a line or two.

Routes are mounted under the API Gateway stage `api`, so `/letters` here is
`/api/letters` on the site (CloudFront routes /api/* to the stage).
"""
from chalice import Chalice

from chalicelib import http, openapi, wiring
from chalicelib.models import ConfirmationIn, signature_in

app = Chalice(app_name="undersigned")
app.register_middleware(http.make_error_middleware(lambda: wiring.get().settings.max_body_bytes),
                        "http")

PUBLIC_CACHE = 10  # seconds a CDN may serve a public read


@app.route("/letters", methods=["GET"])
def list_letters():
    return http.json_response(openapi.LetterList(letters=wiring.get().list_letters()),
                              cache_seconds=PUBLIC_CACHE)


@app.route("/letters/{slug}", methods=["GET"])
def get_letter(slug):
    return http.json_response(wiring.get().get_letter(slug), cache_seconds=PUBLIC_CACHE)


@app.route("/letters/{slug}/signatures", methods=["POST"])
def sign(slug):
    data = http.parse_body(app.current_request, signature_in)
    return http.json_response(wiring.get().sign(slug, data), status=202)


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
    return http.json_response(wiring.get().confirm(data.token))


@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    return openapi.response(app)
