"""Delivery's rows: digest subscribers, the send ledger (`digests`, one row per subscriber and
period), the papers each subscriber was sent, and feedback from the digests' links."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from litfeed.store.community import email_key
from litfeed.store.database import (
    plain_write_transaction,
    read_transaction,
    record_from_row,
    records_by_id,
)
from litfeed.store.schema import digest_papers, digests, feedback, papers, subscribers

PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCING = "pending", "confirmed", "unsubscribed", "bouncing"
TO_SEND, SENT, FAILED, EMPTY = "pending", "sent", "failed", "empty"


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    account_id: int | None
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    sections: list[dict[str, Any]]
    mutes: list[str]
    max_papers: int
    cadence: str
    send_hour: int
    timezone: str
    secret: str
    bounces: int


@dataclass(frozen=True)
class Digest:
    """A ledger row: the digest of one subscriber for one period."""

    id: int
    subscriber_id: int
    period: str
    message_id: str
    papers: list[list[Any]]  # [paper pk, [the sections that hold it]] in the message's order
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Planned:
    """A digest to record: who, which period, its Message-ID and its papers."""

    subscriber_id: int
    period: str
    message_id: str
    papers: list[tuple[int, list[str]]]  # (paper pk, the sections that hold it)


class DeliveryStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- subscribers ---------------------------------------------------------------------------

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        return self._subscriber_where(subscribers.c.id == subscriber_id)

    def subscriber_by_email(self, email: str) -> Subscriber | None:
        return self._subscriber_where(subscribers.c.email_key == email_key(email))

    def _subscriber_where(self, condition: sa.ColumnElement[bool]) -> Subscriber | None:
        with read_transaction(self.engine) as connection:
            row = connection.execute(sa.select(subscribers).where(condition)).mappings().first()
            return record_from_row(Subscriber, row) if row is not None else None

    def subscribers(self, status: str | None = None) -> list[Subscriber]:
        condition = subscribers.c.status == status if status else sa.true()
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(subscribers).where(condition).order_by(subscribers.c.id)
            ).mappings()
            return [record_from_row(Subscriber, row) for row in rows]

    def save_subscriber(self, email: str, confirmed: bool, **choices: Any) -> Subscriber:
        """Create the subscriber of ``email``, or update its choices (``sections``, ``mutes``,
        ``max_papers``, ``cadence``, ``send_hour``, ``timezone``, ``account_id``). A new one is
        pending unless ``confirmed``; an unsubscribed one subscribing again is pending again."""
        now = datetime.now(UTC)
        key = email_key(email)
        with plain_write_transaction(self.engine) as connection:
            found = (
                connection.execute(sa.select(subscribers).where(subscribers.c.email_key == key))
                .mappings()
                .first()
            )
            if found is None:
                connection.execute(
                    sa.insert(subscribers).values(
                        email=email.strip(),
                        email_key=key,
                        status=CONFIRMED if confirmed else PENDING,
                        created_at=now,
                        confirmed_at=now if confirmed else None,
                        secret=secrets.token_hex(8),
                        bounces=0,
                        **choices,
                    )
                )
            else:
                values = dict(choices)
                if confirmed and found["status"] != CONFIRMED:
                    values.update(status=CONFIRMED, confirmed_at=now, bounces=0)
                elif found["status"] in (UNSUBSCRIBED, BOUNCING):
                    values.update(status=PENDING)
                if values:
                    connection.execute(
                        sa.update(subscribers)
                        .where(subscribers.c.id == found["id"])
                        .values(**values)
                    )
            row = (
                connection.execute(sa.select(subscribers).where(subscribers.c.email_key == key))
                .mappings()
                .one()
            )
            return record_from_row(Subscriber, row)

    def update_subscriber(self, subscriber_id: int, **values: Any) -> None:
        with plain_write_transaction(self.engine) as connection:
            connection.execute(
                sa.update(subscribers).where(subscribers.c.id == subscriber_id).values(**values)
            )

    def set_status(self, subscriber_id: int, status: str) -> None:
        now = datetime.now(UTC)
        values: dict[str, Any] = {"status": status}
        if status == CONFIRMED:
            values.update(confirmed_at=now, unsubscribed_at=None, bounces=0)
        elif status == UNSUBSCRIBED:
            values.update(unsubscribed_at=now)
        self.update_subscriber(subscriber_id, **values)

    def count_bounce(self, subscriber_id: int, limit: int) -> int:
        """One more permanent refusal; at ``limit`` the subscriber is bouncing (sent nothing
        more). The count so far."""
        with plain_write_transaction(self.engine) as connection:
            connection.execute(
                sa.update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(bounces=subscribers.c.bounces + 1)
            )
            count = int(
                connection.execute(
                    sa.select(subscribers.c.bounces).where(subscribers.c.id == subscriber_id)
                ).scalar_one()
            )
            if count >= limit:
                connection.execute(
                    sa.update(subscribers)
                    .where(subscribers.c.id == subscriber_id)
                    .values(status=BOUNCING)
                )
            return count

    def reset_bounces(self, subscriber_id: int) -> None:
        self.update_subscriber(subscriber_id, bounces=0)

    # -- the ledger ----------------------------------------------------------------------------

    def periods_recorded(self, period: str) -> set[int]:
        """The subscribers that have a digest for ``period`` (sent, to send or given up)."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(digests.c.subscriber_id).where(digests.c.period == period)
            )
            return {int(subscriber_id) for (subscriber_id,) in rows}

    def sent_papers(self, subscriber_id: int) -> set[int]:
        """The papers the subscriber was sent already (or has on its way)."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(digest_papers.c.paper_pk).where(
                    digest_papers.c.subscriber_id == subscriber_id
                )
            )
            return {int(pk) for (pk,) in rows}

    def subscribers_by_id(self, subscriber_ids: Iterable[int]) -> dict[int, Subscriber]:
        return records_by_id(self.engine, subscribers, Subscriber, subscriber_ids, 900)

    def record_digests(self, planned: Sequence[Planned]) -> list[int]:
        """Write the ledger rows (and the papers they hold) in one transaction, before any of
        them is handed over; a (subscriber, period) recorded already is left as it is. The ids
        written."""
        now = datetime.now(UTC)
        written: list[int] = []
        with plain_write_transaction(self.engine) as connection:
            for plan in planned:
                exists = connection.execute(
                    sa.select(digests.c.id).where(
                        digests.c.subscriber_id == plan.subscriber_id,
                        digests.c.period == plan.period,
                    )
                ).first()
                if exists is not None:
                    continue
                digest_id = int(
                    connection.execute(
                        sa.insert(digests)
                        .values(
                            subscriber_id=plan.subscriber_id,
                            period=plan.period,
                            message_id=plan.message_id,
                            papers=[[pk, why] for pk, why in plan.papers],
                            # An empty digest is never sent: its row only says it was worked out.
                            status=TO_SEND if plan.papers else EMPTY,
                            created_at=now,
                            attempts=0,
                            next_attempt_at=now,
                        )
                        .returning(digests.c.id)
                    ).scalar_one()
                )
                if plan.papers:
                    connection.execute(
                        sa.insert(digest_papers),
                        [
                            {
                                "subscriber_id": plan.subscriber_id,
                                "paper_pk": pk,
                                "digest_id": digest_id,
                            }
                            for pk, _why in plan.papers
                        ],
                    )
                written.append(digest_id)
        return written

    def due_digests(self, limit: int = 500, after_id: int = 0) -> list[Digest]:
        """Digests to send whose time has come, in id order from after ``after_id``."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(digests)
                .where(
                    digests.c.status == TO_SEND,
                    digests.c.next_attempt_at <= datetime.now(UTC),
                    digests.c.id > after_id,
                )
                .order_by(digests.c.id)
                .limit(limit)
            ).mappings()
            return [record_from_row(Digest, row) for row in rows]

    def last_digest_at(self, subscriber_id: int) -> datetime | None:
        """When the subscriber's latest digest was recorded (None before the first)."""
        with read_transaction(self.engine) as connection:
            found: datetime | None = connection.execute(
                sa.select(digests.c.created_at)
                .where(digests.c.subscriber_id == subscriber_id)
                .order_by(digests.c.created_at.desc())
                .limit(1)
            ).scalar()
            return found

    def digests_of(self, subscriber_id: int) -> list[Digest]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(digests)
                .where(digests.c.subscriber_id == subscriber_id)
                .order_by(digests.c.id)
            ).mappings()
            return [record_from_row(Digest, row) for row in rows]

    def mark_sent(self, digest_id: int) -> None:
        with plain_write_transaction(self.engine) as connection:
            connection.execute(
                sa.update(digests)
                .where(digests.c.id == digest_id)
                .values(status=SENT, sent_at=datetime.now(UTC), attempts=digests.c.attempts + 1)
            )

    def mark_failed(self, digest_id: int, error: str, retry_in: timedelta | None) -> None:
        """A failed attempt: tried again after ``retry_in``, or given up (None)."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "attempts": digests.c.attempts + 1,
            "last_error": error[:1000],
        }
        if retry_in is None:
            values["status"] = FAILED
        else:
            values["next_attempt_at"] = now + retry_in
        with plain_write_transaction(self.engine) as connection:
            connection.execute(sa.update(digests).where(digests.c.id == digest_id).values(**values))

    def subscriber_counts(self) -> dict[str, int]:
        """Subscribers by status."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(subscribers.c.status, sa.func.count()).group_by(subscribers.c.status)
            )
            return {str(status): int(count) for status, count in rows}

    def ledger_counts(self) -> dict[str, int]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(digests.c.status, sa.func.count()).group_by(digests.c.status)
            )
            return {str(status): int(count) for status, count in rows}

    # -- feedback ------------------------------------------------------------------------------

    def record_feedback(self, subscriber_id: int, paper_pk: int, value: int) -> None:
        """A subscriber's "more like this" (+1) or "less like this" (-1); the latest counts."""
        now = datetime.now(UTC)
        with plain_write_transaction(self.engine) as connection:
            connection.execute(
                sa.delete(feedback).where(
                    feedback.c.subscriber_id == subscriber_id, feedback.c.paper_pk == paper_pk
                )
            )
            connection.execute(
                sa.insert(feedback).values(
                    subscriber_id=subscriber_id, paper_pk=paper_pk, value=value, created_at=now
                )
            )

    def feedback_of(self, subscriber_id: int) -> dict[str, int]:
        """Paper id → +1 / -1."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers.c.id, feedback.c.value)
                .select_from(feedback.join(papers, papers.c.pk == feedback.c.paper_pk))
                .where(feedback.c.subscriber_id == subscriber_id)
            )
            return {str(paper_id): int(value) for paper_id, value in rows}
