"""A real SMTP server for the tests: aiosmtpd on a free port, with a handler that keeps what it
accepts (and can refuse or hold some messages)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import threading
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.postgres import free_port


class Recorder:
    """An SMTP server's handler: keeps what it accepts; answers ``refuse`` (an address →
    an SMTP reply) instead for some recipients; holds the ``hold``-th message's RCPT (or,
    with ``hold_after_data``, its reply to DATA, after keeping it) until ``release`` is set."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: dict[str, str] = {}
        self.hold: int | None = None
        self.hold_after_data = False
        self.held = threading.Event()
        self.release = threading.Event()
        self._count = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self._count += 1
        if self.hold == self._count and not self.hold_after_data:
            await self._wait()
            return "451 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for address in envelope.rcpt_tos:
            if address in self.refuse:
                return self.refuse[address]
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        if self.hold == self._count and self.hold_after_data:
            await self._wait()
        return "250 OK"

    async def _wait(self) -> None:
        self.held.set()
        while not self.release.is_set():
            await asyncio.sleep(0.05)

    def recipients(self) -> list[str]:
        return [str(message["To"]) for message in self.messages]

    def to(self, address: str) -> list[Message]:
        """The messages whose envelope went to ``address`` (in any case)."""
        return [
            m for m in self.messages if address.lower() in m["X-Envelope-To"].lower().split(",")
        ]

    def wait_for(self, address: str, subject: str, seconds: float = 20.0) -> Message:
        """The first message to ``address`` with ``subject``, waiting for it to arrive."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.to(address):
                if message["Subject"] == subject:
                    return message
            time.sleep(0.1)
        raise AssertionError(
            f"no {subject!r} to {address} within {seconds} s; got "
            f"{[(m['X-Envelope-To'], m['Subject']) for m in self.messages]}"
        )


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Recorder, str]]:
    """aiosmtpd on a free port until the block ends: its recorder and its smtp:// URL."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, f"smtp://127.0.0.1:{controller.port}"
    finally:
        recorder.release.set()
        controller.stop()
