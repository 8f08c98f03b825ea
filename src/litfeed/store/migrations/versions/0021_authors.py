"""Who wrote what, as a table: one row per paper and author (the name as the paper spells it,
its place in the list, and the key it is looked up by: its last token, accents removed and case
folded), so that an author's page finds every spelling of a name without reading every paper.
Kept with each paper's authors; filled here from the papers stored. And readers' claims to
be an author (shown as not verified until an administrator verifies them).

Revision ID: 0021
Revises: 0020
"""

import json

import sqlalchemy as sa
from alembic import op

from litfeed.identifiers import family_key

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    authorships = op.create_table(
        "authorships",
        sa.Column(
            "paper_pk",
            sa.Integer,
            sa.ForeignKey("papers.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("family", sa.Text, nullable=False, index=True),
    )
    assert authorships is not None
    papers = sa.table("papers", sa.column("pk", sa.Integer), sa.column("authors", sa.Text))
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(papers.c.pk, sa.cast(papers.c.authors, sa.Text))
            .where(papers.c.pk > after)
            .order_by(papers.c.pk)
            .limit(5_000)
        ).all()
        if not rows:
            break
        values = [
            {"paper_pk": pk, "position": place, "name": name, "family": family_key(name)}
            for pk, authors in rows
            for place, name in enumerate(json.loads(authors) if authors else [])
            if isinstance(name, str)
        ]
        if values:
            connection.execute(authorships.insert(), values)
        after = rows[-1][0]

    op.create_table(
        "author_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.Text, nullable=False),  # the author page's name, as claimed
        sa.Column("family", sa.Text, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.Column("verified_by", sa.Integer, sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.UniqueConstraint("account_id", "name", name="uq_author_claims_one_each"),
    )


def downgrade() -> None:
    op.drop_table("author_claims")
    op.drop_table("authorships")
