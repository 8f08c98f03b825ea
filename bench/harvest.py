"""Harvest speed: arXiv OAI-PMH pages served by a local server, fetched, parsed and stored.

    .venv/bin/python bench/harvest.py [--rounds 3] [--skip-day]

1. The three recorded ListRecords pages (2,265 records, ../shared/data/fixtures) served with no
   delay, harvested into a fresh SQLite database each round: papers/s parsed and stored (target
   ≥ 2,000/s, the import speed of the JSONL corpus), and a second harvest that changes nothing.
2. A typical day of `cs` (about 1,000 new papers; the corpus, a sample of cs, has at most 713 a
   day, so the newest 1,000 corpus papers stand for one), served as arXivRaw pages of 1,000
   records (arXiv's page size) at the polite 3 s delay, then embedded with the default model
   (ONNX int8) and indexed: the time end to end and each part; and the same with 2,000 records
   (two pages, one polite wait; all of them new papers, so more to embed than a real day's new
   versions of older papers would add).

Prints what it measured on this machine; run nothing else meanwhile (2 cores).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402
from tests.replay import serving  # noqa: E402

from litfeed.config import Settings  # noqa: E402
from litfeed.hub import Hub  # noqa: E402

SHARED = ROOT.parent / "shared/data"
FIXTURES = SHARED / "fixtures"
CORPUS = SHARED / "corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
PAGE_SIZE = 1000


def _settings(data_dir: Path, url: str, delay: float) -> Settings:
    return Settings(
        data_dir=data_dir,
        arxiv_oai_url=f"{url}/oai",
        arxiv_delay=delay,
        embed_on_import=False,
        contact="bench@litfeed.invalid",
    )


def recorded_pages(rounds: int) -> None:
    speeds, again = [], []
    for _ in range(rounds):
        with serving(FIXTURES) as replay, tempfile.TemporaryDirectory() as directory:
            settings = _settings(Path(directory), replay.url, 0.0)
            with Hub(settings) as hub, hub.fetcher() as fetcher:
                start = time.perf_counter()
                [outcome] = fetcher.arxiv(["cs"], date(2023, 3, 7), "oai_dc")
                seconds = time.perf_counter() - start
                assert hub.store.count_papers() == 2265, hub.store.count_papers()
                speeds.append(outcome.records / seconds)
                start = time.perf_counter()
                [second] = fetcher.arxiv(["cs"], metadata="oai_dc")
                again.append(second.records / (time.perf_counter() - start))
                assert hub.store.get_run(second.run_id).new == 0
    print(
        f"three recorded pages (2,265 records), no delay, {rounds} rounds: "
        f"{statistics.median(speeds):,.0f} papers/s parsed and stored "
        f"(range {min(speeds):,.0f}–{max(speeds):,.0f}; target ≥ 2,000); "
        f"second harvest (all unchanged) {statistics.median(again):,.0f} records/s"
    )


def newest(count: int) -> list[dict[str, Any]]:
    """The ``count`` newest corpus papers (by first listing date)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    records.sort(key=lambda record: str(record.get("first_listing_date")), reverse=True)
    return records[:count]


def day_of_cs(count: int) -> None:
    records = newest(count)
    day = min(str(record.get("first_listing_date")) for record in records)
    pages = [records[start : start + PAGE_SIZE] for start in range(0, len(records), PAGE_SIZE)]
    bodies = [
        hostile.oai_raw_page(page, f"day|{n + 1}" if n + 1 < len(pages) else "", len(records))
        for n, page in enumerate(pages)
    ]
    with serving(FIXTURES) as replay, tempfile.TemporaryDirectory() as directory:
        replay.oai_bodies = bodies
        settings = _settings(Path(directory), replay.url, 3.0)
        with Hub(settings) as hub:
            _ = hub.embedder  # the model is loaded (and exported once) before the clock starts
            start = time.perf_counter()
            with hub.fetcher() as fetcher:
                [outcome] = fetcher.arxiv(["cs"], date.fromisoformat(day), "arXivRaw")
            fetched = time.perf_counter() - start
            hub.index_new_papers(embed=True)
            total = time.perf_counter() - start
            assert hub.store.count_papers() == len(records)
    print(
        f"{len(records):,} records ({len(pages)} pages of at most {PAGE_SIZE:,}) at the polite "
        f"3 s delay: fetched and stored in {fetched:.1f} s "
        f"({outcome.pages} requests), embedded and indexed in {total - fetched:.1f} s "
        f"({len(records) / (total - fetched):.0f} papers/s): {total:.1f} s end to end"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-day", action="store_true", help="only the recorded pages")
    arguments = parser.parse_args()
    if not FIXTURES.exists() or not CORPUS.exists():
        sys.exit("harvest: ../shared/data is absent (it is on development machines)")
    recorded_pages(arguments.rounds)
    if not arguments.skip_day:
        day_of_cs(1000)
        day_of_cs(2000)


if __name__ == "__main__":
    main()
