"""One message, one fate: a message of the outbox that cannot be built or is refused for good
is marked failed (with its reason, as before) and never tried again; what was given up before
is marked so too.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
    # Given up before this revision: unsent, its next attempt put off by a century.
    op.execute(
        "UPDATE mail_outbox SET failed_at = next_attempt_at "
        "WHERE sent_at IS NULL AND attempts > 0 AND next_attempt_at > "
        + ("now() + interval '50 years'" if _postgres() else "datetime('now', '+50 years')")
    )
    op.create_index("ix_mail_outbox_failed_at", "mail_outbox", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_failed_at", "mail_outbox")
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_column("failed_at")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
