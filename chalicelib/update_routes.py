"""The update routes (issue 17): an organiser writes an update to the signers who opted in,
previews it, counts its reach and sends it. organiser_api.py registers them (`register`);
each handler is one call of wiring.get().updates.<method> (updates/service.py). The public
unsubscribe is in app.py."""
from __future__ import annotations

from typing import Any, Callable

from . import http, wiring
from .errors import NotFoundError
from .principal import MANAGE, READ


def _seq(seq: str) -> int:
    if not seq.isdigit() or len(seq) > 6:
        raise NotFoundError("There is no such update.")
    return int(seq)


def register(app: Any, admin: Callable, who: Callable) -> None:
    """Add the routes to `app` (the organisers' blueprint) with its decorators."""
    @admin("/admin/letters/{slug}/updates", ["GET"], role=READ)
    def list_updates(slug):
        who().require(slug)
        return http.json_response(wiring.get().updates.list(slug))

    @admin("/admin/letters/{slug}/updates", ["POST"], role=MANAGE)
    def create_update(slug):
        from chalicelib.updates.models import UpdateIn
        who().require(slug)
        data = http.parse_body(app.current_request, UpdateIn)
        return http.json_response(wiring.get().updates.create(slug, data, who().who), status=201)

    @admin("/admin/letters/{slug}/updates/preview", ["POST"], role=MANAGE)
    def preview_update_draft(slug):
        from chalicelib.updates.models import UpdateIn
        who().require(slug)
        data = http.parse_body(app.current_request, UpdateIn)
        return http.json_response(wiring.get().updates.preview_draft(slug, data))

    @admin("/admin/letters/{slug}/updates/{seq}", ["GET"], role=READ)
    def update_status(slug, seq):
        who().require(slug)
        return http.json_response(wiring.get().updates.get(slug, _seq(seq)))

    @admin("/admin/letters/{slug}/updates/{seq}", ["PUT"], role=MANAGE)
    def edit_update(slug, seq):
        from chalicelib.updates.models import UpdateIn
        who().require(slug)
        data = http.parse_body(app.current_request, UpdateIn)
        return http.json_response(wiring.get().updates.edit(slug, _seq(seq), data, who().who))

    @admin("/admin/letters/{slug}/updates/{seq}/preview", ["GET"], role=READ)
    def preview_update(slug, seq):
        who().require(slug)
        return http.json_response(wiring.get().updates.preview(slug, _seq(seq)))

    @admin("/admin/letters/{slug}/updates/{seq}/reach", ["POST"], role=MANAGE)
    def count_update_reach(slug, seq):
        from chalicelib.updates.models import NothingIn
        who().require(slug)
        http.parse_body(app.current_request, NothingIn)
        return http.json_response(wiring.get().updates.count_reach(slug, _seq(seq), who().who),
                                  status=202)

    @admin("/admin/letters/{slug}/updates/{seq}/send", ["POST"], role=MANAGE)
    def send_update(slug, seq):
        from chalicelib.updates.models import NothingIn
        who().require(slug)
        http.parse_body(app.current_request, NothingIn)
        return http.json_response(wiring.get().updates.send(slug, _seq(seq), who().who),
                                  status=202)
