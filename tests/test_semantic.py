"""Search by meaning on the example corpus: embeddings, the vector index, hybrid ranking and
similar papers, with the bundled all-MiniLM-L6-v2 model."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from litfeed import search
from litfeed.config import Settings
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import Paper, PaperRecord, SourceRef
from litfeed.search import Filters, QueryError
from litfeed.search import embeddings as embeddings_module
from litfeed.search.embeddings import (
    Embedder,
    EmbeddingConfig,
    EmbeddingError,
    load_embedder,
    paper_text,
)
from litfeed.search.keyword import analysed_word
from litfeed.search.onnx_query import QueryEncoder
from litfeed.search.similar import _terms as similar_terms
from litfeed.search.similar import common_terms, generic_terms
from litfeed.search.vectors import SAVE_EVERY, VectorIndex
from tests.conftest import EXAMPLES, make_paper

MINE = "MINE: Mutual Information Neural Estimation"


def _titles(hub: Hub, query: str, mode: str, limit: int = 10) -> list[str]:
    return [hit.paper.title for hit in hub.search(query, mode=mode, limit=limit).hits]


def test_embeddings_are_unit_vectors_and_repeatable(seeded_hub: Hub) -> None:
    embedder = seeded_hub.embedder
    assert embedder.key == "sentence-transformers/all-MiniLM-L6-v2|onnx-int8|256"
    vectors = embedder.embed(["mutual information", "a different text", "mutual information"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors[0], vectors[2])
    assert float(vectors[0] @ vectors[1]) < 0.9


def test_a_paper_vector_does_not_depend_on_what_else_is_embedded(seeded_hub: Hub) -> None:
    """So a resumed `litfeed index` stores what an uninterrupted one would, and evaluation
    figures do not move with what the database already holds."""
    papers, _ = seeded_hub.list_papers(0, 40)
    texts = [paper_text(paper) for paper in papers]
    together = seeded_hub.embedder.embed(texts)
    alone = np.stack([seeded_hub.embedder.embed([text])[0] for text in texts[:5]])
    assert np.array_equal(together[:5], alone)
    assert np.array_equal(
        together[:5], np.stack([seeded_hub.embedder.embed_query(t) for t in texts[:5]])
    )


def test_queries_are_embedded_as_sentence_transformers_does_without_loading_it(
    models_dir: Path,
) -> None:
    load_embedder(EmbeddingConfig(), models_dir)  # exports the model once for the session
    embedder = Embedder(EmbeddingConfig(), models_dir)
    texts = [
        "mutual information",
        "Zebrafish swimming: é ü ß 漢字 $\\alpha$",
        "x",
        " ".join(["a long query that is cut at the model's token limit"] * 40),
    ]
    queries = np.stack([embedder.embed_query(text) for text in texts])
    papers = embedder.embed(texts)
    assert embedder._model is None  # neither search nor indexing waits for sentence-transformers
    assert np.array_equal(queries, papers)
    # One at a time: int8 activations are quantised per batch, so batch-mates shift a vector.
    model = embedder._sentence_transformer()
    expected = np.stack(
        [
            model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
            for text in texts
        ]
    )
    assert np.abs(queries - expected).max() < 1e-5


def test_in_windows_the_whole_of_a_long_text_counts(models_dir: Path) -> None:
    truncated = load_embedder(EmbeddingConfig(max_tokens=64), models_dir)
    windows = load_embedder(EmbeddingConfig(max_tokens=64, long_text="windows"), models_dir)
    assert windows.key == truncated.key + "|windows"
    short = "Mutual information neural estimation"
    assert np.array_equal(truncated.embed_query(short), windows.embed_query(short))
    start = "We estimate mutual information between high dimensional variables. " * 10
    long_texts = [start + "The tail is about protein folding.", start + "The tail is about poems."]
    # Truncated, two texts that differ only past the window are one vector; in windows, not.
    first, second = truncated.embed(long_texts)
    assert np.array_equal(first, second)
    first, second = windows.embed(long_texts)
    assert float(first @ second) < 0.999
    # Every token counts once: the windows' mean-pooled vectors weighted by their lengths.
    encoder = windows._queries
    assert encoder is not None
    encoding = encoder._tokenizer.encode(long_texts[0])
    parts = [encoding, *encoding.overflowing]
    assert len(parts) > 1
    pooled = np.stack([encoder._run(part).mean(axis=0) for part in parts])
    expected = np.average(pooled, axis=0, weights=[len(part.ids) for part in parts])
    assert np.allclose(first, expected / np.linalg.norm(expected), atol=1e-6)


def test_models_the_query_encoder_does_not_reproduce_are_left_to_sentence_transformers(
    models_dir: Path, tmp_path: Path
) -> None:
    exported = Path(load_embedder(EmbeddingConfig(), models_dir).model_path)
    onnx_file = "onnx/model_qint8_per_channel.onnx"
    copy = tmp_path / "model"
    shutil.copytree(exported, copy)
    assert QueryEncoder.open(copy, onnx_file, 128) is not None
    (copy / "1_Pooling" / "config.json").write_text('{"pooling_mode": "weightedmean"}')
    assert QueryEncoder.open(copy, onnx_file, 128) is None
    (copy / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert QueryEncoder.open(copy, onnx_file, 128) is not None
    modules = json.loads((copy / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "x.Dense"})
    (copy / "modules.json").write_text(json.dumps(modules))
    assert QueryEncoder.open(copy, onnx_file, 128) is None


def test_a_query_is_embedded_on_the_calling_thread(models_dir: Path) -> None:
    # No pool of ONNX Runtime threads (they spin while they wait, taking CPU from the other
    # requests and web processes): opening and using an encoder starts no thread.
    exported = Path(load_embedder(EmbeddingConfig(), models_dir).model_path)
    threads = len(list(Path("/proc/self/task").iterdir()))
    encoder = QueryEncoder.open(exported, "onnx/model_qint8_per_channel.onnx", 128)
    assert encoder is not None
    encoder.embed("graph neural networks for molecules")
    assert len(list(Path("/proc/self/task").iterdir())) == threads


def test_the_torch_backend_loads_by_local_path_and_agrees(models_dir: Path) -> None:
    int8 = load_embedder(EmbeddingConfig(), models_dir)
    torch = load_embedder(EmbeddingConfig(backend="torch"), models_dir)
    assert int8.key == "sentence-transformers/all-MiniLM-L6-v2|onnx-int8|256"  # its own window
    assert torch.key == "sentence-transformers/all-MiniLM-L6-v2|torch-fp32|256"
    texts = ["Mutual information neural estimation", "Federated learning with stragglers"]
    cosine = np.sum(int8.embed(texts) * torch.embed(texts), axis=1)
    assert (cosine > 0.97).all()


def test_the_device_is_the_torch_backends_and_not_part_of_the_vectors_key(
    models_dir: Path,
) -> None:
    import torch

    on_cpu = Embedder(EmbeddingConfig(backend="torch", device="cpu"), models_dir)
    assert on_cpu.key == "sentence-transformers/all-MiniLM-L6-v2|torch-fp32|256"
    text = "Mutual information neural estimation"
    assert np.allclose(on_cpu.embed_query(text), on_cpu.embed([text])[0], atol=1e-5)
    with pytest.raises(EmbeddingError, match=r"^the embedding device 'cuda' needs the torch "):
        Embedder(EmbeddingConfig(device="cuda"), models_dir)
    if not torch.cuda.is_available():
        with pytest.raises(EmbeddingError, match=r"^the embedding device is cuda:1 but torch "):
            Embedder(EmbeddingConfig(backend="torch", device="cuda:1"), models_dir)
    else:
        on_gpu = Embedder(EmbeddingConfig(backend="torch", device="cuda"), models_dir)
        texts = ["Mutual information neural estimation"]
        assert on_gpu.key == on_cpu.key
        assert np.allclose(on_gpu.embed(texts), on_cpu.embed(texts), atol=1e-4)


def test_a_model_that_cannot_be_loaded_is_one_clear_error(models_dir: Path) -> None:
    with pytest.raises(EmbeddingError, match=r"^cannot load embedding model 'no-such/model': "):
        load_embedder(EmbeddingConfig(model="no-such/model"), models_dir)


def test_a_hub_tries_to_load_a_failing_model_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = []

    def failing(config: EmbeddingConfig, models: Path, export: bool = True) -> Embedder:
        attempts.append(config.model)
        raise EmbeddingError(f"cannot load embedding model {config.model!r}: gone")

    monkeypatch.setattr(embeddings_module, "load_embedder", failing)
    with Hub(settings) as hub:
        for _ in range(3):
            with pytest.raises(EmbeddingError, match="gone"):
                _ = hub.vector_index
    assert len(attempts) == 1


def test_queries_with_search_syntax_rank_by_words_in_hybrid(seeded_hub: Hub) -> None:
    for query in ("mutual -information", "authors:someone", '"mutual information"'):
        results = seeded_hub.search(query, mode="hybrid")
        assert results.mode == "keyword" and results.notice is not None
        assert results.notice.startswith("ranked by words alone")
    assert seeded_hub.search("self-supervised learning", mode="hybrid").mode == "hybrid"


def test_every_example_paper_is_in_the_vector_index(seeded_hub: Hub) -> None:
    assert seeded_hub.vector_index.count() == 471
    assert seeded_hub.stats()["vector_index"]["papers"] == 471


def test_search_by_meaning_finds_what_words_miss(seeded_hub: Hub) -> None:
    query = "neural estimator of dependence between two continuous variables"
    assert MINE in _titles(seeded_hub, query, "semantic", limit=5)
    assert MINE in _titles(seeded_hub, query, "hybrid", limit=10)


def test_hybrid_keeps_what_words_find(seeded_hub: Hub) -> None:
    results = seeded_hub.search("mutual information", mode="hybrid", limit=10)
    assert MINE in [hit.paper.title for hit in results.hits]
    assert any(hit.matched_by == ["words", "meaning"] for hit in results.hits)
    assert all(hit.score > 0 for hit in results.hits)


def test_hybrid_puts_word_matches_first_and_pages_through_what_it_counts(
    seeded_hub: Hub,
) -> None:
    query = "grokking"
    first = seeded_hub.search(query, mode="hybrid", limit=7)
    assert first.matching == 1 and first.words == "all"
    assert first.total == first.matching + first.related and first.related > 0
    assert first.hits[0].paper.title == "Grokking at the Edge of Numerical Stability"
    assert "words" in first.hits[0].matched_by
    assert all(hit.matched_by == ["meaning"] for hit in first.hits[1:])
    # Every page together: each result once, as many as counted, the word matches first.
    seen = []
    for offset in range(0, first.total, 7):
        seen += seeded_hub.search(query, mode="hybrid", limit=7, offset=offset).hits
    assert len(seen) == len({hit.paper.pk for hit in seen}) == first.total
    # With more word matches than are re-ranked with meaning, the rest follow by words.
    many = seeded_hub.search("learning", mode="hybrid", limit=10)
    assert many.matching is not None and many.matching > 100
    pages = [
        seeded_hub.search("learning", mode="hybrid", limit=50, offset=offset).hits
        for offset in range(0, many.total, 50)
    ]
    hits = [hit for page in pages for hit in page]
    assert len(hits) == len({hit.paper.pk for hit in hits}) == many.total
    assert all("words" in hit.matched_by for hit in hits[: many.matching])
    assert all(hit.matched_by == ["meaning"] for hit in hits[many.matching :])
    # No paper with the words, or only some of them: the results are mixed, and those found
    # by meaning alone are counted as related all the same.
    for query in ("zzqqxx", "zzqqxx mutual"):
        mixed = seeded_hub.search(query, mode="hybrid", limit=50)
        every = [
            hit
            for offset in range(0, mixed.total, 50)
            for hit in seeded_hub.search(query, mode="hybrid", limit=50, offset=offset).hits
        ]
        alone = sum(hit.matched_by == ["meaning"] for hit in every)
        assert mixed.total == len(every) == mixed.matching + mixed.related, query
        assert mixed.related == alone > 0, query


def test_filtered_search_by_meaning_ranks_exactly_the_papers_that_pass(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of filtering (exact among few papers; HNSW neighbours kept when most pass)
    give the nearest papers that pass, as a brute-force ranking of the stored vectors does."""
    hub.import_paths([EXAMPLES])
    records = [
        PaperRecord(
            title=f"Zebrafish swimming study {n}",
            abstract="How zebrafish swim, measured in a flow tank." + " More." * n,
            arxiv_id=f"2501.{n:05d}",
            categories=["cs.RO" if n % 3 == 0 else "q-bio.NC"],
            published=date(2025, 1, 1 + n),
            source=SourceRef("test", f"t:{n}"),
        )
        for n in range(1, 25)
    ]
    hub.store.save_records(records, hub.store.start_import("test", "t", "0" * 64))
    hub.update_index()
    papers, _total = hub.list_papers(0, 1000)
    stored = {paper.pk: hub.vector_index.vector_of(paper.pk) for paper in papers}
    assert all(vector is not None for vector in stored.values())
    query = "fish locomotion"
    vector = hub.embedder.embed_query(query)
    cases = [
        Filters(category="cs.RO"),
        Filters(since=date(2025, 1, 10), until=date(2025, 1, 20)),
        Filters(since=date(2025, 1, 10)),  # the example pages have no date: they never pass
        Filters(category="no.SUCH"),
    ]
    for exact_limit in (search.EXACT_FILTER_LIMIT, 0):
        monkeypatch.setattr(search, "EXACT_FILTER_LIMIT", exact_limit)
        for filters in cases:
            passing = [paper for paper in papers if _passes(paper, filters)]
            similarity = {paper.id: float(stored[paper.pk] @ vector) for paper in passing}
            expected = sorted(similarity, key=lambda paper_id: -similarity[paper_id])[:10]
            results = hub.search(query, mode="semantic", limit=10, filters=filters)
            assert [hit.paper.id for hit in results.hits] == expected, (exact_limit, filters)
            assert [hit.score for hit in results.hits] == pytest.approx(
                [similarity[paper_id] for paper_id in expected], abs=1e-5
            )
            hybrid = hub.search(query, mode="hybrid", limit=100, filters=filters)
            assert all(_passes(hit.paper, filters) for hit in hybrid.hits)
            assert {hit.paper.id for hit in hybrid.hits} >= set(expected)


