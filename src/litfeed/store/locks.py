"""The locks of a database: the one that elects its one background worker, the one that lets
one fetch run at a time, and the one that lets one digest send run at a time.

On SQLite it is a file lock beside the database file; on PostgreSQL a session advisory lock held
on a connection of its own. Either is released by the operating system or the server when its
holder dies, so a standby worker takes over.
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout
from sqlalchemy.engine import Connection, Engine

# pg_advisory_lock takes a 64-bit key; these are litfeed's ("litfeed" in ASCII, and a number).
ADVISORY_KEYS = {
    "worker": 0x6C6974666565640A,
    "fetch": 0x6C6974666565640B,
    "send": 0x6C6974666565640C,
}
_MEMORY_LOCKS: dict[str, threading.Lock] = {}


class WorkerLock:
    """``acquire()`` tries once and says whether this process now holds the lock named
    ``name`` (worker, fetch or send)."""

    def __init__(self, engine: Engine, name: str = "worker") -> None:
        self.engine = engine
        self.key = ADVISORY_KEYS[name]
        self._file: FileLock | None = None
        self._memory: threading.Lock | None = None
        self._owned = False  # of the in-memory lock, by this object
        self._connection: Connection | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite":
            if database and database != ":memory:":
                self._file = FileLock(
                    Path(database).with_name(f"{Path(database).name}.{name}.lock")
                )
            else:
                self._memory = _MEMORY_LOCKS.setdefault(f"{engine.url} {name}", threading.Lock())

    @property
    def held(self) -> bool:
        if self._file is not None:
            return self._file.is_locked
        return self._connection is not None or (self._memory is not None and self._owned)

    def acquire(self) -> bool:
        if self.held:
            return True
        if self._file is not None:
            try:
                self._file.acquire(timeout=0)
            except Timeout:
                return False
            return True
        if self._memory is not None:
            self._owned = self._memory.acquire(blocking=False)
            return self._owned
        connection = self.engine.connect()
        try:
            taken = bool(
                connection.execute(
                    sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                ).scalar_one()
            )
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        if self._file is not None and self._file.is_locked:
            self._file.release(force=True)
        if self._memory is not None and self._owned:
            self._owned = False
            self._memory.release()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                connection.commit()
            finally:
                connection.close()

    def taken_elsewhere(self) -> bool:
        """Whether another worker holds the lock now (this one does not)."""
        if self.held:
            return False
        if self.acquire():
            self.release()
            return False
        return True
