"""`Hub`: one open litfeed (settings, store, indexes) and the operations the CLI and the web app
call. Each method is the whole of one user action; callers only parse input and format output."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litfeed.config import Settings
from litfeed.errors import LitfeedError
from litfeed.models import ImportReport, Paper, Progress
from litfeed.store import Store

# The rest is imported where it is used, so that a command that only reads the database (a
# list of accounts, a paper, statistics) starts without the search, mail and fetching layers.
if TYPE_CHECKING:
    from litfeed.community import Community
    from litfeed.delivery.digest import Digests
    from litfeed.delivery.subscriptions import Subscriptions
    from litfeed.recommend import ForYou
    from litfeed.recommend.citations import Citations
    from litfeed.recommend.library import LibraryEntry, LibraryImport
    from litfeed.search import Filters, KeywordIndex, Searcher, SearchResults
    from litfeed.search.embeddings import (
        Embedder,
        EmbeddingConfig,
        EmbeddingError,
        ModelNotReady,
    )
    from litfeed.search.reviewer_eval import Loss
    from litfeed.search.similar import SimilarPaper
    from litfeed.search.vectors import VectorIndex
    from litfeed.sources import Fetcher

# The example corpus: five saved Hugging Face Papers pages (titles and abstracts), and the last
# two announcement weeks of arXiv cs metadata (CC0; scripts/example_slice.py writes them).
EXAMPLES_PACKAGE_DIRS = ("examples/hf-papers-pages", "examples/arxiv")
ARRIVAL_DAYS = 7  # days of arrivals `litfeed stats` shows


class PaperNotFound(LitfeedError, LookupError):
    """No paper has the id asked for."""


class PapersNotEmbedded(LitfeedError):
    """An import stored its papers, but the embedding model could not embed them; the files'
    outcomes are in ``outcomes``, for the report."""

    def __init__(self, outcomes: list[ImportOutcome], cause: EmbeddingError) -> None:
        super().__init__(
            f"the papers are stored, but not embedded: {cause}; "
            '"litfeed index" embeds them once the model loads'
        )
        self.outcomes = outcomes


@dataclass
class ImportOutcome:
    """One file of an import: its report, or the one-line reason it could not be imported."""

    path: Path
    report: ImportReport | None = None
    error: str | None = None


ProgressFor = Callable[[str], Progress | None]


class Hub:
    """The embedding model is loaded on first use (it takes seconds), so commands that only
    read or search by words never wait for it."""

    def __init__(self, settings: Settings, serving: bool = False, create: bool = True) -> None:
        """With ``serving`` (a web server), the hub only reads: it never exports the model, and
        it follows the indexes the background worker publishes, loading a new vector index
        beside the one being searched. Without ``create``, a database that does not exist is
        `NoDatabase` (a command that only reads creates nothing)."""
        self.settings = settings
        self.serving = serving
        self.store = Store.open(settings.resolved_database_url, create=create)
        self._loading = threading.Lock()
        self._opening = threading.Lock()  # not the model's: searching by words never waits for it
        self._searcher: Searcher | None = None
        self._embedder: Embedder | None = None
        self._embedder_error: EmbeddingError | None = None
        self._not_ready: ModelNotReady | None = None
        self._vector_index: VectorIndex | None = None

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self.store.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def searcher(self) -> Searcher:
        """Search by words and by meaning (opened on first use)."""
        from litfeed.search import KeywordIndex, Searcher

        with self._opening:
            if self._searcher is None:
                keywords = KeywordIndex(self.settings.index_dir / "keyword")
                self._searcher = Searcher(self.store, keywords, self._vectors_for_reading)
            return self._searcher

    @property
    def keyword_index(self) -> KeywordIndex:
        return self.searcher.keyword_index

    @property
    def embedding_config(self) -> EmbeddingConfig:
        from litfeed.search.embeddings import EmbeddingConfig

        return EmbeddingConfig(
            model=self.settings.embedding_model,
            backend=self.settings.embedding_backend,
            device=self.settings.embedding_device,
            precision=self.settings.embedding_precision,
            max_tokens=self.settings.embedding_max_tokens,
            long_text=self.settings.embedding_long_text,
        )

    @property
    def embedder(self) -> Embedder:
        from litfeed.search.embeddings import EmbeddingError, ModelNotReady, load_embedder

        config = self.embedding_config
        with self._loading:
            if self._embedder_error is not None:
                # Loading can take a minute to fail (a hub name retried over the network):
                # once is enough for this process.
                raise self._embedder_error
            if self._embedder is None:
                models = self.settings.resolved_models_dir
                try:
                    self._embedder = load_embedder(config, models, export=not self.serving)
                except ModelNotReady:
                    raise  # the worker is exporting it: ask again next time
                except EmbeddingError as error:
                    self._embedder_error = error
                    raise
            return self._embedder

    def _vectors_for_reading(self) -> VectorIndex:
        """The vector index; a server never loads it inside a request (`preload` does, on a
        thread of its own) and answers by words until it is loaded."""
        if self.serving and self._vector_index is None:
            if self._embedder_error is not None:
                raise self._embedder_error
            from litfeed.search.embeddings import ModelNotReady

            raise self._not_ready or ModelNotReady("the embedding model is still loading")
        return self.vector_index

    def preload(self, stop: threading.Event, poll: float = 2.0) -> None:
        """Load the model and the vector index, waiting while the worker exports the model."""
        from litfeed.search.embeddings import EmbeddingError, ModelNotReady

        while not stop.is_set():
            try:
                _ = self.vector_index
                return
            except ModelNotReady as error:
                self._not_ready = error
                stop.wait(poll)
            except EmbeddingError:
                return  # said by every search by meaning that follows

    def forget_embedding_error(self) -> None:
        """Let the next use try to load the model again."""
        with self._loading:
            self._embedder_error = None

    @property
    def vector_index(self) -> VectorIndex:
        from litfeed.search.vectors import VectorIndex

        embedder = self.embedder
        with self._loading:
            if self._vector_index is None:
                directory = self.settings.index_dir / "vectors"
                self._vector_index = VectorIndex(directory, embedder, background=self.serving)
            return self._vector_index

    def evaluate_reviewer_expertise(
        self,
        path: Path,
        methods: Sequence[str],
        researchers: int | None = None,
        rated_half: bool = False,
    ) -> dict[str, Loss]:
        """Loss per method on a reviewer-expertise file (vectors cached in the store); the
        method `for-you` is the personal ranker (`litfeed.recommend.evaluation`), with
        ``rated_half`` its ratings protocol (and `library-only` beside it)."""
        from litfeed.recommend.evaluation import METHOD, evaluate_for_you
        from litfeed.search.reviewer_eval import evaluate, load_researchers

        loaded = load_researchers(path)[:researchers]
        searching = [method for method in methods if method != METHOD]
        losses = evaluate(loaded, lambda: self.embedder, self.store, searching) if searching else {}
        if METHOD in methods:
            losses.update(evaluate_for_you(loaded, lambda: self.embedder, self.store, rated_half))
        return losses

    # -- actions -------------------------------------------------------------------------------

    def import_paths(
        self,
        paths: Sequence[Path],
        format_name: str | None = None,
        progress_for: ProgressFor | None = None,
        embed: bool | None = None,
        categories: Sequence[str] = (),
        resume: bool = False,
    ) -> list[ImportOutcome]:
        """Import files and directories; a file that cannot be imported does not stop the rest.
        ``categories`` and ``resume``: as `litfeed.ingest.import_file` takes them.
        The indexes catch up afterwards, so imported papers are searchable at once (by meaning
        too, unless ``embed`` or the setting embed_on_import says not to embed now); when a
        background worker runs, it does that instead.
        ``progress_for(name)`` may return a callback for each file and for each index. Raises
        `PapersNotEmbedded`, with the outcomes, when the model cannot embed them."""
        from litfeed.ingest import ImportFormatError, expand_paths, import_file
        from litfeed.search.embeddings import EmbeddingError

        outcomes = []
        for path in expand_paths(paths):
            progress = progress_for(path.name) if progress_for else None
            try:
                report = import_file(
                    self.store, path, format_name, progress, categories=categories, resume=resume
                )
                outcomes.append(ImportOutcome(path, report=report))
            except ImportFormatError as error:
                outcomes.append(ImportOutcome(path, error=str(error)))
        try:
            self.index_new_papers(embed, progress_for)
        except EmbeddingError as error:
            raise PapersNotEmbedded(outcomes, error) from None
        return outcomes

    def index_new_papers(
        self, embed: bool | None = None, progress_for: ProgressFor | None = None
    ) -> None:
        """After an import or a fetch: make the new papers searchable now (by meaning too,
        unless ``embed`` or the setting embed_on_import says not to embed now), unless a
        background worker runs and does it within seconds. Raises `EmbeddingError`."""
        if self.worker_running():
            return
        embed = self.settings.embed_on_import if embed is None else embed
        self.update_index(embed=embed, progress_for=progress_for)

    @property
    def community(self) -> Community:
        """Accounts, votes, the period pages and trending (`litfeed.community`)."""
        from litfeed.community import Community, TrendingParameters

        parameters = TrendingParameters(
            hours=self.settings.trending_hours,
            days=self.settings.trending_days,
            gravity=self.settings.trending_gravity,
        )
        return Community(self.store, parameters)

    @property
    def subscriptions(self) -> Subscriptions:
        """Digest subscriptions and their signed links (`litfeed.delivery.subscriptions`)."""
        from litfeed.delivery.subscriptions import Subscriptions

        return Subscriptions(self.store, self.settings)

    def digests(self, log: Callable[[str], None] | None = None) -> Digests:
        """Planning, sending and previewing digests (`litfeed.delivery.digest`)."""
        from litfeed.delivery.digest import Digests
        from litfeed.recommend import DigestRanking

        def search(query: str, mode: str, limit: int, filters: Filters) -> SearchResults:
            return self.search(query, mode, limit, 0, filters)

        personal = DigestRanking(self.store, self._vectors_for_reading)
        return Digests(self.store, self.settings, self.community, search, log, personal)

    def fetcher(
        self, log: Callable[[str], None] | None = None, stop: threading.Event | None = None
    ) -> Fetcher:
        """Fetching from arXiv and Hugging Face into this store (`litfeed.sources`)."""
        from litfeed.sources import Fetcher

        return Fetcher(self.settings, self.store, log, stop)

    def load_examples(
        self,
        only_if_empty: bool = True,
        progress_for: ProgressFor | None = None,
        embed: bool | None = None,
    ) -> list[ImportOutcome]:
        """Import the bundled example corpus: five saved Hugging Face Papers pages and two
        weeks of arXiv cs metadata."""
        if only_if_empty and self.store.count_papers() > 0:
            return []
        with contextlib.ExitStack() as stack:
            package = resources.files("litfeed")
            directories = [
                stack.enter_context(resources.as_file(package / name))
                for name in EXAMPLES_PACKAGE_DIRS
            ]
            return self.import_paths(directories, progress_for=progress_for, embed=embed)

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> SearchResults:
        return self.searcher.search(query, mode, limit, offset, filters)

    def for_you(
        self,
        account_id: int,
        day: date | None = None,
        limit: int = 10,
        week: bool = False,
        category: str | None = None,
    ) -> ForYou:
        """A day's (or its week's) papers ranked for one reader (`litfeed.recommend`); a day
        out of range is refused before the model is asked for."""
        from litfeed.community.periods import check_day
        from litfeed.recommend import for_you

        day = check_day(day) if day else None
        vectors = self._vectors_for_reading()
        return for_you(self.store, vectors, account_id, day, limit, week, category)

    def save_to_library(self, account_id: int, citations: Citations) -> LibraryImport:
        """Save entries into a reader's library (`litfeed.recommend.library`); the outside items
        among them are embedded now when the model loads (else by the first ranking)."""
        from litfeed.recommend.library import save_citations
        from litfeed.search.embeddings import EmbeddingError
        from litfeed.search.vectors import embed_with_store

        def embed(texts: list[str]) -> None:
            with contextlib.suppress(EmbeddingError):
                embed_with_store(self.store, self.embedder, texts)

        return save_citations(self.store, account_id, citations, embed)

    def search_library(
        self, account_id: int, query: str, tag: str | None = None, limit: int = 20
    ) -> list[LibraryEntry]:
        """A reader's library entries that answer ``query`` by words and by meaning (by words
        alone while the model is not loaded)."""
        from litfeed.recommend.library import library_of, meaning_of, search_library
        from litfeed.search.embeddings import EmbeddingError

        entries = library_of(self.store, account_id, tag)
        try:
            meaning = meaning_of(self.store, self._vectors_for_reading())
            return search_library(entries, query, meaning, limit)
        except EmbeddingError:
            return search_library(entries, query, None, limit)

    def papers_to_rate(self, account_id: int, day: date | None = None) -> list[Paper]:
        """Papers for a new reader to rate (`litfeed.recommend.papers_to_rate`)."""
        from litfeed.community.periods import check_day
        from litfeed.recommend import papers_to_rate

        day = check_day(day) if day else None
        return papers_to_rate(self.store, self._vectors_for_reading(), account_id, day)

    def get_paper(self, key: str) -> Paper | None:
        return self.store.get_paper(key)

    def similar(self, key: str, limit: int = 10, offset: int = 0) -> list[SimilarPaper]:
        from litfeed.search.similar import find_similar

        paper = self.store.get_paper(key)
        if paper is None:
            raise PaperNotFound(f"no paper with id {key!r}")
        vectors = self._vectors_for_reading()
        return find_similar(self.store, self.keyword_index, vectors, paper, limit, offset)

    def list_papers(
        self, offset: int, limit: int, author: str | None = None, category: str | None = None
    ) -> tuple[list[Paper], int]:
        return self.store.list_papers(offset, limit, author=author, category=category)

    def stats(self) -> dict[str, Any]:
        from litfeed.announcements import arrivals_by_day
        from litfeed.search.state import keyword_state, vector_state

        stats = self.store.stats()
        stats["keyword_index"] = keyword_state(self.settings.index_dir / "keyword")
        stats["keyword_index"]["store_change"] = self.store.latest_change()
        stats["vector_index"] = vector_state(self.settings.index_dir / "vectors")
        now = datetime.now(UTC)
        arrived = self.store.first_seen_since(now - timedelta(days=ARRIVAL_DAYS + 1))
        stats["arrivals"] = arrivals_by_day(arrived, now, ARRIVAL_DAYS)
        stats["accounts"] = self.store.community.count_accounts()
        stats["subscribers"] = self.store.delivery.subscriber_counts()
        stats["digests"] = self.store.delivery.ledger_counts()
        stats["mail"] = self.store.mail.counts()
        stats["submissions"] = self.store.community.submission_counts()
        return stats

    def update_index(
        self,
        rebuild: bool = False,
        embed: bool = True,
        progress_for: ProgressFor | None = None,
        wait: bool = True,
    ) -> dict[str, int]:
        """Bring the keyword index (and, with ``embed``, the vector index: embedding what is
        new) up to date, or build them anew beside the ones in use; return papers indexed per
        index. Without ``wait``, an index another process is writing is left to it."""
        keyword_progress = progress_for("search index") if progress_for else None
        counts = {
            "keyword": self.keyword_index.rebuild(self.store, keyword_progress)
            if rebuild
            else self.keyword_index.catch_up(self.store, keyword_progress, wait=wait)
        }
        if embed:
            vector_progress = progress_for("embeddings") if progress_for else None
            vectors = self.vector_index
            counts["vector"] = (
                vectors.rebuild(self.store, vector_progress)
                if rebuild
                else vectors.catch_up(self.store, vector_progress, wait=wait)
            )
        return counts

    def worker_running(self) -> bool:
        """Whether a background worker (`litfeed worker`, or the one `litfeed serve` starts)
        keeps this database's indexes current."""
        return self.store.worker_lock().taken_elsewhere()
