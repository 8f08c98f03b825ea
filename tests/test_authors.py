"""Author pages (`litfeed.discussion.authors`): spellings grouped (initials, accents, hyphens)
without merging two people who share a short form, counts by year and category, co-authors;
the authorships table kept with papers and filled by its migration; claims shown as not
verified until an administrator verifies them, and the "author" badge on comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from litfeed import discussion
from litfeed.discussion.authors import author_page, badges, claim, group, verify
from litfeed.hub import Hub
from litfeed.store import Store
from litfeed.store.database import _alembic_config, create_engine
from litfeed.store.schema import authorships
from tests.conftest import csrf_of, log_in, proven_reader

SPELLINGS = [
    "John Smith",
    "Jane Smith",
    "J. Smith",
    "Jean-Pierre Müller",
    "J.-P. Muller",
    "Jean-Pierre Muller",
    "J. Muller",
    "Anna Muller",
]


def test_spellings_are_grouped_without_merging_two_people() -> None:
    assert group("Jean-Pierre Müller", SPELLINGS).grouped == [
        "J. Muller",
        "J.-P. Muller",
        "Jean-Pierre Muller",
        "Jean-Pierre Müller",
    ]
    assert (
        group("J.-P. Muller", SPELLINGS).grouped == group("Jean-Pierre Müller", SPELLINGS).grouped
    )
    assert group("Anna Muller", SPELLINGS).grouped == ["Anna Muller"]
    # "J. Smith" may be John or Jane: merged with neither, and the page says so
    short = group("J. Smith", SPELLINGS)
    assert short.grouped == ["J. Smith"] and short.ambiguous == ["Jane Smith", "John Smith"]
    assert group("John Smith", SPELLINGS).grouped == ["John Smith"]
    assert group("John Smith", ["John Smith", "J. Smith"]).grouped == ["J. Smith", "John Smith"]
    # a middle initial is the same person; a further given name in full is another
    assert group("John Smith", ["John Smith", "John A. Smith"]).grouped == [
        "John A. Smith",
        "John Smith",
    ]
    assert group("Trung Le", ["Trung Le", "Trung-Nghia Le"]).grouped == ["Trung Le"]
    # the name as asked for (a typed address) is not a spelling unless a paper spells it so
    assert group("ye chen", ["Ye Chen"]).grouped == ["Ye Chen"]
    assert (
        group("JEAN-PIERRE MÜLLER", SPELLINGS).grouped == group("J.-P. Muller", SPELLINGS).grouped
    )
    assert group("j. smith", SPELLINGS).grouped == ["J. Smith"]


def _records(tmp_path: Path) -> Path:
    rows = [
        ("2601.00001", ["Jean-Pierre Müller", "Ada Lovelace"], "cs.LG", "2026-01-05"),
        ("2601.00002", ["J.-P. Muller", "Ada Lovelace"], "cs.LG", "2026-01-06"),
        ("2601.00003", ["Jean-Pierre Muller", "Bo Chen"], "cs.CL", "2025-03-02"),
        ("2601.00004", ["Anna Muller"], "cs.CV", "2026-01-07"),
        ("2601.00005", ["John Smith"], "cs.LG", "2026-01-08"),
        ("2601.00006", ["Jane Smith"], "cs.LG", "2026-01-09"),
        ("2601.00007", ["J. Smith"], "cs.LG", "2026-01-10"),
    ]
    path = tmp_path / "authors.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": arxiv_id,
                    "title": f"A paper numbered {arxiv_id}",
                    "abstract": "About something.",
                    "authors": ", ".join(names),
                    "categories": category,
                    "first_listing_date": day,
                }
            )
            + "\n"
            for arxiv_id, names, category, day in rows
        )
    )
    return path


def test_an_author_page(site_hub: Hub, site_client: TestClient, tmp_path: Path) -> None:
    site_hub.import_paths([_records(tmp_path)])
    page = author_page(site_hub.store, "Jean-Pierre Müller")
    assert sorted(p.id for p in page.papers) == ["2601.00001", "2601.00002", "2601.00003"]
    assert page.by_year == [("2026", 2), ("2025", 1)]
    assert page.by_category == [("cs.LG", 2), ("cs.CL", 1)]
    assert page.co_authors == [("Ada Lovelace", 2), ("Bo Chen", 1)]
    html = site_client.get("/authors/J.-P. Muller").text
    assert "under the spellings" in html and "“Jean-Pierre Müller”" in html
    assert 'href="/authors/Ada%20Lovelace"' in html
    short = site_client.get("/authors/J. Smith").text
    assert "their papers are not merged here" in short and html.count('class="paper-card"') == 3
    data = site_client.get("/api/authors/Jean-Pierre Müller").json()
    assert data["total"] == 3 and data["by_year"] == {"2026": 2, "2025": 1}
    assert site_client.get("/authors/Nobody Here").status_code == 404
    # a paper's authors changed (a new version): the table follows
    changed = tmp_path / "changed.jsonl"
    record = {
        "id": "2601.00004",
        "title": "A paper numbered 2601.00004",
        "abstract": "About something.",
        "authors": "Anna Muller-Weber, Bo Chen",
        "categories": "cs.CV",
        "first_listing_date": "2026-01-07",
    }
    changed.write_text(json.dumps(record) + "\n")
    site_hub.import_paths([changed])
    with site_hub.store.engine.connect() as connection:
        rows = connection.execute(sa.select(authorships.c.name, authorships.c.family)).all()
    names = {name for name, family in rows if family == "muller"}
    assert names == {"Jean-Pierre Müller", "J.-P. Muller", "Jean-Pierre Muller"}
    assert ("Anna Muller-Weber", "weber") in {tuple(row) for row in rows}
    assert author_page(site_hub.store, "Bo Chen").by_year == [("2026", 1), ("2025", 1)]


def test_claims_badges_and_verification(
    site_hub: Hub, site_client: TestClient, tmp_path: Path
) -> None:
    store = site_hub.store
    site_hub.import_paths([_records(tmp_path)])
    admin = proven_reader(site_hub, "admin@example.org")  # the first account: an administrator
    jp = proven_reader(site_hub, "jp@example.org", "jpm")
    other = proven_reader(site_hub, "other@example.org")
    with pytest.raises(discussion.NoSuch):
        claim(store, jp, "Nobody Here")
    assert claim(store, jp, "Jean-Pierre Müller")
    assert not claim(store, jp, "Jean-Pierre Müller")
    own = site_hub.get_paper("2601.00002")  # by "J.-P. Muller"
    elsewhere = site_hub.get_paper("2601.00005")
    assert own is not None and elsewhere is not None
    comment = discussion.post(store, jp, own, "Author here: the bound is in §3.")
    discussion.post(store, other, own, "Thanks!", comment.id)
    assert badges(store, own, {jp.id, other.id}) == {jp.id: "author, not verified"}
    assert badges(store, elsewhere, {jp.id}) == {}
    page = site_client.get("/papers/2601.00002").text
    assert ">author, not verified<" in page
    assert (
        'Claimed by <a href="/users/jpm">jpm</a>, not verified'
        in site_client.get("/authors/Jean-Pierre Müller").text
    )
    [claimed] = author_page(store, "Jean-Pierre Müller").claims
    with pytest.raises(discussion.NotAllowed):
        verify(store, other, claimed.id)
    log_in(site_client, "admin@example.org")
    token = csrf_of(site_client, "/authors/Jean-Pierre Müller")
    site_client.post(
        f"/admin/claims/{claimed.id}/verify",
        data={"csrf": token, "name": "Jean-Pierre Müller"},
    )
    assert badges(store, own, {jp.id}) == {jp.id: "author"}
    thread = site_client.get("/api/papers/2601.00002/comments").json()
    assert thread["comments"][0]["badge"] == "author"
    assert thread["comments"][0]["replies"][0]["badge"] is None
    assert store.discussion.logged()[0].action == "verify-claim"
    assert admin.id == store.discussion.logged()[0].actor_id


def test_the_migration_fills_the_authorships_of_stored_papers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.connect() as connection, connection.begin():
        command.upgrade(_alembic_config(connection), "0020")
        connection.execute(
            sa.text(
                "INSERT INTO papers (id, title, title_key, abstract, authors, categories, "
                "first_seen, sort_date, links, content_hash, change_seq, day) VALUES "
                "('p1', 'T', 't', '', :authors, '[]', :now, '0001-01-01', '[]', 'h', 1, "
                "'2026-01-01')"
            ),
            {"authors": json.dumps(["Zoë Ng", "Ada Lovelace"]), "now": datetime.now(UTC)},
        )
    engine.dispose()
    store = Store.open(url)
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(authorships.c.position, authorships.c.name, authorships.c.family).order_by(
                authorships.c.position
            )
        ).all()
    store.close()
    assert [tuple(row) for row in rows] == [(0, "Zoë Ng", "ng"), (1, "Ada Lovelace", "lovelace")]
