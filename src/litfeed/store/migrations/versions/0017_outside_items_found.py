"""An outside item becomes a saved paper when its paper arrives: each item keeps its title's
key (compared as `normalise_title` does), and arXiv id, DOI and title key are indexed, so that
every batch of new papers finds the items waiting for them without reading them all.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from litfeed.identifiers import normalise_title

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN, not a batch copy of the table, on every database
    op.add_column(
        "outside_items", sa.Column("title_key", sa.Text, nullable=False, server_default="")
    )
    items = sa.table(
        "outside_items",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("title_key", sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(items.c.id, items.c.title)).all()
    if rows:
        connection.execute(
            items.update()
            .where(items.c.id == sa.bindparam("_id"))
            .values(title_key=sa.bindparam("_key")),
            [{"_id": item_id, "_key": normalise_title(title)} for item_id, title in rows],
        )
    op.create_index("ix_outside_items_arxiv_id", "outside_items", ["arxiv_id"])
    op.create_index("ix_outside_items_doi", "outside_items", ["doi"])
    op.create_index("ix_outside_items_title_key", "outside_items", ["title_key"])


def downgrade() -> None:
    op.drop_index("ix_outside_items_title_key", "outside_items")
    op.drop_index("ix_outside_items_doi", "outside_items")
    op.drop_index("ix_outside_items_arxiv_id", "outside_items")
    with op.batch_alter_table("outside_items") as batch:
        batch.drop_column("title_key")
