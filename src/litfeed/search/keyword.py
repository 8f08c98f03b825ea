"""The BM25 keyword index: tantivy files in the data directory, derived from the database.

The index follows the store's change cursor: `KeywordIndex.catch_up` upserts every paper changed
since the change number saved with the index (delete by pk, then add), commits, and only then
saves the new cursor. A crash between the database and the index therefore costs a re-index of
some papers, never a paper missing from search. `rebuild` builds new files beside the old ones
and switches to them atomically (`generations.py`), so searches never see a missing index.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import tantivy
from pydantic import BaseModel, ConfigDict

from litfeed.models import EARLIEST_DATE, LATEST_DATE, IndexEntry, Paper, Progress
from litfeed.search.generations import Generations
from litfeed.search.state import KEYWORD_META
from litfeed.store import Store

ANALYZER = "litfeed_english"
SEARCH_FIELDS = ["title", "abstract", "authors"]
# Title words say more about what a paper is about than abstract words; this is the usual
# factor (e.g. arxiv-sanity-lite weights title tf-idf likewise).
FIELD_BOOSTS = {"title": 2.0}
SNIPPET_CHARACTERS = 320
SCHEMA_VERSION = 5  # bump when the documents or the analyzer change: the index is rebuilt


class TextPart(BaseModel):
    """A piece of a title or snippet; ``match`` marks words the query matched."""

    model_config = ConfigDict(frozen=True)

    text: str
    match: bool


@dataclass(frozen=True)
class Filters:
    """Restrictions every search mode shares. The dates are publication dates: a paper whose
    date is unknown passes no date filter. ``days`` keeps the papers of the last N days here
    (the days of the daily pages, up to the newest one): new papers, whether dated or not."""

    category: str | None = None
    since: date | None = None
    until: date | None = None
    days: int | None = None
    # Only these papers (pks): a digest's saved search runs among the papers of its period.
    among: tuple[int, ...] | None = None


def build_schema() -> Any:
    builder = tantivy.SchemaBuilder()
    # Nothing is stored: results are read as row numbers from the "pk" column (a fast field) and
    # papers come from the database, so no document is ever fetched from the index.
    builder.add_text_field("id", tokenizer_name="raw")
    builder.add_unsigned_field("pk", indexed=True, fast=True)
    builder.add_text_field("title", tokenizer_name=ANALYZER)
    builder.add_text_field("abstract", tokenizer_name=ANALYZER)
    builder.add_text_field("authors", tokenizer_name=ANALYZER)
    # Every word of title, abstract and authors, which papers only: a plain query's papers are
    # found in this one field (an intersection of posting lists) and scored in the three above.
    builder.add_text_field("text", tokenizer_name=ANALYZER, index_option="basic")
    builder.add_text_field("category", tokenizer_name="raw")
    builder.add_date_field("date", indexed=True, fast=True)
    return builder.build()


def english_analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


_ANALYZER = english_analyzer()
# A word as tantivy's simple tokenizer sees it: a run of letters and digits.
WORD = re.compile(r"[^\W_]+")
# Search syntax: an excluded or required word, a field, a phrase.
QUERY_SYNTAX = re.compile(r'(?:^|\s)[-+]\w|\b(?:title|abstract|authors|category|id):\S|"')
# tantivy's operators, which its parser alone understands (an embedding can still read them)
_OPERATORS = re.compile(r"\b(?:AND|OR)\b")
# "All but one word" is tried for queries of up to this many words (one subquery per word).
MOST_WORDS_LIMIT = 8
# Papers indexed between commits of a long run (what tantivy holds until a commit stays bounded).
COMMIT_EVERY = 100_000
Words = Literal["all", "most", "any"]


@dataclass(frozen=True)
class Ranking:
    hits: list[tuple[int, float]]
    count: int  # papers matching in all
    words: Words  # how many of the query's words they contain


_EXISTS_CLAUSE = re.compile(r"[-+]?\b\w+:\*(?=\s|\)|$)")


class KeywordIndex:
    """A tantivy index in generations (`generations.py`) plus the change number it has caught up
    to. Readers only read: they open the published generation and follow the writer's commits;
    until one is published they search an empty index (`ready` is False). Writers take the
    generations' lock: `catch_up` adds to the current generation (a tantivy commit is atomic for
    readers), `rebuild` builds a new one beside it and publishes it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generations = Generations(directory)
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._meta: dict[str, Any] = {}
        self._meta_stamp: tuple[int, int] | None = None
        self._pointer: tuple[int, int] | None = None
        self._generation: Path | None = None
        self.index = self._empty()
        self._refresh()

    @property
    def ready(self) -> bool:
        """Whether a built index is being read (else searches find nothing yet)."""
        self._refresh()
        return self._generation is not None

    def _open(self) -> None:
        """Open the published generation; damaged files, another schema or none at all leave an
        empty index, which the next writer replaces."""
        self._pointer = self.generations.stamp()
        generation = self.generations.current()
        self._generation, self._meta, self._meta_stamp = None, {}, None
        self.index = self._empty()
        if generation is None:
            return
        meta, stamp = _read_meta(generation)
        if meta.get("schema") != SCHEMA_VERSION:
            return
        try:
            index = tantivy.Index.open(str(generation))
            index.register_tokenizer(ANALYZER, english_analyzer())
            if index.searcher().num_docs == 0 and meta.get("documents"):
                return  # files lost: not the index the cursor describes
        except ValueError:  # tantivy's files are damaged or incomplete
            return
        self.index, self._generation, self._meta, self._meta_stamp = index, generation, meta, stamp

    def _empty(self) -> Any:
        index = tantivy.Index(self.schema)
        index.register_tokenizer(ANALYZER, english_analyzer())
        return index

    # -- following the store -------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        self._refresh()
        return int(self._meta.get("change", 0))

    def catch_up(self, store: Store, progress: Progress | None = None, wait: bool = True) -> int:
        """Index every paper changed since the saved cursor; return how many were indexed.
        Builds a new generation when there is none usable (or it is of another database). With
        ``wait`` False, returns 0 at once when another process is writing the index."""
        with self.generations.writing(wait) as writing:
            if not writing:
                return 0
            self._refresh()
            latest = store.latest_change()
            cursor = int(self._meta.get("change", 0))
            generation = self._generation
            if (
                generation is None
                or cursor > latest
                or self._meta.get("database") != store.identity
            ):
                return self._build(store, progress)
            if cursor == latest:
                return 0
            return self._index_changes(self.index, generation, store, cursor, progress)

    def rebuild(self, store: Store, progress: Progress | None = None) -> int:
        """Build the index anew from the database beside the current one, then switch to it."""
        with self.generations.lock():
            return self._build(store, progress)

    def _build(self, store: Store, progress: Progress | None) -> int:
        generation = self.generations.new()
        index = tantivy.Index(self.schema, path=str(generation))
        index.register_tokenizer(ANALYZER, english_analyzer())
        indexed = self._index_changes(index, generation, store, 0, progress, fresh=True)
        self.generations.publish(generation)
        with self._lock:
            self._open()
        return indexed

    def _index_changes(
        self,
        index: Any,
        generation: Path,
        store: Store,
        cursor: int,
        progress: Progress | None,
        fresh: bool = False,
    ) -> int:
        """Index papers changed after ``cursor`` into ``index`` (``fresh``: a new, empty one).
        Every change up to the latest (read before this started) is committed and so read here:
        the new cursor is at least that. The cursor file is written after tantivy's commit.

        A paper's older document is deleted before its new one is added; tantivy keeps each
        delete until the commit (about 1.3 kB each: 3.4 GiB at 2.7M papers), so a fresh index
        deletes only a paper it has already added in this build (one changed while it was
        read), and a long run commits every COMMIT_EVERY papers."""
        latest = store.latest_change()
        # tantivy's indexing threads, one a core (up to 4), beside this one reading the papers:
        # 100,000 papers from PostgreSQL, 26.6 s with one, 22.9 s with two (2 cores; reading
        # them is 9 s of it).
        writer = index.writer(
            heap_size=128_000_000, num_threads=max(1, min(4, os.cpu_count() or 1))
        )
        indexed = 0
        newest = cursor
        total = store.count_changed_papers(cursor) if progress is not None else 0
        added = bytearray()  # by pk: added in this build (``fresh``)
        for batch in store.iter_changed_papers(cursor):
            for change, paper in batch:
                if fresh and paper.pk >= len(added):
                    added.extend(bytes(max(paper.pk + 1 - len(added), 65_536)))
                if not fresh or added[paper.pk]:
                    # By query: a term given as a Python int would be a signed one, matching
                    # nothing.
                    writer.delete_documents_by_query(
                        tantivy.Query.term_query(self.schema, "pk", paper.pk)
                    )
                if not paper.hidden:  # a hidden paper leaves the index until restored
                    writer.add_document(self._document(paper))
                    if fresh:
                        added[paper.pk] = 1
                newest = max(newest, change)
                indexed += 1
                if indexed % COMMIT_EVERY == 0:
                    writer.commit()
            if progress is not None:
                progress(indexed, max(indexed, total))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        _write_meta(
            generation,
            {
                "schema": SCHEMA_VERSION,
                "database": store.identity,
                "change": max(newest, latest),
                "documents": index.searcher().num_docs,
            },
        )
        return indexed

    def _document(self, paper: IndexEntry) -> Any:
        document = tantivy.Document(
            id=paper.id,
            title=paper.title,
            abstract=paper.abstract,
            authors=" ; ".join(paper.authors),
            category=list(paper.categories),
        )
        for text in (paper.title, paper.abstract, *paper.authors):
            document.add_text("text", text)
        document.add_unsigned("pk", paper.pk)
        # An unknown date is in no date range, nor is one the index cannot hold (imports refuse
        # such dates; rows stored before they did may still carry one).
        if paper.published is not None and EARLIEST_DATE <= paper.published <= LATEST_DATE:
            document.add_date("date", _moment(paper.published))
        return document

    # -- searching -----------------------------------------------------------------------------

    def rank(
        self,
        query_text: str,
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
        words: Words | None = None,
    ) -> Ranking:
        """(paper pk, BM25 score) best first, how many papers match in all, and how many of the
        query's words they were asked to contain (`Words`): all of them when any paper has
        them all, else all but one, else any; ``words`` asks for one level (the one an earlier
        page chose). BM25 over title (boosted), abstract and authors; tantivy's query language:
        "a phrase", field:term, +required, -excluded (such a query is taken as written, its
        terms all required)."""
        self._refresh()
        filters = filters or Filters()
        searcher = self.index.searcher()
        levels = [words] if words else self._levels(query_text)
        for level in levels:
            query = self._filtered(self._words_query(query_text, level), filters)
            result = searcher.search(query, limit=limit, offset=offset, count=True)
            count = int(result.count or 0)
            if count or level == levels[-1]:
                pks = hit_pks(searcher, result.hits)
                hits = [
                    (pk, float(score))
                    for pk, (score, _address) in zip(pks, result.hits, strict=True)
                ]
                return Ranking(hits, count, level)
        raise AssertionError("unreachable: the last level returns")

    def matching_among(
        self, query_text: str, words: Words, filters: Filters, among: Sequence[int]
    ) -> set[int]:
        """Which of the papers ``among`` match the query at the level ``words``."""
        if not among:
            return set()
        self._refresh()
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._filtered(self._words_query(query_text, words), filters)),
                (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "pk", list(among))),
            ]
        )
        searcher = self.index.searcher()
        return set(hit_pks(searcher, searcher.search(query, limit=len(among), count=False).hits))

    def _levels(self, query_text: str) -> list[Words]:
        """The levels to try, strictest first: a query in tantivy's language is taken as
        written; plain words fall back to all but one (from three words to MOST_WORDS_LIMIT;
        a longer query has too many ways of leaving one out) and then to any."""
        if _as_written(query_text):
            return ["all"]
        count = len(_terms(query_text))
        if count < 2:
            return ["all"]
        return ["all", "most", "any"] if 3 <= count <= MOST_WORDS_LIMIT else ["all", "any"]

    def _words_query(self, query_text: str, words: Words) -> Any:
        """The papers with all, all but one, or any of the query's words, scored by BM25 over
        title (boosted), abstract and authors. A query in tantivy's language goes to its parser.
        Plain words are built here: which papers match is decided in the one "text" field (an
        intersection of posting lists, not of per-word unions over three fields: several
        times faster at a million papers); the score is the sum of each word's BM25 in each
        field, as the parser's query gives it."""
        if _as_written(query_text):
            return self._parse(query_text, conjunction=words == "all")
        terms = _terms(query_text)
        if not terms:
            return tantivy.Query.empty_query()
        scoring = [(tantivy.Occur.Should, query) for term in terms for query in self._scored(term)]
        if words == "any":
            return tantivy.Query.boolean_query(scoring)
        if words == "all":
            required = self._all_present(terms)
        else:
            required = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, self._all_present(terms[:i] + terms[i + 1 :]))
                    for i in range(len(terms))
                ]
            )
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.const_score_query(required, 0.0)), *scoring]
        )

    def _scored(self, term: str) -> list[Any]:
        """A term's query in each searched field (the title's boosted)."""
        queries = []
        for field in SEARCH_FIELDS:
            query = tantivy.Query.term_query(self.schema, field, term)
            boost = FIELD_BOOSTS.get(field)
            queries.append(tantivy.Query.boost_query(query, boost) if boost else query)
        return queries

    def _all_present(self, terms: list[str]) -> Any:
        """Papers holding every term, in title, abstract or authors."""
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "text", t)) for t in terms]
        )

    def count_matching(self, filters: Filters) -> int:
        """How many papers pass ``filters``."""
        self._refresh()
        query = self._filtered(tantivy.Query.all_query(), filters)
        return _count(self.index.searcher(), query)

    def pks_matching(self, filters: Filters, among: Sequence[int] | None = None) -> list[int]:
        """The pks of the papers that pass ``filters`` (only of those ``among``, when given)."""
        self._refresh()
        query = self._filtered(tantivy.Query.all_query(), filters)
        if among is not None:
            if not among:
                return []
            within = tantivy.Query.term_set_query(self.schema, "pk", list(among))
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)]
            )
        searcher = self.index.searcher()
        limit = len(among) if among is not None else _count(searcher, query)
        if limit == 0:
            return []
        return hit_pks(searcher, searcher.search(query, limit=limit, count=False).hits)

    def highlight(
        self, query_text: str, papers: list[Paper]
    ) -> list[tuple[list[TextPart], list[TextPart]]]:
        """For each paper, its title with the query's words marked and the abstract's best
        fragment (or its opening) likewise."""
        searcher = self.index.searcher()
        generator = tantivy.SnippetGenerator.create(
            searcher, self._parse(query_text), self.schema, "abstract"
        )
        generator.set_max_num_chars(SNIPPET_CHARACTERS)
        terms = set(_ANALYZER.analyze(query_text))
        return [
            (
                _mark_words(paper.title, terms),
                _parts(
                    generator.snippet_from_doc(tantivy.Document(abstract=paper.abstract)),
                    paper.abstract,
                ),
            )
            for paper in papers
        ]

    def document_frequencies(self, terms: set[str]) -> dict[str, int]:
        """In how many papers each analysed term occurs (title or abstract, whichever more)."""
        searcher = self.index.searcher()
        return {
            term: max(int(searcher.doc_freq(field, term)) for field in ("title", "abstract"))
            for term in terms
        }

    def phrase_frequencies(self, phrases: Sequence[str]) -> dict[str, int]:
        """In how many papers each phrase occurs, its words together (title or abstract)."""
        self._refresh()
        searcher = self.index.searcher()
        counts = {}
        for phrase in phrases:
            words = " ".join(WORD.findall(phrase))
            query, errors = self.index.parse_query_lenient(f'"{words}"', ["title", "abstract"])
            counts[phrase] = 0 if errors or not words else _count(searcher, query)
        return counts

    def _parse(self, query_text: str, conjunction: bool = False) -> Any:
        """The query in tantivy's language, its terms all required with ``conjunction``; when
        that does not parse (LaTeX such as ``\\mathcal{O}(n^2)`` reads as broken range syntax),
        just its words; and when those are all stop words, a query that matches nothing (not
        everything)."""
        # "title:*" asks whether a field exists, which only fast fields can answer (tantivy
        # fails at search time): such a clause is dropped, as it holds for every paper.
        query_text = _EXISTS_CLAUSE.sub(" ", query_text)
        query, errors = self.index.parse_query_lenient(
            query_text,
            SEARCH_FIELDS,
            field_boosts=FIELD_BOOSTS,
            conjunction_by_default=conjunction,
        )
        if errors:
            words = " ".join(word.lower() for word in WORD.findall(query_text))
            query, errors = self.index.parse_query_lenient(
                words, SEARCH_FIELDS, field_boosts=FIELD_BOOSTS, conjunction_by_default=conjunction
            )
        return tantivy.Query.empty_query() if errors else query

    def _filtered(self, query: Any, filters: Filters) -> Any:
        clauses = [(tantivy.Occur.Must, query)]
        if filters.category:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.term_query(self.schema, "category", filters.category),
                )
            )
        if filters.since or filters.until:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        self.schema,
                        "date",
                        tantivy.FieldType.Date,
                        _moment(filters.since) if filters.since else None,
                        _moment(filters.until) if filters.until else None,
                    ),
                )
            )
        if filters.among is not None:
            within = (
                tantivy.Query.term_set_query(self.schema, "pk", list(filters.among))
                if filters.among
                else tantivy.Query.empty_query()
            )
            clauses.append((tantivy.Occur.Must, within))
        return query if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def document_count(self) -> int:
        self._refresh()
        return int(self.index.searcher().num_docs)

    # -- files ---------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Open another generation when one was published, and reload the reader when the
        writer (another process, or this one) has committed since the last look."""
        with self._lock:
            if self.generations.stamp() != self._pointer:
                self._open()
                return
            if self._generation is None:
                return
            if _stamp(self._generation / KEYWORD_META) != self._meta_stamp:
                self._meta, self._meta_stamp = _read_meta(self._generation)
                self.index.reload()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (status.st_ino, status.st_mtime_ns)


def _read_meta(generation: Path) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """A generation's cursor file and its stamp (inode, time); ({}, None) when it has none."""
    path = generation / KEYWORD_META
    try:
        status = path.stat()
        return dict(json.loads(path.read_text())), (status.st_ino, status.st_mtime_ns)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return {}, None


