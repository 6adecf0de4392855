"""A partner's export is a job on the job worker (which alone opens addresses): a partner's
own token gets the names and emails of its referrals who ticked its consent, if the lead
organiser allowed it, and nothing of anyone else's; the lead organiser can run it too."""
from __future__ import annotations

import csv
import io

import pytest

from chalicelib.errors import ForbiddenError, NotFoundError
from chalicelib.jobs.runner import Jobs
from chalicelib.models import signature_in
from chalicelib.partner_models import PartnerExportIn, PartnerIn, PartnerUpdateIn
from chalicelib.principal import Principal
from chalicelib.wiring import job_queue
from helpers import individual, make_letter
from support import MemoryS3
from tools.job_pump import JobPump

IP = "192.0.2.40"
LEAD = Principal("t1", "Lead", ())


@pytest.fixture
def s3(services):
    """The job worker's bucket, in memory (the export's files are read back from it)."""
    fake = MemoryS3()
    services.__dict__["jobs"] = Jobs(services, job_queue(services.settings), lambda: fake)
    return fake


def staff(slug: str, code: str) -> Principal:
    return Principal("t2", f"{code} staff", (slug,), partner=f"{slug}/{code}")


def signed(services, letter, name, email, *, via=None, consent=False, confirm=True):
    body = individual(letter, name=name, email=email)
    if via:
        body.update(via=via, partner_consent=consent)
    services.signing.sign(letter.slug, signature_in.validate_python(body), IP)
    if confirm:
        services.signing.confirm(services.mailer.last_token(), IP)


def coalition(services):
    letter = make_letter(services, "coalition")
    for code, name in (("nkw", "NK Watch"), ("lumen", "LUMEN")):
        services.partners.add(letter.slug, PartnerIn(name=name, code=code, may_download=True))
    signed(services, letter, "Ada Consenting", "ada@example.org", via="nkw", consent=True)
    signed(services, letter, "Ben Silent", "ben@example.org", via="nkw")
    signed(services, letter, "Cy Pending", "cy@example.org", via="nkw", consent=True,
           confirm=False)
    signed(services, letter, "Di Lumen", "di@example.org", via="lumen", consent=True)
    signed(services, letter, "Ed Direct", "ed@example.org")
    return letter


def export(services, s3, letter, code, who, **body):
    job = services.partners.export(letter.slug, code, PartnerExportIn(**body), who)
    assert job.state == "queued" and job.kind == "partner_export"
    JobPump(services).drain()
    done = services.partners.export_status(letter.slug, code, job.id, who)
    assert done.state == "complete", done
    data = s3.objects[(services.settings.exports_bucket, done.result["key"])]
    assert done.result["url"] and done.result["size"] == len(data)
    return done, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_partners_own_export_has_the_emails_of_its_consenting_referrals_only(services, s3):
    letter = coalition(services)
    done, rows = export(services, s3, letter, "nkw", staff(letter.slug, "nkw"),
                        include_email=True)
    assert [(r["name"], r["email"]) for r in rows] == [("Ada Consenting", "ada@example.org")]
    assert "-consenting-with-emails-" in done.result["key"]
    _, names = export(services, s3, letter, "nkw", staff(letter.slug, "nkw"))
    assert [r["name"] for r in names] == ["Ada Consenting"] and "email" not in names[0]


def test_the_lead_organiser_exports_a_partners_referrals_or_what_the_partner_gets(services, s3):
    letter = coalition(services)
    _, every = export(services, s3, letter, "nkw", LEAD, include_email=True)
    assert sorted((r["name"], r["email"]) for r in every) == [
        ("Ada Consenting", "ada@example.org"), ("Ben Silent", "ben@example.org")]
    _, same = export(services, s3, letter, "nkw", LEAD, include_email=True, consenting_only=True)
    assert [(r["name"], r["email"]) for r in same] == [("Ada Consenting", "ada@example.org")]


def test_with_the_switch_off_a_partner_gets_no_export_and_no_link(services, s3):
    letter = coalition(services)
    services.partners.update(letter.slug, "nkw", PartnerUpdateIn(may_download=False))
    with pytest.raises(ForbiddenError):
        services.partners.export(letter.slug, "nkw", PartnerExportIn(include_email=True),
                                 staff(letter.slug, "nkw"))
    # switched off after the job was started: the worker checks again, the link is refused
    services.partners.update(letter.slug, "nkw", PartnerUpdateIn(may_download=True))
    job = services.partners.export(letter.slug, "nkw", PartnerExportIn(include_email=True),
                                   staff(letter.slug, "nkw"))
    services.partners.update(letter.slug, "nkw", PartnerUpdateIn(may_download=False))
    JobPump(services).drain()
    assert services.jobs.status(letter.slug, job.id).state == "failed"
    assert not s3.objects
    with pytest.raises(ForbiddenError):
        services.partners.export_status(letter.slug, "nkw", job.id, staff(letter.slug, "nkw"))


def test_a_partners_token_reaches_no_other_export(services, s3):
    letter = coalition(services)
    mine = staff(letter.slug, "nkw")
    with pytest.raises(ForbiddenError):  # another partner's
        services.partners.export(letter.slug, "lumen", PartnerExportIn(), mine)
    lead_job = services.partners.export(letter.slug, "nkw", PartnerExportIn(include_email=True),
                                        LEAD)  # every referral, with emails: the lead's
    letter_job = services.jobs.submit(letter.slug, "export", {"format": "csv"}, LEAD.who)
    JobPump(services).drain()
    for job_id in (lead_job.id, letter_job.id):
        with pytest.raises(NotFoundError):
            services.partners.export_status(letter.slug, "nkw", job_id, mine)
    with pytest.raises(ForbiddenError):
        services.partners.export_status(letter.slug, "lumen", lead_job.id, mine)
    assert services.partners.export_status(letter.slug, "nkw", lead_job.id, LEAD).result


def test_a_large_letters_partner_export_is_split_and_merged_in_the_letters_order(services, s3):
    settings = services.settings.model_copy(update={"job_part_rows": 2, "job_max_parts": 3})
    services.settings = services.jobs.svc.settings = settings
    letter = make_letter(services, "large")
    services.partners.add(letter.slug, PartnerIn(name="NK Watch", code="nkw", may_download=True))
    names = [f"Person {c}" for c in "HCFADGBE"]
    for n, name in enumerate(names):
        signed(services, letter, name, f"p{n}@example.org", via="nkw", consent=n % 4 != 3)
    done, rows = export(services, s3, letter, "nkw", staff(letter.slug, "nkw"),
                        include_email=True)
    assert done.parts == 3 and done.rows_written == 6
    assert [r["name"] for r in rows] == sorted(n for i, n in enumerate(names) if i % 4 != 3)
    assert all(r["email"] == f"p{names.index(r['name'])}@example.org" for r in rows)
    assert [k for k in s3.objects if "/jobs/" in k[1]] == []  # the runs are gone
