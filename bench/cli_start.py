"""How long each `litfeed` command takes to start and answer, median of 10 runs each, on a
data directory with the example corpus (471 papers) loaded.

    .venv/bin/python bench/cli_start.py [--runs 10]

Each command runs as a new process, as from a shell (Python's own start included), once unmeasured
first (so that its modules' bytecode is cached, as in an installed litfeed; the bench drops
PYTHONDONTWRITEBYTECODE for that). The first line is the floor under every command that opens the
database: Python importing the libraries all of them need (Typer, SQLAlchemy, pydantic-settings)
and nothing else. Run nothing else meanwhile (2 cores).
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

COMMANDS = [
    ["--help"],
    ["--version"],
    ["users", "--help"],
    ["search", "--help"],
    ["users", "list"],
    ["subscribers", "list"],
    ["stats"],
    ["show", "t-8ec3a34c72e9"],
    ["search", "diffusion", "--mode", "keyword"],
    ["search", "diffusion"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "LITFEED_DATA_DIR": str(Path(folder) / "data")}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        litfeed = [sys.executable, "-m", "litfeed"]
        subprocess.run(
            [*litfeed, "load-examples"], env=environment, check=True, capture_output=True
        )
        floor = [sys.executable, "-c", "import typer, sqlalchemy, pydantic_settings"]
        rows = [("floor: import typer, sqlalchemy, pydantic_settings", floor)]
        rows += [(f"litfeed {' '.join(command)}", [*litfeed, *command]) for command in COMMANDS]
        for name, command in rows:
            seconds = []
            for run in range(runs + 1):
                started = time.perf_counter()
                done = subprocess.run(command, env=environment, capture_output=True)
                if run:  # the first run caches bytecode
                    seconds.append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"{name}: {done.stderr.decode()}")
            print(
                f"{name:<52} median {statistics.median(seconds):5.2f} s "
                f"(min {min(seconds):.2f}, max {max(seconds):.2f})"
            )


if __name__ == "__main__":
    main()
