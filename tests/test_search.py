"""Keyword search on the example corpus, and the index following the store."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.models import PaperRecord, SourceRef
from litfeed.search import Filters, KeywordIndex, QueryError
from litfeed.search.keyword import WORD, analysed_word
from tests.conftest import EXAMPLES


def _titles(hub: Hub, query: str, limit: int = 10, **filters: object) -> list[str]:
    """Keyword search: these tests are about BM25 and the keyword index."""
    filters_ = Filters(**filters)  # type: ignore[arg-type]
    results = hub.search(query, mode="keyword", limit=limit, filters=filters_)
    return [hit.paper.title for hit in results.hits]


def test_mutual_information_finds_mine_on_the_first_page(seeded_hub: Hub) -> None:
    assert "MINE: Mutual Information Neural Estimation" in _titles(seeded_hub, "mutual information")


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("federated learning heterogeneous workers", "Anarchic Federated Learning"),
        ("maximal update parametrization", "u-μP: The Unit-Scaled Maximal Update Parametrization"),
        ("scaling laws mixture of experts", "Scaling Laws for Fine-Grained Mixture of Experts"),
        ("Bayesian inference with transformers", "Transformers Can Do Bayesian Inference"),
    ],
)
def test_real_queries_find_the_paper_on_the_first_page(
    seeded_hub: Hub, query: str, title: str
) -> None:
    assert title in _titles(seeded_hub, query)


def test_snippets_mark_the_matched_words(seeded_hub: Hub) -> None:
    results = seeded_hub.search("mutual information", mode="keyword", limit=3)
    for hit in results.hits:
        matched = {part.text.lower() for part in hit.title + hit.snippet if part.match}
        assert matched and matched <= {"mutual", "information"}
        assert "".join(part.text for part in hit.title) == hit.paper.title


def test_stemming_matches_other_forms(seeded_hub: Hub) -> None:
    assert "Grokking at the Edge of Numerical Stability" in _titles(seeded_hub, "grokked")


def test_phrase_query_needs_the_words_together(seeded_hub: Hub) -> None:
    loose = seeded_hub.search("information mutual", mode="keyword", limit=1).total
    phrase = seeded_hub.search('"information mutual"', mode="keyword", limit=1).total
    assert phrase < loose


def _stems(text: str) -> set[str]:
    return {stem for word in WORD.findall(text) for stem in analysed_word(word)}


def test_a_query_matches_papers_with_all_its_words_first(seeded_hub: Hub) -> None:
    query = "reinforcement learning from human feedback"
    results = seeded_hub.search(query, mode="keyword", limit=100)
    assert results.words == "all" and results.total == results.matching == len(results.hits) > 0
    wanted = _stems(query)
    for hit in results.hits:
        assert wanted <= _stems(f"{hit.paper.title} {hit.paper.abstract} {hit.paper.authors}")
    anywhere = seeded_hub.search("reinforcement OR learning OR human OR feedback", mode="keyword")
    assert anywhere.words == "all"  # tantivy's own OR still works: as written, no fallback
    assert anywhere.total > results.total
    either = seeded_hub.search("grokking OR qwertyuiop", mode="keyword", limit=100)
    assert (
        either.words == "all"
        and either.total == seeded_hub.search("grokking", mode="keyword").total > 0
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("reinforcement learning from human feedback", "all"),
        ("diffusion models for image generation", "all"),
        ("mutual information qwertyuiop", "most"),
        ("speculative qwertyuiop", "any"),
    ],
)
def test_plain_words_rank_as_tantivys_own_query_would(
    seeded_hub: Hub, query: str, words: str
) -> None:
    """Plain words are matched in one catch-all field and scored in title, abstract and
    authors: the same papers, in the same order and with the same scores, as the per-word
    queries tantivy's parser builds over the three fields."""
    index = seeded_hub.keyword_index
    ranking = index.rank(query, limit=50)
    assert ranking.words == words and ranking.count > 0
    searcher = index.index.searcher()
    terms = [word for word in WORD.findall(query) if analysed_word(word)]
    if words == "all":
        parsed = index._parse(query, conjunction=True)
    elif words == "any":
        parsed = index._parse(query)
    else:  # papers with all but one word: one conjunction a word left out (none has them all)
        import tantivy

        parsed = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, index._parse(" ".join(terms[:i] + terms[i + 1 :]), True))
                for i in range(len(terms))
            ]
        )
    result = searcher.search(parsed, limit=50, count=True)
    assert result.count == ranking.count
    expected = [score for score, _address in result.hits]
    assert [round(score, 4) for _pk, score in ranking.hits] == [round(s, 4) for s in expected]


