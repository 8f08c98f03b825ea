"""Shared fixtures: temporary litfeed instances on real SQLite files and a real PostgreSQL."""

from __future__ import annotations

import contextlib
import email
import email.message
import itertools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Nothing may be downloaded in tests (and nothing can be here). huggingface_hub reads this when
# it is imported, so it is set before anything imports it.
os.environ["HF_HUB_OFFLINE"] = "1"

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from litfeed.config import Settings, load_settings
from litfeed.hub import Hub
from litfeed.mail import deliver_due
from litfeed.models import Paper
from litfeed.store import Account, Store
from litfeed.web import create_app
from tests import hostile
from tests.postgres import PostgresServer, start_postgres
from tests.replay import Replay, serving

ROOT = Path(__file__).resolve().parent.parent
# The suite's workers (threads and served ones) draw no first topic map on their own: a map
# costs each served instance tens of seconds of both cores; tests/test_topics.py turns it on.
os.environ["LITFEED_TOPICS_FIRST_MAP"] = "false"
EXAMPLES = ROOT / "src" / "litfeed" / "examples" / "hf-papers-pages"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_path(relative: str) -> Path:
    """A file under ../shared/data, or a skip naming it: a user's clone has no ../shared."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/data is only on the development machines)")
    return path


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory of exported models for the session: the ONNX export runs once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> Settings:
    """A fresh data directory. Imports do not embed here (embedding tests ask for it)."""
    for name in ("LITFEED_DATABASE_URL", "LITFEED_CONFIG", "LITFEED_PAGE_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LITFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LITFEED_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("LITFEED_EMBED_ON_IMPORT", "false")
    return load_settings()


@contextlib.contextmanager
def running_worker(hub: Hub, lines: list[str]) -> Iterator[threading.Event]:
    """The background worker on a thread (polls of 0.1 s, no embedding) until the block ends;
    its log lines go to ``lines``."""
    from litfeed.jobs.worker import run_worker

    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker,
        args=(hub, stop, lines.append),
        kwargs={"poll": 0.1, "embed": False, "schedule_poll": 0.1},
    )
    worker.start()
    try:
        yield stop
    finally:
        stop.set()
        worker.join(30)


def make_paper(**fields: Any) -> Paper:
    """A stored paper with nothing but what ``fields`` give (the rest empty)."""
    values: dict[str, Any] = {
        "id": "p",
        "title": "T",
        "abstract": "",
        "authors": [],
        "categories": [],
        "arxiv_id": None,
        "arxiv_version": None,
        "doi": None,
        "hf_id": None,
        "comment": None,
        "published": None,
        "updated": None,
        "first_seen": datetime.now(UTC),
        "links": [],
    }
    return Paper(**{**values, **fields})


@pytest.fixture
def database_settings(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test settings on each kind of database litfeed supports."""
    monkeypatch.setenv("LITFEED_DATABASE_URL", database_url)
    return load_settings()


@pytest.fixture
def site_url() -> str:
    """LITFEED_BASE_URL of `site_settings`: the address in mailed links (a module may
    override this fixture)."""
    return "http://localhost"


