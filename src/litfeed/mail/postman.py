"""Handing messages over: SMTP with ``LITFEED_SMTP_URL`` (``smtp://``, ``smtps://``,
``smtp+starttls://``, with ``user:password@`` when the server wants them), one connection for a
batch; without it, ``.eml`` files in ``DATA_DIR/outbox/`` (so that `make run` works with no mail
server)."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from litfeed.config import Settings
from litfeed.errors import LitfeedError

T = TypeVar("T")

SMTP_TIMEOUT = 30.0


class MailError(LitfeedError):
    """A message could not be handed over; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


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
