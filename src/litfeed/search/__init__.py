"""Finding papers: by words (BM25, `keyword.py`), by meaning (sentence embeddings in an HNSW
index, `vectors.py`), or both fused by reciprocal rank (`fusion.py`); and similar papers."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, computed_field

from litfeed.errors import LitfeedError
from litfeed.identifiers import is_storable_text
from litfeed.models import Paper
from litfeed.search.fusion import ranked, reciprocal_rank_fusion
from litfeed.search.keyword import QUERY_SYNTAX, WORD, Filters, KeywordIndex, TextPart, Words
from litfeed.store import Store

if TYPE_CHECKING:
    from litfeed.search.vectors import VectorIndex

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
MAX_DAYS = 366  # the most days a search's `days` filter reaches back
Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[Mode, ...] = ("hybrid", "keyword", "semantic")
# Semantic and hybrid search rank this many candidates from each retriever; pages go as deep as
# that.
CANDIDATES = 100
# Search by meaning with filters: when at most this many papers pass them, they are ranked exactly
# (a dot product with each); when more pass, the HNSW graph's nearest papers are ranked, enough of
# them that about twice CANDIDATES pass. An HNSW graph cannot find the nearest of a small subset,
# and exact ranking costs time in proportion to the subset. On the 74,728-paper corpus
# (bench/search_latency.py --semantic prints both) exact won at 10,949 papers (23 against 29 ms)
# and lost at 25,049 (41 against 25 ms); this limit lies between.
EXACT_FILTER_LIMIT = 15_000
OVERSAMPLING = 2


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
    mode: Mode  # what ran: hybrid falls back to keyword when the model cannot be loaded
    # How many results can be paged through: the papers matching the words, then in hybrid
    # mode those only related by meaning; in semantic mode the nearest candidates.
    total: int
    # How many papers match the words of the query (None when only meaning was searched) ...
    matching: int | None
    # ... containing all its words, all but one (when none has all), or any (when none has
    # all but one); None when only meaning was searched.
    words: Words | None = None
    # In hybrid mode, the results found by meaning alone: after the word matches, or, when no
    # paper has all the words but one, mixed with those that have some.
    related: int = 0
    offset: int
    limit: int
    hits: list[SearchHit]
    # Why the results may be incomplete (search by meaning unavailable, or not every paper
    # embedded yet), for the reader; None when nothing is amiss.
    notice: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headline(self) -> str:
        """One sentence saying what was found, for the reader (no full stop). Its numbers are
        the results that can be paged through."""
        quoted = f'"{self.query}"'
        if self.total == 0:
            return f"No papers match {quoted}"
        if self.mode == "semantic":
            return f"The {_papers(self.total)} nearest in meaning to {quoted}"
        related = f", then {self.related:,} related by meaning" if self.related else ""
        if not self.matching:
            return f"No paper contains the words of {quoted}; the nearest in meaning follow"
        if self.words == "most":
            return (
                f"No paper has all the words of {quoted}; {_papers(self.matching)} "
                f"{_have(self.matching)} all but one{related}"
            )
        if self.words == "any" and self.mode == "keyword":
            return (
                f"No paper has all the words of {quoted}; {_papers(self.matching)} "
                f"{_have(self.matching)} some of them"
            )
        if self.words == "any":
            return (
                f"No paper has all the words of {quoted}: the {_papers(self.total)} with some "
                "of them or near in meaning"
            )
        return f"{_papers(self.matching)} {_match(self.matching)} {quoted}{related}"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


def _match(count: int) -> str:
    return "matches" if count == 1 else "match"


def _papers(count: int) -> str:
    return f"{count:,} paper" if count == 1 else f"{count:,} papers"


def check_query(query: str, mode: str = "keyword") -> tuple[str, Mode]:
    text = " ".join(query.split())
    if not text:
        raise QueryError("the query is empty: type some words to search for")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}"
        )
    if not is_storable_text(text):
        raise QueryError("the query has a NUL character or a lone UTF-16 surrogate: not text")
    if not WORD.search(text):
        raise QueryError(f"the query has no words to search for: {text!r}")
    for known in MODES:
        if mode == known:
            return text, known
    raise QueryError(f"unknown search mode {mode!r} (known: {', '.join(MODES)})")


@dataclasses.dataclass
class _Page:
    """One page of results: (pk, score, found by) each, and the counts of all of them."""

    hits: list[tuple[int, float, list[str]]]
    total: int
    matching: int | None = None
    words: Words | None = None
    related: int = 0


class Searcher:
    """Search over one store. The vector index is given as a function because loading the
    embedding model takes seconds: keyword-only work never pays for it."""

    def __init__(
        self, store: Store, keyword_index: KeywordIndex, vectors: Callable[[], VectorIndex]
    ) -> None:
        self.store = store
        self.keyword_index = keyword_index
        self._vectors = vectors
        # Hybrid search ranks by words on this thread while the query is embedded (both release
        # the GIL): about 2 ms of a 15 ms search on 2 cores.
        self._words = ThreadPoolExecutor(max_workers=1, thread_name_prefix="litfeed-words")

    def close(self) -> None:
        self._words.shutdown(wait=False)

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> SearchResults:
        """Rank papers for ``query`` with the indexes as last published (a search never
        updates them: the background worker, or the command that stored papers, does);
        papers are loaded from the store."""
        text, ran = check_query(query, mode)
        filters, notice = self._resolve(filters or Filters())
        if not self.keyword_index.ready:
            notice = notice or (
                "the search index is not built yet: the background worker (started by "
                '"litfeed serve", or "litfeed worker") builds it; "litfeed index" does it now'
            )
        vectors = None
        if ran == "hybrid" and QUERY_SYNTAX.search(text):
            ran = "keyword"
            notice = notice or (
                "ranked by words alone: exclusions (-word), fields (authors:name) and "
                '"phrases" are not understood by search by meaning'
            )
        if ran != "keyword":
            # here, not above: search by words alone loads no numpy
            from litfeed.search.embeddings import EmbeddingError

            try:
                vectors = self._vectors()
            except EmbeddingError as error:
                if ran == "semantic":
                    raise
                ran = "keyword"
                notice = notice or (
                    f"search by meaning is unavailable, these results match words only: {error}"
                )
            else:
                embedded = vectors.count()
                notice = notice or _coverage_notice(embedded, self.keyword_index.document_count())
                if ran == "hybrid" and embedded == 0:  # nothing to fuse: words alone
                    vectors, ran = None, "keyword"
        if vectors is None:
            ranking = self.keyword_index.rank(text, limit, offset, filters)
            page = _Page(
                [(pk, score, ["words"]) for pk, score in ranking.hits],
                total=ranking.count,
                matching=ranking.count,
                words=ranking.words,
            )
        elif ran == "semantic":
            semantic = self._semantic(vectors, text, filters)
            page = _Page(
                [
                    (pk, similarity, ["meaning"])
                    for pk, similarity in semantic[offset : offset + limit]
                ],
                total=len(semantic),
            )
        else:
            page = self._hybrid(vectors, text, filters, offset, limit)
        papers = self.store.get_papers_by_pk([pk for pk, _score, _by in page.hits])
        highlights = self.keyword_index.highlight(text, papers)
        found = {pk: (score, by) for pk, score, by in page.hits}
        hits = [
            SearchHit(
                paper=paper,
                score=found[paper.pk][0],
                matched_by=found[paper.pk][1],
                title=title,
                snippet=snippet,
            )
            for paper, (title, snippet) in zip(papers, highlights, strict=True)
        ]
        return SearchResults(
            query=text,
            mode=ran,
            total=page.total,
            matching=page.matching,
            words=page.words,
            related=page.related,
            offset=offset,
            limit=limit,
            hits=hits,
            notice=notice,
        )

    def _resolve(self, filters: Filters) -> tuple[Filters, str | None]:
        """The filters as the index spells them, and a notice when a category has no papers.
        Raises `QueryError` for dates the wrong way round."""
        if filters.since and filters.until and filters.since > filters.until:
            raise QueryError(
                f"no date is in that range: since ({filters.since}) is after until "
                f"({filters.until})"
            )
        if filters.days is not None:
            filters = dataclasses.replace(filters, days=None, among=self._among_days(filters))
        if filters.category is None:
            return filters, None
        for spelling in _category_spellings(filters.category):
            if self.keyword_index.count_matching(Filters(category=spelling)):
                return dataclasses.replace(filters, category=spelling), None
        return filters, f"no paper here is in the category {filters.category!r}"

    def _among_days(self, filters: Filters) -> tuple[int, ...]:
        """The papers of the last ``filters.days`` days up to the newest day here (of those
        ``filters.among``, when given)."""
        newest = self.store.latest_day()
        if newest is None or filters.days is None:
            return ()
        days = max(1, min(filters.days, MAX_DAYS))
        pks = self.store.pks_of_days(newest - timedelta(days=days - 1), newest)
        if filters.among is not None:
            kept = set(filters.among)
            pks = [pk for pk in pks if pk in kept]
        return tuple(pks)

    def _hybrid(
        self, vectors: VectorIndex, text: str, filters: Filters, offset: int, limit: int
    ) -> _Page:
        """Words and meaning. When papers contain all the query's words (or all but one), they
        come first: the CANDIDATES best by words re-ranked with meaning (reciprocal rank
        fusion), then the rest of them by words; then the papers near in meaning that lack the
        words, as such. When papers only contain some of the words, those and the nearest in
        meaning are fused into one list, none of them a match."""
        by_words = self._words.submit(self.keyword_index.rank, text, CANDIDATES, 0, filters)
        semantic = self._semantic(vectors, text, filters)
        words = by_words.result()
        similarity = dict(semantic)
        best = [pk for pk, _score in words.hits]
        strong = set(best)
        fused = reciprocal_rank_fusion([best, [pk for pk, _ in semantic]])

        def reasons(pk: int) -> list[str]:
            return [
                reason
                for reason, found in (("words", pk in strong), ("meaning", pk in similarity))
                if found
            ]

        if words.words == "any" or not words.count:
            order = ranked(fused)
            return _Page(
                [(pk, fused[pk], reasons(pk)) for pk in order[offset : offset + limit]],
                total=len(order),
                matching=words.count,
                words=words.words,
                related=sum(pk not in strong for pk in order),  # found by meaning alone
            )
        first = sorted(best, key=lambda pk: -fused[pk])
        others = [pk for pk, _ in semantic if pk not in strong]
        beyond = (
            self.keyword_index.matching_among(text, words.words, filters, others)
            if words.count > len(best)
            else set()
        )
        related = [pk for pk in others if pk not in beyond]
        end = offset + limit
        hits = [(pk, fused[pk], reasons(pk)) for pk in first[offset:end]]
        rest_start, rest_end = max(offset, len(first)), min(end, words.count)
        if rest_start < rest_end:  # matches past the best CANDIDATES: by words alone
            rest = self.keyword_index.rank(
                text, rest_end - rest_start, rest_start, filters, words=words.words
            )
            hits += [
                (pk, score, ["words", "meaning"] if pk in similarity else ["words"])
                for pk, score in rest.hits
            ]
        near_start, near_end = max(offset - words.count, 0), end - words.count
        if near_end > 0:
            hits += [(pk, similarity[pk], ["meaning"]) for pk in related[near_start:near_end]]
        return _Page(
            hits,
            total=words.count + len(related),
            matching=words.count,
            words=words.words,
            related=len(related),
        )

    def _semantic(
        self, vectors: VectorIndex, text: str, filters: Filters
    ) -> list[tuple[int, float]]:
        """(paper pk, cosine similarity) of the nearest papers that pass the filters."""
        query = vectors.embedder.embed_query(text)
        if filters == Filters():
            return vectors.search(query, CANDIDATES)
        passing = self.keyword_index.count_matching(filters)
        if passing > EXACT_FILTER_LIMIT:
            share = passing / max(vectors.count(), passing)
            candidates = vectors.search(query, math.ceil(OVERSAMPLING * CANDIDATES / share))
            kept = set(self.keyword_index.pks_matching(filters, among=[pk for pk, _ in candidates]))
            nearest = [(pk, similarity) for pk, similarity in candidates if pk in kept]
            if len(nearest) >= CANDIDATES:
                return nearest[:CANDIDATES]
            # Else the query's neighbourhood lies outside the filter (medical imaging within
            # cs.CL): the graph's nearest mostly fail it, so the passing papers are ranked exactly.
        return vectors.search_among(query, self.keyword_index.pks_matching(filters), CANDIDATES)


def _category_spellings(category: str) -> list[str]:
    """``category`` as typed, then as arXiv spells categories: the archive in lower case and
    the subject class in upper case (cs.CV, stat.ML, astro-ph.CO), or all in lower case
    (cond-mat.mes-hall, physics.comp-ph)."""
    archive, dot, subject = category.partition(".")
    spellings = [category, f"{archive.lower()}{dot}{subject.upper()}", category.lower()]
    return list(dict.fromkeys(spellings))


def _coverage_notice(embedded: int, papers: int) -> str | None:
    if embedded >= papers:
        return None
    return (
        f"search by meaning covers {embedded:,} of {papers:,} papers so far: "
        '"litfeed index" embeds the rest'
    )