def test_without_all_the_words_most_of_them_then_any(seeded_hub: Hub) -> None:
    most = seeded_hub.search("mutual information qwertyuiop", mode="keyword", limit=100)
    both = seeded_hub.search("mutual information", mode="keyword", limit=100)
    assert most.words == "most" and most.total >= both.total > 0
    assert {hit.paper.pk for hit in both.hits} <= {hit.paper.pk for hit in most.hits}
    some = seeded_hub.search("mutual qwertyuiop", mode="keyword", limit=100)
    assert some.words == "any" and some.total == seeded_hub.search("mutual", mode="keyword").total
    assert seeded_hub.search("qwertyuiop asdfghjkl", mode="keyword").total == 0


def test_title_words_weigh_more_than_abstract_words(seeded_hub: Hub) -> None:
    hits = seeded_hub.search("grokking", mode="keyword", limit=3).hits
    assert all("grokking" in hit.paper.title.lower() for hit in hits[:2])


@pytest.mark.parametrize(
    "query",
    ["$\\alpha$", "\\frac{1}{2}", "$O(n^2)$", "\\mathbb{R}^d", "title:", "((gradient", "a AND"],
)
def test_latex_and_odd_syntax_run_in_every_mode(seeded_hub: Hub, query: str) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        assert seeded_hub.search(query, mode=mode).query == query


def test_latex_words_are_searchable(seeded_hub: Hub) -> None:
    hits = seeded_hub.search("{\\lambda}opt", mode="keyword").hits
    assert hits[0].paper.title.startswith("Power Lines: Scaling Laws for Weight Decay")


def test_a_query_of_stop_words_matches_nothing_by_words(seeded_hub: Hub) -> None:
    assert seeded_hub.search("the AND of", mode="keyword").total == 0


@pytest.mark.parametrize("query", ["", "   ", "x" * 1001, "!!!", ":", "((", '"', "-", "$$ ∑ ∫ $$"])
def test_empty_overlong_and_wordless_queries_are_refused(seeded_hub: Hub, query: str) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        with pytest.raises(QueryError, match=r"the query (is empty|is .* long|has no words)"):
            seeded_hub.search(query, mode=mode)


def _record(title: str, arxiv_id: str | None, **fields: object) -> PaperRecord:
    return PaperRecord(
        title=title,
        arxiv_id=arxiv_id,
        source=SourceRef("test", "t:1"),
        abstract="An abstract about zebrafish locomotion.",
        **fields,
    )  # type: ignore[arg-type]


def _generation(hub: Hub) -> Path:
    current = hub.keyword_index.generations.current()
    assert current is not None
    return current


def _store_records(hub: Hub, *records: PaperRecord) -> None:
    import_id = hub.store.start_import("test", "t", "0" * 64)
    hub.store.save_records(list(records), import_id)
    hub.keyword_index.catch_up(hub.store)  # what the background worker does


