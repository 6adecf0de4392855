"""The organiser CLI (tools/cli.py) against the real local server, as the README shows it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from tools.cli import cli

SLUG = "eu-hrc43-dprk"


def api(site, method, path, body=None, token=None):
    req = urllib.request.Request(
        f"{site.url}/api{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json",
                 **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def us(live_site, tmp_path):
    """`us ARGS...` as the README's alias runs it, with a fresh organiser token."""
    token = live_site.service.organisers.create("CLI test", []).token
    runner = CliRunner()

    def run(*args, token=token):
        env = {"UNDERSIGNED_TOKEN": token} if token else {"UNDERSIGNED_TOKEN": ""}
        return runner.invoke(cli, ["--api", f"{live_site.url}/api",
                                   "--token-file", str(tmp_path / "no-such-file"), *args], env=env)
    run.token = token
    return run


def test_approve_rename_export_close_reopen(live_site, us, tmp_path):
    sha = api(live_site, "GET", f"/letters/{SLUG}")["text_sha256"]
    api(live_site, "POST", f"/letters/{SLUG}/signatures", {
        "kind": "organisation", "name": "Seoul Civic Forumm", "country": "KR", "authorised": True,
        "email": "office@civic.example", "consent": True, "letter_sha256": sha})
    token = live_site.links()[-1].split("#token=")[1]
    assert api(live_site, "POST", "/confirmations", {"token": token})["state"] == "awaiting_approval"
    sig_id = token[:26]

    queued = us("queue", SLUG, "--state", "awaiting_approval")
    assert queued.exit_code == 0 and "Seoul Civic Forumm" in queued.output and sig_id in queued.output
    assert us("approve", SLUG, sig_id).exit_code == 0
    renamed = us("rename", SLUG, sig_id, "Seoul Civic Forum")
    assert renamed.exit_code == 0, renamed.output
    assert "now 'Seoul Civic Forum' (originally 'Seoul Civic Forumm')" in renamed.output
    listed = api(live_site, "GET", f"/letters/{SLUG}/signatures?limit=100")["signatures"]
    assert "Seoul Civic Forum" in [s["name"] for s in listed]
    assert api(live_site, "GET", f"/letters/{SLUG}")["counts"]["organisations"] == 32

    out = tmp_path / "list.csv"
    exported = us("export", SLUG, "--format", "csv", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Seoul Civic Forum".encode() in data
    assert b"office@civic.example" not in data  # emails only with --emails

    assert us("letters", "close", SLUG).exit_code == 0
    assert api(live_site, "GET", f"/letters/{SLUG}")["status"] == "closed"
    assert us("letters", "open", SLUG).exit_code == 0
    assert api(live_site, "GET", f"/letters/{SLUG}")["status"] == "open"
    recount = us("recount", SLUG)
    assert recount.exit_code == 0 and "drift" in recount.output.lower()
    audit = us("audit", SLUG)
    assert audit.exit_code == 0 and "rename" in audit.output
    # the old and the new name, as the organiser page shows them (not "listed→listed")
    assert "name: Seoul Civic Forumm → Seoul Civic Forum" in audit.output
    assert "state: awaiting_approval → listed" in audit.output


def test_tokens_are_created_listed_and_revoked(live_site, us):
    made = us("tokens", "create", "Press team", "--letter", SLUG, "--role", "read")
    assert made.exit_code == 0, made.output
    secret = next(w for w in made.output.split() if w.startswith("us_"))
    assert api(live_site, "GET", "/admin/me", token=secret)["role"] == "read"
    listed = us("tokens", "list")
    assert listed.exit_code == 0 and "Press team" in listed.output and secret not in listed.output
    token_id = next(t["id"] for t in api(live_site, "GET", "/admin/tokens", token=us.token)["tokens"]
                    if t["name"] == "Press team")
    assert us("tokens", "revoke", token_id).exit_code == 0
    with pytest.raises(urllib.error.HTTPError) as refused:
        api(live_site, "GET", "/admin/me", token=secret)
    assert refused.value.code in (401, 403)


def test_without_a_token_it_says_so_and_changes_nothing(live_site, us):
    before = api(live_site, "GET", f"/letters/{SLUG}")
    result = us("letters", "close", SLUG, token=None)
    assert result.exit_code != 0 and "token" in result.output.lower()
    assert "Traceback" not in result.output
    assert api(live_site, "GET", f"/letters/{SLUG}")["status"] == before["status"]


def test_duplicates_lists_one_mailbox_signed_several_times(live_site, us, monkeypatch):
    from support import store_signature
    service = live_site.service
    letter = service.letters.letter_item(SLUG)
    for i, email in enumerate(["grace.hopper@gmail.com", "GRACE.HOPPER+x@googlemail.com"]):
        store_signature(service, letter, f"{'h' * 25}{'ab'[i]}", "individual", "Grace Hopper",
                        email=email)
    # Stored in clear, as before sealing: the one-off migration seals them (a dry run first).
    monkeypatch.setenv("TABLE_NAME", service.settings.table_name)  # its table, not the API
    dry = us("seal-migrate")
    assert dry.exit_code == 0 and "2 address(es) to seal" in dry.output, dry.output
    applied = us("seal-migrate", "--apply")
    assert applied.exit_code == 0 and "sealed 2" in applied.output, applied.output
    assert "0 address(es) to seal" in us("seal-migrate").output
    out = us("duplicates", SLUG)
    assert out.exit_code == 0, out.output
    assert out.output.count("hhhhhhhhhhhhhhhhhhhhhhhhh") == 2 and "mailbox 1: 2 signatures" in out.output
    assert "grace.hopper" not in out.output.lower() and "gmail.com" in out.output  # domains only
    assert api(live_site, "GET", f"/letters/{SLUG}/signatures?limit=100")["signatures"]


def test_export_holds_listed_signatures_and_other_states_by_name(live_site, us, tmp_path):
    import csv
    import io
    from chalicelib.storage import keys
    from support import store_signature
    letter = live_site.service.store.get(keys.letter_key(SLUG))
    store_signature(live_site.service, letter, "r" * 26, "individual", "Rejected Person",
                    state="rejected")

    def rows(*args):
        out = tmp_path / "list.csv"
        result = us("export", SLUG, "--format", "csv", "-o", str(out), *args)
        assert result.exit_code == 0, result.output
        return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert {r["state"] for r in rows()} == {"listed"} and len(rows()) == 35
    named = rows("--state", "rejected", "--state", "listed")
    assert len(named) == 36 and ("Rejected Person", "rejected") in [
        (r["name"], r["state"]) for r in named]
    bad = us("export", SLUG, "--state", "deleted")
    assert bad.exit_code != 0 and "deleted" in bad.output and "Traceback" not in bad.output


def test_export_prints_the_delivery_date_and_refuses_a_bad_one(live_site, us, tmp_path):
    out = tmp_path / "letter.html"
    made = us("export", SLUG, "--format", "html", "--date", "2026-12-03", "-o", str(out))
    assert made.exit_code == 0, made.output
    assert '<p class="date">3 December 2026</p>' in out.read_text(encoding="utf-8")
    bad = us("export", SLUG, "--format", "html", "--date", "2026-13-01", "-o", str(out))
    assert bad.exit_code != 0 and "date" in bad.output and "Traceback" not in bad.output


def test_snapshot_cut_says_what_happens_and_replace_cuts_the_day_again(live_site, us):
    first = us("snapshot-cut", SLUG)
    assert first.exit_code == 0, first.output
    assert "snapshot written" in first.output
    again = us("snapshot-cut", SLUG)
    assert again.exit_code == 0 and "today's snapshot exists" in again.output
    assert "nothing was written" in again.output
    assert f"snapshot-cut {SLUG} --replace" in again.output
    replaced = us("snapshot-cut", SLUG, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert "cut again" in replaced.output and "replacing the cut of" in replaced.output


def test_a_partners_staff_export_their_consenting_referrals_with_the_cli(live_site, us, tmp_path):
    """`us partners export` follows the job and downloads its file (sha256 checked)."""
    import uuid
    from chalicelib.partner_models import PartnerIn
    from helpers import make_letter
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    make_letter(live_site.service, slug)
    live_site.service.partners.add(slug, PartnerIn(name="NK Watch", code="nkw", may_download=True))
    sha = api(live_site, "GET", f"/letters/{slug}")["text_sha256"]
    for name, consent in (("Ada Consenting", True), ("Ben Silent", False)):
        api(live_site, "POST", f"/letters/{slug}/signatures", {
            "kind": "individual", "name": name, "email": f"{name[:3].lower()}@example.org",
            "consent": True, "letter_sha256": sha, "via": "nkw", "partner_consent": consent})
        api(live_site, "POST", "/confirmations", {"token": live_site.links()[-1].split("#token=")[1]})
    staff = us("partners", "token", slug, "nkw").output.split()[0]
    out = tmp_path / "referrals.csv"
    made = us("partners", "export", slug, "nkw", "--emails", "-o", str(out), token=staff)
    assert made.exit_code == 0 and "sha256 verified" in made.output, made.output
    data = out.read_text(encoding="utf-8-sig")
    assert "ada@example.org" in data and "Ben Silent" not in data and "ben@" not in data
    lead = us("partners", "export", slug, "nkw", "-o", str(out))  # the lead: every referral
    assert lead.exit_code == 0, lead.output
    assert "Ben Silent" in out.read_text(encoding="utf-8-sig") and "@" not in out.read_text()


def test_updates_compose_preview_reach_send_and_status(live_site, us, tmp_path):
    import email
    import time
    sha = api(live_site, "GET", f"/letters/{SLUG}")["text_sha256"]
    api(live_site, "POST", f"/letters/{SLUG}/signatures", {
        "kind": "individual", "name": "Kept Informed", "country": "KR", "consent": True,
        "email": "informed@example.org", "updates_opt_in": True, "letter_sha256": sha})
    api(live_site, "POST", "/confirmations", {"token": live_site.links()[-1].split("#token=")[1]})
    body = tmp_path / "update.md"
    body.write_text("The letter goes to **Brussels** next week.\n", encoding="utf-8")
    made = us("updates", "compose", SLUG, "--subject", "Next week", "--body-file", str(body))
    assert made.exit_code == 0 and "update 1: draft (en)" in made.output, made.output
    shown = us("updates", "preview", SLUG, "1")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in shown.output
    assert "The letter goes to **Brussels** next week." in shown.output
    counted = us("updates", "reach", SLUG, "1")
    assert counted.exit_code == 0 and "update 1 reaches 1 signers" in counted.output, counted.output
    sent = us("updates", "send", SLUG, "1", "--yes")
    assert sent.exit_code == 0 and "1 queued" in sent.output, sent.output
    for _ in range(50):  # the update mailer's thread sends it
        mails = [email.message_from_bytes(p.read_bytes()) for p in live_site.outbox.glob("*.eml")]
        told = [m for m in mails if m["List-Unsubscribe"]]
        if told:
            break
        time.sleep(0.2)
    assert [m["To"] for m in told] == ["informed@example.org"] and told[0]["Subject"] == "Next week"
    for _ in range(50):  # its counts are added once the message is done
        status = us("updates", "status", SLUG, "1")
        if "1 sent" in status.output:
            break
        time.sleep(0.2)
    assert "1 sent, 0 failed" in status.output and "sent by CLI test" in status.output, status.output
