"""Abuse controls on the public routes: rate limits, quarantine rules, Turnstile.

Limits answer 429 with Retry-After. A sign-on that trips a "suspicious" rule is
accepted with the normal answer and held as quarantined once confirmed. The source IP
is API Gateway's (requestContext.identity.sourceIp), never X-Forwarded-For; it is only
ever stored hashed, in rate-limit windows that expire by TTL.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from functools import cached_property
from dataclasses import dataclass
from typing import Optional

from .errors import ServiceUnavailableError, TooManyRequestsError, ValidationFailedError
from .ratelimit import Blocked, RateLimiter, Rule
from .settings import Settings
from .storage import Change

log = logging.getLogger(__name__)
SOFT_REASONS = {"sign-ip": "many sign-ons from one address",
                "sign-domain": "many sign-ons from one email domain"}


@dataclass
class SignLimits:
    """Rate-limit counters to join a sign-on's transaction, one step per check."""

    checks: list[tuple[str, list[Rule], str]]
    steps: list[Change]


class Abuse:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.s = settings
        self.limiter = limiter

    @cached_property
    def _common(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.s.common_email_domains.split(",") if d.strip())

    @cached_property
    def _quarantine_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.s.quarantine_email_domains.split(",")
                         if d.strip())

    @cached_property
    def _name_pattern(self) -> Optional[re.Pattern]:
        return re.compile(self.s.quarantine_name_pattern, re.I) if self.s.quarantine_name_pattern else None

    def _sign_checks(self, slug: str, ip: str, domain: str) -> list[tuple[str, list[Rule], str]]:
        checks = [("sign-ip", [Rule("m", self.s.sign_ip_per_minute, 60),
                               Rule("h", self.s.sign_ip_per_hour, 3600),
                               Rule("q", self.s.quarantine_ip_per_hour, 3600, soft=True)],
                   f"{slug}|{ip}")]
        if domain not in self._common:
            # Soft: past it, a domain's sign-ons are held for an organiser, never refused, so
            # made-up sign-ons cannot lock an organisation's own staff out.
            checks.append(("sign-domain", [Rule("h", self.s.sign_domain_per_hour, 3600, soft=True)],
                           f"{slug}|{domain}"))
        return checks

    def sign_limits(self, slug: str, ip: str, domain: str, now: dt.datetime, *,
                    soft: bool = True) -> "SignLimits":
        """The sign-on's rate-limit counters, as steps of its one transaction: each is
        conditioned on its rules being under their limits (the soft ones only if `soft`).
        Raises 429 at once for a subject this process already saw over a hard limit."""
        checks, steps = [], []
        for check, rules, subject in self._sign_checks(slug, ip, domain):
            try:
                step = self.limiter.step(check, rules, subject, now, soft=soft)
            except Blocked as b:
                raise TooManyRequestsError(b.wait) from None
            if step is not None:
                checks.append((check, rules, subject))
                steps.append(step)
        return SignLimits(checks, steps)

    def refused(self, limits: "SignLimits", failed: list[int], now: dt.datetime) -> Optional[str]:
        """Some limit steps failed their condition: 429 if a hard rule is over, else the
        quarantine reason of the soft one (the sign-on goes again without soft conditions)."""
        reason, waits = None, []
        for i in failed:
            check, rules, subject = limits.checks[i]
            for rule, left in self.limiter.over(check, rules, subject, now).items():
                if not rule.soft:
                    waits.append(left)
                elif reason is None:
                    reason = SOFT_REASONS[check]
        if waits:
            raise TooManyRequestsError(max(waits))
        return reason

    def suspicious(self, name: str, domain: str) -> Optional[str]:
        if domain in self._quarantine_domains:
            return "email domain on the quarantine list"
        if self._name_pattern is not None and self._name_pattern.search(name):
            return "name matches the quarantine pattern"
        return None

    def mail_allowed(self, canonical_email: str, now: dt.datetime) -> Optional[int]:
        """None if another email may go to this address today, else the seconds to wait."""
        return self.limiter.exceeded("mail-to", [Rule("d", self.s.mail_per_address_per_day, 86400)],
                                     canonical_email, now)

    def domain_mail_allowed(self, domain: Optional[str], now: dt.datetime) -> Optional[int]:
        """None if another email may go to this domain this hour (common providers always),
        else the seconds to wait."""
        if not domain or domain in self._common:
            return None
        return self.limiter.exceeded("mail-domain", [Rule("h", self.s.mail_per_domain_per_hour, 3600)],
                                     domain, now)

    def check_token_use(self, ip: str, now: dt.datetime) -> None:
        wait = self.limiter.exceeded("token-ip", [Rule("m", self.s.confirm_ip_per_minute, 60)], ip, now)
        if wait is not None:
            raise TooManyRequestsError(wait)

    # ---- Turnstile -----------------------------------------------------------------

    @property
    def turnstile_on(self) -> bool:
        return bool(self.s.turnstile_secret)

    def verify_turnstile(self, token: Optional[str], ip: str) -> None:
        """Server-side check of the widget's token; fails closed on any error."""
        if not self.turnstile_on:
            return
        import urllib.parse
        import urllib.request
        if not token:
            raise ValidationFailedError(fields=[{"loc": ["body", "turnstile_token"], "type": "missing"}])
        data = urllib.parse.urlencode({"secret": self.s.turnstile_secret, "response": token,
                                       "remoteip": ip}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(
                    self.s.turnstile_verify_url, data=data, method="POST"), timeout=5) as resp:
                outcome = json.loads(resp.read())
        except Exception:
            log.warning("turnstile verification unavailable; refusing the sign-on")
            raise ServiceUnavailableError(5) from None
        if outcome.get("success") is not True:
            raise ValidationFailedError("The anti-robot check failed. Please try again.",
                                        fields=[{"loc": ["body", "turnstile_token"],
                                                 "type": "captcha_failed"}])
