"""Organiser tokens: issued and revoked through the API or CLI, stored only as hashes.

A token is `us_` + 256 random bits. Its item (PK=ORGTOKENS, SK=sha256) holds a name,
the letters it may act on (empty: all), its role (principal.ROLES; none stored: manage) and
its last-used time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING, Callable, NoReturn, Optional

from .clock import iso, parse_iso
from .errors import NotFoundError, TokenRefusedError, TooManyRequestsError
from .principal import MANAGE, ROLES, Principal
from .ratelimit import RateLimiter, Rule
from .storage import NEW_ITEM, Table, Update, keys

if TYPE_CHECKING:
    from .organiser_models import TokenCreated, TokenInfo

log = logging.getLogger(__name__)
PREFIX = "us_"
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OrganiserTokens:
    def __init__(self, store: Table, limiter: RateLimiter, clock: Callable[[], dt.datetime],
                 failures_per_minute: int) -> None:
        self.store = store
        self.limiter = limiter
        self.clock = clock
        self.failure_rule = Rule("auth-fail", failures_per_minute, 60)

    def create(self, name: str, letters: list[str], role: str = MANAGE,
               partner: Optional[str] = None) -> "TokenCreated":
        """A new token; with `partner` ("{slug}/{code}") one for that partner's own staff,
        which sees only the partner's figures and export (principal.Principal)."""
        from .organiser_models import TokenCreated
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        token = PREFIX + secrets.token_urlsafe(32)
        digest = _hash(token)
        if partner:
            letters = [partner.split("/", 1)[0]]
        item = {**keys.organiser_token_key(digest), "id": digest[:12], "name": name,
                "letters": sorted(set(letters)), "role": role, "created_at": iso(self.clock())}
        if partner:
            item["partner"] = partner
        if not self.store.put(item, condition=NEW_ITEM):
            raise RuntimeError("organiser token collision")  # 256 random bits: never
        return TokenCreated(token=token, **_info(item).model_dump())

    def list(self) -> list["TokenInfo"]:
        return sorted((_info(i) for i in self.store.organiser_tokens()),
                      key=lambda t: t.created_at)

    def revoke(self, token_id: str) -> "TokenInfo":
        for info in self.store.organiser_tokens():
            if info["id"] == token_id:
                now = iso(self.clock())
                self.store.update(keys.key_of(info), Update(set_if_absent={"revoked_at": now}))
                return _info({**info, "revoked_at": info.get("revoked_at") or now})
        raise NotFoundError("There is no token with that id.")

    def authenticate(self, token: Optional[str]) -> Optional[Principal]:
        """The principal for a valid, unrevoked token; None otherwise.

        Never refuses a valid token because of failed attempts: a token is 256 random bits,
        so guessing is hopeless, and a shared budget let 31 requests lock every organiser
        out. Failures are counted per source address by `refuse` (app.organiser_guard).
        """
        now = self.clock()
        raw = (token or "").removeprefix("Bearer ").strip()
        if not raw.startswith(PREFIX) or len(raw) > 100:
            return None
        item = self.store.get(keys.organiser_token_key(_hash(raw)))
        if item is None or item.get("revoked_at"):
            return None
        last = item.get("last_used_at")
        if last is None or parse_iso(last) < now - LAST_USED_EVERY:
            self.store.update(keys.key_of(item), Update(set={"last_used_at": iso(now)}))
        return Principal(item["id"], item["name"], tuple(item.get("letters") or ()),
                         item.get("role") or MANAGE, item.get("partner"))

    def refuse(self, source_ip: str) -> NoReturn:
        """Refuse a request whose token was not accepted: 403, or 429 with Retry-After once
        its source address is over AUTH_FAILURES_PER_MINUTE (the address only as a keyed hash)."""
        wait = self.limiter.hit(self.failure_rule, f"ip|{source_ip}", self.clock())
        if wait is not None:
            raise TooManyRequestsError(wait, "Too many refused organiser tokens from this "
                                             "address. Please wait and try again.")
        raise TokenRefusedError()


def _info(item: dict) -> "TokenInfo":
    from .organiser_models import TokenInfo
    return TokenInfo(id=item["id"], name=item["name"], letters=item.get("letters") or [],
                     role=item.get("role") or MANAGE, created_at=item["created_at"], last_used_at=item.get("last_used_at"),
                     revoked_at=item.get("revoked_at"), partner=item.get("partner"))

