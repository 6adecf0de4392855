"""The organiser API over HTTP, as the CLI calls it: one client, errors as click's."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

import click

from tools import localstack, stackfile


def local_api() -> str:
    """The API of this clone's running `make run`, else of the stack PORT would start."""
    record = stackfile.running()
    port = record["ports"]["site"] if record else localstack.Ports.from_env(os.environ).site
    return f"http://127.0.0.1:{port}/api"


class Api:
    def __init__(self, base: str, token: Optional[str]) -> None:
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None, query: Optional[dict] = None) -> Any:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else (
            b"{}" if method in ("POST", "PUT") else None)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                err = json.loads(exc.read())["error"]
                detail = "; ".join(f"{'.'.join(map(str, f['loc']))}: {f['type']}"
                                   for f in err.get("fields", []))
                msg = f"{exc.code} {err['code']}: {err['message']}" + (f" ({detail})" if detail else "")
            except Exception:
                msg = f"HTTP {exc.code}"
            raise click.ClickException(msg) from None
        except urllib.error.URLError as exc:
            raise click.ClickException(f"cannot reach {self.base}: {exc.reason}") from None

    def pages(self, path: str, key: str, query: dict) -> Any:
        cursor = None
        while True:
            page = self.call("GET", path, query={**query, "cursor": cursor})
            yield from page[key]
            cursor = page.get("next_cursor")
            if not cursor:
                return
