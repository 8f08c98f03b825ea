"""Bounded load on loopback against `litfeed serve` on the 74,728-paper corpus.

    .venv/bin/python bench/serve_load.py --prepared DIR [--seconds 60] [--clients 16]

DIR is a data directory holding the corpus, imported and embedded (the script prepares it when
it is empty: `litfeed import --no-embed` then `litfeed index`, about 25 minutes here). Each run
works on a copy of it, so the import phase leaves DIR as it was.

Phases, each `--clients` threads with keep-alive connections for `--seconds`, a mix of 50 %
hybrid searches (`/search?q=`), 20 % paper pages, 20 % keyword searches through the API and
10 % list pages:
  rest-1     `litfeed serve --workers 1`, nothing else running
  rest-2     `--workers 2`
  rebuild-2  the same while `litfeed index --rebuild` runs beside it
  import-2   the same while `litfeed import` of a second copy of the corpus (other arXiv ids:
             74,728 new papers) runs beside it; the background worker then indexes them
Then one client alone, 200 hybrid searches through the API (query embedding included).
Prints requests/s, p50/p99 per kind, errors, and how long after the import's end its papers
were found by words. Targets (issue 12): 0 errors; search p99 during import and rebuild
<= 2x at rest; 2 workers >= 1.6x the requests/s of 1; one client's hybrid p50 <= 25 ms.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_latency import DEFAULT_CORPUS, fixed_queries  # noqa: E402
from tests.postgres import free_port  # noqa: E402

LITFEED = [sys.executable, "-m", "litfeed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepared", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--phases", default="rest-1,rest-2,rebuild-2,import-2")
    options = parser.parse_args()
    prepare(options.prepared, options.corpus)
    queries = fixed_queries()
    ids = paper_ids(options.corpus)
    with tempfile.TemporaryDirectory(prefix="litfeed-load-") as scratch:
        data_dir = Path(scratch) / "data"
        print(f"copying {options.prepared} ...", flush=True)
        shutil.copytree(options.prepared, data_dir)
        environment = {**os.environ, "LITFEED_DATA_DIR": str(data_dir)}
        environment.pop("LITFEED_DATABASE_URL", None)
        copy = Path(scratch) / "second-copy.jsonl.gz"
        second_copy(options.corpus, copy)
        rows = []
        for phase in options.phases.split(","):
            kind, workers = phase.rsplit("-", 1)
            rows.append(
                run_phase(phase, kind, int(workers), environment, queries, ids, copy, options)
            )
        print_table(rows, options)


def prepare(prepared: Path, corpus: Path) -> None:
    environment = {**os.environ, "LITFEED_DATA_DIR": str(prepared)}
    environment.pop("LITFEED_DATABASE_URL", None)
    if not (prepared / "litfeed.db").exists():
        print(f"preparing {prepared}: importing and embedding the corpus (about 25 min)")
        subprocess.run([*LITFEED, "import", "--no-embed", str(corpus)], env=environment, check=True)
    started = time.monotonic()
    subprocess.run([*LITFEED, "index", "--no-progress"], env=environment, check=True)
    print(f"litfeed index (bring the prepared copy up to date): {time.monotonic() - started:.1f} s")


def paper_ids(corpus: Path) -> list[str]:
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


def second_copy(corpus: Path, target: Path) -> None:
    """The corpus again under other arXiv ids (2503.11731 -> 1903.11731): new papers."""
    with gzip.open(corpus, "rt", encoding="utf-8") as source, gzip.open(target, "wt") as out:
        for line in source:
            record = json.loads(line)
            record["id"] = "19" + record["id"][2:]
            record.pop("doi", None)
            out.write(json.dumps(record) + "\n")


def run_phase(
    phase: str,
    kind: str,
    workers: int,
    environment: dict[str, str],
    queries: list[str],
    ids: list[str],
    copy: Path,
    options: argparse.Namespace,
) -> dict[str, object]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*LITFEED, "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(url)
        beside = None
        started = time.monotonic()
        if kind == "rebuild":
            beside = subprocess.Popen(
                [*LITFEED, "index", "--rebuild", "--no-progress"],
                env=environment,
                stdout=subprocess.DEVNULL,
            )
        elif kind == "import":
            beside = subprocess.Popen(
                [*LITFEED, "import", "--no-progress", str(copy)],
                env=environment,
                stdout=subprocess.DEVNULL,
            )
        print(f"{phase}: {options.clients} clients for {options.seconds:.0f} s ...", flush=True)
        result = load(url, queries, ids, options.clients, options.seconds)
        if beside is not None:
            code = beside.wait()
            result["beside"] = f"{time.monotonic() - started:.0f} s, exit {code}"
            if kind == "import":
                result["searchable"] = searchable_after(url, queries, ids)
        if kind == "rest" and workers == 1:
            result["alone"] = one_client(url, queries)
        result["phase"] = phase
        return result
    finally:
        server.terminate()
        server.wait(timeout=60)


def wait_until_ready(url: str) -> None:
    """Up, and searching by meaning (the model loaded in each process)."""
    deadline = time.monotonic() + 300
    ready = 0
    while time.monotonic() < deadline and ready < 20:
        try:
            response = httpx.get(
                url + "/api/search", params={"q": "graph neural network", "mode": "semantic"}
            )
            ready = ready + 1 if response.status_code == 200 else 0
        except httpx.TransportError:
            ready = 0
        time.sleep(0.2)
    if ready < 20:
        raise SystemExit(f"litfeed serve at {url} did not get ready within 300 s")


def load(
    url: str, queries: list[str], ids: list[str], clients: int, seconds: float
) -> dict[str, object]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        chooser = random.Random(number)
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < stop:
                roll = chooser.random()
                query = " ".join(chooser.choice(queries).split()[:4])
                if roll < 0.5:
                    kind, path, params = "search page (hybrid)", "/search", {"q": query}
                elif roll < 0.7:
                    kind, path, params = "paper page", f"/papers/{chooser.choice(ids)}", {}
                elif roll < 0.9:
                    kind, path = "API search (keyword)", "/api/search"
                    params = {"q": query, "mode": "keyword"}
                else:
                    kind, path = "API list", "/api/papers"
                    params = {"page": str(chooser.randint(1, 100))}
                began = time.perf_counter()
                try:
                    response = http.get(path, params=params)
                    status = response.status_code
                except httpx.HTTPError as error:
                    status, response = 0, None
                    errors.append(f"{kind}: {type(error).__name__}")
                latencies[kind].append(time.perf_counter() - began)
                if status != 200 and response is not None:
                    errors.append(f"{kind}: {status}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began, cpu = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    client_cores = (time.process_time() - cpu) / elapsed
    total = sum(len(values) for values in latencies.values())
    return {
        "rps": total / elapsed,
        "client_cores": client_cores,
        "requests": total,
        "errors": errors,
        "kinds": {kind: percentiles(values) for kind, values in sorted(latencies.items())},
    }


def searchable_after(url: str, queries: list[str], ids: list[str]) -> str:
    """Seconds from the import's end until one of its papers is found by its title's words."""
    target = "19" + ids[-1][2:]
    started = time.monotonic()
    while time.monotonic() - started < 600:
        paper = httpx.get(f"{url}/api/papers/{target}")
        if paper.status_code == 200:
            title = paper.json()["paper"]["title"]
            found = httpx.get(
                f"{url}/api/search", params={"q": f'"{title}"', "mode": "keyword"}
            ).json()
            if any(hit["paper"]["id"] == target for hit in found["hits"]):
                return f"{time.monotonic() - started:.1f} s"
        time.sleep(0.2)
    return "not within 600 s"


def one_client(url: str, queries: list[str]) -> tuple[float, float]:
    samples = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for query in queries[:20]:  # warm-up
            http.get("/api/search", params={"q": query, "mode": "hybrid"})
        for query in queries:
            began = time.perf_counter()
            response = http.get("/api/search", params={"q": query, "mode": "hybrid"})
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
    return percentiles(samples)


def percentiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return (samples[0] * 1000, samples[0] * 1000) if samples else (0.0, 0.0)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def print_table(rows: list[dict[str, object]], options: argparse.Namespace) -> None:
    print()
    print(f"{options.clients} clients, {options.seconds:.0f} s a phase, loopback, this machine")
    print("| phase | requests/s | errors | kind | p50 ms | p99 ms | beside |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        errors = row["errors"]
        assert isinstance(errors, list)
        kinds = row["kinds"]
        assert isinstance(kinds, dict)
        beside = str(row.get("beside", ""))
        if "searchable" in row:
            beside += f"; its papers found by words {row['searchable']} after it ended"
        for number, (kind, (p50, p99)) in enumerate(kinds.items()):
            lead = (
                f"| {row['phase']} | {row['rps']:.1f} | {len(errors)} |"
                if number == 0
                else "| | | |"
            )
            print(f"{lead} {kind} | {p50:.0f} | {p99:.0f} | {beside if number == 0 else ''} |")
        print(f"  the load generator itself used {row['client_cores']:.2f} cores")
        if errors:
            print(f"  errors of {row['phase']}: {sorted(set(errors))[:5]}")
        if "alone" in row:
            p50, p99 = row["alone"]  # type: ignore[misc]
            print(
                f"  one client alone, hybrid search via the API: p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )


if __name__ == "__main__":
    main()
