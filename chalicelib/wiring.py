"""Builds the application's object graph once per process, on first use (never at import).

`Services` holds one object per use case; every route in app.py is one of its fields and
a method of it (two hops). Tests and the local server call `configure()` with their own
settings or objects.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional

from .settings import Settings

if TYPE_CHECKING:  # imported on first use: the cold start of `import app` stays short
    from .abuse import Abuse
    from .clock import Clock
    from .imports.importer import Importer
    from .jobs.runner import Jobs
    from .delivery.deliveries import Deliveries
    from .delivery.ses_events import SesEvents
    from .letter_service import LetterService
    from .dashboard import Dashboard
    from .mail import Mailer
    from .mail_worker import MailWorker
    from .moderation.actions import Actions
    from .moderation.letter_admin import LetterAdmin
    from .moderation.queue import Queue
    from .moderation.recount import Recount
    from .moderation.translations import Translations
    from .organisers import OrganiserTokens
    from .partners import Partners
    from .ratelimit import RateLimiter
    from .reminders import Reminders
    from .retention import Retention
    from .sealing.migrate import SealMigration
    from .sealing.seal import LetterSealer
    from .sealing.shred import Shredder
    from .sealing.unseal import Unsealer
    from .signing import Signing
    from .storage import Table
    from .transitions import Transitions
    from .updates.mailer import UpdateMailer
    from .updates.service import Updates
    from .updates.unsubscribe import Unsubscribe


@dataclass
class Services:
    """The use cases over one store, one mailer, one clock. The organisers' ones are built
    on first use, so a public request's cold start does not import them."""

    settings: Settings
    store: "Table"
    mailer: "Mailer"
    clock: "Clock"
    limiter: "RateLimiter"
    abuse: "Abuse"
    letters: "LetterService"
    transitions: "Transitions"
    key_clients: Any
    sealer: "LetterSealer"
    signing: "Signing"
    partners: "Partners"

    @cached_property
    def organisers(self) -> "OrganiserTokens":
        from .organisers import OrganiserTokens
        return OrganiserTokens(self.store, self.limiter, self.clock,
                               self.settings.auth_failures_per_minute)

    @cached_property
    def imports(self) -> "Importer":
        from .imports.importer import Importer
        return Importer(self.settings, self.store, self.letters, self.signing, self.transitions,
                        self.signing.names)

    @cached_property
    def queue(self) -> "Queue":
        from .moderation.queue import Queue
        return Queue(self.store, self.letters)

    @cached_property
    def actions(self) -> "Actions":
        from .moderation.actions import Actions
        return Actions(self.store, self.letters, self.transitions, self.queue)

    @cached_property
    def letter_admin(self) -> "LetterAdmin":
        from .moderation.letter_admin import LetterAdmin
        return LetterAdmin(self.store, self.letters, self.sealer, self.clock,
                           self.settings.retention_days)

    @cached_property
    def translations(self) -> "Translations":
        from .moderation.translations import Translations
        return Translations(self.store, self.letters, self.clock)

    @cached_property
    def dashboard(self) -> "Dashboard":
        from .dashboard import Dashboard
        return Dashboard(self.store, self.letters, self.clock)

    @cached_property
    def recount(self) -> "Recount":
        from .moderation.recount import Recount
        return Recount(self.store, self.letters)

    @cached_property
    def unsealer(self) -> "Unsealer":
        """Opens addresses: the mail worker's and the export jobs' alone (kms:Decrypt)."""
        from .sealing.unseal import Unsealer
        return Unsealer(self.settings, self.key_clients, self.store)

    @cached_property
    def seal_migration(self) -> "SealMigration":
        from .sealing.migrate import SealMigration
        return SealMigration(self.store, self.sealer, self.signing.email_hash, self.clock)

    @cached_property
    def shredder(self) -> "Shredder":
        from .sealing.shred import Shredder
        return Shredder(self.settings, self.key_clients)

    @cached_property
    def mail_worker(self) -> "MailWorker":
        from .mail_worker import MailWorker
        return MailWorker(self.settings, self.store, self.letters, self.abuse, self.limiter,
                          self.mailer, self.clock, self.unsealer)

    @cached_property
    def jobs(self) -> "Jobs":
        from .jobs.runner import Jobs
        return Jobs(self, job_queue(self.settings), job_s3)

    @cached_property
    def deliveries(self) -> "Deliveries":
        from .delivery.deliveries import Deliveries
        return Deliveries(self.settings, self.store, self.letters, self.mailer, self.clock, s3(),
                          announce=lambda *a: self.updates.announce_delivery(*a))

    @cached_property
    def ses_events(self) -> "SesEvents":
        from .delivery.ses_events import SesEvents
        return SesEvents(self.store)

    @cached_property
    def reminders(self) -> "Reminders":
        from .reminders import Reminders
        return Reminders(self.settings, self.store, self.letters, self.clock)

    @cached_property
    def updates(self) -> "Updates":
        from .updates.service import Updates
        return Updates(self.settings, self.store, self.letters, self.clock,
                       submit=lambda *a, **k: self.jobs.submit(*a, **k))

    @cached_property
    def unsubscribe(self) -> "Unsubscribe":
        from .updates.unsubscribe import Unsubscribe
        return Unsubscribe(self.store, self.letters, self.clock,
                           self.settings.email_hash_key.encode())

    @cached_property
    def update_queue(self) -> Any:
        """Where the fan-out queues update mails (the job worker's, never the API's)."""
        return update_queue(self.settings)

    @cached_property
    def update_mailer(self) -> "UpdateMailer":
        """The update mailer's function alone: it opens addresses (through the mail worker)."""
        from .updates.mailer import UpdateMailer
        return UpdateMailer(self.settings, self.store, self.letters, self.mail_worker,
                            self.clock)

    @cached_property
    def retention(self) -> "Retention":
        from .retention import Retention
        return Retention(self.settings, self.store, self.clock, self.shredder,
                         submit=lambda *a, **k: self.jobs.submit(*a, **k))


