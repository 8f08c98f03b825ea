"""Community: each paper's announcement day and its day (its daily page), litfeed's own vote
count, a hidden flag; accounts, their API tokens and their votes.

Revision ID: 0007
Revises: 0006
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# arXiv's calendar as litfeed.announcements has it, written out: a migration must not change
# when the application's code does.
_EASTERN = ZoneInfo("America/New_York")
_ANNOUNCES = {6, 0, 1, 2, 3}
_PAPERS = sa.table(
    "papers",
    sa.column("pk", sa.Integer),
    sa.column("arxiv_id", sa.String),
    sa.column("published", sa.Date),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("first_seen", sa.DateTime(timezone=True)),
    sa.column("announced", sa.Date),
    sa.column("day", sa.Date),
)


def _on_or_after(day: date) -> date:
    while day.weekday() not in _ANNOUNCES:
        day += timedelta(days=1)
    return day


def _arrival_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(_EASTERN)
    for back in range(8):
        candidate = local.date() - timedelta(days=back)
        if (
            candidate.weekday() in _ANNOUNCES
            and datetime.combine(candidate, time(20, 0), _EASTERN) <= local
        ):
            return candidate
    return local.date()


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("announced", sa.Date))
        batch.add_column(sa.Column("day", sa.Date))
        batch.add_column(sa.Column("votes", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _PAPERS.c.pk,
            _PAPERS.c.arxiv_id,
            _PAPERS.c.published,
            _PAPERS.c.submitted_at,
            _PAPERS.c.first_seen,
        )
    ).all()
    values = []
    for pk, arxiv_id, published, submitted_at, first_seen in rows:
        announced = _on_or_after(published) if arxiv_id and published else None
        candidates = [d for d in (announced, _utc_date(submitted_at)) if d is not None]
        day = min(candidates) if candidates else _arrival_day(first_seen)
        values.append({"row": pk, "announced_value": announced, "day_value": day})
    if values:
        connection.execute(
            sa.update(_PAPERS)
            .where(_PAPERS.c.pk == sa.bindparam("row"))
            .values(announced=sa.bindparam("announced_value"), day=sa.bindparam("day_value")),
            values,
        )
    with op.batch_alter_table("papers") as batch:
        batch.alter_column("day", existing_type=sa.Date, nullable=False)
        batch.create_index("ix_papers_day", ["day"])
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("votes_hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "votes",
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_votes_created_at", "votes", ["created_at"])


def _utc_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo("UTC")).date()


def downgrade() -> None:
    op.drop_index("ix_votes_created_at", "votes")
    op.drop_table("votes")
    op.drop_table("api_tokens")
    op.drop_table("accounts")
    with op.batch_alter_table("papers") as batch:
        batch.drop_index("ix_papers_day")
        batch.drop_column("hidden")
        batch.drop_column("votes")
        batch.drop_column("day")
        batch.drop_column("announced")
