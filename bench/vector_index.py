"""Compare approximate nearest-neighbour libraries on litfeed's real paper embeddings.

    .venv/bin/pip install -e '.[bench]'     # usearch and faiss-cpu, for the comparison only
    .venv/bin/python bench/vector_index.py --data-dir DIR [--queries 1000]

DIR is a litfeed data directory whose papers were embedded (`litfeed index`). Every paper's
vector is read from the database; 1,000 of them (a fixed sample) are the queries. For each
library: build time, memory of the index, recall@10 against exact inner-product search (numpy),
and single-query latency p50/p99 on one thread. litfeed uses hnswlib with the parameters in
`litfeed.search.vectors`; the issue's bar is recall@10 >= 0.98.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.search.vectors import EF_SEARCH, HNSW_EF_CONSTRUCTION, HNSW_M
from litfeed.store.schema import embeddings

K = 10


def load_vectors(hub: Hub) -> np.ndarray:
    key = hub.vector_index.meta.get("model") or hub.embedder.key
    with hub.store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(embeddings.c.vector).where(embeddings.c.model == key)
        ).scalars()
        return np.stack([np.frombuffer(row, dtype=np.float32) for row in rows])


def exact(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :K]


def timed(build: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    index = build()
    return index, time.perf_counter() - start


def measure(
    name: str,
    built: tuple[object, float],
    query: Callable[[object, np.ndarray], np.ndarray],
    queries: np.ndarray,
    truth: np.ndarray,
    size: Callable[[object], int],
) -> None:
    index, build_seconds = built
    found = np.stack([query(index, vector) for vector in queries])
    recall = np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)])
    samples = []
    for vector in queries:
        start = time.perf_counter()
        query(index, vector)
        samples.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    print(
        f"{name:<28} build {build_seconds:6.1f} s  size {size(index) / 2**20:6.1f} MiB  "
        f"recall@10 {recall:.4f}  p50 {cuts[49]:.3f} ms  p99 {cuts[98]:.3f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    with Hub(Settings(data_dir=args.data_dir)) as hub:
        vectors = load_vectors(hub)
    count, dimension = vectors.shape
    print(f"{count} vectors of {dimension} dimensions")
    rng = np.random.default_rng(0)
    queries = vectors[rng.choice(count, size=min(args.queries, count), replace=False)]
    truth = exact(vectors, queries)
    labels = np.arange(count)

    def numpy_query(index: object, vector: np.ndarray) -> np.ndarray:
        return np.argpartition(-(vectors @ vector), K)[:K]

    measure(
        "numpy exact",
        timed(lambda: vectors),
        numpy_query,
        queries,
        truth,
        lambda _i: vectors.nbytes,
    )

    import hnswlib

    def hnswlib_build() -> object:
        index = hnswlib.Index(space="ip", dim=dimension)
        index.init_index(max_elements=count, M=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
        index.add_items(vectors, labels)
        index.set_num_threads(1)
        return index

    built = timed(hnswlib_build)
    for ef in (32, EF_SEARCH, 128):

        def hnswlib_query(index: object, vector: np.ndarray, ef: int = ef) -> np.ndarray:
            index.set_ef(ef)  # type: ignore[attr-defined]
            return index.knn_query(vector, k=K)[0][0]  # type: ignore[attr-defined, no-any-return]

        measure(
            f"hnswlib M={HNSW_M} ef={ef}",
            built,
            hnswlib_query,
            queries,
            truth,
            lambda index: index.index_file_size(),
        )  # type: ignore[attr-defined]
    try:
        from usearch.index import Index as UsearchIndex
    except ImportError:
        print("usearch not installed (pip install -e '.[bench]'): skipped")
    else:

        def usearch_build() -> object:
            index = UsearchIndex(
                ndim=dimension,
                metric="ip",
                dtype="f32",
                connectivity=HNSW_M,
                expansion_add=HNSW_EF_CONSTRUCTION,
                expansion_search=EF_SEARCH,
            )
            index.add(labels, vectors, threads=2)
            return index

        measure(
            "usearch f32",
            timed(usearch_build),
            lambda index, vector: index.search(vector, K).keys,  # type: ignore[attr-defined]
            queries,
            truth,
            lambda index: index.memory_usage,
        )  # type: ignore[attr-defined]
    try:
        import faiss
    except ImportError:
        print("faiss-cpu not installed (pip install -e '.[bench]'): skipped")
    else:
        faiss.omp_set_num_threads(1)

        def faiss_build() -> object:
            index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = EF_SEARCH
            index.add(vectors)
            return index

        measure(
            "faiss IndexHNSWFlat",
            timed(faiss_build),
            lambda index, vector: index.search(vector[None, :], K)[1][0],  # type: ignore[attr-defined]
            queries,
            truth,
            lambda index: faiss.serialize_index(index).nbytes,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
