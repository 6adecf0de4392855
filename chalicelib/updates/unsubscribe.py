"""The one-click unsubscribe from updates (RFC 8058), without signing in.

The token is a signature's, as the confirmation and withdrawal links' are
(`{sig_id}{secret}{slug}`): the secret is derived from the signature's id and random salt
under EMAIL_HASH_KEY (link_tokens.derived_secret, purpose "unsubscribe"), so nothing is
stored for it, it cannot be guessed or forged without the key and the item, and it names a
signature, never an address. Only a POST unsubscribes (a mail scanner's GET must not); it
clears the opt-in with the time, once: a second POST answers the same and changes nothing.

No per-address rate limit, unlike the confirmation and withdrawal links: a mail provider's
one-click unsubscribes of a whole update come from a handful of its servers' addresses (30 a
minute would refuse them), and the 256-bit secret cannot be guessed at any rate. A refused
token costs one GetItem; the API stage's throttling bounds a flood.
"""
from __future__ import annotations

import hmac

from .. import link_tokens
from ..clock import Clock, iso
from ..errors import TokenInvalidError
from ..letter_service import LetterService
from ..storage import Table, Update, eq, keys
from .models import UnsubscribeOut

PURPOSE = "unsubscribe"


def token_for(key: bytes, sig: dict) -> str:
    secret = link_tokens.derived_secret(key, sig["sig_id"], sig["link_salt"], PURPOSE)
    return link_tokens.make_token(sig["sig_id"], secret, sig["letter"])


class Unsubscribe:
    def __init__(self, store: Table, letters: LetterService, clock: Clock, key: bytes) -> None:
        self.store, self.letters, self.clock = store, letters, clock
        self._key = key

    def unsubscribe(self, token: str) -> UnsubscribeOut:
        """Stop every update of the letter to this signature (one conditional UpdateItem)."""
        letter, sig = self._by_token(token or "")
        if sig.get("updates_opt_in") is not True:
            return UnsubscribeOut(letter=letter["slug"], already_unsubscribed=True)
        changed = self.store.update(
            keys.key_of(sig), Update(set={"updates_opt_in": False,
                                          "updates_unsubscribed_at": iso(self.clock())}),
            condition=eq("updates_opt_in", True))
        return UnsubscribeOut(letter=letter["slug"], already_unsubscribed=not changed)

    def _by_token(self, token: str) -> tuple[dict, dict]:
        letter, sig_id, secret = self.letters.letter_of_token(token)
        sig = self.store.signature(letter, sig_id)
        salt = (sig or {}).get("link_salt")
        if not salt:  # no such signature, or withdrawn (its salt went with its details)
            raise TokenInvalidError()
        want = link_tokens.derived_secret(self._key, sig_id, salt, PURPOSE)
        if not hmac.compare_digest(want, secret):
            raise TokenInvalidError()
        return letter, sig
