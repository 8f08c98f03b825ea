"""litfeed at scale: a synthetic corpus of N papers made from the 74,728 real ones, in
PostgreSQL; import rate, index build times, keyword and hybrid search latency in-process, and
the resident memory of a web process serving it.

    .venv/bin/python bench/scale.py --papers N [--database URL] [--vectors DIR] [--json]
                                    [--keep DIR [--again]]

The papers: new arXiv ids; each title the first half of one real title and the second half of
another's, each abstract the sentences of two real abstracts interleaved (so the keyword
index is not trivially repetitive). Their vectors are not computed: each is a real paper's
vector (from DIR, an embedded data directory such as bench/search_latency.py --semantic
--keep DIR made; else 2,000 real papers embedded here) moved by a small random perturbation
(noise of norm 0.25, renormalised), so that the ANN graph is realistic; they are stored as
litfeed stores computed vectors, and the vector index reads them. Without --database, a private
PostgreSQL is started as the test setup does (Debian's server binaries), but durable as in
production (fsync and full page writes on; the tests' server runs without). Queries: 200 titles of
the bundled example pages, as bench/search_latency.py uses, timed in a process of their own
opened on the built data directory (as a web process opens it); then 16 clients over HTTP for 30 s
on `litfeed serve --workers 2` (bench/serve_load.py's mix), and the largest web process's
resident memory. Targets (issue 29) at 1M papers:
hybrid p50 <= 30 ms and p99 <= 100 ms in-process, keyword p50 <= 10 ms, RSS <= 4 GiB.

--keep DIR keeps the data directory (the indexes); with a --database that outlives the run,
--again times the searches once more on them without building anything.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_latency import fixed_queries, percentiles, time_queries  # noqa: E402

from litfeed.config import Settings  # noqa: E402
from litfeed.hub import Hub  # noqa: E402
from litfeed.ingest import import_file  # noqa: E402
from litfeed.search.embeddings import paper_text, text_hash  # noqa: E402

CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthetic_id(number: int) -> str:
    """The ``number``th synthetic paper's arXiv id: 99,999 a month from January 2010."""
    month, serial = divmod(number, 99_999)
    return f"{10 + month // 12:02d}{1 + month % 12:02d}.{serial + 1:05d}"


