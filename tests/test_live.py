"""A live service: readers never write, indexes are swapped whole, one worker per database, the
server's own limits. Real processes (`litfeed worker`, `litfeed serve`), real sockets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.models import PaperRecord, SourceRef
from litfeed.search import KeywordIndex
from litfeed.store import Store
from tests.conftest import EXAMPLES
from tests.postgres import free_port


def _record(title: str, arxiv_id: str) -> PaperRecord:
    return PaperRecord(
        title=title,
        abstract=f"{title}: an abstract.",
        arxiv_id=arxiv_id,
        source=SourceRef("t", "t"),
    )


def _store(store: Store, *records: PaperRecord) -> None:
    store.save_records(list(records), store.start_import("test", "t", "0" * 64))


def _tree(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory`` with its size and modification time."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def _eventually(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


# -- readers never write -------------------------------------------------------------------------


def test_a_reader_never_writes_and_finds_what_the_writer_published(settings: Settings) -> None:
    with Hub(settings) as writer:
        writer.import_paths([EXAMPLES])
        with Hub(settings, serving=True) as reader:
            before = _tree(settings.index_dir)
            _store(writer.store, _record("Zebrafish swimming", "2501.00001"))
            for mode in ("keyword", "hybrid"):
                assert reader.search("zebrafish", mode=mode).hits == []
            reader.stats()
            assert _tree(settings.index_dir) == before  # the reader wrote nothing
            writer.update_index(embed=False)  # the worker's round
            hits = reader.search("zebrafish", mode="keyword").hits
            assert [hit.paper.id for hit in hits] == ["2501.00001"]


def test_searches_go_on_while_the_index_is_rebuilt_beside_them(settings: Settings) -> None:
    with Hub(settings) as writer:
        writer.import_paths([EXAMPLES])
        expected = writer.search("diffusion", mode="keyword").total
        assert expected > 0
        failures: list[str] = []
        stop = threading.Event()

        def read() -> None:
            with Hub(settings, serving=True) as reader:
                while not stop.is_set():
                    try:
                        total = reader.search("diffusion", mode="keyword").total
                    except Exception as error:
                        failures.append(repr(error))
                        return
                    if total != expected:
                        failures.append(f"{total} papers, not {expected}")

        readers = [threading.Thread(target=read) for _ in range(2)]
        for thread in readers:
            thread.start()
        try:
            generations = set()
            for _ in range(4):
                writer.update_index(rebuild=True, embed=False)
                generations.add(writer.keyword_index.generations.current())
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert failures == []
        assert len(generations) == 4
        kept = sorted(p.name for p in settings.index_dir.joinpath("keyword").glob("g*"))
        assert len(kept) == 2  # the current generation and the one before it


def test_a_rebuild_that_dies_leaves_the_old_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Hub(settings) as writer:
        writer.import_paths([EXAMPLES])
        current = writer.keyword_index.generations.current()

        def dying(*_args: object, **_kwargs: object) -> Iterator[object]:
            raise OSError("the machine went down")
            yield  # a generator, as the real one

        with monkeypatch.context() as patch:
            patch.setattr(Store, "iter_changed_papers", dying)
            with pytest.raises(OSError):
                writer.update_index(rebuild=True, embed=False)
        assert writer.keyword_index.generations.current() == current
        reader = KeywordIndex(settings.index_dir / "keyword")
        assert reader.ready and reader.document_count() == 471
        writer.update_index(rebuild=True, embed=False)
        assert len(list(settings.index_dir.joinpath("keyword").glob("g*"))) == 2


def test_a_new_vector_index_is_loaded_beside_the_one_searched(seeded_settings: Settings) -> None:
    """A server loads a newly published vector index on a thread; searches meanwhile read the
    old one and never see an empty index. (A copy of the seeded data: this one writes.)"""
    settings = seeded_settings.model_copy(update={"data_dir": _copy(seeded_settings.data_dir)})
    with Hub(settings, serving=True) as reader, Hub(settings) as writer:
        reader.preload(threading.Event())
        vectors = reader.vector_index
        assert vectors.count() == 471
        query = vectors.embedder.embed_query("mutual information")
        _store(writer.store, _record("Mutual information neural estimation", "2501.00001"))
        writer.update_index()
        counts = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and 472 not in counts:
            counts.add(vectors.count())
            assert len(vectors.search(query, 10)) == 10
        assert counts <= {471, 472} and 472 in counts


def _copy(data_dir: Path) -> Path:
    target = data_dir.parent.parent / f"copy-{time.monotonic_ns()}"
    shutil.copytree(data_dir, target)
    return target


# -- one worker per database ---------------------------------------------------------------------


def test_the_worker_lock_elects_one_holder(database_url: str) -> None:
    first, second = Store.open(database_url), Store.open(database_url)
    try:
        one, other = first.worker_lock(), second.worker_lock()
        assert one.acquire() and one.held
        assert not other.acquire() and other.taken_elsewhere()
        one.release()
        assert other.acquire() and one.taken_elsewhere()
        other.release()
        assert not one.taken_elsewhere()
    finally:
        first.close()
        second.close()


@pytest.fixture
def environment(settings: Settings) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _litfeed(environment: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "litfeed", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class _Output:
    """A process's output, read on a thread so that the test can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def says(self, text: str, seconds: float = 60.0) -> bool:
        return _eventually(lambda: any(text in line for line in self.lines), seconds)

    def indexed(self, count: int, seconds: float = 60.0) -> bool:
        """Whether the worker said it indexed ``count`` papers by words in all (an import of
        several files may be caught up with in more than one round)."""

        def total() -> int:
            found = (_INDEXED.search(line) for line in self.lines)
            return sum(int(match.group(1).replace(",", "")) for match in found if match)

        return _eventually(lambda: total() >= count, seconds)


