"""Generations of an index's files, switched atomically, and the lock that makes one writer.

An index directory holds numbered generation directories (``g000001``, ``g000002``, …) and a
pointer file ``CURRENT`` naming the one readers use. A writer builds a new generation beside the
current one and publishes it by replacing the pointer file (``os.replace``, atomic): a reader sees
the old generation or the new one, never a half-built or missing one, and a crash at any moment
leaves one of them. The previous generation is kept, so a reader still opening it finishes; older
ones, and the remains of a crashed build, are removed by the next publish.

Only one process writes an index at a time: `Generations.lock` is a file lock beside the files
(released by the kernel when its holder dies).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

POINTER_FILE = "CURRENT"
LOCK_FILE = ".lock"
_GENERATION = re.compile(r"g(\d{6,})")

__all__ = ["Generations"]


class Generations:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def current(self) -> Path | None:
        """The published generation's directory; None when none is (or it has vanished)."""
        try:
            name = (self.directory / POINTER_FILE).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
            return None
        if not _GENERATION.fullmatch(name):
            return None
        path = self.directory / name
        return path if path.is_dir() else None

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever another generation is published (inode and time of the pointer)."""
        try:
            status = (self.directory / POINTER_FILE).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (status.st_ino, status.st_mtime_ns)

    def new(self) -> Path:
        """An empty directory for the next generation (the writer holds the lock)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        numbers = [number for number, _path in self._generations()]
        path = self.directory / f"g{max(numbers, default=0) + 1:06d}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return path

    def publish(self, path: Path) -> None:
        """Make ``path`` the current generation; keep the one it replaces, remove the rest."""
        previous = self.current()
        temporary = self.directory / f"{POINTER_FILE}.tmp"
        with temporary.open("w", encoding="utf-8") as file:
            file.write(path.name)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.directory / POINTER_FILE)
        keep = {path, previous}
        for _number, other in self._generations():
            if other not in keep:
                shutil.rmtree(other, ignore_errors=True)
        # Files of the layout before generations (litfeed ≤ 0.3) are no reader's any more.
        for other in self.directory.iterdir():
            if other.is_file() and other.name not in {POINTER_FILE, LOCK_FILE}:
                other.unlink(missing_ok=True)

    def lock(self) -> FileLock:
        """The writers' lock: ``with generations.lock():`` waits; ``acquire(timeout=0)`` tries."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return FileLock(self.directory / LOCK_FILE)

    @contextmanager
    def writing(self, wait: bool) -> Iterator[bool]:
        """Hold the writers' lock for the block; without ``wait``, yield False at once (and
        hold nothing) when another writer has it."""
        lock = self.lock()
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def _generations(self) -> list[tuple[int, Path]]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = _GENERATION.fullmatch(path.name)
            if match and path.is_dir():
                found.append((int(match.group(1)), path))
        return sorted(found)
