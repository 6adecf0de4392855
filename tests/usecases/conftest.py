"""Use-case tests: one test body, two stores. Each test runs against the in-memory store
(the unit tier: `make unit`, no Java) and against DynamoDB Local (the integration tier)."""
from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.storage.memory import MemoryStore
from support import make_settings, with_mail_pump


@pytest.fixture(params=["memory", pytest.param("dynamodb", marks=pytest.mark.dynamodb)])
def services(request, mailer, clock):
    if request.param == "memory":
        settings = make_settings()
        yield with_mail_pump(wiring.build(settings, store=MemoryStore(settings.table_name, clock),
                                          mailer=mailer, clock=clock))
        return
    request.getfixturevalue("stack")
    from tools import localstack
    import uuid
    settings = make_settings()
    localstack.bootstrap(settings.table_name, f"b-{uuid.uuid4().hex[:12]}")
    yield with_mail_pump(wiring.build(settings, mailer=mailer, clock=clock))
