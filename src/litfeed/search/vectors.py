"""The vector index: an HNSW graph (hnswlib) of paper embeddings in the data directory.

Like the keyword index it is derived from the database and follows the store's change cursor.
Vectors come from the store's embeddings table when a paper's text was embedded before (by the
same model); otherwise they are embedded and saved there batch by batch, so a killed run loses
at most one batch of work and the next run resumes. The graph file and its cursor are written
to temporary names and renamed into place: a crash leaves the previous, consistent index.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np

from litfeed.models import Paper, Progress
from litfeed.search.embeddings import Embedder, Vectors, paper_text, text_hash
from litfeed.store import Store

GRAPH_FILE = "vectors.hnsw"
META_FILE = "vectors.json"
# M = 16, ef_construction = 200 are hnswlib's recommended defaults. On the 74,728-paper corpus
# (bench/vector_index.py) ef = 64 gave recall@10 0.996 against exact search at 0.3 ms a query;
# ef = 32 gave 0.986, too close to the 0.98 bar to keep as the default.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
EF_SEARCH = 64
BATCH_SIZE = 2000


def embed_with_store(store: Store, embedder: Embedder, texts: list[str]) -> Vectors:
    """Vectors of ``texts`` (one row each): those the store already holds for this model and
    text are read, the rest are embedded and saved there first."""
    hashes = [text_hash(text) for text in texts]
    stored = store.load_embeddings(embedder.key, hashes)
    missing = [i for i, digest in enumerate(hashes) if digest not in stored]
    if missing:
        fresh = embedder.embed([texts[i] for i in missing])
        new = {hashes[i]: fresh[row].tobytes() for row, i in enumerate(missing)}
        store.save_embeddings(embedder.key, new)
        stored.update(new)
    return np.stack([np.frombuffer(stored[digest], dtype=np.float32) for digest in hashes])


class VectorIndex:
    def __init__(self, directory: Path, embedder: Embedder) -> None:
        self.directory = directory
        self.embedder = embedder
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self.meta: dict[str, Any] = {}
        self.graph = self._empty_graph(1024)
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
            if self.meta.get("model") != self.embedder.key or cursor > latest:
                self.graph, self.meta, cursor = self._empty_graph(1024), {}, 0
            if cursor == latest and self.meta:
                return 0
            return self._index_changes(store, cursor, latest, progress)

    def rebuild(self, store: Store, progress: Progress | None = None) -> int:
        """Recreate the graph from the database (stored vectors are reused, not recomputed)."""
        with self._lock:
            self.graph, self.meta = self._empty_graph(1024), {}
            return self._index_changes(store, 0, store.latest_change(), progress)

    def _index_changes(
        self, store: Store, cursor: int, latest: int, progress: Progress | None
    ) -> int:
        total = store.count_changed_papers(cursor) if progress is not None else 0
        done = 0
        newest = cursor
        for batch in store.iter_changed_papers(cursor, batch_size=BATCH_SIZE):
            papers = [paper for _, paper in batch]
            vectors = embed_with_store(store, self.embedder, [paper_text(p) for p in papers])
            self._add(papers, vectors)
            newest = max(newest, max(change for change, _ in batch))
            done += len(batch)
            if progress is not None:
                progress(done, max(done, total))
        self._save({"model": self.embedder.key, "change": max(newest, latest)})
        return done

    def _add(self, papers: list[Paper], vectors: Vectors) -> None:
        needed = self.graph.get_current_count() + len(papers)
        if needed > self.graph.get_max_elements():
            self.graph.resize_index(max(needed, 2 * self.graph.get_max_elements()))
        # hnswlib replaces the vector of a label it already holds: an upsert.
        self.graph.add_items(vectors, [paper.pk for paper in papers])

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

    def vector_of(self, pk: int) -> Vectors | None:
        self._refresh()
        with self._lock:
            try:
                return np.asarray(self.graph.get_items([pk])[0], dtype=np.float32)
            except RuntimeError:  # hnswlib: "Label not found"
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
            meta = json.loads((self.directory / META_FILE).read_text())
            graph = hnswlib.Index(space="ip", dim=self.embedder.dimension)
            if meta.get("model") == self.embedder.key and (self.directory / GRAPH_FILE).exists():
                graph.load_index(
                    str(self.directory / GRAPH_FILE), max_elements=int(meta["capacity"])
                )
                self.graph, self.meta = graph, meta
            self._stamp = stamp

    def _save(self, meta: dict[str, Any]) -> None:
        meta["capacity"] = self.graph.get_max_elements()
        meta["count"] = self.graph.get_current_count()
        temporary = self.directory / f"{GRAPH_FILE}.tmp"
        self.graph.save_index(str(temporary))
        os.replace(temporary, self.directory / GRAPH_FILE)
        meta_temporary = self.directory / f"{META_FILE}.tmp"
        meta_temporary.write_text(json.dumps(meta))
        os.replace(meta_temporary, self.directory / META_FILE)
        self.meta = meta
        status = (self.directory / META_FILE).stat()
        self._stamp = (status.st_ino, status.st_mtime_ns)
