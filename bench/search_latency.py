"""Import the 74,728-paper arXiv corpus into a fresh litfeed and time keyword search.

    .venv/bin/python bench/search_latency.py [--corpus PATH] [--keep DIR]

Prints import time (database only), keyword-index build time, sizes, and the p50/p99 latency
of 200 fixed queries (the titles of the bundled example pages) twice: against the index alone,
and through `Hub.search` (index + loading the ten papers from the database + snippets).
Targets (issue 2): import <= 120 s, p50 <= 5 ms, p99 <= 20 ms in-process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.identifiers import normalise_title
from litfeed.ingest import hf_pages, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
EXAMPLES = ROOT / "src/litfeed/examples/hf-papers-pages"
QUERY_COUNT = 200
WARM_UP = 20


def fixed_queries() -> list[str]:
    """The first 200 distinct titles of the example pages, in file order."""
    titles: dict[str, str] = {}
    for page in sorted(EXAMPLES.glob("*.txt")):
        for item in hf_pages.parse(SourceFile(page)):
            if isinstance(item, PaperRecord):
                titles.setdefault(normalise_title(item.title), item.title)
    return list(titles.values())[:QUERY_COUNT]


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def time_queries(run: Callable[[str], object], queries: list[str]) -> list[float]:
    for query in queries[:WARM_UP]:
        run(query)
    samples = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", type=Path, help="use (and keep) this data directory")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus {args.corpus} is absent (it lives in ../shared/data); nothing measured")
        return 2
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="litfeed-bench-"))
    with Hub(Settings(data_dir=data_dir)) as hub:
        if hub.store.count_papers():
            print(f"{data_dir} is not empty; use a fresh directory")
            return 2
        start = time.perf_counter()
        report = import_file(hub.store, args.corpus)
        import_seconds = time.perf_counter() - start
        start = time.perf_counter()
        indexed = hub.update_index()
        index_seconds = time.perf_counter() - start
        queries = fixed_queries()
        index_only = time_queries(lambda q: hub.keyword_index.search(q, limit=10), queries)
        full = time_queries(lambda q: hub.search(q, limit=10), queries)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus: {args.corpus.name}")
    print(
        f"import (database only): {report.new} new, {len(report.rejected)} rejected "
        f"in {import_seconds:.1f} s ({report.new / import_seconds:,.0f} papers/s)"
    )
    print(f"keyword index build: {indexed} papers in {index_seconds:.1f} s")
    print(
        f"database: {(data_dir / 'litfeed.db').stat().st_size / 2**20:.0f} MiB, "
        f"keyword index: {directory_size(data_dir / 'index' / 'keyword') / 2**20:.0f} MiB, "
        f"peak RSS: {peak_mib:.0f} MiB"
    )
    for label, samples in (("index only", index_only), ("Hub.search", full)):
        p50, p99 = percentiles(samples)
        print(
            f"keyword search top-10, {len(samples)} queries, {label}: "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(samples):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
