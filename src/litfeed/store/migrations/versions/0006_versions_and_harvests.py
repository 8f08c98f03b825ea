"""Fetching: each paper's arXiv version history and whether it was withdrawn; fetch runs as
imports with an origin, a status and a detail; where each harvest is.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("versions", sa.JSON))
        batch.add_column(
            sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("origin", sa.String(255)))
        batch.add_column(sa.Column("status", sa.String(16)))
        batch.add_column(sa.Column("detail", sa.Text))
        batch.create_index("ix_imports_origin", ["origin"])
    op.create_table(
        "harvests",
        sa.Column("origin", sa.String(255), primary_key=True),
        sa.Column("window_from", sa.Date),
        sa.Column("metadata_format", sa.String(32)),
        sa.Column("token", sa.Text),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("complete_size", sa.Integer),
        sa.Column("next_from", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("harvests")
    with op.batch_alter_table("imports") as batch:
        batch.drop_index("ix_imports_origin")
        batch.drop_column("detail")
        batch.drop_column("status")
        batch.drop_column("origin")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("withdrawn")
        batch.drop_column("versions")
