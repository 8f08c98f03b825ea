"""The web app facing a network: hosts checked, security headers on every response, and every
value of every parameter answered with a 2xx or 4xx, never a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.models import Link, PaperRecord, SourceRef
from litfeed.web import create_app

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.fixture
def any_database_settings(settings: Settings, database_url: str) -> Settings:
    """The test settings on each kind of database, with a few papers, one of them hostile."""
    chosen = settings.model_copy(update={"database_url": database_url})
    with Hub(chosen) as hub:
        hub.import_paths([Path(__file__).parent.parent / "src/litfeed/examples/hf-papers-pages"])
        record = PaperRecord(
            title="A " + "very " * 199 + "long title",
            abstract="An abstract.",
            arxiv_id="2501.00001",
            links=[Link(kind="code", url="https://github.com/example/code")],
            source=SourceRef("test", "test:1"),
        )
        hub.store.save_records([record], hub.store.start_import("test", "t", "0" * 64))
        hub.update_index(embed=False)
    return chosen


@pytest.fixture
def client(any_database_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(any_database_settings), base_url="http://localhost") as client:
        yield client


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/papers", "/search?q=model", "/papers/nope", "/static/style.css"):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (path, name)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    docs = client.get("/docs")
    script_policy = re.search(r"script-src ([^;]*)", docs.headers["content-security-policy"])
    assert script_policy and "unsafe-inline" not in script_policy.group(1)
    assert "'sha256-" in script_policy.group(1)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_only_litfeeds_own_files(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert "http" not in page.headers["content-security-policy"]
    addresses = re.findall(r'(?:src|href|url)\s*[=:]\s*["\']([^"\']+)', page.text)
    assert addresses and all(address.startswith("/") for address in addresses), addresses
    for address in addresses:
        assert client.get(address).status_code == 200, address


def test_only_allowed_hosts_are_served(any_database_settings: Settings) -> None:
    app = create_app(any_database_settings)
    with TestClient(app, base_url="http://evil.example") as evil:
        page = evil.get("/")
        assert page.status_code == 400 and "not served here" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        api = evil.get("/api/papers")
        assert api.status_code == 400 and "LITFEED_ALLOWED_HOSTS" in api.json()["error"]
        static = evil.get("/static", follow_redirects=False)
        assert static.status_code == 400 and "evil.example/" not in static.headers.get(
            "location", ""
        )
    for base in ("http://127.0.0.1:8000", "http://[::1]:8000", "http://LOCALHOST"):
        with TestClient(app, base_url=base) as local:
            assert local.get("/api/papers").status_code == 200, base
    allowed = any_database_settings.model_copy(update={"allowed_hosts": ["papers.example.org"]})
    with TestClient(create_app(allowed), base_url="https://papers.example.org") as named:
        assert named.get("/api/papers").status_code == 200
    anyone = any_database_settings.model_copy(update={"allowed_hosts": ["*"]})
    with TestClient(create_app(anyone), base_url="http://evil.example") as everyone:
        assert everyone.get("/api/papers").status_code == 200


def test_a_wrong_method_says_which_are_allowed(client: TestClient) -> None:
    response = client.post("/api/papers")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"error": "Method Not Allowed"}


def test_the_schema_says_the_query_limit_the_server_keeps(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    (q,) = [p for p in schema["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "q"]
    assert q["schema"]["maxLength"] == 1000
    assert client.get("/api/search", params={"q": "a" * 1000}).status_code == 200
    assert client.get("/api/search", params={"q": "a" * 1001}).status_code == 400


def test_hostile_values_seen_by_auditors_are_answered(client: TestClient) -> None:
    for query in ("title:*", "abstract:* model", "authors:*", "model*"):
        assert client.get("/api/search", params={"q": query, "mode": "keyword"}).status_code == 200
    assert client.get("/api/search", params={"q": "*"}).status_code == 400  # no words
    far = {"q": "model", "mode": "keyword", "since": "0001-01-01", "until": "9999-12-31"}
    response = client.get("/api/search", params=far)
    assert response.status_code == 200 and response.json()["total"] == 0  # undated
    assert client.get("/api/papers/a%00b").status_code == 404
    assert client.get("/papers/%00").status_code == 404
    assert client.get("/api/search", params={"q": "a\x00b"}).status_code == 400


def test_a_long_title_is_shortened_on_lists_and_whole_on_its_page(client: TestClient) -> None:
    home = client.get("/?page=1").text
    shown = re.search(r'<a href="/papers/2501.00001">([^<]*)</a>', home)
    assert shown is not None
    assert len(shown.group(1)) == 300 and shown.group(1).endswith("ve…")
    found = client.get("/search", params={"q": '"very long title"', "mode": "keyword"}).text
    marked = re.search(r'<a href="/papers/2501.00001">(.*?)</a>', found, re.DOTALL)
    assert marked is not None
    assert len(re.sub(r"</?mark>", "", marked.group(1))) == 300
    page = client.get("/papers/2501.00001").text
    assert "very " * 199 + "long title" in page


PARAMETER_VALUES = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(
        [
            "title:*",
            "\x00",
            "9" * 5000,
            "-1",
            "0",
            "99999999999999999999",
            "0001-01-01",
            "9999-12-31",
            "2024-02-30",
            '"',
            "(",
            "\\",
            "a" * 1001,
            "cs.LG",
            "semantic",
            "hybrid",
            "%00",
            "../../etc/passwd",
        ]
    ),
)
ROUTES = [
    ("/", ["page"]),
    ("/api/papers", ["page"]),
    ("/search", ["q", "mode", "page", "category", "since", "until"]),
    ("/api/search", ["q", "mode", "page", "category", "since", "until"]),
    ("/papers/{}", []),
    ("/api/papers/{}", []),
    ("/api/papers/{}/similar", ["limit"]),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    path_value=PARAMETER_VALUES,
    values=st.dictionaries(
        st.sampled_from(["q", "mode", "page", "category", "since", "until", "limit"]),
        PARAMETER_VALUES,
    ),
)
def test_no_parameter_value_gives_a_server_error(
    client: TestClient, route: tuple[str, list[str]], path_value: str, values: dict[str, str]
) -> None:
    template, names = route
    path = template.format(quote(path_value, safe="")) if "{}" in template else template
    params = {name: value for name, value in values.items() if name in names}
    response = client.get(path, params=params)
    assert response.status_code < 500, (path, params, response.text[:200])
    assert response.headers["x-content-type-options"] == "nosniff"