_INDEXED = re.compile(r"indexed ([\d,]+) papers by words")


def test_a_second_worker_stands_by_and_takes_over(
    settings: Settings, environment: dict[str, str]
) -> None:
    first = _litfeed(environment, "worker", "--no-embed")
    second = None
    try:
        first_output = _Output(first)
        assert first_output.says("keeping the search indexes current"), first_output.lines
        second = _litfeed(environment, "worker", "--no-embed")
        second_output = _Output(second)
        assert second_output.says("stands by"), second_output.lines
        with Hub(settings) as hub:
            _store(hub.store, _record("Zebrafish swimming", "2501.00001"))
            # both keep this data directory's indexes (a host's own replicas): either indexes
            assert _eventually(
                lambda: any(
                    "indexed 1 papers by words" in line
                    for line in first_output.lines + second_output.lines
                ),
                10,
            )
            assert hub.worker_running()
            first.send_signal(signal.SIGKILL)  # dies without releasing anything
            first.wait()
            assert second_output.says("keeping the search indexes current", 10)
            before = sum("indexed 1 papers by words" in line for line in second_output.lines)
            _store(hub.store, _record("Zebrafish diving", "2501.00002"))
            assert _eventually(
                lambda: (
                    sum("indexed 1 papers by words" in line for line in second_output.lines)
                    > before
                ),
                10,
            )
            found = {hit.paper.id for hit in hub.search("zebrafish", mode="keyword").hits}
            assert found == {"2501.00001", "2501.00002"}
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


def test_an_import_next_to_a_worker_leaves_the_indexing_to_it(
    settings: Settings, environment: dict[str, str]
) -> None:
    worker = _litfeed(environment, "worker", "--no-embed")
    try:
        output = _Output(worker)
        assert output.says("keeping the search indexes current"), output.lines
        imported = subprocess.run(
            [sys.executable, "-m", "litfeed", "import", "--no-progress", str(EXAMPLES)],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "the running background worker indexes the new papers" in imported.stdout
        assert output.indexed(471, 30), output.lines
        with Hub(settings, serving=True) as reader:
            assert reader.search("diffusion", mode="keyword").total > 0
    finally:
        worker.terminate()
        assert worker.wait(timeout=20) == 0


# -- the server ----------------------------------------------------------------------------------


@pytest.fixture
def served(settings: Settings, environment: dict[str, str]) -> Iterator[tuple[str, _Output]]:
    with Hub(settings) as hub:
        hub.import_paths([EXAMPLES])
    port = free_port()
    environment = {**environment, "LITFEED_REQUEST_TIMEOUT": "2"}
    process = _litfeed(environment, "serve", "--port", str(port), "--workers", "2", "--no-worker")
    output = _Output(process)
    url = f"http://127.0.0.1:{port}"
    try:
        assert _eventually(lambda: _answers(url), 60), output.lines
        yield url, output
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/api/papers", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_runs_the_processes_asked_for(served: tuple[str, _Output]) -> None:
    url, output = served
    assert output.says("Started server process", 10)
    assert _eventually(
        lambda: sum("Started server process" in line for line in output.lines) == 2, 30
    ), output.lines
    for _ in range(20):
        assert httpx.get(url + "/search", params={"q": "diffusion"}).status_code == 200


def test_connections_that_never_finish_a_request_are_closed(served: tuple[str, _Output]) -> None:
    url, _output = served
    port = int(url.rsplit(":", 1)[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2_400:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4_096), hard))
    stalled = []
    try:
        for _ in range(1_100):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"GET /api/papers HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no end
            stalled.append(connection)
        started = time.monotonic()
        # Within the request timeout (2 s here) the server closes every one of them ...
        for connection in stalled:
            connection.settimeout(max(0.1, 10 - (time.monotonic() - started)))
            assert connection.recv(1024) == b""
        # ... and answers everyone else.
        assert httpx.get(url + "/api/papers", timeout=5).status_code == 200
    finally:
        for connection in stalled:
            connection.close()


