"""BM25 between texts that are not in the keyword index: a small in-memory tantivy index with
the keyword index's schema and analysis, so "similar in words" means the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping

import tantivy

from litfeed.search.keyword import (
    ANALYZER,
    FIELD_BOOSTS,
    WORD,
    build_schema,
    english_analyzer,
    hit_pks,
)

MAX_QUERY_WORDS = 400


def free_text_query(text: str) -> str:
    """A text as a plain bag of words: no phrases, fields or operators (lower case, so "AND"
    is a word), at most `MAX_QUERY_WORDS` of them."""
    return " ".join(WORD.findall(text.lower())[:MAX_QUERY_WORDS])


class TextIndex:
    """Documents (id -> (title, abstract)) held in memory, scored against a query text."""

    def __init__(self, documents: Mapping[str, tuple[str, str]]) -> None:
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer(ANALYZER, english_analyzer())
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        # Documents are numbered in the "pk" column: results are read from it, as in search.
        self.keys = list(documents)
        for number, (title, abstract) in enumerate(documents.values()):
            document = tantivy.Document(title=title, abstract=abstract)
            document.add_unsigned("pk", number)
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.size = len(documents)

    def scores(self, text: str) -> dict[str, float]:
        """BM25 of every document that shares a word with ``text``."""
        words = free_text_query(text)
        if not words or not self.size:
            return {}
        query, _errors = self.index.parse_query_lenient(
            words, ["title", "abstract"], field_boosts=FIELD_BOOSTS
        )
        searcher = self.index.searcher()
        result = searcher.search(query, limit=self.size, count=False)
        numbers = hit_pks(searcher, result.hits)
        return {
            self.keys[number]: float(score)
            for number, (score, _address) in zip(numbers, result.hits, strict=True)
        }
