"""The web app in-process: pages and JSON share data; everything from a paper is escaped."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.models import PaperRecord, SourceRef
from litfeed.search.embeddings import EmbeddingError
from litfeed.web import create_app
from tests.conftest import EXAMPLES


@pytest.fixture
def seeded_client(seeded_settings: Settings) -> Iterator[TestClient]:
    """The example corpus served, once the server has loaded the model (on a thread of its
    own: until then it searches by words alone)."""
    with TestClient(create_app(seeded_settings), base_url="http://localhost") as client:
        for _ in range(600):
            search = client.get("/api/search", params={"q": "x", "mode": "semantic"})
            if search.status_code == 200:
                break
            time.sleep(0.1)
        yield client


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client


def test_home_lists_papers_with_pages(seeded_client: TestClient) -> None:
    page = seeded_client.get("/")
    assert page.status_code == 200
    today, latest = page.text.split('<section class="latest">')
    # It leads with the newest day's papers (the examples' arrival day), then lists them all.
    assert today.count('class="paper-card"') == 5 and "all 471 papers of the day" in today
    # ... whose papers the list below does not show again
    leading = set(re.findall(r'href="/papers/([^"/#]+)"', today))
    assert len(leading) == 5 and not leading & set(re.findall(r'href="/papers/([^"/#]+)"', latest))
    assert latest.count('class="paper-card"') == 20
    assert "471 in all" in latest and "page 1 of 19" in latest
    # The example pages carry no dates: a card says when the paper was imported, as such.
    assert latest.count("imported on ") == 20 and " added " not in page.text
    assert '<section class="today"' not in seeded_client.get("/?page=2").text
    # the JSON list is a list: as many papers as asked, no day leading it
    first = seeded_client.get("/api/papers", params={"limit": 3}).json()
    assert len(first["papers"]) == 3 and first["today"] is None
    data = seeded_client.get("/api/papers", params={"page": 2}).json()
    assert data["pagination"] == {"page": 2, "per_page": 25, "total": 471, "pages": 19}
    assert len(data["papers"]) == 25
    first_of_page_2 = data["papers"][0]
    assert first_of_page_2["title"] in seeded_client.get("/?page=2").text.replace("&#39;", "'")


def test_search_page_highlights_and_matches_the_api(seeded_client: TestClient) -> None:
    html = seeded_client.get("/search", params={"q": "mutual information"}).text
    assert "MINE: <mark>Mutual</mark> <mark>Information</mark> Neural Estimation" in html
    data = seeded_client.get("/api/search", params={"q": "mutual information"}).json()
    hits = data["hits"]
    assert "MINE: Mutual Information Neural Estimation" in [hit["paper"]["title"] for hit in hits]
    for hit in hits:
        assert "".join(part["text"] for part in hit["title"]) == hit["paper"]["title"]
    assert len(hits) == 25 and data["pagination"]["pages"] > 1
    # Flat: the results' fields at the top, beside the filters and the pages they fill.
    assert {"query", "mode", "requested_mode", "total", "headline", "hits", "pagination"} <= set(
        data
    )
    assert "results" not in data and data["total"] == data["pagination"]["total"]


def test_pages_past_the_end_say_so(seeded_client: TestClient) -> None:
    home = seeded_client.get("/?page=99").text
    assert "past the last page" in home and 'rel="prev"' not in home
    html = seeded_client.get("/search", params={"q": "mutual information", "page": 99}).text
    assert "past the last page" in html and 'rel="prev"' not in html


def test_a_submitted_filter_form_with_blank_fields_searches(seeded_client: TestClient) -> None:
    """The form sends every field; blank ones are no filter, and page links leave them out."""
    form = {"q": "mutual information", "mode": "keyword", "category": "", "since": "", "until": ""}
    first = seeded_client.get("/search", params=form)
    assert first.status_code == 200 and "papers match" in first.text
    assert 'href="/search?q=mutual+information&amp;mode=keyword&amp;page=2"' in first.text
    second = seeded_client.get("/search", params={**form, "page": 2})
    assert second.status_code == 200 and 'rel="prev"' in second.text
    assert 'href="/search?q=mutual+information&amp;mode=keyword"' in second.text


def test_headlines_say_what_was_found(seeded_client: TestClient) -> None:
    def headline(query: str, mode: str) -> str:
        response = seeded_client.get("/api/search", params={"q": query, "mode": mode})
        return str(response.json()["headline"])

    matching = seeded_client.get(
        "/api/search", params={"q": "mutual information", "mode": "keyword"}
    ).json()["total"]
    assert headline("mutual information", "keyword") == (
        f'{matching} papers match "mutual information"'
    )
    hybrid = seeded_client.get("/api/search", params={"q": "mutual information"}).json()
    related = hybrid["related"]
    assert hybrid["total"] == matching + related
    then = f", then {related} related by meaning" if related else ""
    assert hybrid["headline"] == f'{matching} papers match "mutual information"{then}'
    assert headline("mutual qwertyuiop", "keyword").startswith(
        'No paper has all the words of "mutual qwertyuiop"; '
    )
    assert headline("qwertyuiopasdf", "hybrid") == (
        'No paper contains the words of "qwertyuiopasdf"; the nearest in meaning follow'
    )
    assert headline("qwertyuiopasdf", "keyword") == 'No papers match "qwertyuiopasdf"'
    assert headline("mutual information", "semantic") == (
        'The 100 papers nearest in meaning to "mutual information"'
    )


def test_a_category_no_paper_has_is_explained(seeded_client: TestClient) -> None:
    results = seeded_client.get("/api/search", params={"q": "gaussian", "category": "cs.cv"}).json()
    assert results["hits"] == []
    assert results["notice"] == "no paper here is in the category 'cs.cv'"
    assert "no paper here is in the category" in seeded_client.get(
        "/search", params={"q": "gaussian", "category": "cs.cv"}
    ).text.replace("&#39;", "'")


def test_blank_search_shows_the_form(seeded_client: TestClient) -> None:
    page = seeded_client.get("/search")
    assert page.status_code == 200 and "Type words to search" in page.text


def test_paper_page_and_json(seeded_client: TestClient) -> None:
    paper = seeded_client.get("/api/papers").json()["papers"][0]
    page = seeded_client.get(f"/papers/{paper['id']}")
    assert page.status_code == 200
    assert "First seen" in page.text and "hf-papers-page" in page.text
    assert seeded_client.get(f"/api/papers/{paper['id']}").json()["paper"]["id"] == paper["id"]


def test_a_paper_page_found_by_another_of_its_ids_redirects(client: TestClient) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    import_id = hub.store.start_import("test", "t", "0" * 64)
    record = PaperRecord(title="Zebrafish", arxiv_id="2501.00001", source=SourceRef("t", "t:1"))
    hub.store.save_records([record], import_id)
    moved = client.get("/papers/arXiv:2501.00001v3", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/papers/2501.00001"
    assert client.get("/papers/2501.00001", follow_redirects=False).status_code == 200


def test_errors_are_4xx_with_a_json_error(seeded_client: TestClient) -> None:
    missing = seeded_client.get("/api/papers/2501.99999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no paper with id '2501.99999'"}
    assert seeded_client.get("/papers/2501.99999").status_code == 404
    long_query = seeded_client.get("/api/search", params={"q": "word " * 400})
    assert long_query.status_code == 400 and "at most 1000 characters" in long_query.json()["error"]
    wordless = seeded_client.get("/api/search", params={"q": "$$ ((!!))"})
    assert wordless.status_code == 400
    assert wordless.json() == {"error": "the query has no words to search for: '$$ ((!!))'"}
    huge = seeded_client.get("/api/search", params={"q": "x" * 6000})
    assert huge.status_code == 400 and "error" in huge.json()
    bad_page = seeded_client.get("/api/papers", params={"page": "two"})
    assert bad_page.status_code == 400 and "page" in bad_page.json()["error"]
    assert seeded_client.get("/search", params={"q": "x", "since": "soon"}).status_code == 400
    backwards = seeded_client.get(
        "/api/search", params={"q": "x", "since": "2026-01-02", "until": "2026-01-01"}
    )
    assert backwards.status_code == 400
    assert backwards.json() == {
        "error": "no date is in that range: since (2026-01-02) is after until (2026-01-01)"
    }
    for blank in ({"q": ""}, {"q": "   "}):
        empty = seeded_client.get("/api/search", params=blank)
        assert empty.status_code == 400
        assert empty.json()["error"].startswith("the query is empty")
    missing_query = seeded_client.get("/api/search")
    assert missing_query.status_code == 400 and "q: Field required" in missing_query.json()["error"]
    nowhere = seeded_client.get("/api/nowhere")
    assert nowhere.status_code == 404 and nowhere.json() == {"error": "no page at /api/nowhere"}


def test_openapi_describes_the_json_routes(seeded_client: TestClient) -> None:
    schema = seeded_client.get("/openapi.json").json()
    assert {"/api/papers", "/api/search", "/api/papers/{paper_id}"} <= schema["paths"].keys()
    search = schema["paths"]["/api/search"]["get"]["responses"]
    assert search.keys() == {"200", "400", "503"}  # no 422: bad parameters are a 400
    error = {"$ref": "#/components/schemas/Error"}
    assert search["400"]["content"]["application/json"]["schema"] == error
    assert schema["paths"]["/api/papers/{paper_id}"]["get"]["responses"].keys() == {"200", "404"}
    # every JSON route of the community and delivery is described, and the feeds
    paths = schema["paths"]
    for path, method in (
        ("/api/auth/signup", "post"),
        ("/api/me", "get"),
        ("/api/me", "patch"),
        ("/api/tokens", "post"),
        ("/api/tokens/{token_id}", "delete"),
        ("/api/papers/{paper_id}/vote", "post"),
        ("/api/submissions", "post"),
        ("/api/daily", "get"),
        ("/api/trending", "get"),
        ("/api/subscriptions", "post"),
        ("/feeds/daily.atom", "get"),
        ("/feeds/search.atom", "get"),
        ("/hf/api/daily_papers", "get"),
    ):
        assert method in paths.get(path, {}), (path, method)


def test_everything_from_a_paper_is_escaped(client: TestClient, settings: Settings) -> None:
    hostile = PaperRecord(
        title="<script>alert(1)</script> & Bounds for $x<y$",
        abstract="We show <img src=x onerror=alert(2)> that $a \\& b$ holds; zebra.",
        authors=["Ada <b>Lovelace</b>"],
        arxiv_id="2501.00001",
        categories=["cs.LG"],
        source=SourceRef("test", "t:1"),
    )
    with Hub(settings) as hub:
        hub.store.save_records([hostile], hub.store.start_import("test", "t", "0" * 64))
        hub.update_index(embed=False)
    pages = [
        client.get("/").text,
        client.get("/papers/2501.00001").text,
        client.get("/search", params={"q": "zebra bounds"}).text,
    ]
    for html in pages:
        assert (
            "<script>alert" not in html and "<img src=x" not in html and "<b>Lovelace" not in html
        )
        assert "&lt;script&gt;" in html or "&lt;img" in html
    assert "https://arxiv.org/pdf/2501.00001" in pages[1]


def test_empty_database_home_page_says_how_to_import(client: TestClient) -> None:
    assert "No papers yet" in client.get("/").text


def test_search_modes_and_similar_papers(seeded_client: TestClient) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        data = seeded_client.get("/api/search", params={"q": "mutual information", "mode": mode})
        assert data.status_code == 200 and data.json()["mode"] == mode
    html = seeded_client.get("/search", params={"q": "mutual information", "mode": "semantic"})
    assert '<option value="semantic" selected>' in html.text
    bad = seeded_client.get("/api/search", params={"q": "x", "mode": "fuzzy"})
    assert bad.status_code == 400 and "mode" in bad.json()["error"]
    paper = seeded_client.get("/api/search", params={"q": "MINE mutual information neural"})
    paper_id = paper.json()["hits"][0]["paper"]["id"]
    similar = seeded_client.get(f"/api/papers/{paper_id}/similar", params={"limit": 3}).json()
    assert similar["paper_id"] == paper_id and len(similar["similar"]) == 3
    assert all(item["reason"] for item in similar["similar"])
    page = seeded_client.get(f"/papers/{paper_id}").text
    assert "Similar papers" in page and page.count('class="reason"') == 10
    assert seeded_client.get("/api/papers/2501.99999/similar").status_code == 404


def _semantic_search_once_past(client: TestClient, state: str) -> httpx.Response:
    """The first answer of a search by meaning whose error no longer says ``state`` (the
    server's model loading goes on on a thread of its own), waiting up to a minute."""
    for _ in range(600):
        response = client.get("/api/search", params={"q": "x", "mode": "semantic"})
        if state not in response.json()["error"]:
            break
        time.sleep(0.1)
    return response


def test_a_model_that_cannot_load_is_a_json_error(settings: Settings, tmp_path: Path) -> None:
    # Models of its own: no other test's attempt at this model is on record.
    update = {"embedding_model": "no-such/model", "models_dir": tmp_path / "models"}
    broken = settings.model_copy(update=update)
    with TestClient(create_app(broken), base_url="http://localhost") as client:
        # Before the worker tried the model: the server waits for it and says so.
        response = _semantic_search_once_past(client, "still loading")
        assert response.status_code == 503
        assert "prepared by the background worker" in response.json()["error"]
        with Hub(broken) as worker, pytest.raises(EmbeddingError):
            _ = worker.vector_index  # what the worker's first round does; it fails
        response = _semantic_search_once_past(client, "prepared by the background worker")
        assert response.status_code == 503
        assert response.json()["error"].startswith("cannot load embedding model 'no-such/model'")
        assert client.get("/api/search", params={"q": "x", "mode": "keyword"}).status_code == 200
        # The default, hybrid, falls back to words and says so.
        client.app.state.hub.import_paths([EXAMPLES])  # type: ignore[attr-defined]
        hybrid = client.get("/api/search", params={"q": "mutual information"})
        assert hybrid.status_code == 200
        results = hybrid.json()
        assert results["mode"] == "keyword" and results["hits"]
        assert results["notice"].startswith("search by meaning is unavailable")
        html = client.get("/search", params={"q": "mutual information"}).text
        assert 'class="notice"' in html and "no-such/model" in html


def test_search_says_when_not_every_paper_is_embedded(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        hub = client.app.state.hub  # type: ignore[attr-defined]
        hub.import_paths([EXAMPLES])  # imports do not embed in these tests
        results = client.get("/api/search", params={"q": "mutual information"}).json()
        # Nothing embedded: ranked by words alone, every match (not only the best 100) paged.
        assert results["mode"] == "keyword" and results["hits"]
        assert (
            results["total"]
            == results["matching"]
            == hub.search("mutual information", mode="keyword").total
        )
        assert results["notice"] == (
            'search by meaning covers 0 of 471 papers so far: "litfeed index" embeds the rest'
        )
        hub.update_index()
        results = client.get("/api/search", params={"q": "mutual information"}).json()
        assert results["mode"] == "hybrid" and results["notice"] is None


def test_every_list_of_the_api_takes_limit_and_page(seeded_client: TestClient) -> None:
    papers = seeded_client.get("/api/papers", params={"limit": 5, "page": 3}).json()
    assert len(papers["papers"]) == 5
    assert papers["pagination"] == {"page": 3, "per_page": 5, "total": 471, "pages": 95}
    found = seeded_client.get("/api/search", params={"q": "learning", "limit": 3}).json()
    assert len(found["hits"]) == 3 and found["pagination"]["per_page"] == 3
    paper_id = papers["papers"][0]["id"]
    similar = seeded_client.get(f"/api/papers/{paper_id}/similar", params={"limit": 4}).json()
    assert len(similar["similar"]) == 4
    eight = seeded_client.get(f"/api/papers/{paper_id}/similar", params={"limit": 8}).json()
    second = seeded_client.get(
        f"/api/papers/{paper_id}/similar", params={"limit": 4, "page": 2}
    ).json()
    assert second["page"] == 2
    assert [item["paper"]["id"] for item in similar["similar"] + second["similar"]] == [
        item["paper"]["id"] for item in eight["similar"]
    ]
    deep = seeded_client.get(
        f"/api/papers/{paper_id}/similar", params={"limit": 100, "page": 11}
    ).json()
    assert deep["similar"] == [] and deep["notice"] is None  # past the 1,000 nearest
    for path in ("/api/papers", "/api/search?q=x", f"/api/papers/{paper_id}/similar"):
        refused = seeded_client.get(path, params={"limit": 101})
        assert refused.status_code == 400 and "limit" in refused.json()["error"]


def test_an_author_or_a_category_opens_their_papers(client: TestClient) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    records = [
        PaperRecord(
            title=f"Paper {number}",
            arxiv_id=f"2501.0000{number}",
            authors=authors,
            categories=categories,
            source=SourceRef("t", f"t:{number}"),
        )
        for number, authors, categories in (
            (1, ["Ada Lovelace", "Li"], ["cs.LG"]),
            (2, ["Li Wei"], ["cs.CL"]),
            (3, ["Li"], ["cs.LG", "stat.ML"]),
        )
    ]
    hub.store.save_records(records, hub.store.start_import("test", "t", "0" * 64))
    home = client.get("/")
    assert 'href="/authors/Ada%20Lovelace"' in home.text  # the author's page
    assert 'href="/?category=stat.ML" title="Machine Learning"' in home.text  # arXiv's name
    assert 'href="/papers/2501.00001#similar"' in home.text
    theirs = client.get("/api/papers", params={"author": "Li"}).json()
    assert theirs["author"] == "Li" and theirs["pagination"]["total"] == 2
    assert [paper["id"] for paper in theirs["papers"]] == ["2501.00003", "2501.00001"]
    page = client.get("/", params={"author": "Li"})
    assert "Papers by Li" in page.text and page.text.count('class="paper-card"') == 2
    assert client.get("/", params={"category": "cs.LG"}).text.count('class="paper-card"') == 2
    assert (
        "Latest in cs.LG · Machine Learning" in client.get("/", params={"category": "cs.LG"}).text
    )
    nobody = client.get("/", params={"author": "Nobody Atall"})
    assert "No paper here lists Nobody Atall" in nobody.text
    second = client.get("/", params={"author": "Li", "page": 2})
    assert 'href="/?author=Li"' in second.text  # the pager keeps the filter


def test_maths_is_drawn_on_pages_and_kept_as_source_in_json(client: TestClient) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    record = PaperRecord(
        title=r"Rates of $\frac{\eta_E}{\eta_W}$ flows",
        abstract=r"We prove an \(O(n^2)\) bound.",
        arxiv_id="2501.00009",
        source=SourceRef("t", "t:1"),
    )
    hub.store.save_records([record], hub.store.start_import("test", "t", "0" * 64))
    page = client.get("/papers/2501.00009").text
    assert "<h1>Rates of <math " in page and "<mfrac>" in page and "<msup>" in page
    assert r"\frac" not in page.split("<title>")[1].split("<h1>")[1]
    assert "<math " in client.get("/").text  # cards too
    paper = client.get("/api/papers/2501.00009").json()["paper"]
    assert paper["title"] == r"Rates of $\frac{\eta_E}{\eta_W}$ flows"
