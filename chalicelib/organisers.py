"""Organiser tokens: issued and revoked through the API or CLI, stored only as hashes.

A token is `us_` + 256 random bits. Its item (PK=ORGTOKENS, SK=sha256) holds a name,
the letters it may act on (empty: all), and its last-used time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING, Callable, Optional

from . import store as keys
from .errors import NotFoundError
from .principal import Principal
from .ratelimit import RateLimiter, Rule
from .store import Store

if TYPE_CHECKING:
    from .admin_models import TokenCreated, TokenInfo

log = logging.getLogger(__name__)
PREFIX = "us_"
ORGTOKENS = "ORGTOKENS"
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class OrganiserTokens:
    def __init__(self, store: Store, limiter: RateLimiter, clock: Callable[[], dt.datetime],
                 failures_per_minute: int) -> None:
        self.store = store
        self.limiter = limiter
        self.clock = clock
        self.failure_rule = Rule("auth-fail", failures_per_minute, 60)

    def create(self, name: str, letters: list[str]) -> "TokenCreated":
        from .admin_models import TokenCreated
        token = PREFIX + secrets.token_urlsafe(32)
        digest = _hash(token)
        item = {"PK": ORGTOKENS, "SK": digest, "id": digest[:12], "name": name,
                "letters": sorted(set(letters)), "created_at": _iso(self.clock())}
        if not self.store.put(item, condition="attribute_not_exists(PK)"):
            raise RuntimeError("organiser token collision")  # 256 random bits: never
        return TokenCreated(token=token, **_info(item).model_dump())

    def list(self) -> list["TokenInfo"]:
        items = self.store.query(KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": ORGTOKENS}})
        return sorted((_info(i) for i in items), key=lambda t: t.created_at)

    def revoke(self, token_id: str) -> "TokenInfo":
        for info in self.store.query(KeyConditionExpression="PK = :pk",
                                     ExpressionAttributeValues={":pk": {"S": ORGTOKENS}}):
            if info["id"] == token_id:
                now = _iso(self.clock())
                self.store.update({"PK": ORGTOKENS, "SK": info["SK"]},
                                  "SET revoked_at = if_not_exists(revoked_at, :t)", {":t": now})
                return _info({**info, "revoked_at": info.get("revoked_at") or now})
        raise NotFoundError("There is no token with that id.")

    def authenticate(self, token: Optional[str]) -> Optional[Principal]:
        """The principal for a valid, unrevoked token; None otherwise.

        Failed attempts share a per-minute budget: past it, every token is refused until
        the minute ends, so guessing gains nothing (API Gateway's authorizer cache keeps
        organisers already signed in working). Per-address limits belong to the WAF.
        """
        now = self.clock()
        if self.locked():
            return None
        raw = (token or "").removeprefix("Bearer ").strip()
        if not raw.startswith(PREFIX) or len(raw) > 100:
            self._failed(now)
            return None
        item = self.store.get({"PK": ORGTOKENS, "SK": _hash(raw)})
        if item is None or item.get("revoked_at"):
            self._failed(now)
            return None
        last = item.get("last_used_at")
        if last is None or dt.datetime.fromisoformat(last.replace("Z", "+00:00")) < now - LAST_USED_EVERY:
            self.store.update({"PK": ORGTOKENS, "SK": item["SK"]}, "SET last_used_at = :t",
                              {":t": _iso(now)})
        return Principal(item["id"], item["name"], tuple(item.get("letters") or ()))

    def _failed(self, now: dt.datetime) -> None:
        wait = self.limiter.hit(self.failure_rule, "all", now)
        if wait is not None:
            log.warning("organiser sign-in failures over the limit; refusing for %ss", wait)

    def locked(self) -> bool:
        """True while failed attempts are over this minute's budget."""
        epoch = int(self.clock().timestamp())
        start = epoch - epoch % 60
        item = self.store.get(keys.rate_key(self.failure_rule.name,
                                            self.limiter.subject_hash("all"), start))
        return bool(item) and item.get(f"{self.failure_rule.name}_{start}", 0) > \
            self.failure_rule.limit


def _info(item: dict) -> "TokenInfo":
    from .admin_models import TokenInfo
    return TokenInfo(id=item["id"], name=item["name"], letters=item.get("letters") or [],
                     created_at=item["created_at"], last_used_at=item.get("last_used_at"),
                     revoked_at=item.get("revoked_at"))