def _write_meta(generation: Path, meta: dict[str, Any]) -> None:
    temporary = generation / f"{KEYWORD_META}.tmp"
    temporary.write_text(json.dumps(meta))
    os.replace(temporary, generation / KEYWORD_META)


def _moment(day: date) -> datetime:
    """Midnight of ``day``, clamped to the dates papers may carry (the index holds no other):
    a filter from the year 1 or to the year 9999 means "from the first" or "to the last"."""
    return datetime.combine(min(max(day, EARLIEST_DATE), LATEST_DATE), time())


def _count(searcher: Any, query: Any) -> int:
    return int(searcher.search(query, limit=1, count=True).count)


def hit_pks(searcher: Any, hits: list[tuple[Any, Any]]) -> list[int]:
    """The "pk" column of search hits: a fast field, so no document is read."""
    addresses = [address for _score, address in hits]
    return [int(pk) for pk in searcher.fast_field_values("pk", addresses)]


def _mark_words(text: str, terms: set[str]) -> list[TextPart]:
    """All of ``text``, its words marked where their analysed form is a query term. (Titles are
    short: this is several times cheaper than tantivy's snippet generator, which rescans.)"""
    parts: list[TextPart] = []
    position = 0
    for word in WORD.finditer(text):
        if analysed_word(word.group()) & terms:
            parts.append(TextPart(text=text[position : word.start()], match=False))
            parts.append(TextPart(text=word.group(), match=True))
            position = word.end()
    parts.append(TextPart(text=text[position:], match=False))
    return [part for part in parts if part.text]


