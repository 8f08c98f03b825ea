"""Waiting for a `litfeed serve` started by a test (or a benchmark) to answer."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx2 as httpx


def wait_until_up(
    url: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 60
) -> None:
    """Return once ``url`` answers `/api/papers`; `RuntimeError` when ``process`` exits first
    (with what it printed, when it printed to a pipe) or the time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"litfeed serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(url + "/api/papers", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"litfeed serve did not answer at {url} within {seconds:.0f} s")


@contextlib.contextmanager
def litfeed_serving(
    port: int, environment: dict[str, str], *options: str, output: int | None = subprocess.PIPE
) -> Iterator[str]:
    """`litfeed serve --port PORT OPTIONS…` in ``environment`` until the block ends; its
    address, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "litfeed", "serve", "--port", str(port), *options],
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, 30)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