@pytest.fixture
def site_settings(
    database_settings: Settings, site_url: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """`database_settings` with the site's public address set."""
    monkeypatch.setenv("LITFEED_BASE_URL", site_url)
    return load_settings()


@pytest.fixture
def site_hub(site_settings: Settings) -> Iterator[Hub]:
    """A hub on `site_settings` with the example corpus imported."""
    with Hub(site_settings) as opened:
        opened.import_paths([EXAMPLES])
        yield opened


@pytest.fixture
def site_client(site_hub: Hub, site_settings: Settings) -> Iterator[TestClient]:
    """The app serving `site_hub`'s database, by the scheme of its public address (cookies are
    Secure on https)."""
    scheme = urlsplit(site_settings.public_url).scheme
    with TestClient(create_app(site_settings), base_url=f"{scheme}://localhost") as client:
        yield client


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a form of the page at ``path`` carries (and its cookie, now set)."""
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = "correct horse") -> str:
    """Log ``client`` in through the form; the CSRF token of its new session (forms carry a
    token bound to the session, so the one from before logging in no longer serves)."""
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]
    return csrf_of(client, "/")


def mailed(store: Store, settings: Settings) -> list[email.message.Message]:
    """Every message in the outbox directory, after sending what the database's outbox
    holds (no LITFEED_SMTP_URL: mail is written there)."""
    deliver_due(store, settings)
    directory = settings.data_dir / "outbox"
    files = sorted(directory.glob("*.eml")) if directory.exists() else []
    return [email.message_from_bytes(path.read_bytes()) for path in files]


def fetch_environment(replay: Replay, data_dir: Path) -> dict[str, str]:
    """Settings that point every source at the replay server, with short waits."""
    return {
        "LITFEED_DATA_DIR": str(data_dir),
        "LITFEED_ARXIV_OAI_URL": f"{replay.url}/oai",
        "LITFEED_ARXIV_API_URL": f"{replay.url}/api/query",
        "LITFEED_HF_URL": replay.url,
        "LITFEED_ARXIV_DELAY": "0",
        "LITFEED_FETCH_BACKOFF": "0.2",
        "LITFEED_EMBED_ON_IMPORT": "false",
        "LITFEED_CONTACT": "tests@litfeed.invalid",
    }


@pytest.fixture
def replay() -> Iterator[Replay]:
    """A local server replaying arXiv's and Hugging Face's recorded responses."""
    with serving(shared_path("fixtures")) as running:
        yield running


@pytest.fixture
def example_replay() -> Iterator[Replay]:
    """The replay server answering OAI-PMH with pages made from the bundled example corpus (471
    papers as arXivRaw records, 200 a page): the harvest tests that run without ../shared."""
    records = list(hostile.arxiv_records(hostile.example_pairs(EXAMPLES)))
    pages = [records[start : start + 200] for start in range(0, len(records), 200)]
    with serving(ROOT / "no-fixtures") as running:
        running.oai_bodies = [
            hostile.oai_raw_page(page, f"day|{n + 1}" if n + 1 < len(pages) else "", len(records))
            for n, page in enumerate(pages)
        ]
        yield running


@pytest.fixture
def fetch_settings(
    replay: Replay, database_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings fetching from the replay server into each kind of database."""
    for name, value in fetch_environment(replay, database_settings.data_dir).items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    with Hub(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Settings:
    """A data directory with the example corpus imported (and embedded) once for the whole
    session; tests that use it must not write to it."""
    data_dir = tmp_path_factory.mktemp("seeded") / "data"
    settings = Settings(data_dir=data_dir, models_dir=models_dir, embed_on_import=True)
    with Hub(settings) as hub:
        hub.import_paths([EXAMPLES])
    return settings


@pytest.fixture
def copied_settings(seeded_settings: Settings, tmp_path: Path) -> Settings:
    """A copy of the session's embedded examples, which a test may write to."""
    data_dir = tmp_path / "copied-data"
    shutil.copytree(seeded_settings.data_dir, data_dir)
    return seeded_settings.model_copy(update={"data_dir": data_dir})


@pytest.fixture
def seeded_hub(seeded_settings: Settings) -> Iterator[Hub]:
    with Hub(seeded_settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


_database_numbers = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind litfeed supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'litfeed.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"litfeed_test_{next(_database_numbers)}")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


def proven_reader(hub: Hub, email: str, name: str | None = None, old: bool = True) -> Account:
    """A confirmed account (password "correct horse"), with a public name when given; ``old``:
    made two days ago, past the first day's stricter limits on what it may write."""
    from litfeed.community.accounts import add_account
    from litfeed.store.schema import accounts

    account = add_account(hub.store, email, "correct horse", verified=True, name=name)
    if old:
        with hub.store.engine.begin() as connection:
            connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == account.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=2))
            )
    found = hub.store.community.account(account.id)
    assert found is not None
    return found
