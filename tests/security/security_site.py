"""The live local site for the security tests: tests/support.py's, under the names these
tests use (importable by name, unlike a conftest)."""
from __future__ import annotations

from pathlib import Path

from support import LiveSite as Site  # noqa: F401
from support import start_site as _start


def start_site(tmp: Path, **overrides) -> Site:
    return _start(tmp / "outbox", **overrides)


def stop_site(site: Site) -> None:
    site.stop()
