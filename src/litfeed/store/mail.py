"""The mail outbox: messages a web request or a command wants sent, sent by the background
worker (or `litfeed digest send`, `litfeed subscribers add`) over SMTP or into the outbox
directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from litfeed.store.database import read_transaction, write_transaction
from litfeed.store.schema import mail_outbox


@dataclass(frozen=True)
class Mail:
    id: int
    recipient: str
    subject: str
    text_body: str
    html_body: str | None
    message_id: str
    attempts: int


class MailStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def enqueue(
        self, recipient: str, subject: str, text_body: str, html_body: str | None, message_id: str
    ) -> int:
        now = datetime.now(UTC)
        with write_transaction(self.engine) as (connection, _change):
            return int(
                connection.execute(
                    sa.insert(mail_outbox)
                    .values(
                        recipient=recipient,
                        subject=subject,
                        text_body=text_body,
                        html_body=html_body,
                        message_id=message_id,
                        created_at=now,
                        attempts=0,
                        next_attempt_at=now,
                    )
                    .returning(mail_outbox.c.id)
                ).scalar_one()
            )

    def due(self, limit: int = 100) -> list[Mail]:
        """Unsent messages whose next attempt is due, oldest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(mail_outbox)
                .where(
                    mail_outbox.c.sent_at.is_(None),
                    mail_outbox.c.next_attempt_at <= datetime.now(UTC),
                )
                .order_by(mail_outbox.c.id)
                .limit(limit)
            ).mappings()
            return [
                Mail(
                    id=row["id"],
                    recipient=row["recipient"],
                    subject=row["subject"],
                    text_body=row["text_body"],
                    html_body=row["html_body"],
                    message_id=row["message_id"],
                    attempts=row["attempts"],
                )
                for row in rows
            ]

    def mark_sent(self, mail_id: int) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(mail_outbox)
                .where(mail_outbox.c.id == mail_id)
                .values(sent_at=datetime.now(UTC))
            )

    def mark_failed(self, mail_id: int, error: str, retry_in: timedelta | None) -> None:
        """A failed attempt; ``retry_in`` None gives up (the message stays, marked)."""
        later = datetime.now(UTC) + (retry_in or timedelta(days=36500))
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(mail_outbox)
                .where(mail_outbox.c.id == mail_id)
                .values(
                    attempts=mail_outbox.c.attempts + 1,
                    last_error=error[:1000],
                    next_attempt_at=later,
                )
            )
