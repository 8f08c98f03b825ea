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
        """Unsent messages whose next attempt is due, oldest first (not those failed for
        good)."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(mail_outbox)
                .where(
                    mail_outbox.c.sent_at.is_(None),
                    mail_outbox.c.failed_at.is_(None),
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
        """A failed attempt: tried again in ``retry_in``; None fails it for good (the message
        stays, marked, with its reason)."""
        now = datetime.now(UTC)
        values: dict[str, object] = {
            "attempts": mail_outbox.c.attempts + 1,
            "last_error": error[:1000],
        }
        if retry_in is None:
            values["failed_at"] = now
        else:
            values["next_attempt_at"] = now + retry_in
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(mail_outbox).where(mail_outbox.c.id == mail_id).values(**values)
            )

    def counts(self, failures: int = 5) -> dict[str, object]:
        """How many messages wait, were sent and failed for good; the newest ``failures``
        failures with their reasons (what `litfeed stats` shows)."""
        state = sa.case(
            (mail_outbox.c.sent_at.is_not(None), "sent"),
            (mail_outbox.c.failed_at.is_not(None), "failed"),
            else_="waiting",
        )
        with read_transaction(self.engine) as connection:
            counted = dict.fromkeys(("waiting", "sent", "failed"), 0)
            for name, count in connection.execute(
                sa.select(state, sa.func.count()).group_by(state)
            ):
                counted[str(name)] = int(count)
            rows = connection.execute(
                sa.select(
                    mail_outbox.c.id,
                    mail_outbox.c.recipient,
                    mail_outbox.c.subject,
                    mail_outbox.c.failed_at,
                    mail_outbox.c.last_error,
                )
                .where(mail_outbox.c.failed_at.is_not(None))
                .order_by(mail_outbox.c.failed_at.desc(), mail_outbox.c.id.desc())
                .limit(failures)
            ).mappings()
            latest = [
                {
                    "id": row["id"],
                    "recipient": row["recipient"],
                    "subject": row["subject"],
                    "failed_at": row["failed_at"].isoformat(timespec="seconds"),
                    "reason": row["last_error"],
                }
                for row in rows
            ]
        return {**counted, "latest_failures": latest}