def _raw_status(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client would send these) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65_536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
    return int(status_line.split()[1]), headers, body


def test_request_heads_too_long_or_broken_get_the_status_that_fits(
    served: tuple[str, _Output],
) -> None:
    port = int(served[0].rsplit(":", 1)[1])
    long_address = (
        b"GET /api/search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    many_fields = b"".join(b"X-Field-%d: %s\r\n" % (n, b"v" * 1_000) for n in range(200))
    cases = [
        (long_address, 414, "application/json"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\n" + many_fields + b"\r\n", 431, "text/plain"),
        (b"\x00\x01 not http\r\n\r\n", 400, "text/plain"),
    ]
    for request, status, kind in cases:
        answer_status, headers, body = _raw_status(port, request)
        assert answer_status == status, body
        assert headers["content-type"].startswith(kind)
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert body and b"Traceback" not in body
    assert json.loads(_raw_status(port, long_address)[2])["error"].startswith(
        "the request's address"
    )
    # A long address the server can still read is the route's to judge: 400 for a query too long.
    query = b"GET /api/search?q=" + b"a" * 5_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert _raw_status(port, query.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))[0] == 400


def test_serve_starts_the_worker_and_stops_it(
    settings: Settings, environment: dict[str, str]
) -> None:
    port = free_port()
    process = _litfeed(environment, "serve", "--port", str(port), "--workers", "1")
    output = _Output(process)
    try:
        assert _eventually(lambda: _answers(f"http://127.0.0.1:{port}"), 60), output.lines
        with Hub(settings) as hub:
            assert _eventually(hub.worker_running), output.lines
            _store(hub.store, _record("Zebrafish swimming", "2501.00001"))
            assert _eventually(lambda: hub.search("zebrafish", mode="keyword").total == 1, 10)
            process.terminate()
            assert process.wait(timeout=30) == 0
            assert _eventually(lambda: not hub.worker_running(), 20), output.lines
    finally:
        if process.poll() is None:
            process.kill()


def test_no_proxy_is_believed_until_one_is_named(served: tuple[str, _Output]) -> None:
    """By default (LITFEED_FORWARDED_ALLOW_IPS empty) X-Forwarded-For is not believed: a client
    rotating it is one network address for the limits, five sign-ups an hour. (With a proxy
    named, each forwarded address counts: tests/security/test_lockout.py.)"""
    url, _output = served

    def sign_up(n: int) -> int:
        answer = httpx.post(
            url + "/api/auth/signup",
            json={"email": f"reader{n}@example.org", "password": "correct horse"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        return answer.status_code

    assert [sign_up(n) for n in range(6)] == [202] * 5 + [429]


@pytest.mark.postgres
def test_two_hosts_share_one_postgresql_each_with_its_own_indexes(
    postgres_server: Any, tmp_path: Path, models_dir: Path
) -> None:
    """Two `litfeed serve` (each with its worker) on two data directories and one PostgreSQL,
    as two web hosts: a paper imported through one is found by words and by meaning on the
    other within a minute (each host follows the change cursor into its own index replicas;
    no shared file system); a vote through one is counted on the other at once, and a
    session made on one is good on the other."""
    from litfeed.community.accounts import add_account, new_token
    from tests.postgres import free_port
    from tests.serving import litfeed_serving

    database = postgres_server.create_database("litfeed_two_hosts")
    hosts = {}
    for name in ("a", "b"):
        hosts[name] = {
            **os.environ,
            "LITFEED_DATABASE_URL": database,
            "LITFEED_DATA_DIR": str(tmp_path / name),
            "LITFEED_MODELS_DIR": str(models_dir),
        }
    paper = {
        "id": "2607.04242",
        "title": "Quokka gait analysis with ultrasonic sonar arrays",
        "abstract": "We record how quokkas hop, using arrays of ultrasonic sonar sensors.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.RO"],
    }
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in hosts}
    with (
        litfeed_serving(free_port(), hosts["a"], output=logs["a"].fileno()) as a,
        litfeed_serving(free_port(), hosts["b"], output=logs["b"].fileno()) as b,
    ):
        source = tmp_path / "one.jsonl"
        source.write_text(json.dumps(paper) + "\n")
        imported = subprocess.run(
            [sys.executable, "-m", "litfeed", "import", "--no-progress", str(source)],
            env=hosts["a"],
            capture_output=True,
            text=True,
        )
        assert imported.returncode == 0, imported.stderr

        def found(mode: str, query: str) -> bool:
            answer = httpx.get(f"{b}/api/search", params={"q": query, "mode": mode}, timeout=10)
            return answer.status_code == 200 and any(
                hit["paper"]["id"] == paper["id"] for hit in answer.json()["hits"][:3]
            )

        started = time.monotonic()
        assert _eventually(lambda: found("keyword", "quokka gait"), 60), (
            tmp_path / "b.log"
        ).read_text()
        assert _eventually(lambda: found("semantic", "how marsupials hop"), 60), (
            tmp_path / "b.log"
        ).read_text()
        assert time.monotonic() - started < 60 + 60

        with Hub(Settings(data_dir=tmp_path / "c", database_url=database)) as hub:
            account = add_account(hub.store, "voter@example.org", "correct horse", verified=True)
            token = new_token(hub.store, account)[0]
        voted = httpx.post(
            f"{a}/api/papers/{paper['id']}/vote",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert voted.status_code == 200 and voted.json()["upvotes"] >= 1
        seen = httpx.get(f"{b}/hf/api/papers/{paper['id']}", timeout=10).json()
        assert seen["upvotes"] == voted.json()["upvotes"]
        # a session made on one host is good on the other (its key is the database's)
        with httpx.Client(base_url=a, timeout=10) as browser:
            body = {"email": "voter@example.org", "password": "correct horse"}
            assert browser.post("/api/auth/login", json=body).status_code == 200
            me = browser.get(f"{b}/api/me")
            assert me.status_code == 200 and me.json()["email"] == "voter@example.org"
    for handle in logs.values():
        handle.close()


def test_a_second_ctrl_c_ends_a_worker_busy_with_what_does_not_stop() -> None:
    """The worker's signals (`stop_on_signals`) in a process whose job does not look at
    ``stop`` (as exporting the model or drawing a first map): the first Ctrl-C sets ``stop``
    and says a second one ends it; the second ends it at once. SIGTERM only sets ``stop``."""
    probe = (
        "import sys, threading, time\n"
        "from litfeed.jobs.worker import stop_on_signals\n"
        "stop = threading.Event()\n"
        "stop_on_signals(stop, lambda message: print(message, flush=True))\n"
        "print('busy', flush=True)\n"
        "for _ in range(600):\n"
        "    time.sleep(0.1)  # a job that does not look at stop\n"
        "print('stop' if stop.is_set() else 'not stopped', flush=True)\n"
    )
    busy = subprocess.Popen(
        [sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = _Output(busy)
    try:
        assert output.says("busy"), output.lines
        busy.send_signal(signal.SIGTERM)  # what `serve` sends its worker: a graceful stop
        time.sleep(0.5)
        assert busy.poll() is None
        busy.send_signal(signal.SIGINT)
        assert output.says("Ctrl-C again stops at once"), output.lines
        time.sleep(0.5)
        assert busy.poll() is None  # still at its job
        busy.send_signal(signal.SIGINT)
        assert busy.wait(timeout=5) == 130
    finally:
        if busy.poll() is None:
            busy.kill()
            busy.wait()