def test_filters_by_category_and_date(hub: Hub) -> None:
    _store_records(
        hub,
        _record("Zebrafish one", "2501.00001", categories=["q-bio.NC"], published=date(2025, 1, 1)),
        _record("Zebrafish two", "2502.00001", categories=["cs.RO"], published=date(2025, 2, 1)),
    )
    assert _titles(hub, "zebrafish", category="cs.RO") == ["Zebrafish two"]
    assert _titles(hub, "zebrafish", since=date(2025, 1, 15)) == ["Zebrafish two"]
    assert _titles(hub, "zebrafish", until=date(2025, 1, 15)) == ["Zebrafish one"]
    _store_records(hub, _record("Zebrafish undated", None))
    assert len(_titles(hub, "zebrafish")) == 3
    # A paper whose publication date is unknown is in no date range, open-ended or not.
    for filters in ({"since": date(2000, 1, 1)}, {"until": date(2100, 1, 1)}):
        assert sorted(_titles(hub, "zebrafish", **filters)) == ["Zebrafish one", "Zebrafish two"]


def test_a_category_is_matched_as_arxiv_spells_it(hub: Hub) -> None:
    _store_records(
        hub,
        _record("Zebrafish seen", "2501.00001", categories=["cs.CV"]),
        _record("Zebrafish spin", "2501.00002", categories=["cond-mat.mes-hall"]),
    )
    assert _titles(hub, "zebrafish", category="CS.cv") == ["Zebrafish seen"]
    assert _titles(hub, "zebrafish", category="Cond-Mat.Mes-Hall") == ["Zebrafish spin"]
    nowhere = hub.search("zebrafish", mode="keyword", filters=Filters(category="cs.XX"))
    assert nowhere.hits == [] and nowhere.notice == "no paper here is in the category 'cs.XX'"


def test_a_stored_paper_is_searchable_at_once_and_updates_replace_it(hub: Hub) -> None:
    _store_records(hub, _record("Zebrafish swimming", "2501.00001", arxiv_version=1))
    assert _titles(hub, "zebrafish") == ["Zebrafish swimming"]
    _store_records(hub, _record("Zebrafish diving", "2501.00001", arxiv_version=2))
    assert _titles(hub, "zebrafish") == ["Zebrafish diving"]
    assert hub.keyword_index.document_count() == 1


def test_a_paper_that_gets_its_arxiv_id_is_found_once_by_it(hub: Hub) -> None:
    _store_records(hub, _record("Zebrafish swimming", None))
    assert [hit.paper.id for hit in hub.search("zebrafish", mode="keyword").hits] == [
        hub.store.list_papers()[0][0].id
    ]
    _store_records(hub, _record("Zebrafish swimming", "2501.00001"))
    assert [hit.paper.id for hit in hub.search("zebrafish", mode="keyword").hits] == ["2501.00001"]
    assert hub.keyword_index.document_count() == 1


def test_a_crash_before_the_cursor_is_saved_reindexes_without_duplicates(hub: Hub) -> None:
    _store_records(hub, _record("Zebrafish swimming", "2501.00001"))
    hub.update_index()
    cursor_file = _generation(hub) / "cursor.json"
    meta = json.loads(cursor_file.read_text())
    cursor_file.write_text(json.dumps({**meta, "change": 0}))  # as if we died before saving it
    reopened = KeywordIndex(hub.keyword_index.directory)
    assert reopened.catch_up(hub.store) == 1
    assert reopened.document_count() == 1


@pytest.mark.parametrize("damage", ["garbage meta.json", "no meta.json", "no .idx file"])
def test_damaged_index_files_are_rebuilt_from_the_database(settings: Settings, damage: str) -> None:
    with Hub(settings) as hub:
        _store_records(
            hub,
            _record("Zebrafish swimming", "2501.00001"),
            _record("Zebrafish diving", "2501.00002"),
        )
        hub.update_index(embed=False)
        directory = _generation(hub)
    if damage == "garbage meta.json":
        (directory / "meta.json").write_text("garbage")
    elif damage == "no meta.json":
        (directory / "meta.json").unlink()
    else:
        next(directory.glob("*.idx")).unlink()
    with Hub(settings, serving=True) as hub:  # a reader: answers, and does not mend
        results = hub.search("zebrafish", mode="keyword")
        assert results.hits == [] and results.notice and "not built yet" in results.notice
        assert _generation(hub) == directory
    with Hub(settings) as hub:  # the worker's catch-up builds a new generation
        hub.update_index(embed=False)
        assert sorted(_titles(hub, "zebrafish")) == ["Zebrafish diving", "Zebrafish swimming"]
        assert hub.keyword_index.document_count() == 2
        assert _generation(hub) != directory


