"""Running the web server: N uvicorn processes that only read, the background worker beside
them, and the limits a server facing a network needs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import os
import resource
import signal
import socket
import subprocess
import sys
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from litfeed.config import ENV_PREFIX, Settings, load_settings
from litfeed.errors import LitfeedError
from litfeed.jobs.worker import PARENT_VARIABLE
from litfeed.web.guard import refusal

APP = "litfeed.web:create_app"
# Settings a command-line option may have changed: the server's processes read them from here.
_PASSED_ON = ("data_dir", "database_url", "host", "port")


def serve(settings: Settings, workers: int, background_worker: bool = True) -> None:
    """Serve until interrupted. ``settings`` were checked (the database opened) by the caller."""
    import uvicorn

    for name in _PASSED_ON:
        value = getattr(settings, name)
        if value not in (None, ""):
            os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    _raise_open_files_limit()
    # uvicorn re-raises the SIGTERM it caught once it has shut down; with a handler of ours
    # that is an exception, so the background worker below is stopped too.
    signal.signal(signal.SIGTERM, _exit)
    worker = _start_background_worker() if background_worker else None
    try:
        uvicorn.run(
            APP,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            http=f"{__name__}:TimedH11Protocol",
            limit_concurrency=settings.max_connections,
            timeout_keep_alive=max(1, round(settings.keep_alive_timeout)),
            h11_max_incomplete_event_size=MAX_HEAD,
            # The client's address (rate limits) from a trusted proxy's X-Forwarded-For; no
            # proxy is trusted until one is named (else any local process, or a proxy that
            # passes the header through, would choose the address the limits count).
            proxy_headers=bool(settings.forwarded_allow_ips.strip()),
            forwarded_allow_ips=settings.forwarded_allow_ips.strip() or None,
        )
    finally:
        if worker is not None:
            _stop(worker)


class PortUnavailable(LitfeedError):
    """The address and port to serve on cannot be listened on; the message says what to do."""


def check_port(host: str, port: int) -> None:
    """Listen on ``host:port`` for a moment, as uvicorn will: a port in use (another litfeed,
    say) is one line that says how to choose another, not uvicorn's errno."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        reason = (
            "is in use (another litfeed serve?)"
            if error.errno == errno.EADDRINUSE
            else f"cannot be listened on ({error.strerror or error})"
        )
        raise PortUnavailable(
            f"port {port} on {host} {reason}: choose another with --port N, LITFEED_PORT=N "
            "or make run PORT=N"
        ) from None


def _exit(*_: object) -> None:
    raise SystemExit(0)


def _start_background_worker() -> subprocess.Popen[bytes]:
    """``litfeed worker`` beside the server; if another holds the database's lock, it stands by.
    It also stops by itself if this process dies without stopping it."""
    environment = {**os.environ, PARENT_VARIABLE: str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "litfeed", "worker"], env=environment)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _raise_open_files_limit() -> None:
    """Each connection is a file: let the server hold as many as the system allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


# What h11 buffers of a request head before it gives up (h11's default, set explicitly).
MAX_HEAD = 16 * 1024
# How long a refused connection's remaining input is read and dropped before it is closed.
LINGER_SECONDS = 2.0


@functools.cache
def _request_timeout() -> float:
    return load_settings().request_timeout


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a limit on the time a connection may take to send a
    request head (uvicorn's h11 protocol has none: 1,100 connections that never finished a
    request held the server). Counted from the connection, or from the last response on a
    kept-alive one; a request being answered is not limited.

    A request head h11 cannot read is refused with the status that fits, where uvicorn always
    answers a bare 400: 414 when its first line alone is longer than h11 buffers (16 KiB),
    431 when its header fields are, else 400; with litfeed's error body and security headers."""

    _head_timer: asyncio.TimerHandle | None = None
    _lingering = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(_request_timeout(), self._timed_out)

    def send_400_response(self, msg: str) -> None:
        head, _ = self.conn.trailing_data
        first_line, ended, _ = head.partition(b"\r\n")
        if len(head) <= MAX_HEAD:
            status, message = 400, "the request is not valid HTTP/1.1"
        elif not ended:
            status, message = 414, f"the request's address is longer than {MAX_HEAD:,} bytes"
        else:
            status, message = 431, f"the request's header fields exceed {MAX_HEAD:,} bytes"
        # The target, cut short or not: "GET /api/search?q=aaaa..."
        target = first_line.partition(b" ")[2]
        headers, body = refusal(message, api=target.startswith(b"/api/"))
        for event in (
            h11.Response(
                status_code=status,
                headers=[*headers, (b"connection", b"close")],
                reason=HTTPStatus(status).phrase,
            ),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            with contextlib.suppress(h11.LocalProtocolError):
                self.transport.write(self.conn.send(event))
        self._close_lingering()

    def _close_lingering(self) -> None:
        """Close after the answer, reading and dropping what the client still sends for a
        moment: closing a socket with unread data resets the connection, and the client, still
        sending its megabyte of address, would lose the answer."""
        self._lingering = True
        if self._head_timer is not None:
            self._head_timer.cancel()
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self._lingering:
            super().data_received(data)

    def _timed_out(self) -> None:
        answering = self.cycle is not None and not self.cycle.response_complete
        if answering or self.transport.is_closing():
            return
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()
