"""ISO 3166-1 alpha-2 codes, from pycountry's maintained copy of the standard."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import pycountry  # on first use
    return {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def is_country(code: str) -> bool:
    return code in _names()


def country_name(code: str | None) -> str | None:
    """English short name for display in exports; the page localises with Intl.DisplayNames."""
    return _names().get(code) if code else None
