"""The Alembic migrations create exactly the tables `litfeed.store.schema` declares."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from litfeed.store import Store
from litfeed.store.database import _alembic_config, create_engine
from litfeed.store.schema import metadata


def test_migrations_match_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_index_autogenerate_cannot_compare_survives_every_migration(store: Store) -> None:
    """Names are unique in any case through an index on lower(name), which SQLAlchemy cannot
    reflect: a migration that copies the accounts table (SQLite's batch mode) would lose it."""
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'accounts'"
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts'"
            )
        names = {name for (name,) in rows}
    assert "ix_accounts_name_key" in names


def test_opening_twice_migrates_once(database_url: str) -> None:
    Store.open(database_url).close()
    store = Store.open(database_url)
    assert store.count_papers() == 0
    store.close()


def test_upgrading_a_database_of_revision_0002_keeps_its_papers(database_url: str) -> None:
    """Migration 0003 sorts undated papers last and gives the database its identity."""
    engine = create_engine(database_url)
    with engine.connect() as connection, connection.begin():
        command.upgrade(_alembic_config(connection), "0002")
        moment = datetime(2026, 11, 1, tzinfo=UTC)
        for number, published in ((1, date(2025, 1, 5)), (2, None)):
            connection.execute(
                sa.text(
                    "INSERT INTO papers (id, title, title_key, abstract, authors, categories, "
                    "published, first_seen, sort_date, links, content_hash, change_seq) VALUES "
                    "(:id, 'T', 't', 'A', '[]', '[]', :published, :moment, :sort_date, '[]', "
                    "'h', 1)"
                ),
                {
                    "id": f"p{number}",
                    "published": published,
                    "moment": moment,
                    "sort_date": published or moment.date(),
                },
            )
    engine.dispose()
    store = Store.open(database_url)
    papers, total = store.list_papers()
    assert total == 2 and [paper.id for paper in papers] == ["p1", "p2"]
    again = Store.open(database_url)
    assert store.identity > 0 and again.identity == store.identity
    again.close()
    with store.engine.connect() as connection:
        sort_dates = connection.execute(
            sa.text("SELECT id, sort_date FROM papers ORDER BY id")
        ).all()
    assert [str(day) for _id, day in sort_dates] == ["2025-01-05", "0001-01-01"]
    store.close()


def test_upgrading_drops_acm_and_msc_classes_stored_as_categories(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection, connection.begin():
        command.upgrade(_alembic_config(connection), "0004")
        for number, categories in ((1, '["cs.LG", "I.2.7; I.2.6", "68T50", "stat.ML"]'), (2, "[]")):
            connection.execute(
                sa.text(
                    "INSERT INTO papers (id, title, title_key, abstract, authors, categories, "
                    "first_seen, sort_date, links, content_hash, change_seq) VALUES "
                    "(:id, 'T', :key, 'A', '[]', :categories, :moment, '0001-01-01', '[]', 'h', 1)"
                ),
                {
                    "id": f"p{number}",
                    "key": f"t{number}",
                    "categories": categories,
                    "moment": datetime(2026, 11, 1, tzinfo=UTC),
                },
            )
    engine.dispose()
    store = Store.open(database_url)
    assert [paper.categories for paper in store.get_papers(["p1", "p2"])] == [
        ["cs.LG", "stat.ML"],
        [],
    ]
    store.close()


def test_the_head_is_known_without_loading_migrations() -> None:
    """`head_revision` reads the newest file name; alembic's own idea of the head (every
    migration loaded and chained) must be the same, and each file named by its revision."""
    import ast
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from litfeed.store.database import head_revision

    config = Config()
    config.set_main_option("script_location", str(resources.files("litfeed.store") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == head_revision()
    versions = resources.files("litfeed.store") / "migrations" / "versions"
    for entry in versions.iterdir():
        if entry.name[:4].isdigit():
            tree = ast.parse(entry.read_text())
            revisions = [
                ast.literal_eval(node.value)
                for node in tree.body
                if isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "revision"
            ]
            assert revisions == [entry.name[:4]], entry.name