def test_a_filter_the_graph_neighbourhood_misses_is_ranked_exactly(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When few of the graph's nearest pass the filter (the query is about something else),
    every paper that passes is still ranked, not only those few."""
    hub.import_paths([EXAMPLES])
    records = [
        PaperRecord(
            title=f"Zebrafish swimming study {n}",
            abstract="How zebrafish swim, measured in a flow tank.",
            arxiv_id=f"2501.{n:05d}",
            published=date(2025, 1, 1 + n),
            source=SourceRef("test", f"t:{n}"),
        )
        for n in range(1, 25)
    ]
    hub.store.save_records(records, hub.store.start_import("test", "t", "0" * 64))
    hub.update_index()
    monkeypatch.setattr(search, "EXACT_FILTER_LIMIT", 0)  # always the graph first
    # Two candidates from the graph: a query about transformers finds no zebrafish there.
    monkeypatch.setattr(search, "OVERSAMPLING", 0.02 * 24 / 495)
    filters = Filters(since=date(2025, 1, 1))
    results = hub.search("transformer language models", mode="semantic", limit=100, filters=filters)
    assert len(results.hits) == 24


def _passes(paper: Paper, filters: Filters) -> bool:
    day = paper.published
    dated = (filters.since is None and filters.until is None) or day is not None
    return (
        (filters.category is None or filters.category in paper.categories)
        and dated
        and (filters.since is None or (day is not None and day >= filters.since))
        and (filters.until is None or (day is not None and day <= filters.until))
    )


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
@pytest.mark.parametrize("query", ["", " " * 10, "x" * 5000])
def test_bad_queries_are_refused_in_every_mode(seeded_hub: Hub, query: str, mode: str) -> None:
    with pytest.raises(QueryError):
        seeded_hub.search(query, mode=mode)


def test_unknown_mode_is_refused(seeded_hub: Hub) -> None:
    with pytest.raises(QueryError, match="unknown search mode 'fuzzy'"):
        seeded_hub.search("x", mode="fuzzy")


def test_similar_papers_with_reasons(seeded_hub: Hub) -> None:
    mine = seeded_hub.search(MINE, mode="keyword", limit=1).hits[0].paper
    similar = seeded_hub.similar(mine.id)
    assert len(similar) == 10
    assert mine.id not in [item.paper.id for item in similar]
    assert [item.similarity for item in similar] == sorted(
        (item.similarity for item in similar), reverse=True
    )
    assert all(
        item.reason == "close in meaning" or item.reason.startswith("shared key terms: ")
        for item in similar
    )
    assert any("mutual information" in item.reason for item in similar)
    common = generic_terms()
    for item in similar:
        for shown in item.reason.removeprefix("shared key terms: ").split(", "):
            if item.reason != "close in meaning" and " " not in shown and "-" not in shown:
                assert not analysed_word(shown) & common, item.reason  # never a generic word
    # "mutual" is said as part of "mutual information", never alone.
    assert not any(
        "mutual" in item.reason.split(", ") or item.reason.endswith(": mutual") for item in similar
    )
    with pytest.raises(PaperNotFound):
        seeded_hub.similar("2501.99999")


def test_reasons_keep_phrases_whole_and_leave_generic_words_out() -> None:
    paper = make_paper(
        id="t",
        title="Auto-regressive estimation of mutual information",
        abstract="Given a contrastive loss, the proposed level strategy is compared (GPT-4).",
    )
    terms = similar_terms(paper)
    assert terms.phrases[("auto", "regress")] == ("auto", "-", "regressive")
    assert terms.phrases[("mutual", "inform")] == ("mutual", " ", "information")
    assert terms.phrases[("contrast", "loss")] == ("contrastive", " ", "loss")
    assert terms.topical_phrase(("mutual", "inform")) and not terms.topical_phrase(
        ("contrast", "loss")
    )
    assert ("estim", "mutual") not in terms.phrases  # "of" lies between
    assert "regress" not in terms.standalone and "mutual" in terms.standalone
    assert {"given", "level", "strategi", "compar", "propos", "loss"} <= generic_terms()
    assert not {"mutual", "grok"} & generic_terms()
    assert {"model", "propos"} <= common_terms() and "contrast" not in common_terms()


@contextlib.contextmanager
def _counting_embeddings(embedder: Embedder) -> Iterator[list[int]]:
    """While open, the number of texts of each `embedder.embed` call is appended to the list."""
    calls: list[int] = []
    original = embedder.embed

    def counting(texts: list[str], progress: object = None) -> np.ndarray:
        calls.append(len(texts))
        return original(texts)

    embedder.embed = counting  # type: ignore[method-assign, assignment]
    try:
        yield calls
    finally:
        del embedder.embed  # type: ignore[method-assign]


def test_unchanged_papers_are_never_embedded_twice(hub: Hub, seeded_settings: Settings) -> None:
    hub.import_paths([EXAMPLES])
    embedder = hub.embedder
    with _counting_embeddings(embedder) as calls:
        assert hub.update_index() == {"keyword": 0, "vector": 471}
        assert sum(calls) == 471
        # A damaged index file: the index counts as absent and is rebuilt from stored vectors.
        generation = hub.vector_index.generations.current()
        assert generation is not None
        (generation / "vectors.npy").write_bytes(b"not numpy")
        damaged = VectorIndex(hub.vector_index.directory, embedder)
        assert damaged.count() == 0
        assert damaged.catch_up(hub.store) == 471
        assert VectorIndex(hub.vector_index.directory, embedder).count() == 471
        # A kill after the vectors were stored: the next run reuses them (and a rebuild too).
        shutil.rmtree(hub.vector_index.directory)
        fresh = VectorIndex(hub.vector_index.directory, embedder)
        assert fresh.catch_up(hub.store) == 471
        assert hub.update_index(rebuild=True)["vector"] == 471
        assert sum(calls) == 471
        # A changed abstract is embedded again, once.
        paper = hub.list_papers(0, 1)[0][0]
        changed = PaperRecord(
            title=paper.title,
            abstract=paper.abstract + " Revised.",
            source=SourceRef("test", "t:1"),
        )
        hub.store.save_records([changed], hub.store.start_import("test", "t", "0" * 64))
        assert hub.update_index() == {"keyword": 1, "vector": 1}
        assert calls[-1] == 1
        assert hub.store.count_embeddings(embedder.key) == 472
        assert paper_text(paper) != paper_text(hub.get_paper(paper.id))  # type: ignore[arg-type]


def _wait_for_saved_vectors(hub: Hub, key: str, process: subprocess.Popen[str]) -> None:
    """Until ``process`` (embedding) has saved its first SAVE_EVERY vectors; fails if it dies."""
    deadline = time.monotonic() + 300
    while hub.store.count_embeddings(key) < SAVE_EVERY:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "no vectors saved within 300 s"
        time.sleep(0.05)


def test_a_killed_index_run_resumes_where_it_stopped(hub: Hub) -> None:
    """`litfeed index` killed (SIGKILL) after it saved some vectors: the next run embeds only
    the rest, and the vector index holds every paper."""
    hub.import_paths([EXAMPLES])
    key = hub.embedder.key
    command = [sys.executable, "-m", "litfeed", "index", "--no-progress"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for_saved_vectors(hub, key, process)
    finally:
        process.kill()
        process.wait()
    saved = hub.store.count_embeddings(key)
    assert SAVE_EVERY <= saved < 471
    assert not (hub.vector_index.directory / "vectors.json").exists()
    with _counting_embeddings(hub.embedder) as calls:
        assert hub.update_index()["vector"] == 471
    assert sum(calls) == 471 - saved
    assert hub.vector_index.count() == 471
    assert hub.store.count_embeddings(key) == 471


def test_a_worker_told_to_stop_while_it_embeds_stops_at_once_and_loses_nothing(hub: Hub) -> None:
    """SIGTERM (as `litfeed serve` stops its worker, or Ctrl-C) while the background worker
    embeds a first index: it exits within seconds, not when the batch is done; the vectors it
    computed are kept, and the next run embeds only the rest."""
    hub.import_paths([EXAMPLES])
    key = hub.embedder.key  # the model exported before the worker starts
    worker = subprocess.Popen(
        [sys.executable, "-m", "litfeed", "worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_saved_vectors(hub, key, worker)
        worker.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        assert worker.wait(timeout=60) == 0
        took = time.monotonic() - asked
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    saved = hub.store.count_embeddings(key)
    assert SAVE_EVERY <= saved < 471, saved  # stopped in the middle, not at the end
    assert took < 5, f"the worker took {took:.1f} s to stop"
    with _counting_embeddings(hub.embedder) as calls:
        assert hub.update_index()["vector"] == 471
    assert sum(calls) == 471 - saved
    assert hub.vector_index.count() == 471
    assert hub.store.count_embeddings(key) == 471


def test_another_model_setting_reembeds_cleanly(hub: Hub, models_dir: Path) -> None:
    hub.import_paths([EXAMPLES])
    hub.update_index()
    key = hub.embedder.key
    settings = hub.settings.model_copy(update={"embedding_max_tokens": 128})
    with Hub(settings) as other:
        assert other.embedder.key != key
        assert other.update_index()["vector"] == 471
        assert other.vector_index.meta["model"] == other.embedder.key


def test_a_local_model_replaced_in_place_is_another_model(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 384}')
    (model / "weights.bin").write_bytes(b"\x00" * 64)
    before = EmbeddingConfig(model=str(model)).model_identity
    assert before == EmbeddingConfig(model=str(model)).model_identity
    (model / "weights.bin").write_bytes(b"\x01" * 65)  # retrained: vectors must be remade
    after = EmbeddingConfig(model=str(model)).model_identity
    assert after != before and after.startswith(f"{model}@")


def test_index_files_built_from_another_database_are_rebuilt(
    settings: Settings, tmp_path: Path
) -> None:
    """Both databases have had one change, so only their identities tell the index files apart:
    the second database's searches must find its own papers, by words and by meaning."""

    def store(hub: Hub, *titles: str) -> None:
        records = [
            PaperRecord(title=title, abstract=f"{title} in water.", source=SourceRef("t", "t:1"))
            for title in titles
        ]
        hub.store.save_records(records, hub.store.start_import("test", "t", "0" * 64))
        hub.update_index()

    with Hub(settings) as first:
        store(first, "Zebrafish larvae")
    other = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'other.db'}"})
    with Hub(other) as second:
        store(second, "Zebrafish schools", "Zebrafish fins")
        assert second.keyword_index.document_count() == 2
        assert second.vector_index.count() == 2
        for mode in ("keyword", "semantic"):
            assert sorted(_titles(second, "zebrafish", mode)) == [
                "Zebrafish fins",
                "Zebrafish schools",
            ]


