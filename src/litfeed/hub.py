"""`Hub`: one open litfeed (settings, store, indexes) and the operations the CLI and the web app
call. Each method is the whole of one user action; callers only parse input and format output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from litfeed.config import Settings
from litfeed.ingest import ImportFormatError, expand_paths, import_file
from litfeed.models import ImportReport, Paper, Progress
from litfeed.search import Filters, KeywordIndex, SearchResults, search_papers
from litfeed.store import Store

EXAMPLES_PACKAGE_DIR = "examples/hf-papers-pages"


@dataclass
class ImportOutcome:
    """One file of an import: its report, or the one-line reason it could not be imported."""

    path: Path
    report: ImportReport | None = None
    error: str | None = None


class Hub:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store.open(settings.resolved_database_url)
        self.keyword_index = KeywordIndex(settings.index_dir / "keyword")

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def import_paths(
        self,
        paths: Sequence[Path],
        format_name: str | None = None,
        progress_for: Callable[[str], Progress | None] | None = None,
    ) -> list[ImportOutcome]:
        """Import files and directories; a file that cannot be imported does not stop the rest.
        The keyword index catches up afterwards, so imported papers are searchable at once.
        ``progress_for(name)`` may return a callback for each file and for "search index"."""
        outcomes = []
        for path in expand_paths(paths):
            progress = progress_for(path.name) if progress_for else None
            try:
                report = import_file(self.store, path, format_name, progress)
                outcomes.append(ImportOutcome(path, report=report))
            except ImportFormatError as error:
                outcomes.append(ImportOutcome(path, error=str(error)))
        self.update_index(progress=progress_for("search index") if progress_for else None)
        return outcomes

    def load_examples(self, only_if_empty: bool = True) -> list[ImportOutcome]:
        """Import the bundled example corpus (five saved Hugging Face Papers pages)."""
        if only_if_empty and self.store.count_papers() > 0:
            return []
        with resources.as_file(resources.files("litfeed") / EXAMPLES_PACKAGE_DIR) as directory:
            return self.import_paths([directory])

    def search(
        self, query: str, limit: int = 10, offset: int = 0, filters: Filters | None = None
    ) -> SearchResults:
        return search_papers(self.store, self.keyword_index, query, limit, offset, filters)

    def get_paper(self, key: str) -> Paper | None:
        return self.store.get_paper(key)

    def list_papers(self, offset: int, limit: int) -> tuple[list[Paper], int]:
        return self.store.list_papers(offset, limit)

    def stats(self) -> dict[str, Any]:
        stats = self.store.stats()
        stats["keyword_index"] = {
            "documents": self.keyword_index.document_count(),
            "change": self.keyword_index.cursor,
            "store_change": self.store.latest_change(),
        }
        return stats

    def update_index(self, rebuild: bool = False, progress: Progress | None = None) -> int:
        """Bring the keyword index up to date (or recreate it); return papers indexed."""
        if rebuild:
            return self.keyword_index.rebuild(self.store, progress)
        return self.keyword_index.catch_up(self.store, progress)
