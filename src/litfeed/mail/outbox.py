"""The outbox: messages are queued in the database (`queue_mail`) by web requests and commands,
and sent by the background worker (`deliver_due`): a permanent refusal (SMTP 5xx) once, a
temporary one (4xx, no connection) again later with backoff. Each message has its own fate: one
that cannot be built or is refused for good is marked failed with its reason (`litfeed stats`
shows it) and the others go on.

A recipient is stored in its normal form (`litfeed.addresses`) and checked again when the
message is built, so that no text can reach a header as more than one address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from litfeed.addresses import parse_address
from litfeed.config import Settings
from litfeed.errors import described
from litfeed.mail.postman import MailError, Postman
from litfeed.store import Mail, Store

MAX_RETRY = timedelta(hours=6)


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the ``failures``-th temporary failure of a message: 2, 4, 8 …
    minutes, at most MAX_RETRY."""
    return min(MAX_RETRY, timedelta(minutes=2**failures))


def queue_mail(
    store: Store, settings: Settings, to: str, subject: str, text: str, html: str | None = None
) -> int:
    """Put a message to the address ``to`` in the outbox for the worker to send; its id.
    `AddressError` when ``to`` is not an address (it is stored in its normal form)."""
    recipient = parse_address(to, "recipient")
    return store.mail.enqueue(recipient, subject, text, html, new_message_id(settings))


def new_message_id(settings: Settings) -> str:
    """A Message-ID of this instance's mail (its sender's domain)."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "litfeed.invalid"
    return make_msgid(domain=domain)


def compose(mail: Mail, sender: str) -> EmailMessage:
    """The message of an outbox row; `ValueError` (an `AddressError` among them) when it
    cannot be built."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = parse_address(mail.recipient, "recipient")
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = mail.message_id
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    return message


def deliver_due(store: Store, settings: Settings, log: Callable[[str], None] | None = None) -> int:
    """Send every message whose time has come; how many were sent. A message that cannot be
    built, or that the server refuses for good, fails alone."""
    say = log or (lambda _message: None)
    sent = 0
    with Postman(settings) as postman:
        for mail in store.mail.due():
            try:
                message = compose(mail, settings.mail_from)
            except Exception as error:  # one message, one fate
                _give_up(store, mail, f"cannot be built: {described(error)}", say)
                continue
            try:
                postman.send(message)
            except MailError as error:
                retry = None if error.permanent else retry_delay(mail.attempts + 1)
                store.mail.mark_failed(mail.id, str(error), retry)
                say(
                    f"mail {mail.id} to {mail.recipient!r}: {error}"
                    + ("" if retry else "; given up")
                )
                continue
            except Exception as error:  # what the SMTP client refuses to send at all
                postman.close()
                _give_up(store, mail, f"cannot be sent: {described(error)}", say)
                continue
            store.mail.mark_sent(mail.id)
            sent += 1
    return sent


def _give_up(store: Store, mail: Mail, reason: str, say: Callable[[str], None]) -> None:
    store.mail.mark_failed(mail.id, reason, None)
    say(f"mail {mail.id} to {mail.recipient!r}: {reason}; given up")
