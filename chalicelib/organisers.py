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

from .clock import iso, parse_iso
from .errors import NotFoundError
from .principal import Principal
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

    def create(self, name: str, letters: list[str]) -> "TokenCreated":
        from .organiser_models import TokenCreated
        token = PREFIX + secrets.token_urlsafe(32)
        digest = _hash(token)
        item = {**keys.organiser_token_key(digest), "id": digest[:12], "name": name,
                "letters": sorted(set(letters)), "created_at": iso(self.clock())}
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
        item = self.store.get(keys.organiser_token_key(_hash(raw)))
        if item is None or item.get("revoked_at"):
            self._failed(now)
            return None
        last = item.get("last_used_at")
        if last is None or parse_iso(last) < now - LAST_USED_EVERY:
            self.store.update(keys.key_of(item), Update(set={"last_used_at": iso(now)}))
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
    from .organiser_models import TokenInfo
    return TokenInfo(id=item["id"], name=item["name"], letters=item.get("letters") or [],
                     created_at=item["created_at"], last_used_at=item.get("last_used_at"),
                     revoked_at=item.get("revoked_at"))

