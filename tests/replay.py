"""A local HTTP server that answers like arXiv (OAI-PMH and the Atom API) and Hugging Face
(daily_papers) by replaying the recorded real responses in ../shared/data/fixtures, with faults
on demand: a 503 with Retry-After, a body cut short (the connection closed before Content-Length
bytes), a body that is complete for HTTP but not well-formed, a request that hangs until
released. Started by the tests; no mock of the HTTP client."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

OAI_PAGES = {
    None: "ListRecords_data_0.xml",
    "6511260|1001": "ListRecords_data_1.xml",
    "6511260|2001": "ListRecords_data_2.xml",
}


@dataclass
class Fault:
    """What to do instead of answering a request: ``status`` (with ``retry_after``), ``cut``
    (send this share of the body, then close), ``garble`` (a well-delivered body cut short as
    XML/JSON), ``hang`` (wait for the event)."""

    status: int | None = None
    retry_after: str | None = None
    cut: float | None = None
    garble: bool = False
    hang: threading.Event | None = None


@dataclass
class Replay:
    fixtures: Path
    faults: dict[str, list[Fault]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)  # the User-Agent of each request
    arrived: dict[str, threading.Event] = field(
        default_factory=lambda: defaultdict(threading.Event)
    )
    url: str = ""
    # Pages served instead of the recorded ones (benchmarks): page N answers the token "day|N".
    oai_bodies: list[bytes] | None = None

    def add_fault(self, key: str, fault: Fault) -> None:
        """``key`` names a response: oai:0, oai:1, oai:2, atom:ID_LIST, hf:DATE."""
        self.faults[key].append(fault)

    def count(self, key: str) -> int:
        return sum(1 for _path, _query, answered in self.requests if answered == key)

    def answer(self, path: str, query: dict[str, str]) -> tuple[str, int, bytes, str]:
        """(key, status, body, content type) of a request."""
        if path == "/oai" and self.oai_bodies is not None:
            token = query.get("resumptionToken") or "day|0"
            number = int(token.split("|")[1])
            return f"oai:{number}", 200, self.oai_bodies[number], "text/xml"
        if path == "/oai":
            token = query.get("resumptionToken")
            if token is not None and token not in OAI_PAGES:
                return "oai:bad", 200, _bad_token(token), "text/xml"
            name = OAI_PAGES[token]
            key = f"oai:{list(OAI_PAGES).index(token)}"
            return key, 200, (self.fixtures / "arxiv-oai-pmh" / name).read_bytes(), "text/xml"
        if path == "/api/query":
            id_list = query.get("id_list", "")
            recorded = self._atom(id_list)
            if recorded is None:
                # A list never recorded as such: the recorded entries of each id, in one feed.
                entries = [
                    entry
                    for one in id_list.split(",")
                    if (single := self._atom(one)) is not None and single[0] == 200
                    for entry in re.findall(r"<entry>.*?</entry>", single[1], re.DOTALL)
                ]
                recorded = 200, _feed("".join(entries))
            status, body = recorded
            return f"atom:{id_list}", status, body.encode(), "application/atom+xml"
        if path == "/api/daily_papers":
            day = query.get("date", "")
            recorded = self.fixtures / "hf-daily-papers" / f"daily_papers_{day}.json"
            if recorded.exists() and query.get("p", "0") == "0":
                return f"hf:{day}", 200, recorded.read_bytes(), "application/json"
            return f"hf:{day}", 200, b"[]", "application/json"
        return "missing", 404, b"not found", "text/plain"

    def _atom(self, id_list: str) -> tuple[int, str] | None:
        for recorded in sorted((self.fixtures / "arxiv-api-atom" / "json_cached").glob("id_*")):
            data = json.loads(recorded.read_text())
            if parse_qs(urlsplit(data["url"]).query).get("id_list", [""])[0] == id_list:
                return int(data["status_code"]), str(data["body"])
        return None


def _bad_token(token: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/'
        'OAI/2.0/"><responseDate>2026-12-01T00:00:00Z</responseDate><request verb="ListRecords">'
        f'http://export.arxiv.org/oai2</request><error code="badResumptionToken">{token}'
        "</error></OAI-PMH>\n"
    ).encode()


def _feed(entries: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/"
        'opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom"><title>arXiv Query</title>'
        f"{entries}</feed>\n"
    )


def _handler(replay: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            key, status, body, kind = replay.answer(parts.path, query)
            replay.requests.append((parts.path, query, key))
            replay.agents.append(self.headers.get("User-Agent", ""))
            replay.arrived[key].set()
            fault = replay.faults[key].pop(0) if replay.faults.get(key) else None
            if fault is not None and fault.hang is not None:
                fault.hang.wait(60)
                self.close_connection = True
                return
            if fault is not None and fault.status is not None:
                self.send_response(fault.status)
                if fault.retry_after is not None:
                    self.send_header("Retry-After", fault.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if fault is not None and fault.garble:
                body = body[: len(body) // 2]
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault is not None and fault.cut is not None:
                self.wfile.write(body[: int(len(body) * fault.cut)])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@contextmanager
def serving(fixtures: Path) -> Iterator[Replay]:
    replay = Replay(fixtures)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    server.daemon_threads = True
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
