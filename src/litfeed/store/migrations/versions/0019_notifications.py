"""A reader is told of replies to their comments and of mentions of their name: one row per
reader and comment (a reply that also names them is one notification), mailed in batches
(``mailed_at``: the mail was queued in the transaction that set it) and read as an Atom feed.
An account can turn the mail off (``comment_mail``).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN: a batch copy of the table on SQLite would lose the index on
    # lower(name), which SQLAlchemy cannot reflect
    op.add_column(
        "accounts",
        sa.Column("comment_mail", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),  # reply, mention
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("account_id", "comment_id", name="uq_notifications_one_each"),
    )
    op.create_index("ix_notifications_unmailed", "notifications", ["mailed_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_unmailed", "notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("comment_mail")
    if op.get_bind().dialect.name == "sqlite":  # the batch copy lost it (see above)
        op.create_index("ix_accounts_name_key", "accounts", [sa.text("lower(name)")], unique=True)
