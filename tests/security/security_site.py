"""A live local site for the security tests (see conftest.py); importable by name, unlike
a conftest (every test folder has one)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

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
