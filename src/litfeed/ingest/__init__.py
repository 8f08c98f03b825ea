"""Importing files into the store. Each source format is a module with ``NAME``,
``DESCRIPTION``, ``looks_like(head) -> bool`` and ``parse(SourceFile) -> records | rejections``;
add a module to `FORMATS` to plug a new source in."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from litfeed.ingest import arxiv_abs, arxiv_atom, arxiv_jsonl, hf_daily, hf_pages, oai_pmh
from litfeed.ingest.checks import check_record
from litfeed.ingest.source import ImportFormatError, RecordError, SourceFile
from litfeed.models import Checkpoint, ImportReport, PaperRecord, Progress, Rejection
from litfeed.store import Store, StoreError

__all__ = [
    "FORMATS",
    "ImportFormatError",
    "detect_format",
    "expand_paths",
    "import_file",
]


@dataclass(frozen=True)
class SourceFormat:
    name: str
    description: str
    looks_like: Callable[[str], bool]
    parse: Callable[[SourceFile], Iterator[PaperRecord | Rejection]]
    # Each record is given before the next line is read, so an import can resume after the
    # last line of its last committed batch.
    resumable: bool = False


def _format(module: ModuleType) -> SourceFormat:
    return SourceFormat(
        module.NAME,
        module.DESCRIPTION,
        module.looks_like,
        module.parse,
        getattr(module, "RESUMABLE", False),
    )


# Detection tries these in order; the most specific first.
FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        _format(oai_pmh),
        _format(arxiv_atom),
        _format(arxiv_abs),
        _format(hf_daily),
        _format(arxiv_jsonl),
        _format(hf_pages),
    )
}
BATCH_SIZE = 1000


def detect_format(source: SourceFile) -> SourceFormat:
    head = source.head()
    for source_format in FORMATS.values():
        try:
            recognised = source_format.looks_like(head)
        except (ValueError, RecursionError):  # a hostile head is simply not this format
            recognised = False
        if recognised:
            return source_format
    raise ImportFormatError(
        f"{source.path}: not a format litfeed can import "
        f"(known: {', '.join(FORMATS)}); use --format to force one"
    )


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the files inside given directories (sorted, hidden ones skipped); a
    directory without any stays itself, for `import_file` to report."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            files.extend(inside or [path])
        else:
            files.append(path)
    return files


def import_file(
    store: Store,
    path: Path,
    format_name: str | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    categories: Sequence[str] = (),
    resume: bool = False,
) -> ImportReport:
    """Parse ``path`` and store its papers in batches. A malformed record is reported in the
    report's ``rejected`` and skipped; every good record is kept, even when the file is cut
    short. Raises `ImportFormatError` only for a file that cannot be imported at all.

    ``categories`` (arXiv archives such as ``cs`` or categories such as ``stat.ML``): only
    records in one of them are kept, the others counted in ``skipped``. With ``resume``, an
    unfinished import of this very file (same path and contents; killed, say) goes on after
    the last line its last committed batch read, for a format that reads a record a line."""
    if format_name is not None and format_name not in FORMATS:
        raise ImportFormatError(f"unknown format {format_name!r} (known: {', '.join(FORMATS)})")
    source = SourceFile(path, progress)
    source_format = FORMATS[format_name] if format_name else detect_format(source)
    report = ImportReport(path=str(path), source=source_format.name)
    wanted = category_filter(categories)
    if resume and source_format.resumable:
        found = store.unfinished_import(report.source, str(path.resolve()), source.sha256())
        if found is not None:
            source = SourceFile(path, progress, after=(found.line, found.byte))
            _resumed(report, found)
    batch: list[PaperRecord] = []
    try:
        for item in source_format.parse(source):
            if isinstance(item, PaperRecord):
                if wanted is not None and not wanted(item.categories):
                    report.skipped += 1
                    continue
                try:
                    batch.append(check_record(item))
                except RecordError as error:
                    item = Rejection(item.source.location, str(error))
            if isinstance(item, Rejection):
                report.rejected.append(item)
            if len(batch) >= batch_size:
                _store_batch(store, source, report, batch, source_format.resumable)
                batch = []
        if batch:
            _store_batch(store, source, report, batch, source_format.resumable)
    except (EOFError, OSError, zlib.error) as error:
        report.rejected.append(Rejection(source.name, f"file is cut short or corrupt: {error}"))
        if batch:
            _store_batch(store, source, report, batch, source_format.resumable)
    if report.import_id is None and report.skipped and not report.rejected:
        report.import_id = store.start_import(
            report.source, str(source.path.resolve()), source.sha256()
        )  # every record left out for its categories: the import happened all the same
    if report.import_id is None:
        if report.rejected:
            raise ImportFormatError(
                f"{path}: no {source_format.name} records in it; "
                f"first problem: {report.rejected[0]}"
            )
        raise ImportFormatError(f"{path}: no {source_format.name} records in it")
    store.finish_import(report)
    return report


def category_filter(categories: Sequence[str]) -> Callable[[Sequence[str]], bool] | None:
    """Whether a record's categories are among ``categories``: an archive (``cs``, ``math``)
    takes its every category (``cs.LG``), a category itself; case does not matter. None
    when no categories are asked for."""
    wanted = {name.strip().casefold() for name in categories if name.strip()}
    if not wanted:
        return None

    def test(found: Sequence[str]) -> bool:
        for name in found:
            name = name.casefold()
            if name in wanted or name.split(".", 1)[0] in wanted:
                return True
        return False

    return test


def _resumed(report: ImportReport, found: Checkpoint) -> None:
    report.import_id = found.import_id
    report.new, report.updated, report.unchanged = found.new, found.updated, found.unchanged
    report.rejected_before, report.skipped = found.rejected, found.skipped
    report.resumed_at = found.line


def _store_batch(
    store: Store,
    source: SourceFile,
    report: ImportReport,
    batch: list[PaperRecord],
    resumable: bool = False,
) -> None:
    """Store one batch; a record the database refuses is rejected alone. A database that cannot
    be used at all (gone, locked for too long) stops this file with one line naming it. The
    import's checkpoint (how far the file is read, its counts) commits with the batch."""
    try:
        if report.import_id is None:
            report.import_id = store.start_import(
                report.source, str(source.path.resolve()), source.sha256()
            )
        line, byte = source.position if resumable else (0, 0)
        checkpoint = Checkpoint(
            line,
            byte,
            report.new,
            report.updated,
            report.unchanged,
            len(report.rejected) + report.rejected_before,
            report.skipped,
        )
        counts = store.save_records(batch, report.import_id, checkpoint=checkpoint)
    except StoreError as error:
        raise ImportFormatError(f"{source.path}: {error}") from None
    report.new += counts.new
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.rejected.extend(counts.rejected)
