"""Finding papers. Keyword search (BM25, `keyword.py`) today; a dense retriever joins it here
as another source of ranked ids, fused before papers are loaded from the store."""

from __future__ import annotations

from pydantic import BaseModel

from litfeed.errors import LitfeedError
from litfeed.models import Paper
from litfeed.search.keyword import Filters, KeywordHit, KeywordIndex, TextPart
from litfeed.store import Store

__all__ = [
    "MAX_QUERY_LENGTH",
    "Filters",
    "KeywordIndex",
    "QueryError",
    "SearchHit",
    "SearchResults",
    "TextPart",
    "search_papers",
]

MAX_QUERY_LENGTH = 1000


class QueryError(LitfeedError, ValueError):
    """The query cannot be run; the message says why in one line."""


class SearchHit(BaseModel):
    paper: Paper
    score: float
    title: list[TextPart]
    snippet: list[TextPart]


class SearchResults(BaseModel):
    query: str
    mode: str
    total: int
    offset: int
    limit: int
    hits: list[SearchHit]


def check_query(query: str) -> str:
    text = " ".join(query.split())
    if not text:
        raise QueryError("the query is empty: type some words to search for")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}"
        )
    return text


def search_papers(
    store: Store,
    index: KeywordIndex,
    query: str,
    limit: int = 10,
    offset: int = 0,
    filters: Filters | None = None,
) -> SearchResults:
    """Rank papers for ``query``: first catch the index up with the store, so a paper stored a
    moment ago is found, then load the ranked papers from the store (the source of truth)."""
    text = check_query(query)
    index.catch_up(store)
    hits, total = index.search(text, limit=limit, offset=offset, filters=filters)
    papers = {paper.id: paper for paper in store.get_papers([hit.paper_id for hit in hits])}
    return SearchResults(
        query=text,
        mode="keyword",
        total=total,
        offset=offset,
        limit=limit,
        hits=[_hit(hit, papers[hit.paper_id]) for hit in hits if hit.paper_id in papers],
    )


def _hit(hit: KeywordHit, paper: Paper) -> SearchHit:
    return SearchHit(paper=paper, score=hit.score, title=hit.title, snippet=hit.snippet)
