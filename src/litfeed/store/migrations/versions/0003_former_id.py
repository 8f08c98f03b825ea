"""A paper's former id: the title-based id it had before an arXiv id was known for it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("papers", sa.Column("former_id", sa.String(64)))
    op.create_index("ix_papers_former_id", "papers", ["former_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_papers_former_id", table_name="papers")
    op.drop_column("papers", "former_id")
