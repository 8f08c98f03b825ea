"""Comments under papers, their votes and reports, and the moderation log: rows and the
statements over them (`litfeed.discussion` decides who may do what). Every statement that
changes what a paper shows recounts its ``comments_here`` in the same transaction, which holds
the write lock, so two readers commenting at once are both counted; a comment's score is
counted from its votes when read (a thread is a few hundred rows at most)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from litfeed.store.database import read_transaction, record_from_row, write_transaction
from litfeed.store.schema import (
    accounts,
    author_claims,
    comment_reports,
    comment_votes,
    comments,
    mail_outbox,
    moderation_log,
    notifications,
    papers,
)


@dataclass(frozen=True)
class Comment:
    id: int
    paper_pk: int
    account_id: int
    parent_id: int | None
    body: str
    html: str
    renderer: int
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    score: int = 0  # counted votes (of accounts whose votes count)
    author: str | None = None  # the account's public name, if it has one

    @property
    def shown(self) -> bool:
        """Neither deleted by its writer nor hidden by a moderator."""
        return self.deleted_at is None and self.hidden_at is None


@dataclass(frozen=True)
class Report:
    id: int
    comment_id: int
    account_id: int
    reason: str
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class Logged:
    """One moderation action: who, when, what, on which comment or account."""

    id: int
    at: datetime
    actor_id: int | None
    action: str
    comment_id: int | None
    account_id: int | None
    detail: str


@dataclass(frozen=True)
class Notification:
    """A reply to a reader's comment, or a mention of their name, with what it points at."""

    id: int
    account_id: int
    kind: str  # reply, mention
    comment_id: int
    created_at: datetime
    mailed_at: datetime | None
    paper_id: str
    paper_title: str
    writer: str | None  # the comment's writer's public name
    body: str  # the comment's source ("" once deleted)
    html: str


@dataclass(frozen=True)
class QueuedMail:
    """A message to queue in the transaction that marks notifications mailed."""

    recipient: str
    subject: str
    text_body: str
    html_body: str | None
    message_id: str


@dataclass(frozen=True)
class Claim:
    """A reader's claim to be the author of an author page."""

    id: int
    account_id: int
    name: str
    family: str
    created_at: datetime
    verified_at: datetime | None
    verified_by: int | None
    claimant: str | None = None  # the account's public name


_COUNTED = sa.and_(comments.c.deleted_at.is_(None), comments.c.hidden_at.is_(None))


def _recount(connection: Connection, paper_pk: int) -> None:
    shown = (
        sa.select(sa.func.count())
        .select_from(comments)
        .where(comments.c.paper_pk == paper_pk, _COUNTED)
        .scalar_subquery()
    )
    connection.execute(sa.update(papers).where(papers.c.pk == paper_pk).values(comments_here=shown))


def _score() -> sa.ScalarSelect[Any]:
    counted = comment_votes.join(accounts, accounts.c.id == comment_votes.c.account_id)
    return (
        sa.select(sa.func.count())
        .select_from(counted)
        .where(comment_votes.c.comment_id == comments.c.id, accounts.c.votes_hidden.is_(False))
        .scalar_subquery()
    )


def _select_comments() -> sa.Select[Any]:
    return sa.select(
        comments, _score().label("score"), accounts.c.name.label("author")
    ).select_from(comments.join(accounts, accounts.c.id == comments.c.account_id))


def _select_notifications() -> sa.Select[Any]:
    writer = accounts.alias("writer")
    joined = notifications.join(comments, comments.c.id == notifications.c.comment_id)
    joined = joined.join(papers, papers.c.pk == comments.c.paper_pk)
    joined = joined.join(writer, writer.c.id == comments.c.account_id)
    return sa.select(
        notifications,
        papers.c.id.label("paper_id"),
        papers.c.title.label("paper_title"),
        writer.c.name.label("writer"),
        comments.c.body,
        comments.c.html,
    ).select_from(joined)


