"""Opening the database: engine set-up per dialect, migrations, serialised write transactions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from litfeed.errors import LitfeedError
from litfeed.store.schema import CHANGE_COUNTER, counters

if TYPE_CHECKING:
    from alembic.config import Config

_WRITE_OPTION = "litfeed_write"
T = TypeVar("T")


class StoreError(LitfeedError, RuntimeError):
    """The database cannot be opened or used; the message says which and why."""


def create_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL (readers never wait for the importer), a busy
    timeout, foreign keys, and ``BEGIN IMMEDIATE`` so that writers queue instead of failing."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _configure_sqlite_connection)
        sa.event.listen(engine, "begin", _begin_sqlite_immediately)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_immediately(connection: Connection) -> None:
    """Writers take the write lock up front; readers begin deferred and never wait for them."""
    writing = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def head_revision() -> str:
    """The newest migration's revision. Migrations are numbered: each file's name starts with
    its revision (a test holds them to it), so no migration code is loaded to know the head."""
    versions = resources.files("litfeed.store") / "migrations" / "versions"
    return max(entry.name[:4] for entry in versions.iterdir() if entry.name[:4].isdigit())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: no litfeed tables yet)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config  # only a database to migrate pays for loading alembic

    config = Config()
    config.set_main_option("script_location", str(resources.files("litfeed.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is already there.

    On SQLite, foreign keys are off while migrating: a migration that recreates a table (batch
    mode) drops the old one, and with foreign keys on, that drop would delete the rows that
    refer to it. They are checked before the migration commits."""
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection
        if sqlite and raw is not None:  # only outside a transaction does this pragma work
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if current_revision(connection) != head_revision():
                    _upgrade(connection)
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise StoreError("a migration left rows referring to missing rows")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    writing = engine.connect().execution_options(**{_WRITE_OPTION: True})
    with writing as connection, connection.begin():
        yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: one consistent snapshot, never waiting for a writer."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def write_transaction(engine: Engine) -> Iterator[tuple[Connection, int]]:
    """A transaction that holds the write lock, yielding the connection and the change number
    its changes get. Writers are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: the counter
    row is locked), so change numbers commit in order and a reader following the cursor never
    skips a change."""
    with (
        engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection,
        connection.begin(),
    ):
        current = connection.execute(
            sa.select(counters.c.value).where(counters.c.name == CHANGE_COUNTER).with_for_update()
        ).scalar_one()
        yield connection, current + 1


@contextmanager
def plain_write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction for rows that no index follows (subscribers, the send ledger): it
    takes no change number, so it neither reads nor locks the change counter (a ledger row is
    marked after each message: one statement fewer each time, and no wait for papers'
    writers on PostgreSQL). SQLite still begins it IMMEDIATE."""
    with (
        engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection,
        connection.begin(),
    ):
        yield connection


def record_change(connection: Connection, change_number: int) -> None:
    """Publish ``change_number`` as used: call once in a write transaction that changed papers."""
    connection.execute(
        sa.update(counters).where(counters.c.name == CHANGE_COUNTER).values(value=change_number)
    )


def record_from_row(kind: type[T], row: Any) -> T:
    """A dataclass of ``kind`` from a row holding a column of each of its fields' names."""
    return kind(**{field.name: row[field.name] for field in dataclasses.fields(kind)})  # type: ignore[arg-type]


def records_by_id(
    engine: Engine, table: sa.Table, kind: type[T], ids: Iterable[int], chunk: int = 500
) -> dict[int, T]:
    """The rows of ``table`` whose ``id`` is among ``ids``, as ``kind`` records by id (asked
    for ``chunk`` at a time: databases bound the parameters of one query)."""
    wanted = sorted(set(ids))
    found: dict[int, T] = {}
    with read_transaction(engine) as connection:
        for start in range(0, len(wanted), chunk):
            rows = connection.execute(
                sa.select(table).where(table.c.id.in_(wanted[start : start + chunk]))
            ).mappings()
            found.update((row["id"], record_from_row(kind, row)) for row in rows)
    return found


def insert_rows(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    numbered: sa.Column[int] | None = None,
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; with ``numbered``, the table's
    autoincrementing key (absent from the rows), the numbers the rows were given, in order.

    On PostgreSQL the rows go in by COPY, their numbers taken from the key's sequence first:
    psycopg rewrites the placeholders of an INSERT of many rows in Python each time (one that
    long is not cached), and runs an executemany a row at a time through its pipeline; COPY
    streams the rows (50,000 snapshot records imported in 25 s instead of 39-47 s,
    `bench/import_snapshot.py`). Elsewhere, one executemany."""
    if not rows:
        return []
    dialect = connection.dialect
    if dialect.name != "postgresql":
        if numbered is None:
            connection.execute(sa.insert(table), list(rows))
            return []
        insert = sa.insert(table).returning(numbered, sort_by_parameter_order=True)
        return list(connection.execute(insert, list(rows)).scalars())
    names = list(rows[0])
    # Python-side defaults of the columns not given (COPY knows only the server's)
    defaults = {
        column.name: column.default.arg
        for column in table.columns
        if column.name not in names
        and isinstance(column.default, sa.ColumnDefault)
        and column.default.is_scalar
    }
    numbers: list[int] = []
    if numbered is not None:
        sequence = sa.func.pg_get_serial_sequence(table.name, numbered.name)
        numbers = sorted(  # ascending with the rows, as an INSERT numbers them
            connection.execute(
                sa.select(sa.func.nextval(sequence)).select_from(
                    sa.func.generate_series(1, len(rows))
                )
            ).scalars()
        )
    columns = [*([numbered.name] if numbered is not None else []), *names, *defaults]
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    names_sql = ", ".join(quote(name) for name in columns)
    statement = f"COPY {quote(table.name)} ({names_sql}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    driver_error = dialect.loaded_dbapi.Error
    try:
        with cursor.copy(statement) as copy:
            for place, row in enumerate(rows):
                values = [
                    *([numbers[place]] if numbered is not None else []),
                    *(row[name] for name in names),
                    *defaults.values(),
                ]
                copy.write_row(
                    [
                        value if function is None else function(value)
                        for function, value in zip(convert, values, strict=True)
                    ]
                )
    except driver_error as error:
        # as SQLAlchemy raises what the driver refuses of its own statements (a value too long
        # for its column: the caller stores the batch's records one by one)
        raise sa.exc.DBAPIError.instance(statement, None, error, driver_error) from error
    return numbers
