"""Delivery: digest subscribers, the send ledger (one row per subscriber and period), the
papers each subscriber was sent, and their "more / less like this" feedback.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False, unique=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("confirmed_at", _MOMENT),
        sa.Column("unsubscribed_at", _MOMENT),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("mutes", sa.JSON, nullable=False),
        sa.Column("max_papers", sa.Integer, nullable=False),
        sa.Column("cadence", sa.String(8), nullable=False),
        sa.Column("send_hour", sa.Integer, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(32), nullable=False),
        sa.Column("bounces", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("papers", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("sent_at", _MOMENT),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _MOMENT, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscriber_id", "period", name="uq_digests_subscriber_period"),
    )
    op.create_index("ix_digests_next_attempt_at", "digests", ["next_attempt_at"])
    for name in ("digest_papers", "feedback"):
        columns = [
            sa.Column(
                "subscriber_id",
                sa.Integer,
                sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(
                "paper_pk",
                sa.Integer,
                sa.ForeignKey("papers.pk", ondelete="CASCADE"),
                primary_key=True,
            ),
        ]
        if name == "digest_papers":
            columns.append(
                sa.Column(
                    "digest_id",
                    sa.Integer,
                    sa.ForeignKey("digests.id", ondelete="CASCADE"),
                    nullable=False,
                )
            )
        else:
            columns += [
                sa.Column("value", sa.Integer, nullable=False),
                sa.Column("created_at", _MOMENT, nullable=False),
            ]
        op.create_table(name, *columns)


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("digest_papers")
    op.drop_index("ix_digests_next_attempt_at", "digests")
    op.drop_table("digests")
    op.drop_index("ix_subscribers_status", "subscribers")
    op.drop_table("subscribers")
