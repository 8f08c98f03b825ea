"""Similar papers: the nearest neighbours of a paper's embedding, each with a one-line reason."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

from pydantic import BaseModel

from litfeed.models import Paper
from litfeed.search.embeddings import paper_text
from litfeed.search.keyword import WORD, KeywordIndex, analysed_word
from litfeed.search.vectors import VectorIndex
from litfeed.store import Store

# A word can name a topic when it is not everywhere: at most this share of the collection (and at
# least two papers, or it is a typo or a name).
KEY_TERM_SHARE = 0.2
# Shares of arXiv computer-science papers (generic_terms.txt): a word said by more than
# GENERIC_SHARE is no reason alone; a phrase of words each said by more than COMMON_SHARE is none.
GENERIC_SHARE = 0.02
COMMON_SHARE = 0.1
# A word more than half of them say ("we", "model", "propos") is in no phrase worth showing.
FUNCTION_SHARE = 0.5
SHOWN_TERMS = 3
# Similar papers go this deep, a page at a time.
MAX_SIMILAR = 1_000
# Why a paper has no similar papers: it has not been embedded (or it is the only one).
NONE_YET = 'no similar papers yet: "litfeed index" embeds the papers not embedded so far'


class SimilarPaper(BaseModel):
    paper: Paper
    similarity: float
    reason: str


def find_similar(
    store: Store,
    keyword_index: KeywordIndex,
    vectors: VectorIndex,
    paper: Paper,
    limit: int = 10,
    offset: int = 0,
) -> list[SimilarPaper]:
    """The ``limit`` papers nearest in meaning to ``paper`` after the first ``offset``, down to
    the MAX_SIMILAR nearest (deeper pages are empty). A paper not yet in the vector index is
    embedded on the spot (one short text, not stored)."""
    limit = max(0, min(limit, MAX_SIMILAR - offset))
    if limit == 0:
        return []
    vector = vectors.vector_of(paper.pk)
    if vector is None:
        vector = vectors.embedder.embed_query(paper_text(paper))
    nearest = vectors.search(vector, offset + limit + 1)
    neighbours = [(pk, score) for pk, score in nearest if pk != paper.pk]
    similarity = dict(neighbours[offset : offset + limit])
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
    """A paper's analysed terms and two-word phrases: the words that first gave each, how often
    each occurs, and which occur in the title."""

    words: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    in_title: set[str] = field(default_factory=set)
    # Two words next to each other: ("mutual", "inform") -> ("mutual", " ", "information");
    # "auto-regressive" is one too. How often each occurs, and which occur in the title.
    phrases: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
    phrase_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    phrases_in_title: set[tuple[str, str]] = field(default_factory=set)
    # Terms said as words of their own, not only as a part of a hyphenated word ("regressive"
    # of "auto-regressive" alone is no reason).
    standalone: set[str] = field(default_factory=set)

    def topical(self, term: str) -> bool:
        """Said in the title, or more than once: what the paper is about, not a passing word."""
        return term in self.in_title or self.counts[term] > 1

    def topical_phrase(self, key: tuple[str, str]) -> bool:
        return key in self.phrases_in_title or self.phrase_counts[key] > 1


def _terms(paper: Paper) -> _Terms:
    terms = _Terms()
    for part, text in (("title", paper.title), ("abstract", paper.abstract)):
        previous: tuple[str, str, int] | None = None  # (term, word, where it ended)
        for match in WORD.finditer(text):
            word = match.group()
            analysed = analysed_word(word)
            shown = word if word.isupper() else word.lower()
            hyphenated = (
                text[match.start() - 1 : match.start()] == "-"
                or text[match.end() : match.end() + 1] == "-"
            )
            for term in analysed:
                terms.words.setdefault(term, shown)
                terms.counts[term] += 1
                if part == "title":
                    terms.in_title.add(term)
                if not hyphenated:
                    terms.standalone.add(term)
            # Two words next to each other (a space or a hyphen between), neither a stop word.
            single = next(iter(analysed)) if len(analysed) == 1 else None
            joint = text[previous[2] : match.start()] if previous else ""
            if previous and single and joint in (" ", "-"):
                key = (previous[0], single)
                terms.phrases.setdefault(key, (previous[1], joint, shown))
                terms.phrase_counts[key] += 1
                if part == "title":
                    terms.phrases_in_title.add(key)
            previous = (single, shown, match.end()) if single else None
    return terms


def _reason(own: _Terms, other: _Terms, index: KeywordIndex, collection_size: int) -> str:
    """What the two papers share that few others say: phrases first, kept whole ("mutual
    information"; shared two-word phrases that follow one another make one longer phrase), then
    single terms. Each is topical in both papers (in the title or said twice), in at least two
    papers and at most KEY_TERM_SHARE of the collection, and never made of words common to
    research writing at large (`generic_terms`, `common_terms`); else "close in meaning"."""
    generic, common, shares = generic_terms(), common_terms(), _term_shares()
    limit = max(2, int(KEY_TERM_SHARE * collection_size))
    shared = {
        key
        for key in own.phrases.keys() & other.phrases.keys()
        if own.topical_phrase(key)
        and other.topical_phrase(key)
        and not set(key) <= common
        and all(shares.get(term, 0.0) <= FUNCTION_SHARE and not term.isdigit() for term in key)
    }
    phrases = _chained(shared, own)
    counted = index.phrase_frequencies(list(phrases))
    chosen = sorted((counted[shown], shown) for shown in phrases if 2 <= counted[shown] <= limit)[
        :SHOWN_TERMS
    ]
    covered = {term for _count, shown in chosen for term in phrases[shown]}
    candidates = {
        term
        for term in own.counts.keys() & other.counts.keys()
        # Not a number, nor a single letter ("k" of top-k, "i" and "e" of "i.e.").
        if own.topical(term)
        and other.topical(term)
        and not term.isdigit()
        and len(term) > 1
        and term not in generic
        and term not in covered
        and term in own.standalone
        and term in other.standalone
    }
    frequencies = index.document_frequencies(candidates)
    words = sorted(
        (frequency, own.words[term])
        for term, frequency in frequencies.items()
        if 2 <= frequency <= limit
    )
    shown = [phrase for _count, phrase in chosen] + [word for _count, word in words]
    if shown:
        return "shared key terms: " + ", ".join(shown[:SHOWN_TERMS])
    return "close in meaning"


def _chained(shared: set[tuple[str, str]], terms: _Terms) -> dict[str, tuple[str, ...]]:
    """The shared two-word phrases, those that follow one another joined into one ("mutual
    information" and "information neural" make "mutual information neural"): shown text ->
    its terms."""
    following = {first: key for key in shared for first in key[:1]}
    starts = [key for key in shared if not any(other[1] == key[0] for other in shared)]
    chains: dict[str, tuple[str, ...]] = {}
    for key in sorted(starts):
        first, joint, second = terms.phrases[key]
        text, keys, term = f"{first}{joint}{second}", list(key), key[1]
        while term in following and following[term][1] not in keys:
            _, joint, word = terms.phrases[following[term]]
            text += f"{joint}{word}"
            term = following[term][1]
            keys.append(term)
        chains[text] = tuple(keys)
    return chains


@functools.cache
def generic_terms() -> frozenset[str]:
    """Words of research writing at large: in more than GENERIC_SHARE of 74,728 arXiv
    computer-science titles and abstracts ("propos", "result", "level", "given"). Alone, such
    a word says nothing about what two papers share."""
    return frozenset(term for term, share in _term_shares().items() if share > GENERIC_SHARE)


@functools.cache
def common_terms() -> frozenset[str]:
    """Words in more than COMMON_SHARE of those papers ("model", "method", "propos"): a phrase
    made of these only ("proposed method") is no reason either."""
    return frozenset(term for term, share in _term_shares().items() if share > COMMON_SHARE)


@functools.cache
def _term_shares() -> dict[str, float]:
    """From generic_terms.txt, made by scripts/generic_terms.py: term, tab, share of papers."""
    text = (resources.files("litfeed.search") / "generic_terms.txt").read_text(encoding="utf-8")
    shares = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            term, share = line.split("\t")
            shares[term] = float(share)
    return shares
