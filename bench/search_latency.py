"""Import the 74,728-paper arXiv corpus into a fresh litfeed and time keyword search.

    .venv/bin/python bench/search_latency.py [--corpus PATH] [--keep DIR]

Prints import time (database only), keyword-index build time, sizes, and the p50/p99 latency
of 200 fixed queries (the titles of the bundled example pages) against the index alone and
through `Hub.search` (index + loading the ten papers from the database + snippets).
Targets (issue 2): import <= 120 s, p50 <= 5 ms, p99 <= 20 ms in-process.

With --semantic it also embeds every paper (kept in the data directory: rerun with --keep DIR
and nothing is embedded again), times semantic and hybrid search with the query embedding
included, and filtered search by meaning both ways litfeed can filter, then compares litfeed's
embedding throughput with a bare SentenceTransformer.encode of the same texts. Targets
(issue 3): hybrid p50 <= 15 ms, p99 <= 50 ms; throughput >= 0.9x of bare.
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

from litfeed import search
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.identifiers import normalise_title
from litfeed.ingest import hf_pages, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord
from litfeed.search import Filters
from litfeed.search.embeddings import BATCH_SIZE, open_sentence_transformer, paper_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
EXAMPLES = ROOT / "src/litfeed/examples/hf-papers-pages"
QUERY_COUNT = 200
# Categories of the corpus from rare to common (745 to 38,422 papers).
FILTER_CATEGORIES = ["cs.CR", "cs.RO", "cs.LG", "cs.CL", "cs.CV"]
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


def report(label: str, samples: list[float]) -> None:
    p50, p99 = percentiles(samples)
    print(
        f"{label}, {len(samples)} queries: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(samples):.2f} ms",
        flush=True,
    )


def import_corpus(hub: Hub, corpus: Path, data_dir: Path) -> None:
    start = time.perf_counter()
    result = import_file(hub.store, corpus)
    seconds = time.perf_counter() - start
    print(
        f"import (database only): {result.new} new, {len(result.rejected)} rejected "
        f"in {seconds:.1f} s ({result.new / seconds:,.0f} papers/s)",
        flush=True,
    )
    start = time.perf_counter()
    indexed = hub.update_index(embed=False)["keyword"]
    print(
        f"keyword index build: {indexed} papers in {time.perf_counter() - start:.1f} s; "
        f"database {(data_dir / 'litfeed.db').stat().st_size / 2**20:.0f} MiB, keyword index "
        f"{directory_size(data_dir / 'index' / 'keyword') / 2**20:.0f} MiB",
        flush=True,
    )


def embedding_throughput(hub: Hub, sample: int) -> None:
    """litfeed's embedding path against a bare SentenceTransformer.encode of the same texts
    with the same model file, batch size and length, in this run."""
    _first, total = hub.list_papers(0, 1)
    step = max(1, total // sample)
    texts = [paper_text(paper) for paper in hub.list_papers(0, total)[0][::step][:sample]]
    embedder = hub.embedder
    bare = open_sentence_transformer(embedder.model_path, embedder.onnx_file)
    bare.max_seq_length = embedder.max_tokens
    # Twice each, alternating, keeping each one's faster run: the machine's noise is then less
    # likely to favour either.
    bare_seconds, litfeed_seconds = float("inf"), float("inf")
    for _round in range(2):
        start = time.perf_counter()
        bare.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True)
        bare_seconds = min(bare_seconds, time.perf_counter() - start)
        start = time.perf_counter()
        embedder.embed(texts)
        litfeed_seconds = min(litfeed_seconds, time.perf_counter() - start)
    bare_rate, litfeed_rate = len(texts) / bare_seconds, len(texts) / litfeed_seconds
    print(
        f"embedding {len(texts)} papers ({embedder.key}): litfeed {litfeed_rate:.1f} papers/s, "
        f"bare SentenceTransformer.encode {bare_rate:.1f} papers/s "
        f"({litfeed_rate / bare_rate:.2f}x)",
        flush=True,
    )


def filtered_search_strategies(hub: Hub, queries: list[str]) -> None:
    """Search by meaning with a category filter, each way litfeed can filter, for categories of
    several sizes: where the two cost the same is where EXACT_FILTER_LIMIT belongs."""
    chosen = search.EXACT_FILTER_LIMIT
    try:
        for category in FILTER_CATEGORIES:
            filters = Filters(category=category)
            passing = hub.keyword_index.count_matching(filters)

            def run(query: str, filters: Filters = filters) -> object:
                return hub.search(query, mode="semantic", filters=filters)

            for name, limit in (("exact", 10**9), ("HNSW, oversampled", -1)):
                search.EXACT_FILTER_LIMIT = limit
                report(
                    f"semantic top-10, category {category} ({passing:,} papers pass), {name}",
                    time_queries(run, queries[:50]),
                )
    finally:
        search.EXACT_FILTER_LIMIT = chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--keep",
        type=Path,
        help="use (and keep) this data directory; papers already there are not imported again",
    )
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="also embed every paper (slow: tens of minutes the first time) and time hybrid search",
    )
    parser.add_argument(
        "--sample", type=int, default=2000, help="papers for the embedding-throughput comparison"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="with --semantic: measure throughput on the sample, then stop (embed nothing else)",
    )
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus {args.corpus} is absent (it lives in ../shared/data); nothing measured")
        return 2
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="litfeed-bench-"))
    print(f"corpus: {args.corpus.name}; data directory: {data_dir}", flush=True)
    with Hub(Settings(data_dir=data_dir, embed_on_import=False)) as hub:
        if not hub.store.count_papers():
            import_corpus(hub, args.corpus, data_dir)
        hub.update_index(embed=False)
        queries = fixed_queries()
        keyword = hub.keyword_index
        report(
            "keyword top-10, index only", time_queries(lambda q: keyword.rank(q, limit=10), queries)
        )
        report(
            "keyword top-10 through Hub.search (papers loaded, snippets)",
            time_queries(lambda q: hub.search(q, mode="keyword", limit=10), queries),
        )
        if args.semantic and args.throughput_only:
            embedding_throughput(hub, args.sample)
        elif args.semantic:
            start = time.perf_counter()
            embedded = hub.update_index()["vector"]
            seconds = time.perf_counter() - start
            print(
                f"embedded and indexed {embedded} papers in {seconds:.0f} s"
                + (f" ({embedded / seconds:.1f} papers/s)" if embedded else ""),
                flush=True,
            )
            vectors = hub.vector_index
            graph_bytes, matrix_bytes = vectors.memory()
            print(
                f"vector index: {vectors.count()} vectors; HNSW graph "
                f"{graph_bytes / 2**20:.0f} MiB in memory, matrix "
                f"{matrix_bytes / 2**20:.0f} MiB (memory-mapped); files "
                f"{directory_size(data_dir / 'index' / 'vectors') / 2**20:.0f} MiB",
                flush=True,
            )
            embedder = hub.embedder
            report(
                "query embedding alone", time_queries(lambda q: embedder.embed_query(q), queries)
            )
            report(
                "semantic top-10 through Hub.search (query embedding included)",
                time_queries(lambda q: hub.search(q, mode="semantic", limit=10), queries),
            )
            report(
                "hybrid top-10 through Hub.search (query embedding included)",
                time_queries(lambda q: hub.search(q, mode="hybrid", limit=10), queries),
            )
            filtered_search_strategies(hub, queries)
            # Last: the bare model it loads would otherwise share the CPU with the searches.
            embedding_throughput(hub, args.sample)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
