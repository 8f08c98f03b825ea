"""A reader's library holds what litfeed has not stored too: an imported entry that matches no
paper here (by arXiv id, DOI or title) is kept as an outside item of that reader, with its own
title and abstract, and counts in their profile all the same. Every library entry gets tags
(the reader's lists), a JSON list of names.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("library_items") as batch:
        batch.add_column(sa.Column("tags", sa.Text, nullable=False, server_default="[]"))
    op.create_table(
        "outside_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # What makes two imports of one entry the same: "doi:…", "arxiv:…" or "title:…".
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False, server_default=""),
        sa.Column("authors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("year", sa.Integer),
        sa.Column("doi", sa.Text),
        sa.Column("arxiv_id", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "key", name="uq_outside_items_account_key"),
    )


def downgrade() -> None:
    op.drop_table("outside_items")
    with op.batch_alter_table("library_items") as batch:
        batch.drop_column("tags")
