"""Settings are read once, fail loudly, and every one is documented."""
from pathlib import Path

import pytest

from chalicelib.settings import Settings, SettingsError, settings_help

ROOT = Path(__file__).resolve().parents[2]


def test_missing_required_settings_fail_loudly():
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"STAGE": "local"})
    assert "TABLE_NAME" in str(err.value) and "EMAIL_HASH_KEY" in str(err.value)


def test_settings_come_from_upper_case_variables():
    s = Settings.from_env({"STAGE": "prod", "TABLE_NAME": "tbl", "EXPORTS_BUCKET": "bkt",
                           "SITE_URL": "https://x.example", "EMAIL_HASH_KEY": "k" * 32,
                           "MAIL_BACKEND": "ses", "COUNT_SHARDS": "8",
                           "JOB_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/jobs",
                           "UPDATE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/updates"})
    assert s.count_shards == 8 and s.mail_backend == "ses"
    assert "k" * 32 not in repr(s)  # the secret stays out of logs and tracebacks


def test_prod_without_a_job_queue_fails_loudly():
    """In AWS the jobs must reach the worker's queue; a queue in the API's own process would
    leave every export queued until it failed."""
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"STAGE": "prod", "TABLE_NAME": "tbl", "EXPORTS_BUCKET": "bkt",
                           "SITE_URL": "https://x.example", "EMAIL_HASH_KEY": "k" * 32,
                           "MAIL_BACKEND": "ses"})
    assert "JOB_QUEUE_URL" in str(err.value)


def test_a_reminder_that_would_come_after_the_link_expired_is_refused():
    """REMINDER_AFTER_HOURS at or past TOKEN_TTL_HOURS would send no reminder ever (none goes
    once the link expired): a loud error, not a silent feature off. REMINDERS_MAX 0 is off."""
    base = {"STAGE": "local", "TABLE_NAME": "tbl", "EXPORTS_BUCKET": "bkt",
            "SITE_URL": "http://127.0.0.1:8000", "EMAIL_HASH_KEY": "k" * 32,
            "MAIL_BACKEND": "file", "TOKEN_TTL_HOURS": "24"}
    with pytest.raises(SettingsError) as err:
        Settings.from_env({**base, "REMINDER_AFTER_HOURS": "24"})
    assert "REMINDER_AFTER_HOURS" in str(err.value)
    assert Settings.from_env({**base, "REMINDER_AFTER_HOURS": "24", "REMINDERS_MAX": "0"})
    assert Settings.from_env({**base, "REMINDER_AFTER_HOURS": "12"}).reminders_max == 1


def test_prod_without_an_update_queue_fails_loudly():
    """An update's mails must reach the update mailer's queue; one in the job worker's own
    process would be lost with it."""
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"STAGE": "prod", "TABLE_NAME": "tbl", "EXPORTS_BUCKET": "bkt",
                           "SITE_URL": "https://x.example", "EMAIL_HASH_KEY": "k" * 32,
                           "MAIL_BACKEND": "ses",
                           "JOB_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/jobs"})
    assert "UPDATE_QUEUE_URL" in str(err.value)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "SETTINGS.md").read_text()
    missing = [name for name in settings_help() if f"`{name}`" not in doc]
    assert not missing, f"document these in docs/SETTINGS.md: {missing}"
