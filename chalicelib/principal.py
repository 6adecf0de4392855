"""Who is acting on an organiser route: built from what the authorizer put in the context."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .errors import ForbiddenError, RoleForbiddenError


NOBODY = "nobody"  # the authorizer's principal for a token it did not accept
# What a token may do, each role including the ones before it: read (the letter, its queue,
# audit trail, dashboard), moderate (act on signatures, export, recount, snapshots), manage
# (the letter's text and status, the team's tokens). A token stored before roles: manage.
READ, MODERATE, MANAGE = "read", "moderate", "manage"
ROLES = (READ, MODERATE, MANAGE)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a token's id and name, and the letters it may touch. A partner's token
    (`partner` = "{slug}/{code}") sees only that partner's figures and export."""

    token_id: str
    name: str
    letters: tuple[str, ...]  # empty: every letter
    role: str = MANAGE
    partner: Optional[str] = None

    @property
    def everything(self) -> bool:
        return not self.letters

    def require(self, slug: Optional[str] = None) -> None:
        """Raise 403 unless this token may act on `slug` (or, with None, on every letter).
        A partner's token may act on nothing but its own partner (`require_partner`)."""
        if self.partner:
            raise ForbiddenError("A partner's token sees only its own figures and export.")
        if self.everything or (slug is not None and slug in self.letters):
            return
        raise ForbiddenError()

    def allow(self, role: str) -> None:
        """Raise 403 `role_forbidden` unless this token's role includes `role`."""
        if ROLES.index(self.role if self.role in ROLES else READ) < ROLES.index(role):
            raise RoleForbiddenError()

    def require_partner(self, slug: str, code: str) -> None:
        """Raise 403 unless this token is the partner's own, or an organiser's of the letter."""
        if self.partner is None:
            self.require(slug)
        elif self.partner != f"{slug}/{code}":
            raise ForbiddenError("A partner's token sees only its own figures and export.")

    @property
    def who(self) -> str:
        return f"{self.name} ({self.token_id})"


def principal_from(request) -> Principal:
    """The principal the authorizer put in the request context (see app.organiser_auth)."""
    ctx = (request.context or {}).get("authorizer") or {}
    if not ctx.get("principalId") or ctx.get("principalId") == NOBODY:
        raise ForbiddenError()
    letters = tuple(x for x in (ctx.get("letters") or "").split(",") if x)
    return Principal(ctx["principalId"], ctx.get("name", ""), letters,
                     ctx.get("role") or MANAGE, ctx.get("partner") or None)
