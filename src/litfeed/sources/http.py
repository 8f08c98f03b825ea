"""Polite HTTP: one connection per host, a minimum interval between requests to a host,
``Retry-After`` honoured on 429 and 503, exponential backoff with jitter on other server errors
and on network errors, timeouts, a bounded number of tries, and a User-Agent that says who asks.

A response whose body does not pass the caller's ``check`` (cut short, not well-formed) is
retried like a server error: a fetch never stores half a page.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from litfeed import __version__
from litfeed.errors import LitfeedError

# Statuses asked again later: throttling (429, 503 with Retry-After), other server errors, and a
# request the server timed out.
_RETRIED = {408, 429, 500, 502, 503, 504}
BACKOFF_SECONDS = 5.0  # the first wait after a failure; doubled each time, with jitter
MAX_BACKOFF_SECONDS = 300.0
# A Retry-After longer than this ends the fetch (it resumes at its next run) rather than
# holding the worker for hours.
MAX_RETRY_AFTER_SECONDS = 1800.0


class FetchError(LitfeedError):
    """A request failed for good (every try, or a status not worth repeating); the message
    names the address and the last reason."""


class BadBody(ValueError):
    """Raised by a ``check``: the body is cut short or not well-formed; asked again."""


@dataclass(frozen=True)
class Answer:
    url: str
    status: int
    body: bytes


def user_agent(contact: str) -> str:
    """ "litfeed/0.1.0 (self-hosted paper feed; contact: you@example.org)"."""
    contact_part = f"; contact: {contact}" if contact else ""
    return f"litfeed/{__version__} (self-hosted paper feed{contact_part})"


class Pacer:
    """When each host (or group of hosts) was last done with, for every client of a process:
    the worker's threads each have a client, and arXiv's pause holds across all of them. A
    request to a host with a delay holds the host's turn from its wait to its end, so two
    threads never ask arXiv at once."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._turns: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.contextmanager
    def turn(self, key: str, delay: float, sleep: Callable[[float], None]) -> Iterator[None]:
        """Wait until ``delay`` seconds have passed since the last request to ``key`` ended,
        then hold the turn while the caller's request runs. ``sleep`` waits (and raises when
        the caller is stopped); waiting for another thread's turn is checked each second."""
        if delay <= 0:
            try:
                yield
            finally:
                with self._guard:
                    self._last[key] = time.monotonic()
            return
        with self._guard:
            lock = self._turns.setdefault(key, threading.Lock())
        while not lock.acquire(timeout=1.0):
            sleep(0)
        try:
            last = self._last.get(key)
            if last is not None:
                sleep(max(0.0, last + delay - time.monotonic()))
            yield
        finally:
            with self._guard:
                self._last[key] = time.monotonic()
            lock.release()


PACER = Pacer()  # the process's: every client shares it unless given its own


class PoliteClient:
    """GET with retries. ``delays`` maps a host to the seconds that must pass between the end of
    one request to it and the start of the next (arXiv's rule); hosts in one ``group`` (arXiv's
    OAI-PMH and API hosts: its rule is per client, not per host) share that clock; other hosts
    get ``default_delay``. Waits end early when ``stop`` is set, and the request is not made."""

    def __init__(
        self,
        contact: str = "",
        delays: dict[str, float] | None = None,
        default_delay: float = 0.0,
        tries: int = 6,
        timeout: float = 60.0,
        stop: threading.Event | None = None,
        log: Callable[[str], None] | None = None,
        backoff: float = BACKOFF_SECONDS,
        groups: dict[str, str] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.headers = {"User-Agent": user_agent(contact)}
        self.delays = delays or {}
        self.groups = groups or {}
        self.default_delay = default_delay
        self.tries = tries
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self.log = log or (lambda _message: None)
        self.backoff = backoff
        self.requests = 0  # sent, tries included: what a benchmark or a test counts
        self._clients: dict[str, httpx.Client] = {}
        self._pacer = pacer or PACER

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        check: Callable[[bytes], None] | None = None,
        accept: tuple[int, ...] = (200,),
    ) -> Answer:
        """The answer to GET ``url`` with status in ``accept`` and a body ``check`` accepts;
        `FetchError` after the last try, or at once for a status that is not retried."""
        host = urlsplit(url).netloc
        reason = "no try made"
        delay = self.delays.get(host, self.default_delay)
        for attempt in range(1, self.tries + 1):
            wait: float | None = None
            try:
                with self._pacer.turn(self.groups.get(host, host), delay, self.sleep):
                    self.requests += 1
                    response = self._client(host).get(url, params=params)
                    body = response.content
            except httpx.TransportError as error:
                reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            else:
                address = str(response.url)
                if response.status_code in accept:
                    try:
                        if check is not None:
                            check(body)
                        return Answer(address, response.status_code, body)
                    except BadBody as error:
                        reason = f"a bad body ({error})"
                elif response.status_code in _RETRIED:
                    reason = f"HTTP {response.status_code}"
                    wait = _retry_after(response.headers.get("Retry-After"))
                    if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
                        raise FetchError(
                            f"{address}: the server asks to wait {wait:.0f} s (Retry-After); "
                            "the next run continues"
                        )
                else:
                    raise FetchError(f"{address}: HTTP {response.status_code}{_said(body)}")
            if attempt == self.tries:
                break
            if wait is None:
                wait = self._backoff(attempt)
            self.log(f"{url}: {reason}; trying again in {wait:.1f} s ({attempt}/{self.tries})")
            self.sleep(wait)
        raise FetchError(f"{url}: {reason} ({self.tries} tries)")

    def _client(self, host: str) -> httpx.Client:
        client = self._clients.get(host)
        if client is None:
            client = httpx.Client(
                headers=self.headers,
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 30.0)),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                follow_redirects=True,
            )
            self._clients[host] = client
        return client

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise FetchError("stopped")

    def _backoff(self, attempt: int) -> float:
        """Exponential, with "equal jitter": half of the step fixed, half random, so that
        clients that failed together do not come back together."""
        step = min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (attempt - 1))
        return float(step / 2 + random.uniform(0, step / 2))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _said(body: bytes) -> str:
    """The start of an error body, when it is short text worth showing."""
    text = " ".join(body[:300].decode("utf-8", errors="replace").split())
    return f": {text[:200]}" if text and not text.startswith("<") else ""
