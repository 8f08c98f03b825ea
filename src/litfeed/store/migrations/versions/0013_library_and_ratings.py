"""A reader's library (the papers an account saved, with a private note) and ratings (+1 more
like this, -1 less like this): what the personal ranking learns from.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    for name, extra in (
        ("library_items", [sa.Column("note", sa.Text, nullable=False, server_default="")]),
        ("ratings", [sa.Column("rating", sa.Integer, nullable=False)]),
    ):
        op.create_table(
            name,
            sa.Column(
                "account_id",
                sa.Integer,
                sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(
                "paper_pk",
                sa.Integer,
                sa.ForeignKey("papers.pk", ondelete="CASCADE"),
                primary_key=True,
            ),
            *extra,
            sa.Column(
                "added_at" if name == "library_items" else "rated_at", _MOMENT, nullable=False
            ),
        )


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_table("library_items")
