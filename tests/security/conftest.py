"""Fixtures for the hostile-input tests (issue 9): a live local site per module.

Built from the same pieces as tests/conftest.py's `live_site` (localstack.bootstrap,
make_settings, wiring.build/configure, tools.serve.Server, seed.load), but module-scoped
so a fuzz run or a crawl pays for one server, one table and one bucket. Every server binds
127.0.0.1 on a free port (port 0) and is stopped by this fixture, never by name.
"""
from __future__ import annotations

import pytest

from security_site import start_site, stop_site  # tests/security/security_site.py


@pytest.fixture(scope="module")
def site(stack, tmp_path_factory):
    """A live site (page + API on one origin) with the example letter, for one module."""
    s = start_site(tmp_path_factory.mktemp("site"))
    yield s
    stop_site(s)
