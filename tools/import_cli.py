"""The CLI's `import`: a CSV or XLSX of sign-ons collected elsewhere, through the API.

    python -m tools.cli import SLUG FILE --source "email, 2020-02-20" \\
        --map name="Full name" --map kind=Type --map email=E-mail    # a dry run
    ... --apply                                                       # then the import
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Optional

import click

from tools.api_client import Api

FIELDS = ("name", "kind", "affiliation", "country", "email")


def _headers(path: Path, fmt: str) -> set[str]:
    """The file's column names (its first row), to default the mapping to."""
    if fmt == "xlsx":
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True)
        try:
            first = next(book.worksheets[0].iter_rows(values_only=True, max_row=1), ())
        finally:
            book.close()
        return {str(v).strip() for v in first if v is not None}
    import csv
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        return {h.strip() for h in next(csv.reader(f), [])}


def _mapping(pairs: tuple[str, ...], headers: set[str]) -> dict[str, str]:
    # by default a field is read from the column of its own name, if the file has one
    mapping = {f: f for f in FIELDS if f in headers}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or field not in FIELDS:
            raise click.BadParameter(f"{pair!r}: give FIELD=HEADER, FIELD one of {', '.join(FIELDS)}",
                                     param_hint="--map")
        mapping[field] = header
    return mapping


def _print(report: dict) -> None:
    verb = "would be" if report["dry_run"] else "were"
    click.echo(f"{report['rows']} rows read: {report['accepted']} {verb} listed, {report['held']} "
               f"held as lookalikes; {report['added']} stored now; {report['notified']} "
               f"to be told they were added.")
    for group in ("invalid", "duplicates", "neutralised", "lookalikes"):
        for issue in report[group]:
            where = f"row {issue['row']}" + (f", column {issue['column']}" if issue.get("column") else "")
            match = f" [{issue['match']}]" if issue.get("match") else ""
            click.echo(f"  {group:<11} {where}: {issue['message']}{match}")
    if report["dry_run"]:
        click.echo("Dry run: nothing was stored. Run again with --apply to import.")


@click.command("import")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help='Where they were collected: "email, 2020-02-20", "paper".')
@click.option("--map", "pairs", multiple=True, metavar="FIELD=HEADER",
              help="The column of a field (name, kind, affiliation, country, email); repeatable. "
                   "By default a field is read from the column of its own name, if there is one.")
@click.option("--default-kind", type=click.Choice(["organisation", "individual"]),
              help="The kind of every row, when no column says it.")
@click.option("--notify/--no-notify", default=False,
              help='Send rows with an email a "you were added; withdraw here" mail.')
@click.option("--apply", is_flag=True, help="Import (without it: a dry run that stores nothing).")
@click.pass_obj
def import_file(api: Api, slug: str, path: Path, source: str, pairs: tuple[str, ...],
                default_kind: Optional[str], notify: bool, apply: bool) -> None:
    """Import sign-ons from a CSV (UTF-8) or XLSX file: a dry run unless --apply."""
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    data = path.read_bytes()
    try:
        mapping = _mapping(pairs, _headers(path, fmt))
    except Exception as exc:  # an unreadable file: the API names what is wrong with it
        if isinstance(exc, click.BadParameter):
            raise
        mapping = _mapping(pairs, set())
    body = {"format": fmt, "content": base64.b64encode(data).decode(), "mapping": mapping,
            "source": source, "notify": notify, "dry_run": not apply}
    if default_kind:
        body["default_kind"] = default_kind
    _print(api.call("POST", f"/admin/letters/{slug}/imports", body))
