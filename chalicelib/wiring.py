"""Builds the application's object graph once per process, on first use (never at import).

Tests and the local server call `configure()` with their own settings or objects.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Optional

from .settings import Settings

if TYPE_CHECKING:  # imported on first use: the cold start of `import app` stays short
    from .mail import Mailer
    from .services import Undersigned

_lock = threading.Lock()
_app: "Optional[Undersigned]" = None


def boto_client(service: str) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL (set in every local and test run) redirects it."""
    import boto3  # imported on first use: keeps the Lambda cold start short
    from botocore.config import Config

    return boto3.session.Session().client(
        service, config=Config(retries={"mode": "standard", "max_attempts": 4},
                               connect_timeout=2, read_timeout=5, max_pool_connections=50,
                               tcp_keepalive=True))


def build(settings: Settings, *, dynamodb: Any = None, mailer: "Optional[Mailer]" = None,
          clock=None) -> "Undersigned":
    """Assemble the use cases from settings; any collaborator may be passed in instead."""
    from .mail import FileMailer, SesMailer
    from .services import Undersigned, utcnow
    from .store import Store

    if mailer is None:
        if settings.mail_backend == "file":
            mailer = FileMailer(settings.mail_outbox_dir, settings.mail_from)
        else:
            mailer = SesMailer(boto_client("sesv2"), settings.mail_from)
    store = Store(dynamodb or boto_client("dynamodb"), settings.table_name)
    return Undersigned(settings, store, mailer, clock or utcnow)


def environment() -> dict[str, str]:
    """The environment, with secrets named by *_PARAM variables fetched from SSM Parameter Store.

    In AWS the template sets EMAIL_HASH_KEY_PARAM (a SecureString's name) rather than
    the key itself, so the secret is in neither the template nor the repository.
    """
    env = dict(os.environ)
    for name in SECRET_SETTINGS:
        param = env.get(f"{name}_PARAM")
        if param and not env.get(name):
            ssm = boto_client("ssm")
            env[name] = ssm.get_parameter(Name=param, WithDecryption=True)["Parameter"]["Value"]
    return env


SECRET_SETTINGS = ("EMAIL_HASH_KEY", "TURNSTILE_SECRET")


def get() -> "Undersigned":
    """The process-wide instance, built from the environment on first call."""
    global _app
    if _app is None:
        with _lock:
            if _app is None:
                _app = build(Settings.from_env(environment()))
    return _app


_s3: Any = None


def s3() -> Any:
    """The process-wide S3 client (exports and snapshots), created on first use."""
    global _s3
    if _s3 is None:
        _s3 = boto_client("s3")
    return _s3


def configure(instance: "Optional[Undersigned]") -> None:
    """Replace (or with None, reset) the process-wide instance."""
    global _app, _s3
    with _lock:
        _app = instance
        _s3 = None

