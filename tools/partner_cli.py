"""The CLI's `partners`: a coalition letter's partners, their links, figures, exports and
staff tokens, through the API.

    python -m tools.cli partners add SLUG CODE "NK Watch" --country KR
    python -m tools.cli partners list SLUG
    python -m tools.cli partners export SLUG CODE [--emails] [--consenting] [-o FILE]
    python -m tools.cli partners token SLUG CODE
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from tools import job_wait
from tools.api_client import Api


def _show(p: dict) -> None:
    f = p["figures"]
    click.echo(f"{p['code']:<16} {p['name']}" + (f" ({p['country']})" if p.get("country") else ""))
    click.echo(f"  signed {f['signed']}, confirmed {f['confirmed']}, listed {f['listed']['total']} "
               f"({f['listed']['organisations']} organisations, {f['listed']['individuals']} "
               f"individuals, {f['listed']['countries']} countries)")
    if f["countries"]:
        click.echo("  by country: " + ", ".join(f"{c} {n}" for c, n in f["countries"].items()))
    if f["by_day"]:
        click.echo("  by day: " + ", ".join(f"{d} {n}" for d, n in f["by_day"].items()))
    click.echo(f"  link: {p['share_link']}")


@click.group()
def partners() -> None:
    """A letter's partners: links with their code, figures, exports, staff tokens."""


@partners.command("add")
@click.argument("slug")
@click.argument("code")
@click.argument("name")
@click.option("--country", help="Two-letter country code.")
@click.option("--may-download", is_flag=True,
              help="Its staff token may download consenting referrals' names and emails.")
@click.option("--public-count", is_flag=True, help='Show "Signed through NAME: N" on its link.')
@click.pass_obj
def partners_add(api: Api, slug: str, code: str, name: str, country: Optional[str],
                 may_download: bool, public_count: bool) -> None:
    """Add a partner with its short CODE: prints its link and embed."""
    body = {"code": code, "name": name, "may_download": may_download, "public_count": public_count}
    if country:
        body["country"] = country.upper()
    p = api.call("POST", f"/admin/letters/{slug}/partners", body)
    _show(p)
    click.echo(f"  embed: {p['embed']}")


@partners.command("list")
@click.argument("slug")
@click.pass_obj
def partners_list(api: Api, slug: str) -> None:
    """Every partner with its figures (counters; nothing is scanned)."""
    found = api.call("GET", f"/admin/letters/{slug}/partners")["partners"]
    for p in found:
        _show(p)
    if not found:
        click.echo("(none)")


@partners.command("show")
@click.argument("slug")
@click.argument("code")
@click.pass_obj
def partners_show(api: Api, slug: str, code: str) -> None:
    """One partner's figures (a partner's own token may run this)."""
    _show(api.call("GET", f"/admin/letters/{slug}/partners/{code}"))


@partners.command("export")
@click.argument("slug")
@click.argument("code")
@click.option("--emails/--no-emails", default=False,
              help="Add emails (a partner's token: of its consenting referrals, if allowed).")
@click.option("--consenting", is_flag=True,
              help="Lead organisers: only the referrals who ticked the partner's consent "
                   "(what the partner's own token gets).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: the export's own name).")
@click.pass_obj
def partners_export(api: Api, slug: str, code: str, emails: bool, consenting: bool,
                    output: Optional[Path]) -> None:
    """The partner's listed referrals as CSV. The export is a job: a progress bar shows its
    rows written, another the download, whose sha256 is checked."""
    path = f"partners/{code}/exports"
    job = api.call("POST", f"/admin/letters/{slug}/{path}",
                   {"include_email": emails, "consenting_only": consenting})
    made = job_wait.wait(api, slug, job, label=f"exporting {code}'s referrals", path=path)
    job_wait.download(made["result"], output)


@partners.command("token")
@click.argument("slug")
@click.argument("code")
@click.argument("name", required=False)
@click.pass_obj
def partners_token(api: Api, slug: str, code: str, name: Optional[str]) -> None:
    """A token for the partner's staff: it sees only this partner's figures and export."""
    r = api.call("POST", "/admin/tokens", {"name": name or f"{code} staff", "partner": f"{slug}/{code}"})
    click.echo(r["token"])
    click.echo(f"(id {r['id']}; shown once, stored only as a hash)", err=True)


@click.command("names-backfill")
@click.argument("slug")
def names_backfill(slug: str) -> None:
    """Give a letter's organisations their name items (lookalike checks), if they signed
    before those existed. Reads the table directly (AWS settings or the running `make run`)."""
    from tools.snapshot_cli import direct_service
    svc = direct_service()
    put = svc.signing.names.backfill(svc.letters.letter_item(slug, fresh=True))
    click.echo(f"{put} name items put")
