"""The mail layer: one way to send mail. With ``LITFEED_SMTP_URL`` (``smtp://``, ``smtps://``,
``smtp+starttls://``, with ``user:password@`` when the server wants them) over SMTP; without it,
as ``.eml`` files in ``DATA_DIR/outbox/``, so that `make run` works with no mail server.

Web requests and commands only put messages in the database's outbox (`queue_mail`); the
background worker sends them (`deliver_due`), a permanent refusal (SMTP 5xx) once, a temporary
one (4xx, no connection) again later with backoff. Each message has its own fate: one that
cannot be built or is refused for good is marked failed with its reason (`litfeed stats`
shows it) and the others go on.

A recipient is stored in its normal form (`litfeed.addresses`) and checked again when the
message is built, so that no text can reach a header as more than one address.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from litfeed.addresses import parse_address
from litfeed.config import Settings
from litfeed.errors import LitfeedError, described
from litfeed.store import Mail, Store

T = TypeVar("T")

MAX_RETRY = timedelta(hours=6)
SMTP_TIMEOUT = 30.0


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the ``failures``-th temporary failure of a message: 2, 4, 8 …
    minutes, at most MAX_RETRY."""
    return min(MAX_RETRY, timedelta(minutes=2**failures))


class MailError(LitfeedError):
    """A message could not be handed over; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def queue_mail(
    store: Store, settings: Settings, to: str, subject: str, text: str, html: str | None = None
) -> int:
    """Put a message to the address ``to`` in the outbox for the worker to send; its id.
    `AddressError` when ``to`` is not an address (it is stored in its normal form)."""
    recipient = parse_address(to, "recipient")
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "litfeed.invalid"
    return store.mail.enqueue(recipient, subject, text, html, make_msgid(domain=domain))


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


def send(message: Message, settings: Settings) -> None:
    """Hand one message over: SMTP, or a file in the outbox directory."""
    with Postman(settings) as postman:
        postman.send(message)


class Postman:
    """Hands messages over one SMTP connection, opened at the first message and opened again
    after an error (or writes them to the outbox directory without LITFEED_SMTP_URL)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Postman:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                self._client.close()
            self._client = None

    def send(self, message: Message) -> None:
        """`MailError` (``permanent`` for a 5xx) when the message was not accepted."""
        if not self.settings.smtp_url:
            _to_outbox(message, self.settings.data_dir / "outbox")
            return
        try:
            _hand_over(self._connected(), message)
        except MailError:
            self.close()  # the next message starts on a fresh connection
            raise

    def _connected(self) -> smtplib.SMTP:
        if self._client is None:
            self._client = _wrapped(lambda: _connect(self.settings.smtp_url or ""))
        return self._client


def _connect(url: str) -> smtplib.SMTP:
    address = urlsplit(url)
    scheme = address.scheme
    port = address.port or {"smtps": 465, "smtp+starttls": 587}.get(scheme, 25)
    if scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            address.hostname or "localhost",
            port,
            timeout=SMTP_TIMEOUT,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(address.hostname or "localhost", port, timeout=SMTP_TIMEOUT)
    try:
        if scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if address.username:
            client.login(unquote(address.username), unquote(address.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def _hand_over(client: smtplib.SMTP, message: Message) -> None:
    _wrapped(lambda: client.send_message(message))


def _wrapped(action: Callable[[], T]) -> T:
    """``action``'s result; SMTP's errors as `MailError`."""
    try:
        return action()
    except smtplib.SMTPResponseException as error:
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        raise MailError(
            f"SMTP {error.smtp_code}: {text}", permanent=error.smtp_code >= 500
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise MailError(
            f"recipient refused: {error.recipients}", permanent=min(codes) >= 500
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"cannot reach the mail server: {error}") from None


def _to_outbox(message: Message, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    partial = directory / f".{name}.part"
    partial.write_bytes(bytes(message))
    os.replace(partial, directory / name)  # whole or absent, for whoever reads the directory


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
