"""Who is acting on an organiser route: built from what the authorizer put in the context."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .errors import ForbiddenError


NOBODY = "nobody"  # the authorizer's principal for a token it did not accept


@dataclass(frozen=True)
class Principal:
    """Who is acting: a token's id and name, and the letters it may touch."""

    token_id: str
    name: str
    letters: tuple[str, ...]  # empty: every letter

    @property
    def everything(self) -> bool:
        return not self.letters

    def require(self, slug: Optional[str] = None) -> None:
        """Raise 403 unless this token may act on `slug` (or, with None, on every letter)."""
        if self.everything or (slug is not None and slug in self.letters):
            return
        raise ForbiddenError()

    @property
    def who(self) -> str:
        return f"{self.name} ({self.token_id})"


def principal_from(request) -> Principal:
    """The principal the authorizer put in the request context (see app.organiser_auth)."""
    ctx = (request.context or {}).get("authorizer") or {}
    if not ctx.get("principalId") or ctx.get("principalId") == NOBODY:
        raise ForbiddenError()
    letters = tuple(x for x in (ctx.get("letters") or "").split(",") if x)
    return Principal(ctx["principalId"], ctx.get("name", ""), letters)
