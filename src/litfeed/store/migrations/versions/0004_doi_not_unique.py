"""A DOI no longer has to be unique: two arXiv papers are sometimes given one DOI, and each must
stay a paper of its own (a DOI identifies a paper only where no arXiv id contradicts it).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# SQLite names no constraint: this convention names the reflected ones so that batch mode can
# drop "uq_papers_doi" (PostgreSQL's own name for it is papers_doi_key).
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("papers", naming_convention=_NAMING) as batch:
        batch.drop_constraint("uq_papers_doi" if sqlite else "papers_doi_key", type_="unique")
        batch.create_index("ix_papers_doi", ["doi"])


def downgrade() -> None:
    with op.batch_alter_table("papers", naming_convention=_NAMING) as batch:
        batch.drop_index("ix_papers_doi")
        batch.create_unique_constraint("uq_papers_doi", ["doi"])
