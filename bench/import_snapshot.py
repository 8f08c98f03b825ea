"""Importing all of arXiv: `litfeed import` of N records in the bulk snapshot's own layout
(gzip, one JSON object a line: ``authors`` one string, ``categories`` space-separated,
``versions`` with their dates, ``update_date``), as a user runs it, without embedding.

    .venv/bin/python bench/import_snapshot.py --papers N [--database URL | --postgres]
        [--snapshot FILE]

The records are bench/scale.py's synthetic papers (real titles and abstracts of the 74,728-paper
corpus mixed, new ids) written in the snapshot's layout. Reports the command's wall time, papers
a second, and its peak resident memory (an import streams: the memory should not grow with N).
Without --database, a SQLite file in a temporary data directory; --postgres starts a private
PostgreSQL as the test setup does, but durable as in production (fsync on). The issue's
target: 2.7M records in well under an hour.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import synthetic  # noqa: E402


def snapshot_layout(source: Path, target: Path) -> None:
    """Rewrite the synthetic records (daily-listing layout) in the bulk snapshot's layout."""
    with source.open(encoding="utf-8") as records, gzip.open(target, "wt", encoding="utf-8") as out:
        for line in records:
            record = json.loads(line)
            listed = datetime.fromisoformat(record["first_listing_date"]).replace(tzinfo=UTC)
            created = listed - timedelta(days=1, hours=5)
            out.write(
                json.dumps(
                    {
                        "id": record["id"],
                        "submitter": record["authors"][0] if record["authors"] else None,
                        "authors": ", ".join(record["authors"]),
                        "title": record["title"],
                        "comments": record.get("comment"),
                        "journal-ref": None,
                        "doi": None,
                        "report-no": None,
                        "categories": " ".join(record["categories"]),
                        "license": "http://creativecommons.org/publicdomain/zero/1.0/",
                        "abstract": record["abstract"],
                        "versions": [
                            {"version": "v1", "created": format_datetime(created, usegmt=True)}
                        ],
                        "update_date": listed.date().isoformat(),
                    }
                )
                + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument(
        "--snapshot",
        type=Path,
        help="keep the snapshot written in this file, or import it again if it is there",
    )
    arguments = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as folder:
        snapshot = arguments.snapshot or Path(folder) / "snapshot.json.gz"
        if not snapshot.exists():
            listing = Path(folder) / "listing.jsonl"
            started = time.perf_counter()
            synthetic(arguments.papers, listing)
            snapshot_layout(listing, snapshot)
            listing.unlink()
            size = snapshot.stat().st_size / 2**20
            print(
                f"wrote {arguments.papers:,} snapshot records ({size:,.0f} MiB gzip) in "
                f"{time.perf_counter() - started:.0f} s"
            )
        environment = {**os.environ, "LITFEED_DATA_DIR": str(Path(folder) / "data")}
        database = arguments.database
        try:
            if database is None and arguments.postgres:
                from tests.postgres import start_postgres

                server = start_postgres(durable=True)
                database = server.create_database("litfeed_import")
            if database:
                environment["LITFEED_DATABASE_URL"] = database
            started = time.perf_counter()
            command = [str(ROOT / ".venv/bin/litfeed"), "import", "--no-embed", "--no-progress"]
            done = subprocess.run(
                [*command, str(snapshot)],
                env=environment,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(done.stderr[-2000:])
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
            print(
                f"litfeed import of {arguments.papers:,} records into "
                f"{'PostgreSQL' if database else 'SQLite'}: {seconds:,.0f} s "
                f"({arguments.papers / seconds:,.0f} papers/s), peak RSS {peak:,.0f} MiB"
            )
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
