"""Reading a letter's signatures as organisers do: search with filters, one signature,
the audit trail."""
from __future__ import annotations

import re
from typing import Iterator, Optional

from .. import cursors
from ..clock import iso
from ..errors import NotFoundError
from ..letter_service import LetterService
from ..organiser_models import (AuditEntry, AuditList, DuplicateGroup, DuplicateReport,
                                Filters, MailFailure, MailFailureList, SignatureAdmin,
                                SignatureAdminList)
from ..states import QUEUE_STATES
from ..storage import Query, Table, all_of, eq, ge, keys, lt
from ..lookalike import search_form
from ..org_names import current
from ..text import TextError, parse_email

ADMIN_FIELDS = set(SignatureAdmin.model_fields) - {"id"}
AUDIT_SK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#\d{20}[0-9a-f]{6}")  # keys.audit_key


def _domain(domain: str) -> str:
    """The canonical (IDNA, lower-case) form signatures store their email domain in."""
    try:
        return parse_email(f"x@{domain.strip()}").canonical.split("@", 1)[1]
    except TextError:
        return domain.strip().lower()


def admin_view(item: dict, store: Optional[Table] = None,
               letter: Optional[dict] = None) -> SignatureAdmin:
    """The organisers' view of a signature; with the store, a held lookalike's match is read
    as it is now (one GetItem; only held ones have one)."""
    fields = {k: item.get(k) for k in ADMIN_FIELDS if item.get(k) is not None}
    if fields.get("lookalike_of") and store is not None and letter is not None:
        fields["lookalike_of"] = current(store, letter, fields["lookalike_of"])
    return SignatureAdmin(id=item["sig_id"], **fields)


class Queue:
    def __init__(self, store: Table, letters: LetterService) -> None:
        self.store = store
        self.letters = letters

    def items(self, letter: dict, f: Filters, start: dict) -> Iterator[tuple[dict, dict]]:
        """Matching signatures with the cursor that resumes just after each."""
        condition = all_of(
            eq("state", f.state) if f.state else None,
            eq("kind", f.kind) if f.kind else None,
            eq("country", f.country) if f.country else None,
            eq("email_domain", _domain(f.email_domain)) if f.email_domain else None,
            ge("created_at", iso(f.since)) if f.since else None,
            lt("created_at", iso(f.until)) if f.until else None)
        needle = search_form(f.q) if f.q else None  # confusables folded too
        slug = letter["slug"]
        if f.state in QUEUE_STATES:
            sources = [("q", Query(pk=keys.queue_partition(slug, f.state), index=keys.GSI2,
                                   filter=condition))]
        else:
            sources = [(f"s{i}", Query(pk=keys.signature_partition(slug, i), filter=condition,
                                       consistent=True))
                       for i in range(letter["shards"])]
        skipping = bool(start)
        for name, q in sources:
            if skipping and name != start.get("src"):
                continue
            resume = start["key"] if skipping else None
            skipping = False
            for item in self.store.query(q, start=resume):
                if not item.get("SK", "").startswith(keys.SIGNATURE_PREFIX):
                    continue
                if needle and needle not in search_form(item.get("name") or ""):
                    continue
                key = {k: item[k] for k in ("PK", "SK", "GSI2PK", "GSI2SK") if k in item} \
                    if name == "q" else {"PK": item["PK"], "SK": item["SK"]}
                yield item, {"src": name, "key": key}

    def search(self, slug: str, f: Filters, cursor: Optional[str], limit: int) -> SignatureAdminList:
        letter = self.letters.letter_item(slug)
        out, last = [], None
        for item, position in self.items(letter, f, self._start(letter, f, cursor)):
            if len(out) == limit:
                return SignatureAdminList(signatures=out, next_cursor=cursors.encode(last))
            out.append(admin_view(item, self.store, letter))
            last = position
        return SignatureAdminList(signatures=out, next_cursor=None)

    def duplicates(self, slug: str) -> DuplicateReport:
        """Signatures that are one mailbox under the current canonical rule (text.mailbox).

        Each claim holds the keyed hash of the canonical form of its day; a rule that folds
        more (Gmail dots, +tags) leaves older signatures of one mailbox under separate
        claims. The addresses are sealed, so this compares hashes: `mailbox_hash`, the hash
        under today's rule, written by the sealing migration (tools/seal_migrate.py) where it
        differs from `email_hash`. It changes nothing.
        """
        letter = self.letters.letter_item(slug)
        groups: dict[str, list[dict]] = {}
        checked = 0
        for item, _ in self.items(letter, Filters(), {}):
            mailbox = item.get("mailbox_hash") or item.get("email_hash")
            if not mailbox:
                continue  # withdrawn or past retention: nothing left to compare
            checked += 1
            groups.setdefault(mailbox, []).append(item)
        found = [sorted(g, key=lambda i: (i["created_at"], i["sig_id"]))
                 for g in groups.values() if len(g) > 1]
        found.sort(key=lambda g: (g[0]["created_at"], g[0]["sig_id"]))
        return DuplicateReport(groups=[DuplicateGroup(signatures=[admin_view(i) for i in g])
                                       for g in found], checked=checked)

    def _start(self, letter: dict, f: Filters, cursor: Optional[str]) -> dict:
        """A queue cursor must point into this letter's own partitions (else 422)."""
        start = cursors.decode(cursor, {"src": str, "key": dict})
        if not start:
            return start
        key, src, slug = start["key"], start["src"], letter["slug"]
        if not all(isinstance(v, str) and 0 < len(v.encode()) <= 1024 for v in key.values()):
            raise cursors.bad_cursor()
        if src == "q":
            ok = f.state in QUEUE_STATES and set(key) == {"PK", "SK", "GSI2PK", "GSI2SK"} and \
                key["GSI2PK"] == keys.queue_partition(slug, f.state)
        else:
            ok = f.state not in QUEUE_STATES and src[:1] == "s" and src[1:].isascii() and \
                src[1:].isdigit() and \
                int(src[1:]) < letter["shards"] and set(key) == {"PK", "SK"} and \
                key["PK"] == keys.signature_partition(slug, int(src[1:]))
        if not ok:
            raise cursors.bad_cursor()
        return start

    def signature(self, letter: dict, sig_id: str) -> dict:
        if not (len(sig_id) == 26 and sig_id.isalnum()):
            raise NotFoundError("There is no such signature.")
        item = self.store.signature(letter, sig_id)
        if item is None:
            raise NotFoundError("There is no such signature.")
        return item

    def mail_failures(self, slug: str) -> MailFailureList:
        """Mails SES refused (parked by the mail worker), newest first; no address in them."""
        self.letters.letter_item(slug)
        q = Query(pk=keys.mail_failure_partition(slug), forward=False)
        return MailFailureList(failures=[MailFailure(**{k: i[k] for k in MailFailure.model_fields})
                                         for i in self.store.query(q)])

    def audit(self, slug: str, cursor: Optional[str], limit: int) -> AuditList:
        self.letters.letter_item(slug)
        start = cursors.decode(cursor, {"sk": str})
        if start and not AUDIT_SK.fullmatch(start["sk"]):
            raise cursors.bad_cursor()
        partition = keys.audit_partition(slug)
        resume = {"PK": partition, "SK": start["sk"]} if start else None
        out, last = [], None
        for item in self.store.query(Query(pk=partition, forward=False), start=resume):
            if len(out) == limit:
                return AuditList(entries=out, next_cursor=cursors.encode({"sk": last}))
            out.append(AuditEntry(**{k: item.get(k) for k in AuditEntry.model_fields}))
            last = item["SK"]
        return AuditList(entries=out)
