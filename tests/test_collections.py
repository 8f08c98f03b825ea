"""Collections (`litfeed.discussion.collections`): made, filled with notes, public or unlisted,
changed only by their maker, followed into digests; their pages, Atom feeds (feedparser), BibTeX
(read back by the importer), the API and the readers' profiles; hostile descriptions and notes
harmless where they are read."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from litfeed.community.accounts import new_token
from litfeed.delivery.subscriptions import check_choices, parse_section
from litfeed.discussion import DiscussionError, NoSuch, NotAllowed, collections
from litfeed.hub import Hub
from litfeed.recommend.citations import parse_citations
from litfeed.store.schema import collection_papers
from tests.conftest import csrf_of, log_in, proven_reader
from tests.xss import CORPUS, problems


def _papers(hub: Hub, count: int) -> list:
    found, _total = hub.store.list_papers(0, count)
    return found


def test_made_filled_and_changed_only_by_its_maker(site_hub: Hub) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    group = collections.create(store, ada, "  Reading   group ", "Papers for **Thursday**")
    assert group.name == "Reading group" and "<strong>Thursday</strong>" in group.description_html
    assert len(group.key) == 12 and group.public
    first, second = _papers(site_hub, 2)
    assert collections.add_paper(store, ada, group.key, first, "Read §2 first")
    assert collections.add_paper(store, ada, group.key, second)
    assert not collections.add_paper(store, ada, group.key, first, "Read §3 first")  # the note
    held = collections.papers_of(store, collections.get(store, group.key))
    assert [paper.id for paper, _ in held] == [second.id, first.id]
    assert held[1][1].note == "Read §3 first"
    for act in (
        lambda: collections.add_paper(store, bo, group.key, first),
        lambda: collections.change(store, bo, group.key, name="mine now"),
        lambda: collections.delete(store, bo, group.key),
    ):
        with pytest.raises(NotAllowed):
            act()
    with pytest.raises(DiscussionError, match="needs a name"):
        collections.create(store, ada, "   ")
    with pytest.raises(NoSuch):
        collections.get(store, "not-a-key")
    secret = collections.create(store, ada, "Drafts", public=False)
    assert [c.name for c in store.collections.of_account(ada.id, public_only=True)] == [
        "Reading group"
    ]
    assert collections.get(store, secret.key).name == "Drafts"  # the address is enough
    # a hidden paper leaves every collection's list
    with store.engine.begin() as connection:
        connection.execute(sa.update(collection_papers).values(added_at=datetime.now(UTC)))
    collections.remove_paper(store, ada, group.key, second)
    assert collections.get(store, group.key).papers == 1


def test_pages_feed_bibtex_and_profile(site_hub: Hub, site_client: TestClient) -> None:
    store = site_hub.store
    ada = proven_reader(site_hub, "ada@example.org", "ada")
    group = collections.create(store, ada, "Reading group", "For *Thursday*")
    papers = _papers(site_hub, 3)
    for paper in papers:
        collections.add_paper(store, ada, group.key, paper, f"note on {paper.id}")
    unlisted = collections.create(store, ada, "Drafts", public=False)
    page = site_client.get(f"/collections/{group.key}").text
    assert "Reading group" in page and "<em>Thursday</em>" in page
    assert page.count('class="paper-card"') == 3 and "note on" in page
    feed = feedparser.parse(site_client.get(f"/collections/{group.key}.atom").content)
    assert not feed.bozo and len(feed.entries) == 3
    assert feed.feed.title == "litfeed collection: Reading group"
    bib = site_client.get(f"/collections/{group.key}.bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    read_back = parse_citations(bib.text, "group.bib")
    assert read_back.rejected == [] and len(read_back.entries) == 3
    profile = site_client.get("/users/ada").text
    assert "Reading group" in profile and "Drafts" not in profile
    assert "noindex" in site_client.get(f"/collections/{unlisted.key}").text
    assert site_client.get("/users/nobody").status_code == 404
    assert site_client.get("/collections/nothing-here").status_code == 404
    # forms: make one, add a paper from a card, follow another's
    log_in(site_client, "ada@example.org")
    token = csrf_of(site_client, "/collections")
    made = site_client.post(
        "/collections",
        data={"name": "From the form", "description": "", "public": "1", "csrf": token},
        follow_redirects=False,
    )
    assert made.status_code == 303
    key = made.headers["location"].rsplit("/", 1)[1]
    home = site_client.get("/").text
    assert 'action="/collections/add"' in home and "From the form" in home
    added = site_client.post(
        "/collections/add",
        data={"collection": key, "paper": papers[0].id, "csrf": token},
        follow_redirects=False,
    )
    assert added.status_code == 303 and collections.get(store, key).papers == 1
    refused = site_client.post(
        "/collections/add", data={"collection": key, "paper": papers[1].id, "csrf": "forged"}
    )
    assert refused.status_code == 403


def test_the_api(site_hub: Hub, site_client: TestClient) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    mine = {"Authorization": f"Bearer {new_token(store, ada)[0]}"}
    theirs = {"Authorization": f"Bearer {new_token(store, bo)[0]}"}
    made = site_client.post("/api/collections", json={"name": "Group"}, headers=mine)
    assert made.status_code == 201
    key = made.json()["key"]
    paper = _papers(site_hub, 1)[0]
    added = site_client.post(
        f"/api/collections/{key}/papers", json={"id": paper.id, "note": "*why*"}, headers=mine
    )
    assert added.json()["items"][0]["note_html"] == "<p><em>why</em></p>\n"
    assert (
        site_client.post(
            f"/api/collections/{key}/papers", json={"id": paper.id}, headers=theirs
        ).status_code
        == 403
    )
    assert site_client.get(f"/api/collections/{key}").json()["papers"] == 1
    assert [c["key"] for c in site_client.get("/api/collections", headers=mine).json()] == [key]
    assert site_client.get("/api/collections", headers=theirs).json() == []
    changed = site_client.patch(f"/api/collections/{key}", json={"public": False}, headers=mine)
    assert changed.json()["public"] is False
    followed = site_client.put(f"/api/collections/{key}/follow", headers=theirs)
    assert followed.json()["followers"] == 1
    removed = site_client.delete(f"/api/collections/{key}/papers/{paper.id}", headers=mine)
    assert removed.json()["papers"] == 0
    assert site_client.delete(f"/api/collections/{key}", headers=theirs).status_code == 403
    assert site_client.delete(f"/api/collections/{key}", headers=mine).status_code == 204
    assert site_client.get(f"/api/collections/{key}").status_code == 404


def test_a_followed_collections_new_papers_come_in_the_digest(site_hub: Hub) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    group = collections.create(store, ada, "Reading group")
    collections.follow(store, bo, group.key)
    with pytest.raises(DiscussionError):
        collections.follow(store, ada, group.key)  # one's own
    chosen = _papers(site_hub, 1)[0]
    collections.add_paper(store, ada, group.key, chosen)
    choices = check_choices([parse_section("trending")], max_papers=5)
    site_hub.subscriptions.subscribe("bo@example.org", choices, account=bo)  # bo's own
    subscriber = store.delivery.subscriber_by_email("bo@example.org")
    assert subscriber is not None
    digests = site_hub.digests()
    period = digests.period("daily", None)
    assert period is not None
    selection = digests.selector.select(subscriber, period)
    [item] = [item for item in selection.items if item.paper.pk == chosen.pk]
    assert item.why[0] == "From collections you follow: in “Reading group”"
    collections.follow(store, bo, group.key, on=False)
    again = site_hub.digests().selector.select(subscriber, period)
    assert chosen.pk not in {item.paper.pk for item in again.items} or all(
        "collections" not in why for item in again.items for why in item.why
    )


def test_hostile_descriptions_and_notes_are_harmless(
    site_hub: Hub, site_client: TestClient
) -> None:
    store = site_hub.store
    ada = proven_reader(site_hub, "ada@example.org", "ada")
    group = collections.create(store, ada, "Group")
    papers = _papers(site_hub, 40)
    for paper, payload in zip(papers, CORPUS[::7], strict=False):
        collections.add_paper(store, ada, group.key, paper, payload)
    for payload in CORPUS:
        collections.change(store, ada, group.key, description=payload)
        page = site_client.get(f"/collections/{group.key}").text
        start = page.index("<main>")
        assert problems(page[start : page.index("</main>")], page=True) == [], payload
    assert (
        problems(site_client.get(f"/api/collections/{group.key}").json()["description_html"]) == []
    )
    # and the same payloads as a reader's private notes and tags on their library page
    for paper, payload in zip(papers, CORPUS[3::7], strict=False):
        store.library.save(ada.id, [paper.pk])
        store.library.annotate(ada.id, paper_pk=paper.pk, note=payload, tags=[payload[:60]])
    log_in(site_client, "ada@example.org")
    page = site_client.get("/library").text
    start = page.index("<main>")
    assert problems(page[start : page.index("</main>")], page=True) == []
