"""A paper's former id (the title-based id it had before an arXiv id was known for it); the
database's identity, a random number that index files record, so that files built from another
database are recognised and rebuilt; papers without a publication date sorted last.

Revision ID: 0003
Revises: 0002
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("papers", sa.Column("former_id", sa.String(64)))
    op.create_index("ix_papers_former_id", "papers", ["former_id"], unique=True)
    # Papers without a publication date sort after all dated ones (schema.UNDATED), instead of
    # by the day litfeed first saw them.
    op.execute("UPDATE papers SET sort_date = '0001-01-01' WHERE published IS NULL")
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "database", "value": secrets.randbits(62)}])


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'database'")
    op.drop_index("ix_papers_former_id", table_name="papers")
    op.drop_column("papers", "former_id")