def test_rebuild_recreates_the_index_from_the_database(hub: Hub) -> None:
    _store_records(
        hub, _record("Zebrafish swimming", "2501.00001"), _record("Zebrafish diving", "2501.00002")
    )
    hub.update_index()
    for path in _generation(hub).iterdir():
        if path.is_file() and path.suffix != ".json":
            path.unlink()
    assert hub.update_index(rebuild=True, embed=False) == {"keyword": 2}
    assert sorted(_titles(hub, "zebrafish")) == ["Zebrafish diving", "Zebrafish swimming"]


def test_a_paper_changed_while_a_build_reads_it_is_indexed_once(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new index deletes no older document of a paper it has not added yet (tantivy keeps
    each delete until the commit); a paper the build reads twice, changed meanwhile, as the
    store's iteration can, is still one document, its newest."""
    _store_records(
        hub, _record("Zebrafish swimming", "2501.00001"), _record("Zebrafish diving", "2501.00002")
    )
    changes = list(hub.store.iter_changed_papers(0))
    (change, first), _second = changes[0]
    renamed = dataclasses.replace(first, title="Zebrafish flying")
    monkeypatch.setattr(
        hub.store,
        "iter_changed_papers",
        lambda after, batch_size=2000: iter([*changes, [(change + 10, renamed)]]),
    )
    assert hub.keyword_index.rebuild(hub.store) == 3  # three changes read
    index = hub.keyword_index  # (a search's titles come from the store: the index itself)
    assert index.document_count() == 2
    assert index.rank("zebrafish").count == 2
    assert [pk for pk, _ in index.rank("flying").hits] == [first.pk]
    assert index.rank("swimming").count == 0


def test_an_index_from_another_database_is_rebuilt(hub: Hub, tmp_path: Path) -> None:
    _store_records(hub, _record("Zebrafish swimming", "2501.00001"))
    hub.update_index()
    cursor_file = _generation(hub) / "cursor.json"
    meta = json.loads(cursor_file.read_text())
    cursor_file.write_text(json.dumps({**meta, "change": 999}))
    assert KeywordIndex(hub.keyword_index.directory).catch_up(hub.store) == 1


def test_examples_import_and_search_on_each_database(
    database_url: str, tmp_path: Path, models_dir: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        models_dir=models_dir,
        embed_on_import=False,
    )
    with Hub(settings) as hub:
        outcomes = hub.import_paths([EXAMPLES])
        assert sum(o.report.new for o in outcomes if o.report) == 471
        assert sum(o.report.unchanged for o in outcomes if o.report) == 73
        assert hub.stats()["papers"] == 471
        titles = _titles(hub, "mutual information")
        assert "MINE: Mutual Information Neural Estimation" in titles
        assert hub.import_paths([EXAMPLES])[0].report.new == 0  # type: ignore[union-attr]
        # Search by meaning end to end: vectors stored in this database, then found.
        assert hub.update_index()["vector"] == 471
        assert hub.store.count_embeddings(hub.embedder.key) == 471
        query = "neural estimator of dependence between two continuous variables"
        semantic = hub.search(query, mode="semantic", limit=5)
        assert "MINE: Mutual Information Neural Estimation" in [
            hit.paper.title for hit in semantic.hits
        ]
        mine = semantic.hits[0].paper
        assert len(hub.similar(mine.id)) == 10
