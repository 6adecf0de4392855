"""Test tiers: unit (no I/O), integration (DynamoDB Local + moto server, started here), browser.

Every run points AWS at loopback with dummy credentials before anything imports boto3,
so no request can reach real AWS.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.localstack import isolate_from_aws  # noqa: E402  (imports no AWS client)

isolate_from_aws()

import pytest  # noqa: E402

from chalicelib import wiring  # noqa: E402
from support import (FakeClock, RecordingMailer, make_settings, start_site,  # noqa: E402,F401
                     with_mail_pump)
from tools import localstack, seed  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    with localstack.Stack(log_dir=ROOT / ".local" / "test-logs") as s:
        os.environ.update(s.env())
        yield s


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
    instance = with_mail_pump(wiring.build(settings, mailer=mailer, clock=clock))
    wiring.configure(instance)
    yield instance
    wiring.configure(None)


@pytest.fixture
def example(service):
    """The example letter with its 35 original signatories."""
    seed.load(service, seed.EXAMPLE)
    return service.letters.get_letter("eu-hrc43-dprk")


@pytest.fixture
def client(service):
    from chalice.test import Client

    import app
    with Client(app.app) as c:
        yield c


@pytest.fixture
def live_site(stack, tmp_path):
    """Page and API served over HTTP, with the example letter loaded; mail to a tmp outbox."""
    site = start_site(tmp_path / "outbox")
    yield site
    site.stop()


# The modules that take longest (measured with --durations), first: the tiers run in several
# processes a module at a time (make test), and a long module started last would leave the
# others idle while it finishes.
SLOWEST_FIRST = ("security/test_fuzz.py", "snapshots/test_snapshots.py",
                 "security/test_properties.py", "reliability/test_load_and_faults.py",
                 "security/test_authz.py", "security/test_hostile_inputs.py",
                 "infra/test_iam_policies.py", "usecases/test_jobs.py")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::")[0].removeprefix("tests/")
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)
    items.sort(key=rank)  # stable: every other test keeps its place
