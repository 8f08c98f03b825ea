"""The vector index: an HNSW graph (hnswlib) of paper embeddings in the data directory, and the
same vectors as a matrix with one row per paper pk (for exact search among the few papers that
pass a filter, which an HNSW graph answers badly).

Like the keyword index it is derived from the database and follows the store's change cursor.
Vectors come from the store's embeddings table when a paper's text was embedded before (by the
same model); otherwise they are embedded and saved there batch by batch, so a killed run loses
at most one batch of work and the next run resumes. The graph, the matrix and the cursor are
written to temporary names and renamed into place, the cursor last: a crash leaves files that
are at least as new as their cursor, and catching up again is idempotent.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np

from litfeed.models import Paper, Progress
from litfeed.search.embeddings import Embedder, Vectors, paper_text, text_hash
from litfeed.store import Store

GRAPH_FILE = "vectors.hnsw"
MATRIX_FILE = "vectors.npy"
META_FILE = "vectors.json"
FILE_FORMAT = 2  # bump when the files change: the index is rebuilt from stored vectors
# M = 16, ef_construction = 200 are hnswlib's recommended defaults. On the 74,728-paper corpus
# (bench/vector_index.py) ef = 64 gave recall@10 0.996 against exact search at 0.3 ms a query;
# ef = 32 gave 0.986, too close to the 0.98 bar to keep as the default.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
EF_SEARCH = 64
BATCH_SIZE = 2000  # papers read from the store at a time
SAVE_EVERY = 256  # texts embedded between saves of their vectors: about 5 s of work here


def embed_with_store(
    store: Store,
    embedder: Embedder,
    texts: list[str],
    embedded: Callable[[int], None] | None = None,
) -> Vectors:
    """Vectors of ``texts`` (one row each): those the store already holds for this model and
    text are read, the rest are embedded, shortest first, and saved SAVE_EVERY at a time, so a
    killed run loses little work. ``embedded(n)`` is told of each n texts embedded or read."""
    hashes = [text_hash(text) for text in texts]
    stored = store.load_embeddings(embedder.key, hashes)
    if embedded is not None:
        embedded(sum(digest in stored for digest in hashes))
    first_of = {digest: i for i, digest in reversed(list(enumerate(hashes)))}
    copies = Counter(hashes)
    missing = sorted(
        (i for digest, i in first_of.items() if digest not in stored), key=lambda i: len(texts[i])
    )
    for start in range(0, len(missing), SAVE_EVERY):
        chunk = missing[start : start + SAVE_EVERY]
        fresh = embedder.embed([texts[i] for i in chunk])
        new = {hashes[i]: fresh[row].tobytes() for row, i in enumerate(chunk)}
        store.save_embeddings(embedder.key, new)
        stored.update(new)
        if embedded is not None:
            embedded(sum(copies[hashes[i]] for i in chunk))
    return np.stack([np.frombuffer(stored[digest], dtype=np.float32) for digest in hashes])


class VectorIndex:
    graph: Any
    meta: dict[str, Any]
    matrix: Vectors  # row = paper pk; memory-mapped when loaded from the files
    present: np.ndarray[Any, np.dtype[np.bool_]]  # which rows hold a paper's vector

    def __init__(self, directory: Path, embedder: Embedder) -> None:
        self.directory = directory
        self.embedder = embedder
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self._clear()
        directory.mkdir(parents=True, exist_ok=True)
        self._refresh()

    # -- following the store -------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        self._refresh()
        return int(self.meta.get("change", 0))

    def catch_up(self, store: Store, progress: Progress | None = None) -> int:
        """Embed and index every paper changed since the cursor; return how many."""
        latest = store.latest_change()
        with self._lock:
            self._refresh()
            cursor = int(self.meta.get("change", 0))
            if (
                self.meta.get("model") != self.embedder.key
                or self.meta.get("database") != store.identity  # built from another database
                or cursor > latest
            ):
                self._clear()
                cursor = 0
            if cursor == latest and self.meta:
                return 0
            return self._index_changes(store, cursor, latest, progress)

    def rebuild(self, store: Store, progress: Progress | None = None) -> int:
        """Recreate the graph from the database (stored vectors are reused, not recomputed)."""
        with self._lock:
            self._clear()
            return self._index_changes(store, 0, store.latest_change(), progress)

    def _index_changes(
        self, store: Store, cursor: int, latest: int, progress: Progress | None
    ) -> int:
        total = store.count_changed_papers(cursor) if progress is not None else 0
        done = 0
        newest = cursor

        def embedded(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, max(done, total))

        for batch in store.iter_changed_papers(cursor, batch_size=BATCH_SIZE):
            papers = [paper for _, paper in batch]
            texts = [paper_text(paper) for paper in papers]
            self._add(papers, embed_with_store(store, self.embedder, texts, embedded))
            newest = max(newest, max(change for change, _ in batch))
        self._save(
            {
                "model": self.embedder.key,
                "format": FILE_FORMAT,
                "database": store.identity,
                "change": max(newest, latest),
            }
        )
        return done

    def _add(self, papers: list[Paper], vectors: Vectors) -> None:
        needed = self.graph.get_current_count() + len(papers)
        if needed > self.graph.get_max_elements():
            self.graph.resize_index(max(needed, 2 * self.graph.get_max_elements()))
        pks = np.array([paper.pk for paper in papers], dtype=np.int64)
        # hnswlib replaces the vector of a label it already holds: an upsert.
        self.graph.add_items(vectors, pks)
        rows = int(pks.max()) + 1
        if rows > len(self.matrix) or not self.matrix.flags.writeable:
            size = max(rows, len(self.matrix) + len(self.matrix) // 4)
            matrix = np.zeros((size, self.embedder.dimension), dtype=np.float32)
            matrix[: len(self.matrix)] = self.matrix
            present = np.zeros(size, dtype=bool)
            present[: len(self.present)] = self.present
            self.matrix, self.present = matrix, present
        self.matrix[pks] = vectors
        self.present[pks] = True

    def _clear(self) -> None:
        """No index: an empty graph and matrix (what `catch_up` then rebuilds)."""
        self.graph = self._empty_graph(1024)
        self.meta = {}
        self.matrix = np.zeros((0, self.embedder.dimension), dtype=np.float32)
        self.present = np.zeros(0, dtype=bool)

    # -- searching -----------------------------------------------------------------------------

    def search(self, vector: Vectors, limit: int) -> list[tuple[int, float]]:
        """(paper pk, cosine similarity) of the ``limit`` nearest papers, nearest first."""
        self._refresh()
        with self._lock:
            count = self.graph.get_current_count()
            if count == 0:
                return []
            limit = min(limit, count)
            self.graph.set_ef(max(EF_SEARCH, limit))
            labels, distances = self.graph.knn_query(vector, k=limit, num_threads=1)
        return [
            (int(label), 1.0 - float(distance))
            for label, distance in zip(labels[0], distances[0], strict=True)
        ]

    def search_among(
        self, vector: Vectors, pks: Sequence[int], limit: int
    ) -> list[tuple[int, float]]:
        """Like `search`, but only among ``pks`` and exact: a dot product with their rows."""
        self._refresh()
        with self._lock:
            matrix, present = self.matrix, self.present
        among = np.asarray(pks, dtype=np.int64)
        among = among[among < len(present)]
        among = among[present[among]]
        # einsum, not `@`: a BLAS product wakes OpenBLAS's threads, whose spinning then halves
        # the speed of the next query's embedding (measured: 4.9 -> 10.8 ms).
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        similarities = np.einsum("ij,j->i", matrix[among], query)
        count = min(limit, len(among))
        if count == 0:
            return []
        best = np.argpartition(-similarities, count - 1)[:count]
        best = best[np.argsort(-similarities[best], kind="stable")]
        return [(int(among[i]), float(similarities[i])) for i in best]

    def vector_of(self, pk: int) -> Vectors | None:
        self._refresh()
        with self._lock:
            if pk < len(self.present) and self.present[pk]:
                return np.array(self.matrix[pk])
            return None

    def count(self) -> int:
        self._refresh()
        return int(self.graph.get_current_count())

    # -- files ---------------------------------------------------------------------------------

    def _empty_graph(self, capacity: int) -> Any:
        graph = hnswlib.Index(space="ip", dim=self.embedder.dimension)
        graph.init_index(max_elements=capacity, M=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
        return graph

    def _refresh(self) -> None:
        """Load the files when another process (or this one) has written them since."""
        try:
            status = (self.directory / META_FILE).stat()
        except FileNotFoundError:
            return
        stamp = (status.st_ino, status.st_mtime_ns)
        if stamp == self._stamp:
            return
        with self._lock:
            try:
                self._load()
            except (OSError, ValueError, KeyError, IndexError, RuntimeError):
                # Missing or damaged files (hnswlib raises RuntimeError): no index, which the
                # next catch-up rebuilds from the stored vectors.
                self._clear()
            self._stamp = stamp

    def _load(self) -> None:
        meta = json.loads((self.directory / META_FILE).read_text())
        if meta.get("model") != self.embedder.key or meta.get("format") != FILE_FORMAT:
            return
        graph = hnswlib.Index(space="ip", dim=self.embedder.dimension)
        graph.load_index(str(self.directory / GRAPH_FILE), max_elements=int(meta["capacity"]))
        matrix = np.load(self.directory / MATRIX_FILE, mmap_mode="r")
        if matrix.shape[1:] != (self.embedder.dimension,):
            raise ValueError(f"{MATRIX_FILE} has rows of {matrix.shape[1:]} values")
        present = np.zeros(len(matrix), dtype=bool)
        present[np.asarray(graph.get_ids_list(), dtype=np.int64)] = True
        self.graph, self.meta, self.matrix, self.present = graph, meta, matrix, present

    def _save(self, meta: dict[str, Any]) -> None:
        meta["capacity"] = self.graph.get_max_elements()
        meta["count"] = self.graph.get_current_count()
        temporary = self.directory / f"{GRAPH_FILE}.tmp"
        self.graph.save_index(str(temporary))
        os.replace(temporary, self.directory / GRAPH_FILE)
        matrix_temporary = self.directory / f"{MATRIX_FILE}.tmp"
        rows = int(np.flatnonzero(self.present)[-1]) + 1 if self.present.any() else 0
        with matrix_temporary.open("wb") as file:
            np.save(file, self.matrix[:rows])
        os.replace(matrix_temporary, self.directory / MATRIX_FILE)
        meta_temporary = self.directory / f"{META_FILE}.tmp"
        meta_temporary.write_text(json.dumps(meta))
        os.replace(meta_temporary, self.directory / META_FILE)
        self.meta = meta
        status = (self.directory / META_FILE).stat()
        self._stamp = (status.st_ino, status.st_mtime_ns)
