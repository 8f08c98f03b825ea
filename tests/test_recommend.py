"""A reader's library, ratings and personal ranking (`litfeed.recommend`), on a copy of the
embedded example corpus: what a library import keeps and refuses, rankings that follow the
library and a - rating at once, reasons that name the reader's own papers, the commands."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from litfeed.cli import app
from litfeed.community.accounts import add_account
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.recommend import profile_of
from litfeed.recommend.library import import_library
from litfeed.store.schema import accounts

runner = CliRunner()


@pytest.fixture
def hub(copied_settings: Settings) -> Iterator[Hub]:
    """A hub on a copy of the session's embedded examples (this one may be written to)."""
    with Hub(copied_settings) as opened:
        yield opened


def _ids(hub: Hub, query: str, count: int) -> list[str]:
    return [hit.paper.id for hit in hub.search(query, mode="keyword", limit=count).hits]


def test_a_library_file_keeps_what_it_names_and_reports_the_rest(hub: Hub, tmp_path: Path) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    wanted = _ids(hub, "mutual information", 3)
    listing = tmp_path / "mine.txt"
    listing.write_text(
        f"# my papers\n{wanted[0]}\n{wanted[1]}  # with a comment\nnot-a-paper\n\n"
        f"{wanted[2]}\n{wanted[0]}\n2501.99999\n",
        encoding="utf-8",
    )
    report = import_library(hub.store, reader.id, listing)
    assert (report.matched, report.new) == (4, 3)
    assert [line.split(": ", 1)[0] for line in report.rejected] == [
        f"{listing}:4",
        f"{listing}:8",
    ]
    again = import_library(hub.store, reader.id, listing)
    assert (again.matched, again.new) == (4, 0)
    saved = hub.store.get_papers_by_pk(hub.store.library.saved(reader.id))
    assert sorted(paper.id for paper in saved) == sorted(wanted)


