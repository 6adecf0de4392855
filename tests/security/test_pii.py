"""PII crawl: a signer's email, link tokens and address appear in nothing public.

Against the running local site (own table, bucket and outbox): two people sign with random
emails and confirm; one then withdraws. Then everything a stranger can read is fetched —
every public API route (every page of the list, both kinds), the error answers to the
signer's own repeated or mangled requests, the static pages and every css/js they load —
and a snapshot is cut and every object under letters/{slug}/ read back from moto S3
(the DOCX unzipped, ids.csv.gz gunzipped). Every log record (DEBUG and up, botocore's
included) is checked as well.

Needles: the emails (as typed, lower-cased, URL-encoded, and their random local parts), the
confirmation and withdrawal tokens (whole, and their 43-character secrets), and the
client's address 127.0.0.1.

About 127.0.0.1: on this server the client's and the server's address are the same, and the
site URL (http://127.0.0.1:port) legitimately sits in the emails' links. The outbox is the
signer's own mail, not a public surface, so it is not crawled. In everything crawled the
address must not appear at all: public responses and snapshot files have no business
holding any address, and log records are redacted at creation (chalicelib.logs), so neither
the client's nor the server's address can reach a log line. The table is checked too: the
client's address is only ever stored as a keyed hash (rate-limit windows, which these
settings switch on, so the code path that handles the address runs).
"""
from __future__ import annotations

import gzip
import io
import json
import logging
import re
import secrets
import urllib.parse
import zipfile

import pytest
import requests

from security_site import start_site, stop_site  # tests/security/security_site.py
from chalicelib.snapshots import job as snap_job
from chalicelib.snapshots import published as snap_published

SLUG = "eu-hrc43-dprk"
CLIENT_IP = "127.0.0.1"


@pytest.fixture(scope="module")
def pii_site(stack, tmp_path_factory):
    # Abuse limits on (high enough never to trip), so the source address is used as it is
    # in production: hashed into rate-limit windows.
    s = start_site(tmp_path_factory.mktemp("pii"), sign_ip_per_minute=1000, sign_ip_per_hour=1000,
                   quarantine_ip_per_hour=1000, sign_domain_per_hour=1000,
                   confirm_ip_per_minute=1000, mail_per_address_per_day=1000)
    yield s
    stop_site(s)


def _link_tokens(site, kind: str) -> list[str]:
    return [u.split("#token=", 1)[1] for u in site.links(kind)]


def _variants(needle: str) -> set[str]:
    return {needle, needle.lower(), urllib.parse.quote(needle, safe=""),
            json.dumps(needle)[1:-1]}


class Crawl:
    def __init__(self, needles: dict[str, set[str]]) -> None:
        self.needles = needles
        self.leaks: list[str] = []
        self.responses = self.files = self.log_lines = 0

    def check(self, where: str, text: str) -> None:
        for what, variants in self.needles.items():
            if any(v in text for v in variants):
                self.leaks.append(f"{what} in {where}")


def _assets(site, html: str, js_seen: set[str]) -> list[str]:
    """css/js/icon paths a page loads, and the modules those scripts import."""
    found = re.findall(r'(?:href|src)="(/[^"#?]*\.(?:css|js|svg))"', html)
    return [p for p in found if p not in js_seen]


