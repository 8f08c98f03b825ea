"""Discussion under every paper: comments (a reader's Markdown source beside the sanitised HTML
made from it, with the version of the rules that made it), one vote per reader per comment,
reports of comments to the administrators, and the log of every moderation action. Each paper
counts its shown comments (`comments_here`, kept with each comment as `votes` is with each vote;
`comments` stays Hugging Face's count).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _account(name: str, nullable: bool = False, cascade: bool = True) -> sa.Column:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey("accounts.id", ondelete="CASCADE" if cascade else "SET NULL"),
        nullable=nullable,
    )


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN on every database: no copy of the papers table
    op.add_column(
        "papers", sa.Column("comments_here", sa.Integer, nullable=False, server_default="0")
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "paper_pk",
            sa.Integer,
            sa.ForeignKey("papers.pk", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        _account("account_id"),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id"), index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("renderer", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("hidden_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_comments_account_id", "comments", ["account_id"])
    op.create_table(
        "comment_votes",
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "comment_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        _account("account_id"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("comment_id", "account_id", name="uq_comment_reports_one_each"),
    )
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _account("actor_id", nullable=True, cascade=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="SET NULL")),
        _account("account_id", nullable=True, cascade=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("moderation_log")
    op.drop_table("comment_reports")
    op.drop_table("comment_votes")
    op.drop_index("ix_comments_account_id", "comments")
    op.drop_table("comments")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("comments_here")