class DiscussionStore:
    """The discussion's rows in one database (`Store.discussion`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- comments ------------------------------------------------------------------------------

    def add(
        self,
        paper_pk: int,
        account_id: int,
        parent_id: int | None,
        body: str,
        html: str,
        renderer: int,
        notify: Sequence[tuple[int, str]] = (),
    ) -> int:
        """A new comment's id; ``notify``: (account, kind) told of it, in the same
        transaction."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as (connection, _change):
            new_id = connection.execute(
                sa.insert(comments)
                .values(
                    paper_pk=paper_pk,
                    account_id=account_id,
                    parent_id=parent_id,
                    body=body,
                    html=html,
                    renderer=renderer,
                    created_at=now,
                )
                .returning(comments.c.id)
            ).scalar_one()
            _recount(connection, paper_pk)
            told = {account: kind for account, kind in reversed(notify)}  # the first kind
            if told:
                connection.execute(
                    sa.insert(notifications),
                    [
                        {"account_id": a, "kind": k, "comment_id": new_id, "created_at": now}
                        for a, k in told.items()
                    ],
                )
            return int(new_id)

    def comment(self, comment_id: int) -> Comment | None:
        with read_transaction(self.engine) as connection:
            row = (
                connection.execute(_select_comments().where(comments.c.id == comment_id))
                .mappings()
                .first()
            )
            return None if row is None else record_from_row(Comment, row)

    def thread(self, paper_pk: int) -> list[Comment]:
        """Every comment under a paper (deleted and hidden ones too), oldest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                _select_comments()
                .where(comments.c.paper_pk == paper_pk)
                .order_by(comments.c.created_at, comments.c.id)
            ).mappings()
            return [record_from_row(Comment, row) for row in rows]

    def by_account(self, account_id: int, limit: int = 100) -> list[Comment]:
        """An account's comments, the newest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                _select_comments()
                .where(comments.c.account_id == account_id)
                .order_by(comments.c.created_at.desc(), comments.c.id.desc())
                .limit(limit)
            ).mappings()
            return [record_from_row(Comment, row) for row in rows]

    def edit(self, comment_id: int, body: str, html: str, renderer: int) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(comments)
                .where(comments.c.id == comment_id)
                .values(body=body, html=html, renderer=renderer, edited_at=datetime.now(UTC))
            )

    def rendered(self, updates: Sequence[tuple[int, str, int]]) -> None:
        """Store comments' HTML made again by newer rules: (id, html, renderer)."""
        if not updates:
            return
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(comments)
                .where(comments.c.id == sa.bindparam("_id"))
                .values(html=sa.bindparam("_html"), renderer=sa.bindparam("_renderer")),
                [{"_id": i, "_html": html, "_renderer": version} for i, html, version in updates],
            )

    def stale(self, renderer: int, limit: int = 1_000) -> list[tuple[int, str]]:
        """(id, source) of comments made by rules older than ``renderer``."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(comments.c.id, comments.c.body)
                .where(comments.c.renderer < renderer)
                .order_by(comments.c.id)
                .limit(limit)
            )
            return [(int(i), str(body)) for i, body in rows]

    def delete(self, comment_id: int) -> None:
        """Deleted by its writer: its text is gone at once (the row stays while replies hang
        on it)."""
        with write_transaction(self.engine) as (connection, _change):
            paper_pk = connection.execute(
                sa.update(comments)
                .where(comments.c.id == comment_id, comments.c.deleted_at.is_(None))
                .values(deleted_at=datetime.now(UTC), body="", html="")
                .returning(comments.c.paper_pk)
            ).scalar_one_or_none()
            if paper_pk is not None:
                _recount(connection, paper_pk)

    def set_hidden(self, comment_id: int, hidden: bool, actor_id: int, detail: str = "") -> bool:
        """Hide a comment (or show it again), logged with the moderator; whether it changed."""
        now = datetime.now(UTC)
        condition = comments.c.hidden_at.is_(None) if hidden else comments.c.hidden_at.isnot(None)
        with write_transaction(self.engine) as (connection, _change):
            row = connection.execute(
                sa.update(comments)
                .where(comments.c.id == comment_id, condition)
                .values(hidden_at=now if hidden else None)
                .returning(comments.c.paper_pk, comments.c.account_id)
            ).first()
            if row is None:
                return False
            _recount(connection, int(row[0]))
            if hidden:  # the reports on it are dealt with
                connection.execute(
                    sa.update(comment_reports)
                    .where(
                        comment_reports.c.comment_id == comment_id,
                        comment_reports.c.resolved_at.is_(None),
                    )
                    .values(resolved_at=now)
                )
            _log(connection, actor_id, "hide" if hidden else "restore", comment_id, row[1], detail)
            return True

    # -- votes ---------------------------------------------------------------------------------

    def vote(self, comment_id: int, account_id: int, on: bool) -> None:
        """Record (``on``) or withdraw an account's vote for a comment; twice is once."""
        with write_transaction(self.engine) as (connection, _change):
            mine = sa.and_(
                comment_votes.c.comment_id == comment_id, comment_votes.c.account_id == account_id
            )
            if not on:
                connection.execute(sa.delete(comment_votes).where(mine))
            elif (
                connection.execute(sa.select(comment_votes.c.comment_id).where(mine)).first()
                is None
            ):
                connection.execute(
                    sa.insert(comment_votes).values(
                        comment_id=comment_id, account_id=account_id, created_at=datetime.now(UTC)
                    )
                )

    def voted(self, account_id: int, comment_ids: Sequence[int]) -> set[int]:
        """Which of these comments the account voted for."""
        if not comment_ids:
            return set()
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(comment_votes.c.comment_id).where(
                    comment_votes.c.account_id == account_id,
                    comment_votes.c.comment_id.in_(list(comment_ids)),
                )
            )
            return {int(i) for i in rows.scalars()}

    # -- notifications -------------------------------------------------------------------------

    def notifications(
        self, account_id: int, limit: int = 50, unmailed: bool = False
    ) -> list[Notification]:
        """An account's notifications, the newest first (``unmailed``: those not mailed yet,
        the oldest first); those of comments deleted or hidden since are left out."""
        query = _select_notifications().where(
            notifications.c.account_id == account_id, _COUNTED, papers.c.hidden.is_(False)
        )
        if unmailed:
            query = query.where(notifications.c.mailed_at.is_(None)).order_by(
                notifications.c.created_at, notifications.c.id
            )
        else:
            query = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        with read_transaction(self.engine) as connection:
            rows = connection.execute(query.limit(limit)).mappings()
            return [record_from_row(Notification, row) for row in rows]

    def waiting(self, before: datetime, limit: int = 1_000) -> list[int]:
        """Accounts with a notification not mailed yet that is older than ``before``."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(notifications.c.account_id)
                .where(notifications.c.mailed_at.is_(None), notifications.c.created_at <= before)
                .group_by(notifications.c.account_id)
                .order_by(sa.func.min(notifications.c.created_at))
                .limit(limit)
            )
            return [int(account_id) for account_id in rows.scalars()]

    def unmailed(self, account_id: int) -> tuple[int, int]:
        """(how many of the account's notifications wait for a mail, counted as
        `notifications` lists them; the highest number of any waiting notification)."""
        shown = _select_notifications().where(
            notifications.c.account_id == account_id,
            notifications.c.mailed_at.is_(None),
            _COUNTED,
            papers.c.hidden.is_(False),
        )
        highest = sa.select(sa.func.max(notifications.c.id)).where(
            notifications.c.account_id == account_id, notifications.c.mailed_at.is_(None)
        )
        with read_transaction(self.engine) as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(shown.subquery())
            ).scalar()
            return int(total or 0), int(connection.execute(highest).scalar() or 0)

    def mark_mailed(
        self, account_id: int, mail: QueuedMail | None, up_to: int | None = None
    ) -> int:
        """Queue ``mail`` (when given) and mark the account's unmailed notifications mailed
        (those numbered up to ``up_to``: the ones there were when the mail was written; a
        newer one waits for the next mail), in one transaction: a worker killed at any moment
        queues it once. How many were marked."""
        now = datetime.now(UTC)
        waiting = [
            notifications.c.account_id == account_id,
            notifications.c.mailed_at.is_(None),
        ]
        if up_to is not None:
            waiting.append(notifications.c.id <= up_to)
        with write_transaction(self.engine) as (connection, _change):
            marked = connection.execute(
                sa.update(notifications).where(*waiting).values(mailed_at=now)
            ).rowcount
            if marked and mail is not None:
                connection.execute(
                    sa.insert(mail_outbox).values(
                        recipient=mail.recipient,
                        subject=mail.subject,
                        text_body=mail.text_body,
                        html_body=mail.html_body,
                        message_id=mail.message_id,
                        created_at=now,
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            return int(marked)

    # -- author claims -------------------------------------------------------------------------

    def claim(self, account_id: int, name: str, family: str) -> bool:
        """Record a reader's claim to be ``name``; False when they had claimed it."""
        with write_transaction(self.engine) as (connection, _change):
            there = connection.execute(
                sa.select(author_claims.c.id).where(
                    author_claims.c.account_id == account_id, author_claims.c.name == name
                )
            ).first()
            if there is not None:
                return False
            connection.execute(
                sa.insert(author_claims).values(
                    account_id=account_id, name=name, family=family, created_at=datetime.now(UTC)
                )
            )
            return True

    def claims(self, families: Sequence[str]) -> list[Claim]:
        """The claims to names of these family keys, the verified first, then the oldest."""
        if not families:
            return []
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(author_claims, accounts.c.name.label("claimant"))
                .select_from(
                    author_claims.join(accounts, accounts.c.id == author_claims.c.account_id)
                )
                .where(author_claims.c.family.in_(list(families)), accounts.c.disabled_at.is_(None))
                .order_by(author_claims.c.verified_at.is_(None), author_claims.c.created_at)
            ).mappings()
            return [record_from_row(Claim, row) for row in rows]

    def verify_claim(self, claim_id: int, actor_id: int, verified: bool) -> Claim | None:
        """An administrator verifies a claim (or takes the verification back); logged."""
        with write_transaction(self.engine) as (connection, _change):
            row = (
                connection.execute(
                    sa.update(author_claims)
                    .where(author_claims.c.id == claim_id)
                    .values(
                        verified_at=datetime.now(UTC) if verified else None,
                        verified_by=actor_id if verified else None,
                    )
                    .returning(author_claims)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            _log(
                connection,
                actor_id,
                "verify-claim" if verified else "unverify-claim",
                None,
                row["account_id"],
                row["name"],
            )
            return record_from_row(Claim, {**row, "claimant": None})

    def withdraw_claim(self, claim_id: int, account_id: int) -> bool:
        with write_transaction(self.engine) as (connection, _change):
            removed = connection.execute(
                sa.delete(author_claims).where(
                    author_claims.c.id == claim_id, author_claims.c.account_id == account_id
                )
            )
            return bool(removed.rowcount)

    # -- reports and the log -------------------------------------------------------------------

    def report(self, comment_id: int, account_id: int, reason: str) -> bool:
        """A reader reports a comment; False when they had reported it already."""
        with write_transaction(self.engine) as (connection, _change):
            exists = connection.execute(
                sa.select(comment_reports.c.id).where(
                    comment_reports.c.comment_id == comment_id,
                    comment_reports.c.account_id == account_id,
                )
            ).first()
            if exists is not None:
                return False
            connection.execute(
                sa.insert(comment_reports).values(
                    comment_id=comment_id,
                    account_id=account_id,
                    reason=reason,
                    created_at=datetime.now(UTC),
                )
            )
            return True

    def open_reports(self, limit: int = 200) -> list[Report]:
        """Reports no moderator has dealt with, the oldest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(comment_reports)
                .where(comment_reports.c.resolved_at.is_(None))
                .order_by(comment_reports.c.created_at, comment_reports.c.id)
                .limit(limit)
            ).mappings()
            return [record_from_row(Report, row) for row in rows]

    def dismiss_reports(self, comment_id: int, actor_id: int) -> int:
        """A moderator leaves a reported comment as it is; how many reports that closed."""
        with write_transaction(self.engine) as (connection, _change):
            closed = connection.execute(
                sa.update(comment_reports)
                .where(
                    comment_reports.c.comment_id == comment_id,
                    comment_reports.c.resolved_at.is_(None),
                )
                .values(resolved_at=datetime.now(UTC))
            ).rowcount
            if closed:
                _log(connection, actor_id, "dismiss", comment_id, None, f"{closed} report(s)")
            return int(closed)

    def log(
        self,
        actor_id: int | None,
        action: str,
        comment_id: int | None = None,
        account_id: int | None = None,
        detail: str = "",
    ) -> None:
        with write_transaction(self.engine) as (connection, _change):
            _log(connection, actor_id, action, comment_id, account_id, detail)

    def logged(self, limit: int = 200) -> list[Logged]:
        """The moderation log, the newest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(moderation_log)
                .order_by(moderation_log.c.at.desc(), moderation_log.c.id.desc())
                .limit(limit)
            ).mappings()
            return [record_from_row(Logged, row) for row in rows]

    def all_comments(self, after: int = 0, chunk: int = 1_000) -> list[Comment]:
        """Comments with an id above ``after``, ``chunk`` at a time (an export)."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                _select_comments().where(comments.c.id > after).order_by(comments.c.id).limit(chunk)
            ).mappings()
            return [record_from_row(Comment, row) for row in rows]


def _log(
    connection: Connection,
    actor_id: int | None,
    action: str,
    comment_id: int | None,
    account_id: int | None,
    detail: str,
) -> None:
    connection.execute(
        sa.insert(moderation_log).values(
            at=datetime.now(UTC),
            actor_id=actor_id,
            action=action,
            comment_id=comment_id,
            account_id=account_id,
            detail=detail[:1000],
        )
    )
