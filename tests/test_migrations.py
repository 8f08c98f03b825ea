"""The Alembic migrations create exactly the tables `litfeed.store.schema` declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from litfeed.store import Store
from litfeed.store.schema import metadata


def test_migrations_match_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_twice_migrates_once(database_url: str) -> None:
    Store.open(database_url).close()
    store = Store.open(database_url)
    assert store.count_papers() == 0
    store.close()
