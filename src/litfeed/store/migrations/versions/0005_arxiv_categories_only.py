"""Categories hold arXiv categories only: the ACM and MSC class lists ("I.2.7; I.2.6", "68T50")
that arXiv's listings put beside them, and that earlier imports stored as categories, are
dropped (on the 74,728-paper corpus they were 1,095 of the 1,238 distinct "categories").

Revision ID: 0005
Revises: 0004
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same rule as litfeed.identifiers.is_arxiv_category, written out: a migration must not
# change when the application's code does.
_ARXIV_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?")
_PAPERS = sa.table("papers", sa.column("pk", sa.Integer), sa.column("categories", sa.JSON))


def upgrade() -> None:
    connection = op.get_bind()
    changed = []
    for pk, categories in connection.execute(sa.select(_PAPERS.c.pk, _PAPERS.c.categories)):
        kept = [name for name in categories or [] if _ARXIV_CATEGORY.fullmatch(name)]
        if kept != (categories or []):
            changed.append({"row": pk, "kept": kept})
    if changed:
        connection.execute(
            sa.update(_PAPERS)
            .where(_PAPERS.c.pk == sa.bindparam("row"))
            .values(categories=sa.bindparam("kept", type_=sa.JSON)),
            changed,
        )


def downgrade() -> None:
    """The dropped classes are gone; re-importing the files brings nothing back either."""
