"""Test support shared by every tier: an injected clock, a recording mailer, settings, the
live site. (Import from here, never from conftest: each test folder has its own conftest.)"""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from chalicelib.storage import Update
from chalicelib.storage import keys
from chalicelib.mail import Message
from chalicelib.settings import Settings


class FakeClock:
    """An injected clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


class RecordingMailer:
    """Keeps sent messages in memory; can be told to fail.

    Mail leaves through the mail worker, off the table's stream: reading `sent` first lets
    the worker deliver what is due (`pump`, set by `with_mail_pump`), as Lambda would have
    by the time a signer opens their inbox.
    """

    def __init__(self) -> None:
        self._sent: list[Message] = []
        self.raw: list[tuple[bytes, list[str]]] = []
        self.fail = False
        self.pump = None

    @property
    def sent(self) -> list[Message]:
        if self.pump is not None:
            self.pump()
        return self._sent

    def send(self, message: Message) -> str:
        from chalicelib.mail import MailError
        if self.fail:
            raise MailError("injected failure")
        self._sent.append(message)
        return f"recorded-mail-{len(self._sent)}"

    def send_raw(self, data: bytes, recipients: list[str]) -> str:
        from chalicelib.mail import MailError
        if self.fail:
            raise MailError("injected failure")
        self.raw.append((data, list(recipients)))
        return f"recorded-{len(self.raw)}"


    def last_token(self) -> str:
        """The token of the newest confirmation link."""
        import re
        return re.search(r"/confirm\.html#token=([A-Za-z0-9_-]+)", self.sent[-1].text).group(1)

    def last_withdraw_token(self) -> str:
        import re
        return re.search(r"/withdraw\.html#token=([A-Za-z0-9_-]+)", self.sent[-1].text).group(1)


def with_mail_pump(services):
    """Wire the services' recording mailer to a pump of their table's stream; returns them."""
    from tools.mail_pump import MailPump
    if isinstance(services.mailer, RecordingMailer):
        services.mailer.pump = MailPump(services).drain
    return services


def make_settings(**overrides) -> Settings:
    values = dict(stage="test", table_name=f"t-{uuid.uuid4().hex[:12]}", exports_bucket="exports",
                  site_url="http://127.0.0.1:8000", email_hash_key="k" * 40, mail_backend="file",
                  count_shards=4,
                  # no abuse limits unless a test sets them (every test client is 127.0.0.1)
                  sign_ip_per_minute=0, sign_ip_per_hour=0, quarantine_ip_per_hour=0,
                  sign_domain_per_hour=0, confirm_ip_per_minute=0, mail_per_address_per_day=0,
                  mail_send_per_second=10_000, mail_per_domain_per_hour=0)
    values.update(overrides)
    # Each test's letters' keys under its own path: one test's shredding never reaches another's.
    values.setdefault("seal_key_path", f"/undersigned/test/{values['table_name']}/letter-keys")
    return Settings(**values)


class LiveSite:
    """The real local server (page + API on one origin) on a free port, over a fresh table
    and bucket, with the example letter loaded and mail written to `outbox`."""

    def __init__(self, service, server, outbox: Path, bucket: str) -> None:
        import threading

        from tools.job_pump import JobPump
        from tools.mail_pump import MailPump
        from tools.update_pump import UpdatePump
        self.service = service
        self.server = server
        self.pump = MailPump(service)
        self.jobs = JobPump(service)
        self._stop = threading.Event()
        self._pumping = threading.Thread(target=self.pump.run, args=(self._stop, 0.1), daemon=True)
        self._pumping.start()
        self._working = threading.Thread(target=self.jobs.run, args=(self._stop, 0.1), daemon=True)
        self._working.start()
        self.updates = UpdatePump(service)
        self._updating = threading.Thread(target=self.updates.run, args=(self._stop, 0.1),
                                          daemon=True)
        self._updating.start()
        self.url = server.url
        self.outbox = outbox
        self.bucket = bucket
        self.settings = service.settings

    def links(self, kind: str = "confirm") -> list[str]:
        """Every confirm (or withdraw) link in the outbox, oldest first (after the mail worker
        delivered what was due)."""
        import email
        import re
        self.pump.drain()
        out = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            msg = email.message_from_bytes(path.read_bytes())
            # an update's mail is multipart (text and HTML): its text part
            part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
            body = part.get_payload(decode=True).decode()
            out += re.findall(rf"https?://\S+/{kind}\.html#token=[A-Za-z0-9_-]+", body)
        return out

    def stop(self) -> None:
        from chalicelib import wiring
        self._stop.set()
        self._pumping.join(timeout=5)
        self._working.join(timeout=30)
        self._updating.join(timeout=5)
        self.server.stop()
        wiring.configure(None)


def start_site(outbox: Path, clock=None, **overrides) -> LiveSite:
    """Start a LiveSite (and wire the app to it); call .stop() when done."""
    from chalicelib import wiring
    from chalicelib.mail import FileMailer
    from tools import localstack, seed
    from tools.serve import Server

    import app
    server = Server(app.app, 0)  # port 0: a free port on 127.0.0.1
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    s = make_settings(site_url=server.url, mail_outbox_dir=str(outbox), exports_bucket=bucket,
                      **overrides)
    localstack.bootstrap(s.table_name, bucket)
    instance = wiring.build(s, mailer=FileMailer(str(outbox), s.mail_from), clock=clock)
    wiring.configure(instance)
    seed.load(instance, seed.EXAMPLE)
    server.start()
    return LiveSite(instance, server, outbox, bucket)


def store_signature(service, letter: dict, sig_id: str, kind: str, name: str, *,
                    affiliation=None, country=None, email=None, state="listed") -> dict:
    """Write a signature straight into the table, as an old import or a sign-on from before
    sealing would (an address in clear): no validation.

    Listed ones get their GSI1 keys and are counted, as the service's listing does.
    """
    from chalicelib.text import sort_key
    slug, shards = letter["slug"], letter["shards"]
    now = service.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sig = {**keys.signature_key(slug, sig_id, shards), "sig_id": sig_id, "letter": slug,
           "kind": kind, "name": name, "affiliation": affiliation, "country": country,
           "email": email, "letter_sha256": letter["text_sha256"], "state": state,
           "created_at": now}
    if state == "listed":
        shard = keys.shard_of(sig_id, shards)
        sig.update(confirmed_at=now, listed_at=now, GSI1PK=keys.list_partition(slug, shard),
                   GSI1SK=keys.list_sort_key(kind, sort_key(kind, name), sig_id))
        add = {f"n_{kind}": 1, **({f"c_{country}": 1} if country else {})}
        service.store.update(keys.counter_key(slug, shard), Update(add=add))
    if email:  # as a sign-on before sealing: in clear, with its claim under the rule of its day
        sig["email_hash"] = service.signing.email_hash(email.strip().lower())
        service.store.put({**keys.email_claim_key(slug, sig["email_hash"]), "sig_id": sig_id,
                           "created_at": now})
    service.store.put(sig)
    return sig


class MemoryS3:
    """The S3 calls exports make (storage/s3_objects.py, exports/fanout.py), over a dict: for
    use-case tests of export jobs on either store without the moto server."""

    class _Body:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self) -> bytes:
            return self.data

        def iter_lines(self, chunk_size: int = 1024):
            yield from self.data.splitlines()

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self._uploads: dict[str, dict[int, bytes]] = {}

    def create_multipart_upload(self, Bucket, Key, ContentType=None):
        upload_id = f"u{len(self._uploads)}"
        self._uploads[upload_id] = {}
        return {"UploadId": upload_id}

    def upload_part(self, Bucket, Key, UploadId, PartNumber, Body, ContentLength=None):
        self._uploads[UploadId][PartNumber] = Body if isinstance(Body, bytes) else Body.read()
        return {"ETag": f'"{PartNumber}"'}

    def complete_multipart_upload(self, Bucket, Key, UploadId, MultipartUpload):
        parts = self._uploads.pop(UploadId)
        self.objects[(Bucket, Key)] = b"".join(parts[p["PartNumber"]]
                                               for p in MultipartUpload["Parts"])

    def abort_multipart_upload(self, Bucket, Key, UploadId):
        self._uploads.pop(UploadId, None)

    def get_object(self, Bucket, Key):
        return {"Body": self._Body(self.objects[(Bucket, Key)])}

    def delete_object(self, Bucket, Key):
        self.objects.pop((Bucket, Key), None)

    def generate_presigned_url(self, method, ExpiresIn, Params):
        return f"memory://{Params['Bucket']}/{Params['Key']}"
