"""Finding papers: by words (BM25, `keyword.py`), by meaning (sentence embeddings in an HNSW
index, `vectors.py`), or both fused by reciprocal rank (`fusion.py`); and similar papers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from litfeed.errors import LitfeedError
from litfeed.models import Paper
from litfeed.search.fusion import ranked, reciprocal_rank_fusion
from litfeed.search.keyword import Filters, KeywordIndex, TextPart
from litfeed.search.vectors import VectorIndex
from litfeed.store import PaperKey, Store

__all__ = [
    "MAX_QUERY_LENGTH",
    "MODES",
    "Filters",
    "KeywordIndex",
    "Mode",
    "QueryError",
    "SearchHit",
    "SearchResults",
    "Searcher",
    "TextPart",
]

MAX_QUERY_LENGTH = 1000
Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[Mode, ...] = ("hybrid", "keyword", "semantic")
# Semantic and hybrid search rank this many candidates from each retriever (more when filters
# discard some); pages go as deep as that.
CANDIDATES = 100
FILTERED_CANDIDATES = 1000


class QueryError(LitfeedError, ValueError):
    """The query cannot be run; the message says why in one line."""


class SearchHit(BaseModel):
    paper: Paper
    score: float
    matched_by: list[str]
    title: list[TextPart]
    snippet: list[TextPart]


class SearchResults(BaseModel):
    query: str
    mode: Mode
    total: int
    offset: int
    limit: int
    hits: list[SearchHit]


def check_query(query: str, mode: str = "keyword") -> tuple[str, Mode]:
    text = " ".join(query.split())
    if not text:
        raise QueryError("the query is empty: type some words to search for")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}"
        )
    for known in MODES:
        if mode == known:
            return text, known
    raise QueryError(f"unknown search mode {mode!r} (known: {', '.join(MODES)})")


def matches_filters(paper: PaperKey, filters: Filters) -> bool:
    return (
        (not filters.category or filters.category in paper.categories)
        and (not filters.since or paper.date >= filters.since)
        and (not filters.until or paper.date <= filters.until)
    )


class Searcher:
    """Search over one store. The vector index is given as a function because loading the
    embedding model takes seconds: keyword-only work never pays for it."""

    def __init__(
        self, store: Store, keyword_index: KeywordIndex, vectors: Callable[[], VectorIndex]
    ) -> None:
        self.store = store
        self.keyword_index = keyword_index
        self._vectors = vectors

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> SearchResults:
        """Rank papers for ``query``. The keyword index first catches up with the store, so a
        paper stored a moment ago is found by its words; papers are loaded from the store."""
        text, mode = check_query(query, mode)
        filters = filters or Filters()
        self.keyword_index.catch_up(self.store)
        if mode == "keyword":
            ranking, total = self.keyword_index.rank(text, limit, offset, filters)
            papers = self.store.get_papers([paper_id for paper_id, _ in ranking])
            scores = dict(ranking)
            found_by = {paper.id: ["words"] for paper in papers}
        else:
            scores, found_by = self._fused(text, mode, filters)
            order = ranked(scores)
            total = len(order)
            papers = self.store.get_papers(order[offset : offset + limit])
        highlights = self.keyword_index.highlight(text, papers)
        hits = [
            SearchHit(
                paper=paper,
                score=scores[paper.id],
                matched_by=found_by[paper.id],
                title=title,
                snippet=snippet,
            )
            for paper, (title, snippet) in zip(papers, highlights, strict=True)
        ]
        return SearchResults(
            query=text, mode=mode, total=total, offset=offset, limit=limit, hits=hits
        )

    def _fused(
        self, text: str, mode: str, filters: Filters
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        semantic = self._semantic(text, filters)
        found_by = {paper_id: ["meaning"] for paper_id, _ in semantic}
        if mode == "semantic":
            return dict(semantic), found_by
        keyword, _total = self.keyword_index.rank(text, CANDIDATES, 0, filters)
        for paper_id, _score in keyword:
            found_by.setdefault(paper_id, []).insert(0, "words")
        fused = reciprocal_rank_fusion(
            [[paper_id for paper_id, _ in keyword], [paper_id for paper_id, _ in semantic]]
        )
        return fused, found_by

    def _semantic(self, text: str, filters: Filters) -> list[tuple[str, float]]:
        """(paper id, cosine similarity) of the nearest papers that pass the filters. Only the
        few fields the filters need are read for the candidates, not whole papers."""
        vectors = self._vectors()
        filtered = filters != Filters()
        candidates = vectors.search(
            vectors.embedder.embed_query(text), FILTERED_CANDIDATES if filtered else CANDIDATES
        )
        keys = self.store.paper_keys([pk for pk, _ in candidates])
        kept = [
            (keys[pk].id, similarity)
            for pk, similarity in candidates
            if pk in keys and matches_filters(keys[pk], filters)
        ]
        return kept[:CANDIDATES]
