"""What every response gets, before any route sees the request: the Host header checked against
the allowed hosts (a page elsewhere cannot read a local litfeed through DNS rebinding), security
headers (a Content-Security-Policy without inline scripts, no framing, no sniffing; HSTS when
the site is served over https), and an answer to `HEAD` wherever `GET` has one (the GET's
status and headers, without its body)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# litfeed's pages load only their own stylesheet; the favicon is a data: URL. A route may set
# its own policy (the API docs allow their scripts by hash), which is then kept.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The topic map's page: the same, and 'unsafe-eval' for its script alone: regl (under the
# WebGL scatter plot) compiles its drawing commands with `new Function`. No string a stranger
# wrote reaches it: labels and titles are set as text.
MAP_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# HSTS for a year, this host only: a sibling host of a self-hosted instance may not be https.
HSTS = (b"strict-transport-security", b"max-age=31536000")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


# The API docs pages (FastAPI's Swagger UI and ReDoc, their files served by litfeed) start with
# an inline script, allowed by its hash only.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The Content-Security-Policy of an API docs page: litfeed's own files, and its inline
    scripts by hash (never 'unsafe-inline' for scripts); nothing from another host."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    # Both render their own styles inline, and ReDoc runs a web worker from a blob.
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def default_allowed_hosts(bind_host: str) -> list[str]:
    """Localhost names, and the address litfeed listens on when it is a single one."""
    extra = [] if bind_host in WILDCARD_ADDRESSES else [bind_host.strip("[]").lower()]
    return list(dict.fromkeys([*LOCAL_HOSTS, *extra]))


def host_name(header: str) -> str:
    """The host of a Host header, without its port: ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: refuse a request for a host not allowed (400), add the security headers
    to every response, and answer HEAD as GET without the body."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str], https: bool = False) -> None:
        self.app = app
        hosts = {host.strip().strip("[]").lower() for host in allowed_hosts}
        self.any_host = "*" in hosts
        self.allowed_hosts = frozenset(hosts - {"*"})
        self.headers = SECURITY_HEADERS + ((HSTS,) if https else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        name = host_name(host.decode("latin-1"))
        if not self.any_host and name not in self.allowed_hosts:
            await _refuse_host(scope, send, name, self.headers)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers += [(key, value) for key, value in self.headers if key not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = headers
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse_host(
    scope: Scope, send: Send, name: str, extra: tuple[tuple[bytes, bytes], ...]
) -> None:
    shown = name if name.isprintable() and len(name) <= 100 else "that host"
    message = (
        f"host {shown!r} is not served here; an administrator can allow it with "
        "LITFEED_ALLOWED_HOSTS"
        if name
        else "the request has no Host header"
    )
    headers, body = refusal(message, api=scope["path"].startswith("/api/"))
    headers += [header for header in extra if header not in headers]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def refusal(message: str, api: bool) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of a request refused before any route saw it: the API's JSON error
    under /api/, else one line of text; with the security headers."""
    body = json.dumps({"error": message}).encode() if api else (message + "\n").encode()
    kind = b"application/json" if api else b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    headers += list(SECURITY_HEADERS)
    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    return headers, body
