"""A private PostgreSQL cluster for the tests: initdb into a temporary directory, started on a
free loopback port with its socket in that directory, stopped at the end of the session.
Needs Debian's PostgreSQL server binaries (`scripts/test-setup` installs them)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa


@dataclass
class PostgresServer:
    bin_dir: Path
    directory: Path
    port: int
    run_as: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _run(
            self,
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(durable: bool = False) -> PostgresServer:
    """A private server; for the tests without fsync (nothing here must survive a power cut),
    ``durable`` as a production server runs (fsync, full page writes: the benches)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        pytest.skip("PostgreSQL server binaries are not installed (run scripts/test-setup)")
    bin_dir = Path(candidates[-1]).parent
    directory = Path(tempfile.mkdtemp(prefix="litfeed-pg-"))
    run_as = None
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
        run_as = "postgres"
        user = pwd.getpwnam(run_as)
        os.chown(directory, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir, directory, free_port(), run_as)
    data = directory / "data"
    _run(
        server,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={directory}"
        + ("" if durable else " -c fsync=off -c full_page_writes=off")
    )
    _run(
        server,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(directory / "server.log"),
            "-w",
            "start",
        ],
    )
    return server


def _run(server: PostgresServer, command: list[str], check: bool = True) -> None:
    if server.run_as:
        command = ["runuser", "-u", server.run_as, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, cwd=server.directory)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
