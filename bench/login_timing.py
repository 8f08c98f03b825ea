"""Log-in timing as an attacker sees it: wrong passwords for addresses that have accounts and
for addresses that have none, over HTTP against `litfeed serve`, and the medians of each.

    .venv/bin/python bench/login_timing.py [--tries 20]

Before issue 24 a known address took ~270–320 ms (argon2) and an unknown one ~6–40 ms: the time
told which addresses have accounts. Now both verify a password against an argon2 hash of the
same parameters (tests/security/test_in_process.py checks that the same work is done; this
prints what the clock says). Each try logs in to another account from another forwarded
network address, so that no limit is reached. Run nothing else meanwhile (2 cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import free_port  # noqa: E402
from tests.serving import wait_until_up  # noqa: E402

from litfeed.community.accounts import add_account  # noqa: E402
from litfeed.config import Settings  # noqa: E402
from litfeed.hub import Hub  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    tries = parser.parse_args().tries
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        with Hub(Settings(data_dir=data_dir)) as hub:
            for n in range(tries):
                add_account(hub.store, f"known{n}@example.org", "the right password", verified=True)
        port = free_port()
        environment = {
            **os.environ,
            "LITFEED_DATA_DIR": str(data_dir),
            "LITFEED_FORWARDED_ALLOW_IPS": "127.0.0.1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "litfeed", "serve", "--port", str(port), "--no-worker"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, server)
            times: dict[str, list[float]] = {"known": [], "unknown": []}
            with httpx.Client(base_url=url, timeout=30) as client:
                client.post("/api/auth/login", json={"email": "warm@example.org", "password": "x"})
                for n in range(tries):
                    for kind in ("known", "unknown"):
                        start = time.perf_counter()
                        answer = client.post(
                            "/api/auth/login",
                            json={"email": f"{kind}{n}@example.org", "password": "wrong one"},
                            headers={"X-Forwarded-For": f"10.0.{n}.{len(kind)}"},
                        )
                        times[kind].append((time.perf_counter() - start) * 1000)
                        assert answer.status_code == 401, answer.text
        finally:
            server.terminate()
            server.wait(timeout=20)
    for kind, measured in times.items():
        print(
            f"wrong password, {kind:>7} address: median {statistics.median(measured):6.1f} ms "
            f"(min {min(measured):.1f}, max {max(measured):.1f}; {tries} tries)"
        )
    ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
    print(f"known / unknown: {ratio:.2f}")


if __name__ == "__main__":
    main()
