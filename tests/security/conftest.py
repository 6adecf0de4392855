"""Fixtures for the hostile-input tests (issue 9): a live local site per module.

Built from the same pieces as tests/conftest.py's `live_site` (localstack.bootstrap,
make_settings, wiring.build/configure, tools.serve.Server, seed.load), but module-scoped
so a fuzz run or a crawl pays for one server, one table and one bucket. Every server binds
127.0.0.1 on a free port (port 0) and is stopped by this fixture, never by name.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import make_settings  # noqa: E402  (tests/support.py)


@dataclass
class Site:
    service: object
    server: object
    url: str
    bucket: str
    outbox: Path
    settings: object

    def links(self, kind: str = "confirm") -> list[str]:
        """Every confirm/withdraw link in the outbox, oldest first."""
        import email
        import re
        out = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            body = email.message_from_bytes(path.read_bytes()).get_payload(decode=True).decode()
            out += re.findall(rf"https?://\S+/{kind}\.html#token=[A-Za-z0-9_-]+", body)
        return out


def start_site(tmp: Path, **overrides) -> Site:
    from chalicelib import wiring
    from chalicelib.mail import FileMailer
    from tools import localstack, seed
    from tools.serve import Server

    import app
    outbox = tmp / "outbox"
    server = Server(app.app, 0)  # port 0: a free port on 127.0.0.1 (never 8000-8002)
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    s = make_settings(site_url=server.url, mail_outbox_dir=str(outbox), exports_bucket=bucket,
                      **overrides)
    localstack.bootstrap(s.table_name, bucket)
    instance = wiring.build(s, mailer=FileMailer(str(outbox), s.mail_from))
    wiring.configure(instance)
    seed.load(instance, seed.EXAMPLE)
    server.start()
    return Site(instance, server, server.url, bucket, outbox, s)


def stop_site(site: Site) -> None:
    from chalicelib import wiring
    site.server.stop()
    wiring.configure(None)


@pytest.fixture(scope="module")
def site(stack, tmp_path_factory):
    """A live site (page + API on one origin) with the example letter, for one module."""
    s = start_site(tmp_path_factory.mktemp("site"))
    yield s
    stop_site(s)
