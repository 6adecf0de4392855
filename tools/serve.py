"""One origin on loopback, as CloudFront serves it in AWS: the page from frontend/, the API under /api.

The API runs through Chalice's own local gateway (authorizers included), with the
app made thread-safe the way `chalice local` does it. The caller's address is passed
as the API Gateway source IP. Static files get the same security headers the CDN sends.
"""
from __future__ import annotations

import gzip
import json
import mimetypes
import posixpath
import sys
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

from chalice.config import Config
from chalice.local import (CustomLocalChalice, LocalChalice, LocalGateway,
                           LocalGatewayException)

from chalicelib.errors import AppError
from tools.localstack import ROOT

FRONTEND = ROOT / "frontend"
HEADERS_FILE = ROOT / "infra" / "security-headers.json"
# Pages other sites may frame (the embeddable counter): `frame-ancestors *`, no X-Frame-Options.
EMBED_HEADERS_FILE = ROOT / "infra" / "security-headers-embed.json"
FRAMEABLE = frozenset({"embed.html"})
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
API_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STATIC_METHODS = ("GET", "HEAD")


def error_body(status: int, code: str, message: str) -> bytes:
    """The API's one error shape (chalicelib/http.error_response), for answers made here."""
    return json.dumps({"error": {"status": status, "code": code, "message": message,
                                 "fields": [], "request_id": None}}).encode()


# Cloudflare Turnstile (off by default) needs its script and the iframe it draws the widget in.
TURNSTILE_ORIGIN = "https://challenges.cloudflare.com"


def security_headers(turnstile: bool = False) -> dict[str, str]:
    """The headers CloudFront adds to every response (one definition, in infra/).

    With `turnstile`, the CSP also lets the page load Turnstile: the template switches to
    that policy when a site key is set (infra/resources.yaml, HasTurnstileSiteKey).
    """
    headers = json.loads(HEADERS_FILE.read_text())
    if turnstile:
        csp = headers["Content-Security-Policy"].replace(
            "script-src 'self';", f"script-src 'self' {TURNSTILE_ORIGIN};", 1)
        headers["Content-Security-Policy"] = csp.replace(
            "connect-src 'self';", f"connect-src 'self'; frame-src {TURNSTILE_ORIGIN};", 1)
    return headers


def embed_headers() -> dict[str, str]:
    """The headers for FRAMEABLE pages; they replace (not extend) security_headers()."""
    return json.loads(EMBED_HEADERS_FILE.read_text())


def make_gateway(app: Any) -> LocalGateway:
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice  # current_request becomes thread-local
    return LocalGateway(app, Config.create(chalice_app=app, lambda_timeout=30))


class _Gateway:
    """LocalGateway with the real client address as the source IP."""

    def __init__(self, app: Any) -> None:
        self.gateway = make_gateway(app)
        self.app = app

    def handle(self, method: str, path: str, headers: dict, body: Optional[bytes],
               source_ip: str) -> tuple[int, dict, bytes]:
        gw = self.gateway
        try:
            event = gw._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no such route: API Gateway answers before Lambda
            return 404, {"Content-Type": "application/json"}, error_body(
                404, "not_found", "Not found.")
        event["requestContext"]["identity"]["sourceIp"] = source_ip
        # Query names as sent (values decoded): `?%6Cimit=5` names no `limit`, as for the
        # CDN's cache key; the app refuses names a route does not take.
        names = _query_as_sent(urllib.parse.urlsplit(path).query)
        if names is not None:
            event["multiValueQueryStringParameters"] = names
        context = gw._generate_lambda_context()
        try:
            event, context = gw._authorizer.authorize(path, event, context)
        except AppError:  # the authorizer failed (its store unreachable): API
            # Gateway's AUTHORIZER_FAILURE, a 503 in the template's gateway responses
            return 503, {"Content-Type": "application/json", "Retry-After": "2"}, error_body(
                503, "service_unavailable", "The service is busy. Please try again shortly.")
        except LocalGatewayException as exc:  # the authorizer refused: API Gateway's answer,
            # in our error shape as the template's gateway responses give it
            code, message = ("unauthorized", "A valid organiser token is required.") \
                if exc.CODE == 401 else ("token_refused", "This organiser token was not accepted.")
            return exc.CODE, {"Content-Type": "application/json"}, error_body(
                exc.CODE, code, message)
        resp = self.app(event, context)
        headers = dict(resp.get("headers") or {})
        for k, v in (resp.get("multiValueHeaders") or {}).items():
            headers[k] = ", ".join(v)
        out = resp.get("body") or b""
        if resp.get("isBase64Encoded"):
            import base64
            out = base64.b64decode(out)
        elif isinstance(out, str):
            out = out.encode("utf-8")
        return resp["statusCode"], headers, out


