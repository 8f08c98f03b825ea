"""The store on real SQLite and PostgreSQL: matching, merging, idempotency, the change cursor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from litfeed.models import CommunityStats, PaperRecord, SourceRef
from litfeed.store import Store


def _record(title: str, location: str = "test.jsonl:1", **fields: object) -> PaperRecord:
    return PaperRecord(title=title, source=SourceRef("test", location), **fields)  # type: ignore[arg-type]


def _save(store: Store, *records: PaperRecord) -> tuple[int, int, int]:
    import_id = store.start_import("test", "test.jsonl", "0" * 64)
    counts = store.save_records(list(records), import_id)
    return counts.new, counts.updated, counts.unchanged


def test_new_paper_gets_arxiv_id_as_litfeed_id_and_links(store: Store) -> None:
    _save(store, _record("Attention Is All You Need", arxiv_id="1706.03762", arxiv_version=7))
    paper = store.get_paper("1706.03762")
    assert paper is not None
    assert paper.id == "1706.03762"
    assert [link.kind for link in paper.links] == ["arxiv-abs", "arxiv-pdf"]
    assert store.get_paper("arXiv:1706.03762v2") == store.get_paper("1706.03762")
    assert store.get_paper("https://arxiv.org/abs/1706.03762") is not None


def test_moments_read_back_in_utc_on_every_database(store: Store) -> None:
    _save(store, _record("Timed"))
    (paper,), _ = store.list_papers()
    assert paper.first_seen.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - paper.first_seen) < timedelta(minutes=5)


def test_title_only_paper_gets_stable_hash_id(store: Store) -> None:
    _save(store, _record("A Title: Only"))
    (paper,), total = store.list_papers()
    assert total == 1
    assert paper.id.startswith("t-") and len(paper.id) == 14
    assert store.get_paper(paper.id) is not None


def test_same_record_twice_is_unchanged_and_does_not_move_the_cursor(store: Store) -> None:
    record = _record("Paper", arxiv_id="2501.00001", abstract="About things.")
    assert _save(store, record) == (1, 0, 0)
    change = store.latest_change()
    assert _save(store, record) == (0, 0, 1)
    assert store.latest_change() == change
    assert store.count_papers() == 1


def test_newer_version_updates_older_version_only_fills_gaps(store: Store) -> None:
    _save(store, _record("Old title", arxiv_id="2501.00002", arxiv_version=1, abstract="v1"))
    assert _save(store, _record("New title", arxiv_id="2501.00002", arxiv_version=2)) == (0, 1, 0)
    paper = store.get_paper("2501.00002")
    assert paper is not None
    assert (paper.title, paper.abstract, paper.arxiv_version) == ("New title", "v1", 2)
    assert _save(store, _record("Old title", arxiv_id="2501.00002", arxiv_version=1)) == (0, 0, 1)
    paper = store.get_paper("2501.00002")
    assert paper is not None and paper.title == "New title"


def test_title_only_record_merges_into_the_arxiv_paper_with_that_title(store: Store) -> None:
    _save(
        store,
        _record(
            "MINE: Mutual Information Neural Estimation",
            arxiv_id="1801.04062",
            abstract="Official abstract.",
            authors=["M. Belghazi"],
        ),
    )
    counts = _save(
        store, _record("mine mutual information neural estimation", abstract="A page's abstract.")
    )
    assert counts == (0, 0, 1)
    paper = store.get_paper("1801.04062")
    assert paper is not None
    assert paper.abstract == "Official abstract."
    assert {source.location for source in paper.sources} == {"test.jsonl:1"}


def test_arxiv_record_adopts_a_title_only_paper(store: Store) -> None:
    _save(store, _record("Grokking at the Edge", abstract="From a saved page."))
    (before,), _ = store.list_papers()
    assert _save(
        store,
        _record(
            "Grokking at the Edge",
            arxiv_id="2501.04697",
            abstract="From arXiv.",
            location="a.jsonl:3",
        ),
    ) == (0, 1, 0)
    paper = store.get_paper("2501.04697")
    assert paper is not None
    # Known by its arXiv id now, as if the arXiv record had come first; the old id still finds it.
    assert before.id.startswith("t-") and paper.id == "2501.04697"
    assert store.get_paper(before.id) == paper and paper.pk == before.pk
    assert paper.abstract == "From arXiv."
    assert [source.location for source in paper.sources] == ["test.jsonl:1", "a.jsonl:3"]
    assert _save(store, _record("Grokking at the Edge", abstract="From a saved page.")) == (0, 0, 1)
    assert store.get_paper("2501.04697") == paper


def test_two_arxiv_papers_with_the_same_title_stay_apart(store: Store) -> None:
    assert _save(
        store, _record("Erratum", arxiv_id="2501.00010"), _record("Erratum", arxiv_id="2501.00011")
    ) == (2, 0, 0)


def test_a_title_or_doi_shared_by_many_arxiv_papers_matches_the_first_one(store: Store) -> None:
    # Saved one by one, so each match is found among stored rows rather than within a batch.
    for number in range(1, 6):
        _save(store, _record("Erratum", arxiv_id=f"2501.0002{number}", doi="10.1/shared"))
    assert _save(store, _record("erratum", "p.txt:1", abstract="From a page.")) == (0, 1, 0)
    another = _record("Another title", "b.bib:9", doi="10.1/shared", abstract="A")
    assert _save(store, another) == (0, 0, 1)
    first = store.get_paper("2501.00021")
    assert first is not None and first.abstract == "From a page."
    assert len(first.sources) == 3
    # ... and an arXiv record still never takes another arXiv paper's place.
    assert _save(store, _record("Erratum", arxiv_id="2501.00026", doi="10.1/shared")) == (1, 0, 0)
    assert store.count_papers() == 6


def test_duplicates_within_one_batch(store: Store) -> None:
    counts = _save(
        store,
        _record("Same", abstract="one"),
        _record("Same", abstract="one"),
        _record("Same", abstract="two"),
    )
    assert counts == (1, 1, 1)
    (paper,), total = store.list_papers()
    assert total == 1 and paper.abstract == "two"


def test_community_stats_and_dates_merge(store: Store) -> None:
    _save(store, _record("P", arxiv_id="2410.17243", published=date(2024, 10, 22)))
    _save(
        store,
        _record(
            "P",
            arxiv_id="2410.17243",
            published=date(2024, 10, 23),
            community=CommunityStats(upvotes=64, comments=3, submitted_by="Z"),
        ),
    )
    paper = store.get_paper("2410.17243")
    assert paper is not None
    assert (paper.published, paper.upvotes, paper.comments) == (date(2024, 10, 22), 64, 3)


def test_change_cursor_lists_each_changed_paper_once_in_order(store: Store) -> None:
    _save(store, _record("A", arxiv_id="2501.00001"), _record("B", arxiv_id="2501.00002"))
    first = store.latest_change()
    _save(store, _record("B2", arxiv_id="2501.00002", arxiv_version=2))
    everything = [paper.id for batch in store.iter_changed_papers(0) for _, paper in batch]
    assert everything == ["2501.00001", "2501.00002"]
    later = [
        (change, paper.id)
        for batch in store.iter_changed_papers(first, batch_size=1)
        for change, paper in batch
    ]
    assert later == [(store.latest_change(), "2501.00002")]


def test_batches_are_paged_by_key(store: Store) -> None:
    _save(store, *(_record(f"Paper {n}", arxiv_id=f"2501.{n:05d}") for n in range(1, 8)))
    batches = list(store.iter_changed_papers(0, batch_size=3))
    assert [len(batch) for batch in batches] == [3, 3, 1]


def test_list_papers_newest_first_and_stats(store: Store) -> None:
    _save(store, _record("Undated, imported first"))
    _save(
        store,
        _record("Old", arxiv_id="2401.00001", published=date(2024, 1, 5), categories=["cs.LG"]),
        _record(
            "New", arxiv_id="2501.00001", published=date(2025, 1, 5), categories=["cs.LG", "cs.AI"]
        ),
    )
    _save(store, _record("Undated, imported last"))
    papers, total = store.list_papers(0, 10)
    # Dated papers by date, then those whose date is unknown, the latest import first.
    assert total == 4 and [p.title for p in papers] == [
        "New",
        "Old",
        "Undated, imported last",
        "Undated, imported first",
    ]
    assert [p.title for p in store.list_papers(1, 2)[0]] == ["Old", "Undated, imported last"]
    stats = store.stats()
    assert stats["papers"] == 4
    assert stats["by_category"] == {"cs.LG": 2, "cs.AI": 1}
    assert stats["by_month"] == {"2024-01": 1, "2025-01": 1, "undated": 2}
    assert stats["by_source"] == {"test": 4}


def test_embeddings_are_kept_by_model_and_text_hash(store: Store) -> None:
    store.save_embeddings("model-a", {"h1": b"\x00" * 8, "h2": b"\x01" * 8})
    store.save_embeddings("model-a", {"h1": b"\x02" * 8, "h3": b"\x03" * 8})
    assert store.load_embeddings("model-a", ["h1", "h2", "h3", "h4"]) == {
        "h1": b"\x00" * 8,
        "h2": b"\x01" * 8,
        "h3": b"\x03" * 8,
    }
    assert store.load_embeddings("model-b", ["h1"]) == {}
    assert store.count_embeddings("model-a") == 3


def test_papers_of_one_author_or_one_category(store: Store) -> None:
    _save(
        store,
        _record(
            "A", arxiv_id="2501.00031", authors=["Li", "Jürgen Schmidhuber"], categories=["cs.LG"]
        ),
        _record(
            "B", arxiv_id="2501.00032", authors=["Li Wei", 'Ann "Q" O\'Brien'], categories=["cs.CL"]
        ),
        _record(
            "C", arxiv_id="2501.00033", authors=["100%_sure", "Li"], categories=["cs.LG", "stat.ML"]
        ),
    )

    def ids(**filters: str) -> tuple[list[str], int]:
        found, total = store.list_papers(**filters)  # type: ignore[arg-type]
        return sorted(paper.id for paper in found), total

    assert ids(author="Li") == (["2501.00031", "2501.00033"], 2)  # not "Li Wei"
    assert ids(author="Jürgen Schmidhuber") == (["2501.00031"], 1)
    assert ids(author='Ann "Q" O\'Brien') == (["2501.00032"], 1)
    assert ids(author="100%_sure") == (["2501.00033"], 1)
    assert ids(author="100%") == ([], 0) and ids(author="_") == ([], 0)
    assert ids(category="cs.LG") == (["2501.00031", "2501.00033"], 2)
    assert ids(category="cs.LG", author="Li") == (["2501.00031", "2501.00033"], 2)
    assert ids(category="stat.ML", author="Jürgen Schmidhuber") == ([], 0)


def test_rows_written_in_bulk_read_back_as_an_insert_writes_them(store: Store) -> None:
    """`insert_rows` (COPY on PostgreSQL): hostile text, lists, dates, moments, NULLs and the
    columns' defaults read back as one INSERT writes them; the rows' numbers follow their
    order, and a later INSERT takes a number after them."""
    import sqlalchemy as sa

    from litfeed.store.database import insert_rows
    from litfeed.store.schema import papers

    hostile = "Tab\there, back\\slash, \\N, \\., \"quoted\" 'x', ünï 𝔸, line\nbreak\r, ;--"
    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

    def row(number: int) -> dict[str, object]:
        return {
            "id": f"t-{number:012d}",
            "title": f"{hostile} {number}",
            "title_key": f"key {number}",
            "abstract": hostile,
            "authors": ["Ann O'Neil", 'Bob "B" \\ Tab\t'],
            "categories": ["cs.LG"],
            "versions": None,  # a JSON column given None
            "published": date(2025, 1, number + 1),
            "first_seen": now,
            "sort_date": date(2025, 1, number + 1),
            "links": [{"url": "https://example.org/?a=1&b=\\", "kind": "code"}],
            "day": date(2025, 1, 2),
            "comment": None,
            "content_hash": "0" * 64,
            "change_seq": number,
        }

    with store.engine.begin() as connection:
        numbers = insert_rows(connection, papers, [row(n) for n in range(5)], numbered=papers.c.pk)
        (plain,) = connection.execute(sa.insert(papers).returning(papers.c.pk), [row(9)]).scalars()
        insert_rows(connection, papers, [])  # nothing: no statement
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert plain > numbers[-1]
    with store.engine.connect() as connection:
        stored = {
            found["pk"]: found
            for found in connection.execute(
                sa.select(papers, papers.c.versions.is_(None).label("sql_null"))
            ).mappings()
        }
    for number, written in zip(numbers, [row(n) for n in range(5)], strict=True):
        read = stored[number]
        assert {key: read[key] for key in written} == written
        assert (read["votes"], read["comments_here"], read["hidden"], read["withdrawn"]) == (
            0,
            0,
            False,
            False,
        )
        assert read["sql_null"] == stored[plain]["sql_null"]
