"""A fetched response read whole by an importer's parser before anything of it is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from litfeed.ingest.checks import check_record
from litfeed.ingest.source import CutShort, ImportFormatError, RecordError, SourceFile
from litfeed.models import PaperRecord, Rejection
from litfeed.sources.http import BadBody

Parse = Callable[[SourceFile], Iterable[PaperRecord | Rejection]]


def read_body(parse: Parse, name: str, body: bytes) -> tuple[list[PaperRecord], list[Rejection]]:
    """The checked records and the rejections of one response named ``name`` (its records'
    locations start with it). A body cut short, damaged or not of the format is `BadBody`:
    the caller asks for it again rather than store part of it."""
    records: list[PaperRecord] = []
    rejected: list[Rejection] = []
    try:
        for item in parse(SourceFile(Path(name), data=body)):
            if isinstance(item, CutShort):
                raise BadBody(str(item))
            if isinstance(item, Rejection):
                rejected.append(item)
                continue
            try:
                records.append(check_record(item))
            except RecordError as error:
                rejected.append(Rejection(item.source.location, str(error)))
    except ImportFormatError as error:
        raise BadBody(str(error)) from None
    return records, rejected