def test_a_hidden_paper_leaves_both_indexes_and_returns_when_restored(hub: Hub) -> None:
    hub.import_paths([EXAMPLES])
    hub.update_index()
    mine = hub.search(MINE, mode="keyword", limit=1).hits[0].paper
    matching = hub.search("mutual information", mode="keyword").total
    neighbour = hub.similar(mine.id)[0].paper
    assert mine.id in [item.paper.id for item in hub.similar(neighbour.id)]

    hub.store.set_hidden(mine.id, True)
    assert hub.update_index() == {"keyword": 1, "vector": 1}
    assert hub.keyword_index.document_count() == 470
    assert hub.search("mutual information", mode="keyword").total == matching - 1
    reopened = VectorIndex(hub.vector_index.directory, hub.embedder)  # as saved in the files
    for index in (hub.vector_index, reopened):
        assert index.count() == 470
        assert index.vector_of(mine.pk) is None
        nearest = index.search(hub.embedder.embed([paper_text(mine)]), 471)  # more than it holds
        assert len(nearest) == 470 and mine.pk not in [pk for pk, _ in nearest]
    assert mine.id not in [item.paper.id for item in hub.similar(neighbour.id, limit=470)]
    assert MINE not in _titles(hub, MINE, "semantic", limit=50)

    hub.store.set_hidden(mine.id, False)
    assert hub.update_index() == {"keyword": 1, "vector": 1}
    assert VectorIndex(hub.vector_index.directory, hub.embedder).count() == 471
    assert hub.search("mutual information", mode="keyword").total == matching
    assert mine.id in [item.paper.id for item in hub.similar(neighbour.id)]
    assert _titles(hub, MINE, "semantic", limit=1) == [MINE]
