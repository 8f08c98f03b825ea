"""What a reader follows (authors, categories: their papers rank higher, and say so) and mutes
(words, authors, categories: such papers are left out of their ranking), private to them.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interests",
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        # follow-author, follow-category, mute-word, mute-author, mute-category
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("value_key", sa.Text, primary_key=True),  # the value, case-folded
        sa.Column("value", sa.Text, nullable=False),  # as the reader wrote it
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("interests")