def test_the_ranking_follows_the_library_and_names_its_papers(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    other = add_account(hub.store, "bob@example.org", None, verified=True)
    mine = [hub.get_paper(i) for i in _ids(hub, "mutual information", 4)]
    theirs = [hub.get_paper(i) for i in _ids(hub, "robot manipulation", 4)]
    hub.store.library.save(reader.id, [p.pk for p in mine if p])
    hub.store.library.save(other.id, [p.pk for p in theirs if p])
    picks = hub.for_you(reader.id, limit=10).picks
    assert len(picks) == 10
    assert not {p.paper.pk for p in picks} & {p.pk for p in mine if p}  # known: left out
    about = sum("information" in (p.paper.title + p.paper.abstract).lower() for p in picks)
    assert about >= 6, [p.paper.title for p in picks]
    titles = {p.title for p in mine if p}
    assert all(p.closest and {c.title for c in p.closest} <= titles for p in picks)
    assert picks[0].reasons[0].startswith("close to your paper “")
    # another reader's library makes another ranking, and theirs alone
    their_picks = hub.for_you(other.id, limit=10).picks
    assert {p.paper.pk for p in their_picks} != {p.paper.pk for p in picks}
    assert all({c.title for c in p.closest} <= {t.title for t in theirs if t} for p in their_picks)
    assert profile_of(hub.store, other.id).liked == hub.store.library.saved(other.id)


def test_a_minus_rating_moves_that_paper_and_its_neighbours_down_at_once(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    mine = [hub.get_paper(i) for i in _ids(hub, "mutual information", 4)]
    hub.store.library.save(reader.id, [p.pk for p in mine if p])
    before = hub.for_you(reader.id, limit=1000).picks
    disliked = before[0].paper
    neighbours = [
        pk for pk, _ in hub.vector_index.search(hub.vector_index.vector_of(disliked.pk), 6)
    ]
    hub.store.library.rate(reader.id, disliked.pk, -1)
    after = hub.for_you(reader.id, limit=1000).picks
    assert disliked.pk not in {p.paper.pk for p in after}
    # the scores change scale once a model is fitted: compare places in the ranking
    place_before = {p.paper.pk: n for n, p in enumerate(before)}
    place_after = {p.paper.pk: n for n, p in enumerate(after)}
    moved = [pk for pk in neighbours[1:] if pk in place_before and pk in place_after]
    assert moved and all(place_after[pk] > place_before[pk] - 1 for pk in moved)
    assert sum(place_after[pk] for pk in moved) > sum(place_before[pk] for pk in moved) + len(moved)
    # a + rating counts as a library paper
    hub.store.library.rate(reader.id, disliked.pk, 1)
    assert disliked.pk in profile_of(hub.store, reader.id).liked


def test_the_commands(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITFEED_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("LITFEED_MODELS_DIR", str(hub.settings.resolved_models_dir))
    add_account(hub.store, "ada@example.org", None, verified=True)
    listing = tmp_path / "mine.txt"
    listing.write_text("\n".join(_ids(hub, "mutual information", 3)) + "\n")
    done = runner.invoke(app, ["library", "import", "--user", "ada@example.org", str(listing)])
    assert done.exit_code == 0 and "3 matched (3 new), 0 kept as outside" in done.output
    listed = runner.invoke(app, ["library", "list", "--user", "ADA@example.org", "--json"])
    assert len(json.loads(listed.output)) == 3
    ranked = runner.invoke(app, ["for-you", "--user", "ada@example.org", "--json", "--limit", "3"])
    hits = json.loads(ranked.output)["hits"]
    assert [sorted(hit) for hit in hits] == [["id", "reasons", "score", "title"]] * 3
    rated = runner.invoke(app, ["rate", "--user", "ada@example.org", hits[0]["id"], "-"])
    assert rated.exit_code == 0
    again = runner.invoke(app, ["for-you", "--user", "ada@example.org", "--json", "--limit", "3"])
    assert hits[0]["id"] not in [hit["id"] for hit in json.loads(again.output)["hits"]]
    wrong = runner.invoke(app, ["rate", "--user", "ada@example.org", hits[1]["id"], "maybe"])
    assert wrong.exit_code == 2 and "a rating is + or -" in wrong.output
    nobody = runner.invoke(app, ["for-you", "--user", "nobody@example.org"])
    assert nobody.exit_code == 1 and "no account for nobody@example.org" in nobody.output


# -- the JSON API: each reader's own, and only once their address is confirmed -----------------


def _bearer(hub: Hub, email: str, verified: bool = True) -> dict[str, str]:
    from litfeed.community.accounts import new_token

    account = add_account(hub.store, email, "correct horse", verified=True)
    token = new_token(hub.store, account)[0]
    if not verified:  # as an account that has not (yet) confirmed its address
        with hub.store.engine.begin() as connection:
            connection.execute(
                sa.update(accounts).where(accounts.c.id == account.id).values(verified_at=None)
            )
    return {"Authorization": f"Bearer {token}"}


def _answered(client: TestClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """The first answer that is not "the model is still loading" (the server loads it on a
    thread of its own), waiting up to a minute."""
    for _ in range(600):
        answer = client.get(path, headers=headers)
        if answer.status_code != 503:
            return answer
        time.sleep(0.1)
    return answer


def _keys(data: object) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in _keys(value)}
    if isinstance(data, list):
        return {key for value in data for key in _keys(value)}
    return set()


def test_the_api_serves_each_reader_their_own(hub: Hub) -> None:
    from litfeed.web import create_app

    ada, bob = _bearer(hub, "ada@example.org"), _bearer(hub, "bob@example.org")
    eve = _bearer(hub, "eve@example.org", verified=False)
    wanted = _ids(hub, "mutual information", 3)
    with TestClient(create_app(hub.settings), base_url="http://localhost") as client:
        for method, path in (
            ("GET", "/api/library"),
            ("POST", "/api/library"),
            ("PUT", f"/api/ratings/{wanted[0]}"),
            ("GET", "/api/for-you"),
        ):
            body = {"ids": wanted} if method == "POST" else {"rating": 1}
            assert client.request(method, path, json=body).status_code == 401, path
            refused = client.request(method, path, json=body, headers=eve)
            assert refused.status_code == 403 and "confirm your e-mail" in refused.text, path
        saved = client.post(
            "/api/library", json={"ids": [*wanted, "2501.99999", "\r\n<script>"]}, headers=ada
        ).json()
        assert (saved["matched"], saved["new"], len(saved["rejected"])) == (3, 3, 2)
        assert saved["rejected"][0].startswith("ids[3]: '2501.99999' names no paper here")
        assert (
            client.put(f"/api/ratings/{wanted[0]}", json={"rating": -1}, headers=ada).status_code
            == 204
        )
        assert (
            client.put(f"/api/ratings/{wanted[1]}", json={"rating": 5}, headers=ada).status_code
            == 400
        )
        mine = client.get("/api/library", headers=ada).json()["papers"]
        assert {p["id"] for p in mine} == set(wanted)
        assert {p["id"]: p["rating"] for p in mine}[wanted[0]] == -1
        # bob sees nothing of ada's: not her library, not her ratings, not her ranking
        assert client.get("/api/library", headers=bob).json() == {"papers": []}
        assert client.delete(f"/api/library/{wanted[1]}", headers=bob).status_code == 404
        assert _answered(client, "/api/for-you", bob).json()["hits"] == []
        ranked = _answered(client, "/api/for-you?limit=5", ada).json()
        assert len(ranked["hits"]) == 5 and ranked["library"] == 2  # the - rated one is out
        assert all(hit["reasons"] for hit in ranked["hits"])
        # and no public answer carries any of it
        for path in (f"/api/papers/{wanted[1]}", "/api/papers", "/api/daily"):
            assert not _keys(client.get(path).json()) & {"rating", "ratings", "library"}, path
        assert client.delete(f"/api/library/{wanted[1]}", headers=ada).status_code == 204
        assert len(client.get("/api/library", headers=ada).json()["papers"]) == 2


def test_the_pages_save_rate_and_rank_for_their_reader_only(hub: Hub) -> None:
    from litfeed.web import create_app
    from tests.conftest import log_in

    add_account(hub.store, "ada@example.org", "correct horse", verified=True)
    add_account(hub.store, "eve@example.org", "correct horse")  # not confirmed
    wanted = _ids(hub, "mutual information", 3)
    app = create_app(hub.settings)
    with (
        TestClient(app, base_url="http://localhost") as ada,
        TestClient(app, base_url="http://localhost") as eve,
        TestClient(app, base_url="http://localhost") as visitor,
    ):
        assert visitor.get("/for-you", follow_redirects=False).headers["location"] == (
            "/login?next=/for-you"
        )
        assert "☆ Save" not in visitor.get("/daily").text
        csrf = log_in(ada, "ada@example.org")
        page = ada.get(f"/papers/{wanted[0]}")
        assert "☆ Save" in page.text and 'href="/for-you"' in page.text
        for paper in wanted:
            saved = ada.post(f"/papers/{paper}/save", data={"csrf": csrf, "next": "/daily"})
            assert saved.status_code == 200 and saved.url.path == "/daily"
        assert "★ Saved" in ada.get(f"/papers/{wanted[0]}").text
        ada.post(f"/papers/{wanted[0]}/save", data={"csrf": csrf})  # a second click: unsaved
        assert (
            len(hub.store.library.saved(hub.store.community.account_by_email("ada@example.org").id))
            == 2
        )  # type: ignore[union-attr]
        forged = ada.post(f"/papers/{wanted[1]}/rate", data={"rating": "-1", "csrf": "forged"})
        assert forged.status_code == 403
        for _ in range(600):  # the server loads the model on a thread of its own
            page = ada.get("/for-you")
            if "still being embedded" not in page.text and page.status_code == 200:
                break
            time.sleep(0.1)
        assert page.text.count('<p class="why">') == 25  # and papers to rate: a new reader
        assert page.text.count("close to your paper") >= 25
        # eve, whose address is not confirmed, has no library yet; no stranger sees ada's
        eve_csrf = log_in(eve, "eve@example.org")
        refused = eve.post(f"/papers/{wanted[2]}/save", data={"csrf": eve_csrf})
        assert refused.status_code == 403 and "Confirm your address first" in refused.text
        assert eve.get("/for-you").status_code == 403
        assert "★ Saved" not in eve.get(f"/papers/{wanted[1]}").text
        assert "★ Saved" not in visitor.get(f"/papers/{wanted[1]}").text


def test_the_private_feed_is_its_readers_and_can_be_replaced_or_stopped(hub: Hub) -> None:
    import feedparser

    from litfeed.web import create_app
    from tests.conftest import log_in

    ada, bob = _bearer(hub, "ada@example.org"), _bearer(hub, "bob@example.org")
    eve = _bearer(hub, "eve@example.org", verified=False)
    wanted = _ids(hub, "mutual information", 3)
    with TestClient(create_app(hub.settings), base_url="http://localhost") as client:
        client.post("/api/library", json={"ids": wanted}, headers=ada)
        client.post("/api/library", json={"ids": _ids(hub, "robot", 3)}, headers=bob)
        assert client.post("/api/for-you/feed", headers=eve).status_code == 403
        first = client.post("/api/for-you/feed", headers=ada).json()["url"]
        assert first.startswith(hub.settings.public_url + "/feeds/for-you/lff_")
        path = first.removeprefix(hub.settings.public_url)
        for _ in range(600):  # the server loads the model on a thread of its own
            answer = client.get(path)
            if answer.status_code == 200:
                break
            time.sleep(0.1)
        assert answer.headers["cache-control"] == "private, no-store"
        feed = feedparser.parse(answer.content)
        assert not feed.bozo and feed.feed.title.startswith("litfeed: for you")
        assert len(feed.entries) == 30
        assert all(entry.summary.startswith("[close to your paper “") for entry in feed.entries)
        bob_feed = client.post("/api/for-you/feed", headers=bob).json()["url"]
        bob_titles = {
            e.title
            for e in feedparser.parse(
                client.get(bob_feed.removeprefix(hub.settings.public_url)).content
            ).entries
        }
        assert bob_titles != {e.title for e in feed.entries}
        # a new address replaces the old; stopping ends it; guesses find nothing
        second = client.post("/api/for-you/feed", headers=ada).json()["url"]
        assert client.get(path).status_code == 404
        assert client.get(second.removeprefix(hub.settings.public_url)).status_code == 200
        assert client.delete("/api/for-you/feed", headers=ada).status_code == 204
        assert client.get(second.removeprefix(hub.settings.public_url)).status_code == 404
        for guess in ("lff_", "lff_x", "x" * 300, "../../api/library"):
            assert client.get(f"/feeds/for-you/{guess}.atom").status_code == 404
    # and the page makes one, shown once
    add_account(hub.store, "cy@example.org", "correct horse", verified=True)
    with TestClient(create_app(hub.settings), base_url="http://localhost") as cy:
        csrf = log_in(cy, "cy@example.org")
        made = cy.post("/for-you/feed", data={"csrf": csrf, "action": "new"})
        assert made.status_code == 200 and "/feeds/for-you/lff_" in made.text
        assert "/feeds/for-you/lff_" not in cy.get("/for-you").text
        assert "stop the feed" in cy.get("/for-you").text


def test_the_digest_of_a_reader_with_a_library_starts_with_what_is_for_them(hub: Hub) -> None:
    from litfeed.delivery.subscriptions import check_choices, parse_section

    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    stranger = add_account(hub.store, "eve@example.org", None, verified=True)
    mine = [hub.get_paper(i) for i in _ids(hub, "mutual information", 4)]
    hub.store.library.save(reader.id, [p.pk for p in mine if p])
    hub.store.library.save(stranger.id, [p.pk for p in mine if p])
    choices = check_choices([parse_section("daily")], [], 6, "daily")
    own = hub.subscriptions.subscribe("ada@example.org", choices, account=reader)
    plain = hub.subscriptions.subscribe("bob@example.org", choices, confirmed=True)
    # eve, logged in, subscribes an address she has not proven: it is not her own
    theirs = hub.subscriptions.subscribe("cy@example.org", choices, account=stranger)
    hub.store.delivery.set_status(theirs.id, "confirmed")
    theirs = hub.store.delivery.subscriber(theirs.id)
    digests = hub.digests()
    day = hub.store.latest_day()
    selection = digests.preview(own, day)
    assert selection is not None and len(selection.items) == 6
    first = selection.items[0]
    assert first.why[0].startswith("For you: close to your paper “")
    titles = {p.title for p in mine if p}
    assert any(title in first.why[0] for title in titles)
    personal = [item for item in selection.items if item.why[0].startswith("For you")]
    assert len(personal) >= 3  # its share of the room, at least
    assert any(item.why == ["The day's papers"] for item in selection.items)
    # the others' digests are today's digest, unchanged
    for subscriber in (plain, theirs):
        assert subscriber is not None
        other = digests.preview(subscriber, day)
        assert other is not None and len(other.items) == 6
        assert not any("For you" in " ".join(item.why) for item in other.items)
    # and the message says it
    text = digests.composer.text(selection)
    assert "Why: For you: close to your paper" in text