def test_no_email_token_or_client_address_in_anything_public(pii_site, caplog):
    caplog.set_level(logging.DEBUG)
    site = pii_site
    api = f"{site.url}/api"
    letter = requests.get(f"{api}/letters/{SLUG}", timeout=10).json()
    emails = [f"pii-{secrets.token_hex(6)}@Example.org", f"pii-{secrets.token_hex(6)}@example.net"]
    for email in emails:
        resp = requests.post(f"{api}/letters/{SLUG}/signatures", timeout=10, json={
            "kind": "individual", "name": f"Crawl Person {email[4:10]}", "email": email,
            "consent": True, "letter_sha256": letter["text_sha256"], "country": "KR"})
        assert resp.status_code == 202, resp.text
    confirms, withdraws = _link_tokens(site, "confirm"), _link_tokens(site, "withdraw")
    assert len(confirms) == 2 and len(withdraws) == 2
    for token in confirms:
        assert requests.post(f"{api}/confirmations", json={"token": token},
                             timeout=10).json()["state"] == "listed"
    assert requests.post(f"{api}/withdrawals", json={"token": withdraws[1]},
                         timeout=10).status_code == 200

    needles: dict[str, set[str]] = {}
    for i, email in enumerate(emails):
        needles[f"email {i}"] = _variants(email) | {email.split("@")[0]}
    for i, token in enumerate(confirms + withdraws):
        kind = "confirmation" if i < 2 else "withdrawal"
        needles[f"{kind} token {i % 2}"] = {token, token[26:26 + 43]}
    needles["client address"] = {CLIENT_IP}
    crawl = Crawl(needles)
    # Control: the needles are found where they must be (the signers' own mail).
    control = Crawl(needles)
    for path in site.outbox.glob("*.eml"):
        import email as email_lib
        msg = email_lib.message_from_bytes(path.read_bytes())
        control.check("outbox", str(msg["To"]) + msg.get_payload(decode=True).decode())
    assert {leak.split(" in ")[0] for leak in control.leaks} == set(needles), control.leaks

    def fetch(method: str, url: str, **kw) -> requests.Response:
        resp = requests.request(method, url, timeout=10, **kw)
        crawl.responses += 1
        head = "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
        crawl.check(f"{method} {url} ({resp.status_code})", head + "\n" + resp.text)
        return resp

    # -- every public API route
    fetch("GET", f"{api}/letters")
    fetch("GET", f"{api}/letters/{SLUG}")
    fetch("GET", f"{api}/openapi.json")
    listed = []
    for kind in (None, "organisation", "individual"):
        cursor = None
        while True:
            q = {"limit": 7, **({"kind": kind} if kind else {}), **({"cursor": cursor} if cursor else {})}
            page = fetch("GET", f"{api}/letters/{SLUG}/signatures", params=q).json()
            listed += [s["name"] for s in page["signatures"]] if kind is None else []
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert f"Crawl Person {emails[0][4:10]}" in listed  # the signer is public by name only
    assert f"Crawl Person {emails[1][4:10]}" not in listed  # withdrawn
    # -- what comes back to the signer's own repeated or mangled requests
    for email in emails:
        fetch("POST", f"{api}/letters/{SLUG}/signatures", json={
            "kind": "individual", "name": "Crawl Again", "email": email, "consent": True,
            "letter_sha256": letter["text_sha256"]})
        fetch("POST", f"{api}/letters/{SLUG}/signatures", json={
            "kind": "individual", "name": "=bad", "email": email, "consent": False,
            "letter_sha256": "0" * 64})
    for token in confirms + withdraws:
        for route in ("confirmations", "withdrawals"):
            fetch("POST", f"{api}/{route}", json={"token": token})
            fetch("POST", f"{api}/{route}", json={"token": token[:-1] + "Z"})
            fetch("POST", f"{api}/{route}", json={"token": token + "!"})

    # -- static pages and every asset they load (and every module those import)
    pages = ["/", f"/l/{SLUG}", "/confirm.html", "/withdraw.html", f"/embed.html?letter={SLUG}",
             "/admin.html"]
    queue, seen = list(pages), set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        resp = fetch("GET", site.url + path)
        if path.split("?")[0] in ("/withdraw.html",) and resp.status_code == 404:
            continue
        assert resp.status_code == 200, path
        queue += _assets(site, resp.text, seen)
        if path.endswith(".js"):
            base = path.rsplit("/", 1)[0]
            for rel in re.findall(r'from\s+"(\.{1,2}/[^"]+\.js)"|import\(\s*"(\.{1,2}/[^"]+\.js)"',
                                  resp.text):
                rel = rel[0] or rel[1]
                queue.append(urllib.parse.urljoin(base + "/", rel))
    assert any(p.endswith(".css") for p in seen) and sum(p.endswith(".js") for p in seen) >= 5

    # -- a snapshot, and every object under letters/{slug}/ read back from moto S3
    from chalicelib import wiring
    s3 = wiring.boto_client("s3")
    report = snap_job.snapshot_letter(site.service, s3, SLUG, site.service.clock())
    assert report["status"] == "complete"
    keys_read = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=site.bucket,
                                                             Prefix=f"letters/{SLUG}/"):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if "/exports/" in key:
                continue  # organiser-only (on demand, may hold emails); none were made here
            body = s3.get_object(Bucket=site.bucket, Key=key)["Body"].read()
            keys_read.append(key)
            crawl.files += 1
            if key.endswith(".gz"):
                body = gzip.decompress(body)
            if key.endswith(".docx"):
                with zipfile.ZipFile(io.BytesIO(body)) as z:
                    for name in z.namelist():
                        crawl.check(f"s3://{key}!{name}", z.read(name).decode("utf-8", "replace"))
                continue
            crawl.check(f"s3://{key}", body.decode("utf-8", "replace"))
    names = {k.rsplit("/", 1)[1] for k in keys_read}
    assert set(snap_published.FILES) | {"manifest.json", "latest.json"} <= names, names

    # -- the client's address is never stored in the clear
    from chalicelib.storage.codec import from_item
    items = []
    for page in site.service.store._db.get_paginator("scan").paginate(
            TableName=site.settings.table_name):
        items += [from_item(i) for i in page["Items"]]
    # The table holds the signer's email by design (organisers need it), so only the
    # address is looked for there: it must be stored hashed, never in the clear.
    assert CLIENT_IP not in json.dumps(items, ensure_ascii=False)
    assert any(str(i.get("PK", "")).startswith("RATE#") for i in items), "rate windows written"

    # -- every log record, DEBUG and up
    redactions = {"[email]": 0, "[ip]": 0, "[token]": 0}
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for mark in redactions:
            redactions[mark] += text.count(mark)
        crawl.log_lines += max(1, text.count("\n") + 1)
        crawl.check(f"log {record.name}:{record.levelname}", text)

    print(f"\nPII crawl: {crawl.responses} responses fetched, {crawl.files} snapshot files read, "
          f"{len(caplog.records)} log records ({crawl.log_lines} lines) checked, "
          f"{len(crawl.leaks)} leaks found (log redactions seen: {redactions})")
    assert crawl.responses >= 30 and crawl.files >= 7 and caplog.records
    assert crawl.leaks == [], crawl.leaks
