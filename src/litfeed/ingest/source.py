"""Reading an import file: plain or gzip, line by line, with byte progress and line numbers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

from litfeed.announcements import announcement_on_or_after
from litfeed.errors import LitfeedError
from litfeed.models import Progress, Rejection, Version

GZIP_MAGIC = b"\x1f\x8b"


class ImportFormatError(LitfeedError, ValueError):
    """A whole file cannot be imported (missing, unreadable, or not of the format)."""


class RecordError(ValueError):
    """One record (a line, an entry) is malformed; the message names the field and why. The
    record is reported and skipped, the rest of its file is imported."""


@dataclass(frozen=True)
class CutShort(Rejection):
    """The document stops being readable here (cut short or damaged); what came before it is
    kept by an import, and a fetch asks for the whole response again."""


def load_json(text: str) -> Any:
    """``json.loads`` with every way a hostile text can make it fail turned into `RecordError`:
    malformed JSON, nesting too deep for the parser (RecursionError), a number too long to
    convert (ValueError past 4,300 digits)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(f"not JSON ({error.msg}, column {error.colno})") from None
    except RecursionError:
        raise RecordError("not JSON that can be read: nested too deeply") from None
    except ValueError as error:
        raise RecordError(f"not JSON that can be read: {error}") from None


def iso_date(text: str, field: str) -> date | None:
    """The date a text starts with, written ISO-style ("2024-01-05", "2024-01-05T10:00:00Z");
    None for an empty text; `RecordError` naming ``field`` otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RecordError(f"field {field!r}: {shown(text)} is not a date (YYYY-MM-DD)") from None


def mail_date(text: str, field: str) -> date | None:
    """The date of a timestamp as e-mail headers write it ("Mon, 2 Apr 2007 19:18:42 GMT", as
    arXiv's version histories do); None for an empty text; `RecordError` naming ``field`` for
    anything else, a year past any calendar included (OverflowError)."""
    if not text:
        return None
    try:
        moment: datetime = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise RecordError(f"field {field!r}: {shown(text)} is not a date") from None
    return moment.date()


def announced_after(submitted: date | None) -> date | None:
    """The day arXiv announced a paper whose first version was submitted on ``submitted``: the
    first announcement day on or after it."""
    return announcement_on_or_after(submitted) if submitted else None


def first_version(submitted: date | None) -> list[Version]:
    """The versions a record that names only the first version's date knows of."""
    return [Version(number=1, submitted=submitted)] if submitted else []


def shown(value: object, width: int = 60) -> str:
    """A value for an error message: its repr, shortened."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a deeply nested {type(value).__name__}"
    return text if len(text) <= width else text[: width - 1] + "…"


class SourceFile:
    """One file being imported. ``lines()`` yields (line number, text) and reports progress in
    bytes of the file on disk, so a gzip file's bar moves with what was read, not inflated."""

    def __init__(
        self,
        path: Path,
        progress: Progress | None = None,
        data: bytes | None = None,
        after: tuple[int, int] = (0, 0),
    ) -> None:
        """With ``data`` (a fetched response), the file is those bytes and ``path`` only names
        it in messages. ``after``: (line, byte) where `lines` starts after (a resumed
        import's checkpoint)."""
        self.after = after
        self.path = path
        self.name = path.name
        self.progress = progress
        self.data = data
        self.position = (0, 0)  # (the last line read, the byte after it): `lines`
        if data is not None:
            self.size = len(data)
            self.compressed = data[:2] == GZIP_MAGIC
            return
        try:
            self.size = path.stat().st_size
            with path.open("rb") as handle:
                self.compressed = handle.read(2) == GZIP_MAGIC
        except FileNotFoundError:
            raise ImportFormatError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ImportFormatError(f"{path}: a directory with no files to import") from None
        except OSError as error:
            raise ImportFormatError(f"{path}: cannot read: {error.strerror}") from None

    def head(self, size: int = 65536) -> str:
        """The first ``size`` bytes, decoded leniently: enough to recognise the format. A gzip
        file cut short gives what it has; one that cannot be inflated at all is an error."""
        with self._raw() as raw:
            data = self._inflate_head(raw, size) if self.compressed else raw.read(size)
        return data.decode("utf-8", errors="replace")

    def _inflate_head(self, raw: BinaryIO, size: int) -> bytes:
        inflater = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        data = b""
        try:
            while len(data) < size and not inflater.eof:
                block = raw.read(16384)
                if not block:
                    break
                data += inflater.decompress(block, size - len(data))
        except zlib.error as error:
            raise ImportFormatError(
                f"{self.path}: a gzip file that cannot be read: {error}"
            ) from None
        return data

    def lines(self) -> Iterator[tuple[int, str | None]]:
        """(line number, text); text is None for a line that is not valid UTF-8. From the
        start, or after the line ``after`` names (ending at that byte of the inflated file: a
        plain file is read from there, a gzip one inflated up to there and the rest read).
        ``position`` is (the last line given, the byte after it) all along."""
        line, byte = self.after
        with self._open() as (raw, stream):
            if byte:
                stream.seek(byte)
            self.position = (line, byte)
            for data in stream:
                line += 1
                byte += len(data)
                self.position = (line, byte)
                if self.progress is not None and line % 512 == 0:
                    self.progress(raw.tell(), self.size)
                try:
                    yield line, data.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    yield line, None
            if self.progress is not None:
                self.progress(self.size, self.size)

    def read_bytes(self) -> bytes:
        """The whole file, inflated when it is gzip."""
        with self._open() as (_raw, stream):
            data = stream.read()
        if self.progress is not None:
            self.progress(self.size, self.size)
        return data

    def read_text(self) -> str:
        data = self.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ImportFormatError(f"{self.path}: not UTF-8 text (byte {error.start})") from None

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self._raw() as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def _raw(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else self.path.open("rb")

    @contextmanager
    def _open(self) -> Iterator[tuple[BinaryIO, BinaryIO]]:
        with self._raw() as raw:
            if not self.compressed:
                yield raw, raw
                return
            with gzip.GzipFile(fileobj=raw) as stream:
                yield raw, stream  # type: ignore[misc]
