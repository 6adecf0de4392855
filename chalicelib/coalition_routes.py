"""The coalition routes (issue 16): sign-ons imported from a file, and partners with their
links, figures, exports and staff tokens. organiser_api.py registers them (`register`) so
that it stays under 400 lines; each handler is one call of wiring.get().<field>.<method>, as
its own are (partners → partners.py, imports → imports/importer.py). The public partner
link is in app.py."""
from __future__ import annotations

from typing import Any, Callable

from . import http, wiring
from .principal import MODERATE, READ


def register(app: Any, admin: Callable, who: Callable) -> None:
    """Add the routes to `app` (the organisers' blueprint) with its own decorators (`admin`
    checks the role)."""
    @admin("/admin/letters/{slug}/imports", ["POST"], role=MODERATE)
    def import_signatories(slug):
        """A CSV or XLSX of sign-ons collected elsewhere: a dry run, or (dry_run false) the import."""
        from chalicelib.import_models import ImportIn
        who().require(slug)
        data = http.parse_body(app.current_request, ImportIn)
        return http.json_response(wiring.get().imports.upload(slug, data))


    @admin("/admin/letters/{slug}/partners", ["GET"], role=READ)
    def list_partners(slug):
        who().require(slug)
        return http.json_response(wiring.get().partners.list(slug))


    @admin("/admin/letters/{slug}/partners", ["POST"])
    def add_partner(slug):
        from chalicelib.partner_models import PartnerIn
        who().require(slug)
        data = http.parse_body(app.current_request, PartnerIn)
        return http.json_response(wiring.get().partners.add(slug, data), status=201)


    @admin("/admin/letters/{slug}/partners/{code}", ["GET"], role=READ)
    def partner_figures(slug, code):
        who().require_partner(slug, code)
        return http.json_response(wiring.get().partners.view(slug, code))


    @admin("/admin/letters/{slug}/partners/{code}", ["PUT"])
    def update_partner(slug, code):
        from chalicelib.partner_models import PartnerUpdateIn
        who().require(slug)
        data = http.parse_body(app.current_request, PartnerUpdateIn)
        return http.json_response(wiring.get().partners.update(slug, code, data))


    @admin("/admin/letters/{slug}/partners/{code}/exports", ["POST"], role=MODERATE)
    def export_partner(slug, code):
        """A job (202): the job worker writes the CSV; a partner's token: only if allowed."""
        from chalicelib.partner_models import PartnerExportIn
        who().require_partner(slug, code)
        data = http.parse_body(app.current_request, PartnerExportIn)
        return http.json_response(wiring.get().partners.export(slug, code, data, who()),
                                  status=202)


    @admin("/admin/letters/{slug}/partners/{code}/exports/{job_id}", ["GET"], role=MODERATE)
    def partner_export_status(slug, code, job_id):
        """The export's progress, then its presigned link (fresh on each read)."""
        who().require_partner(slug, code)
        return http.json_response(wiring.get().partners.export_status(slug, code, job_id, who()))
