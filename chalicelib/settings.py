"""Configuration, read once from the environment and validated.

Every setting is declared here with its help text; `docs/SETTINGS.md` is
checked against this list by a test. Tests build their own `Settings`
instead of patching globals.
"""
from __future__ import annotations

from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class SettingsError(Exception):
    """A required setting is missing or invalid."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Literal["local", "test", "prod"] = Field(
        description="Deployment stage; `local` writes mail to files.")
    table_name: str = Field(
        min_length=3, description="DynamoDB table holding letters, signatures and counters.")
    exports_bucket: str = Field(
        min_length=3, description="S3 bucket for exports and nightly snapshots.")
    site_url: str = Field(
        min_length=1, description="Public origin of the page, used in email links (no trailing slash).")
    email_hash_key: str = Field(
        min_length=32, repr=False,
        description="Secret key for the keyed hash of canonical emails (≥32 chars). "
                    "In AWS it comes from SSM Parameter Store.")
    seal_kms_key: str = Field(
        default="alias/undersigned-signer-data", min_length=1,
        description="The KMS key (id, ARN or alias) that wraps each letter's private key. "
                    "Only the mail worker and the export jobs may decrypt with it.")
    seal_key_path: str = Field(
        default="/undersigned/local/letter-keys", pattern=r"^/[A-Za-z0-9_./-]+$",
        description="SSM Parameter Store path of the letters' wrapped private keys, one "
                    "parameter per letter and key version; deleted at the retention date.")
    mail_backend: Literal["ses", "file"] = Field(
        description="`ses` sends through Amazon SES v2; `file` writes .eml files to MAIL_OUTBOX_DIR.")
    mail_from: str = Field(
        default="Undersigned <no-reply@undersigned.invalid>",
        description="From address of confirmation emails (an SES-verified identity in AWS).")
    ses_configuration_set: str = Field(
        default="",
        description="SES configuration set every mail is sent with; its event destination "
                    "publishes delivery, bounce and complaint events to the SNS topic the "
                    "`ses_events` function reads. Empty: no events (local runs).")
    delivery_max_recipients: int = Field(
        default=10, ge=1, le=50,
        description="Recipients one delivery of the letter may have (the addressee's offices).")
    mail_outbox_dir: str = Field(
        default=".local/outbox", description="Where the `file` mail backend writes messages.")
    mail_send_per_second: int = Field(
        default=14, ge=1, le=10_000,
        description="Emails the mail worker sends per second, over every worker together (SES's "
                    "account send rate: 14 for a new production account, raised on request).")
    count_shards: int = Field(
        default=32, ge=1, le=256,
        description="Shards of a letter's signatures, counters and public-list index, fixed per "
                    "letter when it is created; 32 keeps every partition key under 1,000 "
                    "writes/s at 10,000 sign-ons/s.")
    token_ttl_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="Lifetime of a confirmation link.")
    resend_max: int = Field(
        default=3, ge=0, le=20,
        description="Confirmation emails re-sent for one pending signature, beyond the first.")
    resend_interval_seconds: int = Field(
        default=60, ge=0, description="Least time between two confirmation emails to one signer.")
    reminder_after_hours: int = Field(
        default=24, ge=1, le=24 * 30,
        description="Hours after a sign-on (and between reminders) before a signer who has "
                    "not confirmed is sent a reminder with their confirmation link; it must be "
                    "below TOKEN_TTL_HOURS (no reminder goes once the link has expired). Read "
                    "at sign-on: a change applies to later sign-ons.")
    reminders_max: int = Field(
        default=1, ge=0, le=5,
        description="Reminders sent at most to one pending signer (0: none; sign-ons then "
                    "write no reminder index entry).")
    max_body_bytes: int = Field(
        default=16 * 1024, ge=1024, description="Largest request body the API accepts.")
    max_admin_body_bytes: int = Field(
        default=256 * 1024, ge=1024,
        description="Largest request body of an organiser route (a letter's Markdown).")
    max_import_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=4 * 1024 * 1024,
        description="Largest file an organiser may import (CSV or XLSX, once decoded); its "
                    "request may be a third larger (base64). Lambda takes 6 MB at most.")
    max_import_rows: int = Field(
        default=2000, ge=1, le=20_000,
        description="Most data rows in one import file (each is a transaction; 2,000 store "
                    "within the API's 28 s).")
    auth_failures_per_minute: int = Field(
        default=30, ge=1,
        description="Refused organiser tokens allowed per minute from one source address; past it "
                    "that address gets 429 for its bad tokens until the minute ends. A valid "
                    "token is never refused for failures (app.organiser_auth says why).")
    snapshot_closed_days: int = Field(
        default=30, ge=0,
        description="The nightly snapshot also covers letters closed within this many days.")
    snapshot_lease_seconds: int = Field(
        default=900, ge=60,
        description="How long a snapshot run holds a letter's day before another run may take it "
                    "over (renewed after each file).")
    snapshot_hour_utc: int = Field(
        default=2, ge=0, le=23, description="Hour (UTC) of the nightly snapshot; read when packaging.")
    retention_hour_utc: int = Field(
        default=3, ge=0, le=23, description="Hour (UTC) of the daily retention job; read when packaging.")
    export_url_seconds: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of a presigned download link.")
    sign_ip_per_minute: int = Field(
        default=10, ge=0, description="Sign-ons per source IP and letter per minute (0: no limit).")
    sign_ip_per_hour: int = Field(
        default=60, ge=0, description="Sign-ons per source IP and letter per hour.")
    quarantine_ip_per_hour: int = Field(
        default=20, ge=0,
        description="Past this many sign-ons from one IP to one letter in an hour, further ones "
                    "are accepted but quarantined for organisers (0: never).")
    sign_domain_per_hour: int = Field(
        default=200, ge=0,
        description="Sign-ons per email domain and letter per hour, except common providers.")
    common_email_domains: str = Field(
        default="gmail.com,googlemail.com,outlook.com,hotmail.com,live.com,yahoo.com,icloud.com,"
                "me.com,proton.me,protonmail.com,gmx.de,gmx.net,web.de,naver.com,daum.net,"
                "hanmail.net,kakao.com,nate.com,qq.com,163.com,mail.ru,yandex.ru",
        description="Comma-separated domains exempt from the per-domain limit.")
    mail_per_domain_per_hour: int = Field(
        default=100, ge=0,
        description="Emails the mail worker sends to one email domain per hour, common providers "
                    "exempt (0: no limit): a wave of made-up sign-ons at one organisation's "
                    "domain costs at most this many bounces.")
    mail_per_address_per_day: int = Field(
        default=6, ge=0, description="Emails sent to one address per day, over all letters.")
    confirm_ip_per_minute: int = Field(
        default=30, ge=0, description="Confirmation and withdrawal attempts per source IP per minute.")
    quarantine_email_domains: str = Field(
        default="", description="Comma-separated domains whose sign-ons are quarantined.")
    quarantine_name_pattern: str = Field(
        default="", description="A regular expression; matching names are quarantined.")
    turnstile_secret: str = Field(
        default="", repr=False,
        description="Cloudflare Turnstile secret; empty turns Turnstile off. In AWS, "
                    "TURNSTILE_SECRET_PARAM names an SSM SecureString instead.")
    turnstile_site_key: str = Field(default="", description="Turnstile site key for the page.")
    turnstile_verify_url: str = Field(
        default="https://challenges.cloudflare.com/turnstile/v0/siteverify",
        description="Turnstile's verification endpoint (tests point it at a local stand-in).")
    retention_days: int = Field(
        default=180, ge=1,
        description="Days after a letter closes before its signatures are anonymised and the "
                    "emails of signers who did not opt in to updates deleted.")
    pending_grace_days: int = Field(
        default=7, ge=1,
        description="Days after its confirmation link expires before a pending signature is deleted.")
    letter_cache_seconds: float = Field(
        default=5, ge=0, le=300,
        description="How long a function instance reuses a letter's item (0: never); a change "
                    "made by another instance, such as closing the letter, shows within this time.")
    job_queue_url: str = Field(
        default="",
        description="The SQS queue of the job worker (exports, snapshots, recounts, "
                    "anonymisation); required in `prod`. Empty: a queue in this process, fed "
                    "to the worker by `make run` (tools/job_pump.py).")
    update_queue_url: str = Field(
        default="",
        description="The SQS queue of the update mailer (organisers' updates to signers who "
                    "opted in, queued by the fan-out job); required in `prod`. Empty: a queue "
                    "in this process, fed to the mailer by `make run` (tools/update_pump.py).")
    job_part_rows: int = Field(
        default=250_000, ge=1,
        description="A job over a letter with more signatures than this is split into parts, "
                    "each a range of the letter's shards run by its own worker (fan-out).")
    job_max_parts: int = Field(
        default=16, ge=1, le=256,
        description="Most parts (workers) one job is split into; never more than the letter's "
                    "shards.")
    job_lease_seconds: int = Field(
        default=120, ge=10,
        description="How long a job worker holds a job without a progress write (it writes "
                    "every few seconds); past it, another worker may take the job over.")
    job_attempts: int = Field(
        default=3, ge=1, le=10,
        description="Attempts of a job (or part) before it is reported failed.")
    job_retry_seconds: int = Field(
        default=960, ge=0,
        description="How long after a lapsed lease the queue may still deliver the job again "
                    "(the queue's visibility timeout); after it the job is reported failed.")
    list_page_max: int = Field(
        default=500, ge=10, le=1000, description="Largest page of the public list.")

    @model_validator(mode="after")
    def _prod_has_a_job_queue(self) -> "Settings":
        if self.stage == "prod" and not self.job_queue_url:
            raise ValueError("JOB_QUEUE_URL is required in prod")
        if self.stage == "prod" and not self.update_queue_url:
            raise ValueError("UPDATE_QUEUE_URL is required in prod")
        return self

    @model_validator(mode="after")
    def _a_reminder_before_the_link_expires(self) -> "Settings":
        if self.reminders_max and self.reminder_after_hours >= self.token_ttl_hours:
            raise ValueError("REMINDER_AFTER_HOURS must be below TOKEN_TTL_HOURS "
                             "(or REMINDERS_MAX 0)")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        """Build settings from environment variables named after the fields, upper-cased."""
        values = {}
        for name in cls.model_fields:
            key = name.upper()
            if key in environ:
                values[name] = environ[key]
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = ", ".join(
                f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['type']}" if e['loc']
                else e["msg"].removeprefix("Value error, ") for e in exc.errors())
            raise SettingsError(f"invalid settings: {problems}") from None


def settings_help() -> dict[str, str]:
    """Environment variable name → help text, for docs and their test."""
    return {name.upper(): f.description or "" for name, f in Settings.model_fields.items()}


def packaging_setting(name: str, environ: Mapping[str, str] | None = None) -> int:
    """A setting needed when the app is packaged (a schedule's time), from the environment
    or its default. The one setting read at import: EventBridge needs it in the template."""
    import os
    env = os.environ if environ is None else environ
    field = Settings.model_fields[name]
    raw = env.get(name.upper())
    value = int(raw) if raw is not None else field.default
    for meta in field.metadata:
        if (getattr(meta, "ge", None) is not None and value < meta.ge) or \
                (getattr(meta, "le", None) is not None and value > meta.le):
            raise SettingsError(f"invalid settings: {name.upper()}: out of range")
    return value
