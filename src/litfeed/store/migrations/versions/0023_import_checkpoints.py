"""Where a file's import got to (the line and the byte of the inflated file after its last
committed batch, written in that batch's transaction), and the records it left out for their
categories: `litfeed import --resume` goes on from there after a kill.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, not a batch copy: a copy of a table on SQLite drops what it cannot carry.
    op.add_column("imports", sa.Column("resume_line", sa.BigInteger))
    op.add_column("imports", sa.Column("resume_byte", sa.BigInteger))
    op.add_column("imports", sa.Column("skipped", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("skipped")
        batch.drop_column("resume_byte")
        batch.drop_column("resume_line")