# How long an unreachable or silent endpoint may hold one AWS call (the store answers 503
# then). Standard retry mode sleeps a random 0-1 s, 0-2 s, ... between attempts, so one call
# waits at most ATTEMPTS × max(connect, read) + 1 + 2 = 18 s: within the API function's 28 s
# (.chalice/config.json), with room for the calls before it. tests/reliability checks this.
# (botocore's `max_attempts` counts retries, not attempts: 4 there made 5 attempts, 40 s.)
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 5
ATTEMPTS = 3


def worst_case_seconds(connect_timeout: float = CONNECT_TIMEOUT,
                       read_timeout: float = READ_TIMEOUT, attempts: int = ATTEMPTS) -> float:
    """The longest one call can take against an endpoint that never answers."""
    backoff = sum(min(2 ** n, 20) for n in range(attempts - 1))  # botocore's standard mode
    return attempts * max(connect_timeout, read_timeout) + backoff


def boto_client(service: str, *, connect_timeout: float = CONNECT_TIMEOUT,
                read_timeout: float = READ_TIMEOUT, attempts: int = ATTEMPTS) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL (set in every local and test run) redirects it.

    Its timeouts bound how long an unreachable or silent endpoint holds a request
    (`worst_case_seconds`).
    """
    import boto3  # imported on first use: keeps the Lambda cold start short
    from botocore.config import Config

    return boto3.session.Session(botocore_session=_botocore_session()).client(
        service, config=Config(retries={"mode": "standard", "total_max_attempts": attempts},
                               connect_timeout=connect_timeout, read_timeout=read_timeout,
                               max_pool_connections=50, tcp_keepalive=True))


_LOADER: Any = None


def _botocore_session() -> Any:
    """A fresh session (it reads the environment when its client is made) sharing one loader
    of botocore's data files, so each file is parsed once per process, not once per client:
    the endpoints file alone took ~0.25 s of CPU for every client made."""
    import botocore.loaders
    import botocore.session
    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER)
    return session


class KeyClients:
    """The KMS and SSM clients that hold letters' keys (sealing/), made on first use: a
    sign-on seals with the public key on the letter's item and needs neither."""

    @cached_property
    def kms(self) -> Any:
        return boto_client("kms")

    @cached_property
    def ssm(self) -> Any:
        return boto_client("ssm")