def _query_as_sent(query: str) -> Optional[dict[str, list[str]]]:
    out: dict[str, list[str]] = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            out.setdefault(name, []).append(urllib.parse.unquote_plus(value))
    return out or None


def make_handler(app: Any, frontend: Path = FRONTEND, turnstile: bool = False):
    gateway = _Gateway(app)
    extra = security_headers(turnstile)
    extra_embed = embed_headers()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "undersigned-local"
        sys_version = ""

        def log_message(self, fmt: str, *args: Any) -> None:
            pass  # request lines carry paths and addresses: keep them out of the console

        def _send(self, status: int, headers: dict, body: bytes,
                  base: Optional[dict] = None) -> None:
            self.send_response(status)
            merged = {**(extra if base is None else base), **headers}
            if self.command != "HEAD" and len(body) > 512 and "gzip" in self.headers.get(
                    "Accept-Encoding", "") and merged.get("Content-Type", "").startswith(COMPRESSIBLE):
                body = gzip.compress(body, 6)
                merged["Content-Encoding"] = "gzip"
                merged["Vary"] = "Accept-Encoding"
            merged["Content-Length"] = str(len(body))
            for k, v in merged.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _api(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = self.path[len("/api"):] or "/"
            status, headers, out = gateway.handle(self.command, path, dict(self.headers), body,
                                                  self.client_address[0])
            self._send(status, headers, out)

        def _static(self) -> None:
            url = urllib.parse.urlsplit(self.path).path
            rel = posixpath.normpath(urllib.parse.unquote(url)).lstrip("/")
            # URL scheme: /  -> index.html (letter index, or the letter itself when only one)
            #             /l/{slug} -> index.html (the letter page; the script reads the slug)
            #             /confirm.html#token=...  /embed.html?letter={slug}  (static pages)
            if rel in ("", ".") or rel.startswith("l/"):
                rel = "index.html"
            try:
                target = (frontend / rel).resolve()
            except ValueError:  # "embedded null byte" (/%00): no such file
                target = frontend
            if frontend.resolve() not in target.parents or not target.is_file():
                self._send(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found\n")
                return
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype == "application/javascript":
                ctype += "; charset=utf-8"
            cache = "no-cache" if target.suffix == ".html" else "public, max-age=300"
            base = extra_embed if rel in FRAMEABLE else None
            self._send(200, {"Content-Type": ctype, "Cache-Control": cache}, target.read_bytes(),
                       base)

        def _dispatch(self) -> None:
            api = self.path == "/api" or self.path.startswith(("/api/", "/api?"))
            allowed = API_METHODS if api else STATIC_METHODS
            if self.command not in allowed:
                self._send(405, {"Content-Type": "application/json", "Allow": ", ".join(allowed)},
                           error_body(405, "method_not_allowed", "This method is not allowed here."))
            elif api:
                self._api()
            else:
                self._static()

        def __getattr__(self, name: str) -> Any:
            # http.server answers a method without a do_* handler with its own 501 HTML
            # page; every method comes here instead and gets the API's error shape.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a burst of parallel clients must queue, not be reset

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that goes away mid-response is routine, not an error. Anything else is
        # printed without the client's address (socketserver's default names it).
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        print("Error while handling a request:", file=sys.stderr)
        traceback.print_exc()


class Server:
    """The site on 127.0.0.1:port in a background thread (port 0: any free port)."""

    def __init__(self, app: Any, port: int = 8000, frontend: Path = FRONTEND,
                 turnstile: bool = False) -> None:
        self.httpd = _HTTPServer(("127.0.0.1", port), make_handler(app, frontend, turnstile))
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "Server":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
