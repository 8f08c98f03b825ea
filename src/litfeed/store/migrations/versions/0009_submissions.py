"""Submissions: papers readers submit by arXiv id (fetched by the background worker), and on
each paper the day it was submitted here and by whom.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# SQLite names no constraint: batch mode needs a name for the new foreign key.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("papers", naming_convention=_NAMING) as batch:
        batch.add_column(sa.Column("submitted_here", sa.Date))
        batch.add_column(sa.Column("submitter_id", sa.Integer))
        batch.create_foreign_key(
            "fk_papers_submitter_id_accounts",
            "accounts",
            ["submitter_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("arxiv_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_submissions_status", "submissions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_submissions_status", "submissions")
    op.drop_table("submissions")
    with op.batch_alter_table("papers", naming_convention=_NAMING) as batch:
        batch.drop_constraint("fk_papers_submitter_id_accounts", type_="foreignkey")
        batch.drop_column("submitter_id")
        batch.drop_column("submitted_here")