def build(settings: Settings, *, dynamodb: Any = None, store: "Optional[Table]" = None,
          mailer: "Optional[Mailer]" = None, clock: "Optional[Clock]" = None,
          key_clients: Any = None) -> Services:
    """Assemble the use cases from settings; any collaborator may be passed in instead
    (`store`: e.g. a storage.memory.MemoryStore; `dynamodb`: a boto3 client; `key_clients`:
    an object with `kms` and `ssm`). The in-memory store comes with in-memory key services
    (storage.memory_keys), which seal for real; every other store with AWS's."""
    from .abuse import Abuse
    from .clock import utcnow
    from .letter_service import LetterService
    from .mail import FileMailer, SesMailer
    from .org_names import OrgNames
    from .partners import Partners
    from .ratelimit import RateLimiter
    from .sealing.seal import LetterSealer
    from .signing import Signing
    from .transitions import Transitions

    if mailer is None:
        if settings.mail_backend == "file":
            mailer = FileMailer(settings.mail_outbox_dir, settings.mail_from)
        else:
            mailer = SesMailer(boto_client("sesv2"), settings.mail_from,
                               settings.ses_configuration_set)
    if store is None:
        from .storage.dynamodb import DynamoStore
        store = DynamoStore(dynamodb or boto_client("dynamodb"), settings.table_name)
    if key_clients is None:
        from .storage.memory import MemoryStore
        if isinstance(store, MemoryStore):
            from .storage.memory_keys import MemoryKeyClients
            key_clients = MemoryKeyClients()
        else:
            key_clients = KeyClients()
    clock = clock or utcnow
    limiter = RateLimiter(store, settings.email_hash_key.encode())
    abuse = Abuse(settings, limiter)
    letters = LetterService(settings, store, clock)
    transitions = Transitions(store, clock)
    sealer = LetterSealer(settings, store, letters, key_clients, clock)
    partners = Partners(settings, store, letters, clock)
    signing = Signing(settings, store, letters, transitions, abuse, sealer,
                      OrgNames(store, clock), partners, clock)
    services = Services(settings=settings, store=store, mailer=mailer, clock=clock,
                        limiter=limiter, abuse=abuse, letters=letters, transitions=transitions,
                        key_clients=key_clients, sealer=sealer, signing=signing,
                        partners=partners)
    partners.jobs = lambda: services.jobs  # its exports are jobs (built on first use)
    return services


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

_lock = threading.Lock()
_services: Optional[Services] = None
_s3: Any = None
_job_s3: Any = None


def get() -> Services:
    """The process-wide instance, built from the environment on first call."""
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = build(Settings.from_env(environment()))
    return _services


def s3() -> Any:
    """The process-wide S3 client (exports and snapshots), created on first use."""
    global _s3
    if _s3 is None:
        _s3 = boto_client("s3")
    return _s3


# A job worker lives up to 15 minutes: it may wait longer than the API's 5 s for an answer,
# e.g. while S3 (moto, locally) completes a multipart upload of a large export or snapshot
# file (S3 keeps such a connection alive with spaces; moto answers only at the end).
JOB_READ_TIMEOUT = 60


def job_s3() -> Any:
    """The job worker's S3 client (exports and snapshots written), created on first use."""
    global _job_s3
    if _job_s3 is None:
        _job_s3 = boto_client("s3", read_timeout=JOB_READ_TIMEOUT)
    return _job_s3


def job_queue(settings: Settings) -> Any:
    """Where job messages go: the SQS queue JOB_QUEUE_URL names, else (local runs, tests) a
    queue in this process, fed to the worker by tools/job_pump.py."""
    if settings.job_queue_url:
        from .jobs.dispatch import SqsJobQueue
        return SqsJobQueue(boto_client("sqs"), settings.job_queue_url)
    from .jobs.dispatch import LocalJobQueue
    return LocalJobQueue()


def update_queue(settings: Settings) -> Any:
    """Where update mails go: the SQS queue UPDATE_QUEUE_URL names, else (local runs, tests)
    a queue in this process, fed to the update mailer by tools/update_pump.py."""
    if settings.update_queue_url:
        from .updates.mail_queue import SqsUpdateQueue
        return SqsUpdateQueue(boto_client("sqs"), settings.update_queue_url)
    from .updates.mail_queue import LocalUpdateQueue
    return LocalUpdateQueue()


def configure(instance: Optional[Services]) -> None:
    """Replace (or with None, reset) the process-wide instance."""
    global _services, _s3, _job_s3
    with _lock:
        _services = instance
        _s3 = _job_s3 = None
