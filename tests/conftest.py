"""Test tiers: unit (no I/O), integration (DynamoDB Local + moto server, started here), browser.

Every run points AWS at loopback with dummy credentials before anything imports boto3,
so no request can reach real AWS.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Until the stack is up, every endpoint is a closed loopback port.
os.environ.update({
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
})
for _k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(_k, None)

import pytest  # noqa: E402

from chalicelib import wiring  # noqa: E402
from chalicelib.mail import Message  # noqa: E402
from chalicelib.settings import Settings  # noqa: E402
from tools import localstack, seed  # noqa: E402


class FakeClock:
    """An injected clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


class RecordingMailer:
    """Keeps sent messages in memory; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.fail = False

    def send(self, message: Message) -> None:
        from chalicelib.mail import MailError
        if self.fail:
            raise MailError("injected failure")
        self.sent.append(message)

    def last_token(self) -> str:
        """The token of the newest confirmation link."""
        import re
        return re.search(r"/confirm\.html#token=([A-Za-z0-9_-]+)", self.sent[-1].text).group(1)

    def last_withdraw_token(self) -> str:
        import re
        return re.search(r"/withdraw\.html#token=([A-Za-z0-9_-]+)", self.sent[-1].text).group(1)


@pytest.fixture(scope="session")
def stack():
    with localstack.Stack(log_dir=ROOT / ".local" / "test-logs") as s:
        os.environ.update(s.env())
        yield s


def make_settings(**overrides) -> Settings:
    values = dict(stage="test", table_name=f"t-{uuid.uuid4().hex[:12]}", exports_bucket="exports",
                  site_url="http://127.0.0.1:8000", email_hash_key="k" * 40, mail_backend="file",
                  count_shards=4,
                  # no abuse limits unless a test sets them (every test client is 127.0.0.1)
                  sign_ip_per_minute=0, sign_ip_per_hour=0, quarantine_ip_per_hour=0,
                  sign_domain_per_hour=0, confirm_ip_per_minute=0, mail_per_address_per_day=0)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def mailer():
    return RecordingMailer()


@pytest.fixture
def settings(stack):
    s = make_settings()
    localstack.bootstrap(s.table_name, f"b-{uuid.uuid4().hex[:12]}")
    return s


@pytest.fixture
def service(settings, mailer, clock):
    instance = wiring.build(settings, mailer=mailer, clock=clock)
    wiring.configure(instance)
    yield instance
    wiring.configure(None)


@pytest.fixture
def example(service):
    """The example letter with its 35 original signatories."""
    seed.load(service, seed.EXAMPLE)
    return service.get_letter("eu-hrc43-dprk")


@pytest.fixture
def client(service):
    from chalice.test import Client

    import app
    with Client(app.app) as c:
        yield c


class LiveSite:
    """The real local server (page + API on one origin) on a free port, over a fresh table."""

    def __init__(self, service, server, outbox: Path) -> None:
        self.service = service
        self.server = server
        self.url = server.url
        self.outbox = outbox

    def links(self) -> list[str]:
        """Every confirmation link in the outbox, oldest first."""
        import email
        import re
        out = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            body = email.message_from_bytes(path.read_bytes()).get_payload(decode=True).decode()
            out += re.findall(r"https?://\S+/confirm\.html#token=[A-Za-z0-9_-]+", body)
        return out


@pytest.fixture
def live_site(stack, tmp_path, clock):
    """Page and API served over HTTP, with the example letter loaded; mail to tmp outbox."""
    from chalicelib.mail import FileMailer
    from tools.serve import Server

    import app
    outbox = tmp_path / "outbox"
    server = Server(app.app, 0)
    s = make_settings(site_url=server.url, mail_outbox_dir=str(outbox))
    localstack.bootstrap(s.table_name, f"b-{uuid.uuid4().hex[:12]}")
    instance = wiring.build(s, mailer=FileMailer(str(outbox), s.mail_from))
    wiring.configure(instance)
    seed.load(instance, seed.EXAMPLE)
    server.start()
    yield LiveSite(instance, server, outbox)
    server.stop()
    wiring.configure(None)
