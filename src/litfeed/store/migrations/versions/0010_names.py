"""Names: an account's public name (shown with what it submits, unique in any case), and the
Hugging Face user name of a paper's submitter there (what `/hf/api/daily_papers?submitter=`
matches; `submitted_by` keeps the full name shown).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("name", sa.String(40)))
    op.create_index("ix_accounts_name_key", "accounts", [sa.text("lower(name)")], unique=True)
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("submitter_user", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("submitter_user")
    op.drop_index("ix_accounts_name_key", "accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("name")
