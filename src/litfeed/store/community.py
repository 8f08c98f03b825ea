"""Accounts, API tokens and votes: rows and the statements over them. A paper's vote count
(``papers.votes``) is recounted in the transaction of each vote, so lists never count rows and
two concurrent votes of one account count once (the votes table's key refuses the second)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from litfeed.store.database import (
    read_transaction,
    record_from_row,
    records_by_id,
    write_transaction,
)
from litfeed.store.schema import (
    accounts,
    api_tokens,
    papers,
    rate_limits,
    sessions,
    site,
    submissions,
    votes,
)

UNNAMED = "a reader"  # how pages credit an account without a public name


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    created_at: datetime
    verified_at: datetime | None
    is_admin: bool
    disabled_at: datetime | None
    votes_hidden: bool
    name: str | None = None
    password_hash: str | None = None
    comment_mail: bool = True  # replies and mentions are mailed to it

    @property
    def shown_name(self) -> str:
        """How pages credit the account: its public name, else "a reader"."""
        return self.name or UNNAMED

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def administrator(self) -> bool:
        """Whether the account has administrator rights now: made an administrator, active, and
        its address confirmed (an account that has not proven its address has no rights)."""
        return self.is_admin and self.verified and self.active


@dataclass(frozen=True)
class Token:
    id: int
    account_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Submission:
    id: int
    account_id: int
    arxiv_id: str
    created_at: datetime
    status: str
    detail: str | None


def counted_votes(paper_pk: Any) -> sa.ScalarSelect[Any]:
    """The votes of a paper that count: those of accounts whose votes are not hidden."""
    return (
        sa.select(sa.func.count())
        .select_from(votes.join(accounts, accounts.c.id == votes.c.account_id))
        .where(votes.c.paper_pk == paper_pk, accounts.c.votes_hidden.is_(False))
        .scalar_subquery()
    )


def recount(connection: Connection, paper_pks: sa.ColumnElement[bool] | None = None) -> None:
    """Set ``papers.votes`` from the votes table, for the papers ``paper_pks`` selects."""
    statement = sa.update(papers).values(votes=counted_votes(papers.c.pk))
    if paper_pks is not None:
        statement = statement.where(paper_pks)
    connection.execute(statement)


class AccountExists(ValueError):
    """An account with this address exists already."""


class NameExists(ValueError):
    """An account with this public name (in any case) exists already."""


class CommunityStore:
    """The community's rows in one database (`Store.community`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- accounts ------------------------------------------------------------------------------

    def create_account(
        self,
        email: str,
        password_hash: str | None,
        verified: bool,
        admin: bool,
        name: str | None = None,
    ) -> Account:
        """A new account; `AccountExists` when the address has one, `NameExists` when the name
        is taken (both in any case)."""
        now = datetime.now(UTC)
        values = {
            "email": email,
            "email_key": email_key(email),
            "name": name,
            "password_hash": password_hash,
            "created_at": now,
            "verified_at": now if verified else None,
            "is_admin": admin,
        }
        try:
            with write_transaction(self.engine) as (connection, _change):
                _check_name_free(connection, name)
                row = connection.execute(
                    sa.insert(accounts).values(**values).returning(*accounts.c)
                ).mappings()
                return record_from_row(Account, row.one())
        except sa.exc.IntegrityError:
            if name is not None and self.account_by_name(name) is not None:
                raise NameExists(name) from None
            raise AccountExists(email) from None

    def account_by_name(self, name: str) -> Account | None:
        return self._account_where(sa.func.lower(accounts.c.name) == name.lower())

    def names(self, account_ids: Sequence[int]) -> dict[int, str]:
        """The public names of these accounts (those without one are left out)."""
        if not account_ids:
            return {}
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(accounts.c.id, accounts.c.name).where(
                    accounts.c.id.in_(set(account_ids)), accounts.c.name.is_not(None)
                )
            )
            return {int(account_id): str(name) for account_id, name in rows}

    def account(self, account_id: int) -> Account | None:
        return self._account_where(accounts.c.id == account_id)

    def accounts_by_id(self, account_ids: Sequence[int]) -> dict[int, Account]:
        """The accounts of ``account_ids`` that exist, by id."""
        return records_by_id(self.engine, accounts, Account, account_ids)

    def account_by_email(self, email: str) -> Account | None:
        return self._account_where(accounts.c.email_key == email_key(email))

    def account_by_token(self, token_hash: str) -> Account | None:
        joined = accounts.join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        with read_transaction(self.engine) as connection:
            row = connection.execute(
                sa.select(accounts).select_from(joined).where(api_tokens.c.token_hash == token_hash)
            ).mappings()
            found = row.first()
            return record_from_row(Account, found) if found is not None else None

    def _account_where(self, condition: sa.ColumnElement[bool]) -> Account | None:
        with read_transaction(self.engine) as connection:
            row = connection.execute(sa.select(accounts).where(condition)).mappings().first()
            return record_from_row(Account, row) if row is not None else None

    def list_accounts(self) -> list[Account]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(sa.select(accounts).order_by(accounts.c.id)).mappings()
            return [record_from_row(Account, row) for row in rows]

    def count_accounts(self) -> int:
        with read_transaction(self.engine) as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(accounts))
            return int(count.scalar_one())

    def disable_account(self, account_id: int) -> None:
        """Disabled: it cannot log in or act, its tokens stop working; its votes stay counted
        (an administrator hides them with `hide_votes`)."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id, accounts.c.disabled_at.is_(None))
                .values(disabled_at=datetime.now(UTC))
            )

    def set_suspended(self, account_id: int, suspended: bool) -> None:
        """Suspend an account (it cannot log in, write, vote or use its tokens, and its votes
        leave every count at once), or lift the suspension (all of it comes back)."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(
                    disabled_at=datetime.now(UTC) if suspended else None, votes_hidden=suspended
                )
            )
            voted = sa.select(votes.c.paper_pk).where(votes.c.account_id == account_id)
            recount(connection, papers.c.pk.in_(voted))

    def hide_votes(self, account_id: int, hidden: bool) -> None:
        """Hide (or restore) every vote of an account: they leave every count at once."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(votes_hidden=hidden)
            )
            voted = sa.select(votes.c.paper_pk).where(votes.c.account_id == account_id)
            recount(connection, papers.c.pk.in_(voted))

    # -- API tokens ----------------------------------------------------------------------------

    def add_token(self, account_id: int, token_hash: str, name: str) -> Token:
        values = {
            "account_id": account_id,
            "token_hash": token_hash,
            "name": name,
            "created_at": datetime.now(UTC),
        }
        with write_transaction(self.engine) as (connection, _change):
            row = connection.execute(
                sa.insert(api_tokens).values(**values).returning(*api_tokens.c)
            ).mappings()
            return record_from_row(Token, row.one())

    def tokens(self, account_id: int) -> list[Token]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(api_tokens)
                .where(api_tokens.c.account_id == account_id)
                .order_by(api_tokens.c.id)
            ).mappings()
            return [record_from_row(Token, row) for row in rows]

    def delete_tokens(self, account_id: int) -> int:
        """End every API token of the account; how many there were."""
        with write_transaction(self.engine) as (connection, _change):
            deleted = connection.execute(
                sa.delete(api_tokens).where(api_tokens.c.account_id == account_id)
            )
            return int(deleted.rowcount or 0)

    def delete_token(self, account_id: int, token_id: int) -> bool:
        """Delete one of the account's tokens; False when it has no such token (another
        account's token is not one of its own)."""
        with write_transaction(self.engine) as (connection, _change):
            deleted = connection.execute(
                sa.delete(api_tokens).where(
                    api_tokens.c.id == token_id, api_tokens.c.account_id == account_id
                )
            )
            return bool(deleted.rowcount)

    # -- votes ---------------------------------------------------------------------------------

    def vote(self, account_id: int, paper_pk: int, on: bool) -> int:
        """Record (``on``) or withdraw the account's vote for a paper; the paper's count after.
        Voting twice is one vote: the key refuses the second row, whoever commits first."""
        with write_transaction(self.engine) as (connection, _change):
            if on:
                exists = connection.execute(
                    sa.select(votes.c.paper_pk).where(
                        votes.c.account_id == account_id, votes.c.paper_pk == paper_pk
                    )
                ).first()
                if exists is None:
                    connection.execute(
                        sa.insert(votes).values(
                            account_id=account_id, paper_pk=paper_pk, created_at=datetime.now(UTC)
                        )
                    )
            else:
                connection.execute(
                    sa.delete(votes).where(
                        votes.c.account_id == account_id, votes.c.paper_pk == paper_pk
                    )
                )
            recount(connection, papers.c.pk == paper_pk)
            count = connection.execute(sa.select(papers.c.votes).where(papers.c.pk == paper_pk))
            return int(count.scalar_one())

    def voted(self, account_id: int, paper_pks: list[int]) -> set[int]:
        """Which of these papers the account voted for."""
        if not paper_pks:
            return set()
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(votes.c.paper_pk).where(
                    votes.c.account_id == account_id, votes.c.paper_pk.in_(paper_pks)
                )
            )
            return {int(pk) for pk in rows.scalars()}

    def voted_any(self, account_id: int, limit: int = 10_000) -> set[int]:
        """The papers the account voted for (the newest ``limit``), to mark them on pages."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(votes.c.paper_pk)
                .where(votes.c.account_id == account_id)
                .order_by(votes.c.created_at.desc())
                .limit(limit)
            )
            return {int(pk) for pk in rows.scalars()}

    def recent_votes(self, since: datetime, paper_pks: list[int]) -> dict[int, int]:
        """Counted votes cast since ``since``, per paper."""
        if not paper_pks:
            return {}
        joined = votes.join(accounts, accounts.c.id == votes.c.account_id)
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(votes.c.paper_pk, sa.func.count())
                .select_from(joined)
                .where(
                    votes.c.created_at >= since,
                    votes.c.paper_pk.in_(paper_pks),
                    accounts.c.votes_hidden.is_(False),
                )
                .group_by(votes.c.paper_pk)
            )
            return {int(pk): int(count) for pk, count in rows}

    # -- submissions ---------------------------------------------------------------------------

    def add_submission(self, account_id: int, arxiv_id: str) -> Submission:
        values = {
            "account_id": account_id,
            "arxiv_id": arxiv_id,
            "created_at": datetime.now(UTC),
            "status": "pending",
        }
        with write_transaction(self.engine) as (connection, _change):
            row = connection.execute(
                sa.insert(submissions).values(**values).returning(*submissions.c)
            ).mappings()
            return record_from_row(Submission, row.one())

    def submission(self, submission_id: int) -> Submission | None:
        with read_transaction(self.engine) as connection:
            row = (
                connection.execute(sa.select(submissions).where(submissions.c.id == submission_id))
                .mappings()
                .first()
            )
            return record_from_row(Submission, row) if row is not None else None

    def pending_submissions(self, limit: int = 100) -> list[Submission]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(submissions)
                .where(submissions.c.status == "pending")
                .order_by(submissions.c.id)
                .limit(limit)
            ).mappings()
            return [record_from_row(Submission, row) for row in rows]

    def submission_counts(self, failures: int = 5) -> dict[str, Any]:
        """Submissions by status, and the newest ``failures`` failed ones with their reasons."""
        with read_transaction(self.engine) as connection:
            counted = {
                str(status): int(count)
                for status, count in connection.execute(
                    sa.select(submissions.c.status, sa.func.count()).group_by(submissions.c.status)
                )
            }
            rows = connection.execute(
                sa.select(submissions.c.id, submissions.c.arxiv_id, submissions.c.detail)
                .where(submissions.c.status == "failed")
                .order_by(submissions.c.id.desc())
                .limit(failures)
            ).mappings()
            latest = [
                {"id": row["id"], "paper": row["arxiv_id"], "reason": row["detail"]} for row in rows
            ]
        return {**counted, "latest_failures": latest}

    def finish_submission(self, submission_id: int, status: str, detail: str) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(submissions)
                .where(submissions.c.id == submission_id)
                .values(status=status, detail=detail[:1000], done_at=datetime.now(UTC))
            )

    def credit(self, paper_pk: int, account_id: int, day: date) -> None:
        """Record that the account submitted the paper on ``day``, which becomes its day (the
        first submitter is credited; a later one changes nothing)."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(papers)
                .where(papers.c.pk == paper_pk, papers.c.submitted_here.is_(None))
                .values(submitted_here=day, submitter_id=account_id, day=day)
            )

    # -- passwords, verification ---------------------------------------------------------------

    def set_verified(self, account_id: int) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id, accounts.c.verified_at.is_(None))
                .values(verified_at=datetime.now(UTC))
            )

    def set_comment_mail(self, account_id: int, on: bool) -> None:
        """Whether replies and mentions are mailed to the account."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(comment_mail=on)
            )

    def set_name(self, account_id: int, name: str | None) -> None:
        """A new public name (None: none); `NameExists` when another account has it."""
        try:
            with write_transaction(self.engine) as (connection, _change):
                _check_name_free(connection, name, account_id)
                connection.execute(
                    sa.update(accounts).where(accounts.c.id == account_id).values(name=name)
                )
        except sa.exc.IntegrityError:
            raise NameExists(name or "") from None

    def set_password_hash(self, account_id: int, password_hash: str) -> None:
        """A new password; every session of the account ends (a reset logs out everywhere)."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )
            connection.execute(sa.delete(sessions).where(sessions.c.account_id == account_id))

    # -- sessions ------------------------------------------------------------------------------

    def start_session(self, session_hash: str, account_id: int, expires_at: datetime) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.insert(sessions).values(
                    id=session_hash,
                    account_id=account_id,
                    created_at=datetime.now(UTC),
                    expires_at=expires_at,
                )
            )

    def account_of_session(self, session_hash: str) -> Account | None:
        """The account of a session that has not expired."""
        joined = accounts.join(sessions, sessions.c.account_id == accounts.c.id)
        with read_transaction(self.engine) as connection:
            row = (
                connection.execute(
                    sa.select(accounts)
                    .select_from(joined)
                    .where(sessions.c.id == session_hash, sessions.c.expires_at > datetime.now(UTC))
                )
                .mappings()
                .first()
            )
            return record_from_row(Account, row) if row is not None else None

    def end_session(self, session_hash: str) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(sa.delete(sessions).where(sessions.c.id == session_hash))

    # -- rate limits ---------------------------------------------------------------------------

    def hit(self, key: str, window: timedelta, limit: int) -> bool:
        """Count one event under ``key`` in a fixed window; False when it is past ``limit``
        (the event is still counted: hammering keeps the window full)."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as (connection, _change):
            row = connection.execute(
                sa.select(rate_limits.c.window_start, rate_limits.c.count).where(
                    rate_limits.c.key == key
                )
            ).first()
            if row is None:
                connection.execute(
                    sa.insert(rate_limits).values(key=key, window_start=now, count=1)
                )
                return limit >= 1
            start, count = row[0], int(row[1])
            if now - start >= window:
                start, count = now, 0
            connection.execute(
                sa.update(rate_limits)
                .where(rate_limits.c.key == key)
                .values(window_start=start, count=count + 1)
            )
            return count + 1 <= limit

    def forgive(self, key: str) -> None:
        """Take back one event counted under ``key`` (an attempt that turned out well: a
        log-in counts its failures only, but takes its place before it is judged, so that
        attempts made at once cannot all slip under the limit)."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(rate_limits)
                .where(rate_limits.c.key == key, rate_limits.c.count > 0)
                .values(count=rate_limits.c.count - 1)
            )

    def set_admin(self, account_id: int, admin: bool) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(is_admin=admin)
            )

    def signing_key(self) -> str:
        with read_transaction(self.engine) as connection:
            return str(
                connection.execute(
                    sa.select(site.c.value).where(site.c.name == "signing_key")
                ).scalar_one()
            )


def _check_name_free(connection: Connection, name: str | None, owner: int | None = None) -> None:
    """`NameExists` when an account (other than ``owner``) has ``name`` in any case."""
    if name is None:
        return
    taken = sa.select(accounts.c.id).where(sa.func.lower(accounts.c.name) == name.lower())
    if owner is not None:
        taken = taken.where(accounts.c.id != owner)
    if connection.execute(taken).first() is not None:
        raise NameExists(name)


def email_key(email: str) -> str:
    return email.strip().lower()
