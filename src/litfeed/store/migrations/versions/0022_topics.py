"""The topic map: topics at two levels (broad, and fine ones inside them), each with its label,
size and centre; and each paper's place on the map with its topics. Derived from the stored
embeddings by `litfeed topics build`, replaced whole in one transaction.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("level", sa.Integer, nullable=False),  # 0 broad, 1 fine
        sa.Column("parent_id", sa.Integer),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "paper_places",
        sa.Column(
            "paper_pk",
            sa.Integer,
            sa.ForeignKey("papers.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("broad_id", sa.Integer, index=True),
        sa.Column("fine_id", sa.Integer, index=True),
    )


def downgrade() -> None:
    op.drop_table("paper_places")
    op.drop_table("topics")