def synthetic(count: int, path: Path, seed: int = 29) -> list[int]:
    """Write ``count`` synthetic snapshot records to ``path``; for each, the row of the real
    paper whose vector it takes."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        real = [json.loads(line) for line in handle if line.strip()]
    rng = random.Random(seed)
    bases = []
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            base = number % len(real)
            other = real[rng.randrange(len(real))]
            first, second = real[base]["title"].split(), other["title"].split()
            title = " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])
            mine = _SENTENCE.split(real[base]["abstract"])
            theirs = _SENTENCE.split(other["abstract"])
            mixed = [s for pair in zip(mine, theirs, strict=False) for s in pair]
            record = {
                **real[base],
                "id": synthetic_id(number),
                "title": title,
                "abstract": " ".join(mixed or mine),
            }
            out.write(json.dumps(record) + "\n")
            bases.append(base)
    return bases


def real_vectors(hub: Hub, source: Path | None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Vectors of real papers by their arXiv id: read from an embedded data directory, or 2,000
    embedded here."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        real = [json.loads(line) for line in handle if line.strip()]
    ids = [record["id"] for record in real]
    if source is not None:
        with Hub(Settings(data_dir=source, embed_on_import=False)) as other:
            found = {}
            pks, matrix = other.vector_index.sample(10**9, 0)
            for paper, row in zip(other.store.get_papers_by_pk(pks), matrix, strict=False):
                if paper.arxiv_id:
                    found[paper.arxiv_id] = row
            return found, ids
    chosen = real[:2_000]
    texts = [f"{r['title']}. {r['abstract']}".strip() for r in chosen]
    vectors = hub.embedder.embed(texts)
    return {r["id"]: v for r, v in zip(chosen, vectors, strict=True)}, ids


def serving(environment: dict[str, str], queries: list[str], ids: list[str]) -> dict[str, Any]:
    """`litfeed serve --workers 2 --no-worker` on the data: 16 clients for 30 s over HTTP
    (bench/serve_load.py's mix: hybrid search pages, paper pages, keyword API searches, lists),
    then each web process's resident memory (MiB, the largest)."""
    from bench.serve_load import load, wait_until_ready
    from tests.postgres import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(ROOT / ".venv/bin/litfeed"), "serve", "--port", str(port), "--no-worker"]
    server = subprocess.Popen(
        [*command, "--workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(url)
        result: dict[str, Any] = load(url, queries, ids, 16, 30.0)
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        rss = 0.0
        for pid in [server.pid, *map(int, children)]:
            status = Path(f"/proc/{pid}/status").read_text()
            found = re.search(r"VmRSS:\s+(\d+)", status)
            if found:
                rss = max(rss, int(found.group(1)) / 1024)
        kinds = result["kinds"]
        return {
            "http_rps": round(result["rps"], 1),
            "http_errors": len(result["errors"]),
            "http_hybrid_p50_ms": round(kinds["search page (hybrid)"][0], 1),
            "http_hybrid_p99_ms": round(kinds["search page (hybrid)"][1], 1),
            "http_keyword_p50_ms": round(kinds["API search (keyword)"][0], 1),
            "http_keyword_p99_ms": round(kinds["API search (keyword)"][1], 1),
            "rss_mib": round(rss),
        }
    finally:
        server.terminate()
        server.wait(60)


def build(
    settings: Settings,
    papers: int,
    vectors: Path | None,
    folder: Path,
    figures: dict[str, Any],
    say: Callable[[str], None],
) -> None:
    """The synthetic corpus written, imported, given vectors; both indexes built."""
    snapshot = folder / "snapshot.jsonl"
    started = time.perf_counter()
    bases = synthetic(papers, snapshot)
    seconds = time.perf_counter() - started
    say(f"wrote {papers:,} synthetic papers in {seconds:.0f} s")
    with Hub(settings) as hub:
        started = time.perf_counter()
        report = import_file(hub.store, snapshot)
        seconds = time.perf_counter() - started
        figures["import_papers_per_s"] = round(report.new / seconds, 1)
        rate = report.new / seconds
        say(f"imported {report.new:,} papers in {seconds:.0f} s ({rate:,.0f}/s)")

        found, ids = real_vectors(hub, vectors)
        usable = [row for row, paper_id in enumerate(ids) if paper_id in found]
        base_of = {synthetic_id(n): base for n, base in enumerate(bases)}
        rng = np.random.default_rng(29)
        started = time.perf_counter()
        key = hub.embedder.key
        highest = hub.store.highest_paper_pk()
        for low in range(1, highest + 1, 5_000):
            batch: dict[str, bytes] = {}
            for paper in hub.store.get_papers_by_pk(list(range(low, low + 5_000))):
                base = base_of.get(paper.arxiv_id or "", 0)
                if ids[base] not in found:
                    base = usable[paper.pk % len(usable)]
                vector = found[ids[base]] + rng.normal(0, 0.25 / 19.6, 384)
                vector = (vector / np.linalg.norm(vector)).astype(np.float32)
                batch[text_hash(paper_text(paper))] = vector.tobytes()
            hub.store.save_embeddings(key, batch)
        say(f"stored the vectors in {time.perf_counter() - started:.0f} s")
        if hub.store.engine.dialect.name == "postgresql":
            # What one does after a bulk load (and what autovacuum would otherwise do
            # in the middle of the timings): the planner's statistics, the visibility map.
            started = time.perf_counter()
            engine = hub.store.engine.execution_options(isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
            say(f"VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        hub.keyword_index.catch_up(hub.store)
        keyword_build = time.perf_counter() - started
        started = time.perf_counter()
        hub.vector_index.catch_up(hub.store)
        vector_build = time.perf_counter() - started
        figures["index_build_s"] = round(keyword_build + vector_build, 1)
        figures["keyword_index_build_s"] = round(keyword_build, 1)
        figures["vector_index_build_s"] = round(vector_build, 1)
        say(f"keyword index: {keyword_build:.0f} s; vector index: {vector_build:.0f} s")


def search_figures(settings_json: str) -> dict[str, float]:
    """Keyword and hybrid search p50/p99 over the bench's queries, in-process (this one, opened
    on the data directory as a web process opens it); a keyword search's parts (the index, the
    papers, the snippets); then the whole keyword search again."""
    figures: dict[str, float] = {}
    queries = fixed_queries()
    with Hub(Settings.model_validate_json(settings_json)) as hub:
        for mode in ("keyword", "hybrid"):

            def run(query: str, mode: str = mode) -> object:
                return hub.search(query, mode=mode)

            p50, p99 = percentiles(time_queries(run, queries))
            figures[f"{mode}_p50_ms"], figures[f"{mode}_p99_ms"] = round(p50, 1), round(p99, 1)
        # where a keyword search's time goes: the index, the papers, the snippets
        index = hub.keyword_index
        rankings = {query: index.rank(query) for query in queries}
        found_papers = {
            query: hub.store.get_papers_by_pk([pk for pk, _ in ranking.hits])
            for query, ranking in rankings.items()
        }
        parts: dict[str, Any] = {
            "index": lambda query: index.rank(query),
            "papers": lambda query: hub.store.get_papers_by_pk(
                [pk for pk, _ in rankings[query].hits]
            ),
            "snippets": lambda query: index.highlight(query, found_papers[query]),
        }
        for part, run_part in parts.items():
            p50, _p99 = percentiles(time_queries(run_part, queries))
            figures[f"keyword_{part}_p50_ms"] = round(p50, 1)
        # the whole keyword search once more, after its parts
        p50, p99 = percentiles(time_queries(lambda query: hub.search(query, "keyword"), queries))
        figures["keyword_again_p50_ms"], figures["keyword_again_p99_ms"] = (
            round(p50, 1),
            round(p99, 1),
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a private server)")
    parser.add_argument("--vectors", type=Path, help="an embedded data directory to take from")
    parser.add_argument("--json", action="store_true", help="one JSON object of the figures")
    parser.add_argument(
        "--keep", type=Path, help="keep the data directory (the indexes) there, to measure again"
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="only time searches (in-process and over HTTP) on a data directory kept with "
        "--keep, in its --database",
    )
    arguments = parser.parse_args()
    say = (lambda _text: None) if arguments.json else print
    if arguments.again and not (arguments.keep and arguments.database):
        parser.error("--again measures what --keep DIR kept: give it and --database")
    figures: dict[str, Any] = {"papers": arguments.papers}
    server = None
    with tempfile.TemporaryDirectory() as folder:
        database = arguments.database
        if database is None:
            from tests.postgres import start_postgres

            server = start_postgres(durable=True)
            database = server.create_database("litfeed_scale")
        data_dir = arguments.keep or Path(folder) / "data"
        settings = Settings(data_dir=data_dir, database_url=database, embed_on_import=False)
        try:
            if arguments.again:
                say(f"searching the data directory {data_dir} as it was kept")
            else:
                build(settings, arguments.papers, arguments.vectors, Path(folder), figures, say)

            # Searches are timed in a process of their own that opens the built data directory,
            # as a web process does; not in this one, which holds the synthetic corpus's
            # bookkeeping and built the indexes (measured: a search there 1-2 ms slower).
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=context) as searcher:
                figures.update(searcher.submit(search_figures, settings.model_dump_json()).result())
            say(
                f"keyword search p50 {figures['keyword_p50_ms']} ms, p99 "
                f"{figures['keyword_p99_ms']} ms; hybrid (query embedded) p50 "
                f"{figures['hybrid_p50_ms']} ms, p99 {figures['hybrid_p99_ms']} ms"
            )
            say(
                f"a keyword search's parts, p50: the index {figures['keyword_index_p50_ms']}"
                f" ms, loading the papers {figures['keyword_papers_p50_ms']} ms, snippets "
                f"{figures['keyword_snippets_p50_ms']} ms; the whole search again p50 "
                f"{figures['keyword_again_p50_ms']} ms, "
                f"p99 {figures['keyword_again_p99_ms']} ms"
            )
            queries = fixed_queries()
            environment = {
                **os.environ,
                "LITFEED_DATA_DIR": str(data_dir),
                "LITFEED_DATABASE_URL": database,
            }
            ids = [synthetic_id(n) for n in range(0, arguments.papers, 97)]
            figures.update(serving(environment, queries, ids))
            say(
                f"over HTTP, 16 clients on serve --workers 2 for 30 s: {figures['http_rps']} "
                f"requests/s, {figures['http_errors']} errors; hybrid search page p50 "
                f"{figures['http_hybrid_p50_ms']} ms, p99 {figures['http_hybrid_p99_ms']} ms; "
                f"keyword API p50 {figures['http_keyword_p50_ms']} ms, p99 "
                f"{figures['http_keyword_p99_ms']} ms"
            )
            say(f"a web process serving it: {figures['rss_mib']:,} MiB resident (the largest)")
        finally:
            if server is not None:
                server.stop()
    if arguments.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
