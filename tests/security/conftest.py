"""A running litfeed attacked as an attacker would: `litfeed serve` and `litfeed worker` as
processes of their own, a real SMTP server (aiosmtpd) they send to, arXiv replayed by a local
server, and raw HTTP from outside. The server believes X-Forwarded-For from this machine (as
behind a local reverse proxy), so a test can rotate the network address it attacks from."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import httpx2 as httpx
import pytest

from litfeed.config import Settings
from litfeed.hub import Hub
from tests.conftest import EXAMPLES, ROOT
from tests.postgres import free_port
from tests.replay import serving
from tests.serving import wait_until_up
from tests.smtp import Recorder, smtp_server

_addresses = itertools.count(1)


def new_network_address() -> str:
    """A network address no other client of the session came from (in 10.0.0.0/8)."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@dataclass
class Site:
    url: str
    data_dir: Path
    models_dir: Path
    smtp: Recorder
    worker_log: Path

    def worker_lines(self) -> list[str]:
        """What the background worker has logged so far."""
        return self.worker_log.read_text().splitlines() if self.worker_log.exists() else []

    def browser(self, address: str | None = None) -> httpx.Client:
        """A client with a cookie jar, from a network address of its own (a proxy forwards
        it), that does not follow redirects."""
        return httpx.Client(
            base_url=self.url,
            headers={"X-Forwarded-For": address or new_network_address()},
            follow_redirects=False,
            timeout=30,
        )

    def hub(self) -> Hub:
        """The site's database and indexes, opened beside the server (as a shell would)."""
        return Hub(Settings(data_dir=self.data_dir, models_dir=self.models_dir))

    def mail(self, address: str, subject: str) -> Message:
        return self.smtp.wait_for(address, subject)

    def add_account(self, who: str = "reader", password: str = "correct horse") -> str:
        """A new confirmed account, made from the shell (`litfeed users add`); its address."""
        address = f"{who}-{uuid.uuid4().hex[:8]}@example.org"
        done = self.litfeed("users", "add", address, "--password-stdin", stdin=password + "\n")
        assert done.returncode == 0, done.stderr
        return address

    def litfeed(self, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """A `litfeed` command on the site's data directory."""
        return subprocess.run(
            [sys.executable, "-m", "litfeed", *arguments],
            env={**os.environ, **self.environment()},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def environment(self) -> dict[str, str]:
        return {"LITFEED_DATA_DIR": str(self.data_dir), "LITFEED_MODELS_DIR": str(self.models_dir)}


def link_in(message: Message, path: str) -> str:
    """The path of the first link to ``path`` in a plain-text message."""
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes), message
    for word in body.decode().split():
        if path in word:
            return word[word.index(path) :]
    raise AssertionError(f"no {path} link in {body.decode()!r}")


def csrf_in(page: httpx.Response) -> str:
    marker = 'name="csrf" value="'
    assert marker in page.text, page.text[:300]
    return page.text.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Site]:
    """A new litfeed (the example corpus, no accounts) served with its worker, for the module."""
    data_dir = tmp_path_factory.mktemp("site") / "data"
    with Hub(Settings(data_dir=data_dir, models_dir=models_dir, embed_on_import=False)) as hub:
        hub.import_paths([EXAMPLES], embed=False)
    port = free_port()
    with smtp_server() as (recorder, smtp_url), serving(ROOT / "no-fixtures") as arxiv:
        log = data_dir.parent / "worker.log"
        site = Site(f"http://127.0.0.1:{port}", data_dir, models_dir, recorder, log)
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LITFEED_")},
            **site.environment(),
            "LITFEED_SMTP_URL": smtp_url,
            "LITFEED_BASE_URL": site.url,
            "LITFEED_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "LITFEED_ARXIV_API_URL": f"{arxiv.url}/api/query",
            "LITFEED_ARXIV_DELAY": "0",
            "LITFEED_EMBED_ON_IMPORT": "false",
            "LITFEED_CONTACT": "tests@litfeed.invalid",
        }
        command = [sys.executable, "-m", "litfeed"]
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker = subprocess.Popen(
            [*command, "worker", "--no-embed"],
            env=environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(site.url, server)
            yield site
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def sign_up(client: httpx.Client, address: str, password: str = "correct horse") -> int:
    """Sign up through the JSON API; the answer's status."""
    body = {"email": address, "password": password}
    return int(client.post("/api/auth/signup", json=body).status_code)


def log_in(client: httpx.Client, address: str, password: str = "correct horse") -> int:
    """Log in through the JSON API (the client keeps the cookies); the answer's status."""
    body = {"email": address, "password": password}
    return int(client.post("/api/auth/login", json=body).status_code)


def log_in_by_form(client: httpx.Client, address: str, password: str = "correct horse") -> int:
    """Log in through the page's form, as a browser does; the answer's status."""
    form = {"email": address, "password": password, "csrf": csrf_in(client.get("/login"))}
    return int(client.post("/login", data=form).status_code)