def _as_written(query_text: str) -> bool:
    """Whether a query uses tantivy's language (syntax or operators): its parser reads it."""
    return bool(QUERY_SYNTAX.search(query_text) or _OPERATORS.search(query_text))


def _terms(query_text: str) -> list[str]:
    """The query's distinct words as the index holds them (analysed), in order, stop words left
    out. A word the tokenizer splits ("GPT-4", "low-rank") counts as its parts: as a phrase it
    would make every query holding one several times slower at a million papers, for papers
    that nearly always have its parts together anyway."""
    terms = (term for word in WORD.findall(query_text) for term in sorted(analysed_word(word)))
    return list(dict.fromkeys(terms))


@functools.lru_cache(maxsize=1 << 16)
def analysed_word(word: str) -> frozenset[str]:
    return frozenset(_ANALYZER.analyze(word))


def _parts(snippet: Any, text: str) -> list[TextPart]:
    """Split tantivy's best fragment of ``text`` (or its opening, when nothing matched) into
    plain and matched parts, with "…" where it was cut. Offsets count UTF-8 bytes."""
    data = text.strip().encode("utf-8")
    if snippet.fragment():
        fragment = snippet.fragment_range()
        begin, finish = fragment.start, fragment.end
        matches = sorted((begin + r.start, begin + r.end) for r in snippet.highlighted())
    else:
        opening = data[:SNIPPET_CHARACTERS].decode("utf-8", "ignore")
        begin, finish, matches = 0, len(opening.encode("utf-8")), []
    parts = [TextPart(text="…", match=False)] if begin > 0 else []
    position = begin
    for match_begin, match_end in matches:
        parts.append(
            TextPart(text=data[position:match_begin].decode("utf-8", "replace"), match=False)
        )
        parts.append(
            TextPart(text=data[match_begin:match_end].decode("utf-8", "replace"), match=True)
        )
        position = match_end
    parts.append(_decoded(data[position:finish], match=False))
    if finish < len(data):
        parts.append(TextPart(text="…", match=False))
    return [part for part in parts if part.text]


def _decoded(data: bytes, match: bool) -> TextPart:
    return TextPart(text=data.decode("utf-8", "replace"), match=match)
