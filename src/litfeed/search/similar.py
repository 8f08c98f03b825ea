"""Similar papers: the nearest neighbours of a paper's embedding, each with a one-line reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import BaseModel

from litfeed.models import Paper
from litfeed.search.embeddings import paper_text
from litfeed.search.keyword import WORD, KeywordIndex, analysed_word
from litfeed.search.vectors import VectorIndex
from litfeed.store import Store

# A word can name a topic when it is not everywhere: at most this share of the collection (and at
# least two papers, or it is a typo or a name).
KEY_TERM_SHARE = 0.2
SHOWN_TERMS = 3
# Why a paper has no similar papers: it has not been embedded (or it is the only one).
NONE_YET = "no similar papers yet: `litfeed index` embeds the papers not embedded so far"


class SimilarPaper(BaseModel):
    paper: Paper
    similarity: float
    reason: str


def find_similar(
    store: Store, keyword_index: KeywordIndex, vectors: VectorIndex, paper: Paper, limit: int = 10
) -> list[SimilarPaper]:
    """The ``limit`` papers nearest in meaning to ``paper``. A paper not yet in the vector index
    is embedded on the spot (one short text, not stored)."""
    vector = vectors.vector_of(paper.pk)
    if vector is None:
        vector = vectors.embedder.embed_query(paper_text(paper))
    neighbours = [(pk, score) for pk, score in vectors.search(vector, limit + 1) if pk != paper.pk]
    similarity = dict(neighbours[:limit])
    others = store.get_papers_by_pk(list(similarity))
    collection_size = max(keyword_index.document_count(), 1)
    own_terms = _terms(paper)
    return [
        SimilarPaper(
            paper=other,
            similarity=similarity[other.pk],
            reason=_reason(own_terms, _terms(other), keyword_index, collection_size),
        )
        for other in others
    ]


@dataclass
class _Terms:
    """A paper's analysed terms: the word that first gave each, and how often each occurs."""

    words: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    in_title: set[str] = field(default_factory=set)

    def topical(self, term: str) -> bool:
        """Said in the title, or more than once: what the paper is about, not a passing word."""
        return term in self.in_title or self.counts[term] > 1


def _terms(paper: Paper) -> _Terms:
    terms = _Terms()
    for part, text in (("title", paper.title), ("abstract", paper.abstract)):
        for word in WORD.findall(text):
            for term in analysed_word(word):
                terms.words.setdefault(term, word if word.isupper() else word.lower())
                terms.counts[term] += 1
                if part == "title":
                    terms.in_title.add(term)
    return terms


def _reason(own: _Terms, other: _Terms, index: KeywordIndex, collection_size: int) -> str:
    """Shared key terms when there are some: rare in the collection (at most KEY_TERM_SHARE of
    the papers, but in two at least) and topical in both papers; else "close in meaning"."""
    limit = max(2, int(KEY_TERM_SHARE * collection_size))
    candidates = {
        term
        for term in own.counts.keys() & other.counts.keys()
        # Not a number, nor a single letter ("k" of top-k, "i" and "e" of "i.e.").
        if own.topical(term) and other.topical(term) and not term.isdigit() and len(term) > 1
    }
    frequencies = index.document_frequencies(candidates)
    shared = sorted(
        (frequency, own.words[term])
        for term, frequency in frequencies.items()
        if 2 <= frequency <= limit
    )
    if shared:
        return "shared key terms: " + ", ".join(word for _, word in shared[:SHOWN_TERMS])
    return "close in meaning"
