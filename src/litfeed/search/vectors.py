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
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np

from litfeed.models import IndexEntry, Progress
from litfeed.search.embeddings import Embedder, Vectors, paper_text, text_hash
from litfeed.search.generations import Generations
from litfeed.search.state import VECTOR_META
from litfeed.store import Store

GRAPH_FILE = "vectors.hnsw"
MATRIX_FILE = "vectors.npy"
FILE_FORMAT = 2  # bump when the files change: the index is rebuilt from stored vectors
# M = 16, ef_construction = 200 are hnswlib's recommended defaults. On the 74,728-paper corpus
# (bench/vector_index.py) ef = 64 gave recall@10 0.996 against exact search at 0.3 ms a query;
# ef = 32 gave 0.986, too close to the 0.98 bar to keep as the default.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
EF_SEARCH = 64
BATCH_SIZE = 2000  # papers read from the store at a time
# Texts embedded between saves of their vectors, and between looks at a stop asked for: about
# 1.3 s of work here (a worker told to stop, by Ctrl-C or SIGTERM, stops within about that).
SAVE_EVERY = 64
# A long catch-up publishes what it has every this many seconds, so readers see it grow.
SAVE_INTERVAL = 60.0


class Stopped(Exception):
    """A stop was asked for while texts were being embedded; those embedded are saved."""


def embed_with_store(
    store: Store,
    embedder: Embedder,
    texts: list[str],
    embedded: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> Vectors:
    """Vectors of ``texts`` (one row each): those the store already holds for this model and
    text are read, the rest are embedded, shortest first, and saved SAVE_EVERY at a time, so a
    killed run loses little work. ``embedded(n)`` is told of each n texts embedded or read.
    Raises `Stopped` when ``stop`` is set before all are embedded."""
    hashes = [text_hash(text) for text in texts]
    stored = store.load_embeddings(embedder.key, hashes)
    if embedded is not None:
        embedded(sum(digest in stored for digest in hashes))
    _embed_missing(store, embedder, texts, hashes, stored, embedded, stop=stop)
    return np.stack([np.frombuffer(stored[digest], dtype=np.float32) for digest in hashes])


def store_missing(store: Store, embedder: Embedder, texts: list[str], chunk: int) -> int:
    """Embed the ``texts`` whose vectors the store does not hold yet and save them ``chunk`` at
    a time (what a Ray actor does, `search.distributed`); how many were embedded."""
    hashes = [text_hash(text) for text in texts]
    stored = store.load_embeddings(embedder.key, hashes)
    return _embed_missing(store, embedder, texts, hashes, stored, None, chunk)


def _embed_missing(
    store: Store,
    embedder: Embedder,
    texts: list[str],
    hashes: list[str],
    stored: dict[str, bytes],
    embedded: Callable[[int], None] | None,
    chunk: int = SAVE_EVERY,
    stop: threading.Event | None = None,
) -> int:
    """Embed the texts not in ``stored`` (each distinct text once, shortest first), save them
    ``chunk`` at a time and add them to ``stored``; how many distinct texts were embedded.
    ``stop`` is looked at before each chunk (`Stopped`)."""
    first_of = {digest: i for i, digest in reversed(list(enumerate(hashes)))}
    copies = Counter(hashes)
    missing = sorted(
        (i for digest, i in first_of.items() if digest not in stored), key=lambda i: len(texts[i])
    )
    for start in range(0, len(missing), chunk):
        if stop is not None and stop.is_set():
            raise Stopped
        part = missing[start : start + chunk]
        fresh = embedder.embed([texts[i] for i in part])
        new = {hashes[i]: fresh[row].tobytes() for row, i in enumerate(part)}
        store.save_embeddings(embedder.key, new)
        stored.update(new)
        if embedded is not None:
            embedded(sum(copies[hashes[i]] for i in part))
    return len(missing)


@dataclass
class _Snapshot:
    """One version of the index in memory: what searches read, swapped whole."""

    graph: Any
    meta: dict[str, Any]
    matrix: Vectors  # row = paper pk; memory-mapped when loaded from the files
    present: np.ndarray[Any, np.dtype[np.bool_]]  # which rows hold a paper's vector
    # Hidden papers: marked deleted in the graph (hnswlib keeps their label, and adding the
    # label again restores it) and not present in the matrix.
    hidden: set[int]


class VectorIndex:
    """Readers only read the published generation (`generations.py`); with ``background``, a
    newer one is loaded on a thread while searches go on with the old. Writers take the lock:
    `catch_up` saves a new generation at its end and every SAVE_INTERVAL seconds on the way;
    `rebuild` builds in memory beside the index being searched and publishes once done."""

    def __init__(self, directory: Path, embedder: Embedder, background: bool = False) -> None:
        self.directory = directory
        self.generations = Generations(directory)
        self.embedder = embedder
        self._background = background
        self._lock = threading.RLock()
        self._pointer: tuple[int, int] | None = None
        self._loader: threading.Thread | None = None
        self._snapshot = self._empty()
        self._refresh(wait=True)

    @property
    def meta(self) -> dict[str, Any]:
        return self._snapshot.meta

    # -- following the store -------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        self._refresh()
        return int(self.meta.get("change", 0))

    def catch_up(
        self,
        store: Store,
        progress: Progress | None = None,
        wait: bool = True,
        stop: threading.Event | None = None,
    ) -> int:
        """Embed and index every paper changed since the cursor; return how many. With
        ``wait`` False, returns 0 at once when another process is writing the index; when
        ``stop`` is set, saves what is done and returns early."""
        with self.generations.writing(wait) as writing:
            if not writing:
                return 0
            latest = store.latest_change()
            self._refresh(wait=True)
            snapshot = self._snapshot
            cursor = int(snapshot.meta.get("change", 0))
            if (
                snapshot.meta.get("model") != self.embedder.key
                or snapshot.meta.get("database") != store.identity  # built from another database
                or cursor > latest
            ):
                return self._build(store, progress, stop)
            if cursor == latest:
                return 0
            return self._index_changes(snapshot, store, cursor, progress, True, stop)

    def rebuild(self, store: Store, progress: Progress | None = None) -> int:
        """Recreate the graph from the database (stored vectors are reused, not recomputed)."""
        with self.generations.lock():
            return self._build(store, progress)

    def _build(
        self, store: Store, progress: Progress | None, stop: threading.Event | None = None
    ) -> int:
        """A new index of every paper, built beside the one searched and published once done;
        stopped, it publishes what it has (an index of another model or database, which it
        replaces, serves no search), and the next `catch_up` goes on from there."""
        snapshot = self._empty()
        done = self._index_changes(snapshot, store, 0, progress, save_on_the_way=False, stop=stop)
        with self._lock:
            self._snapshot = snapshot
        return done

    def _index_changes(
        self,
        snapshot: _Snapshot,
        store: Store,
        cursor: int,
        progress: Progress | None,
        save_on_the_way: bool,
        stop: threading.Event | None = None,
    ) -> int:
        latest = store.latest_change()
        total = store.count_changed_papers(cursor) if progress is not None else 0
        done = 0
        newest = cursor
        saved = time.monotonic()

        def embedded(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, max(done, total))

        def meta(change: int) -> dict[str, Any]:
            return {
                "model": self.embedder.key,
                "format": FILE_FORMAT,
                "database": store.identity,
                "change": change,
            }

        for batch in store.iter_changed_papers(cursor, batch_size=BATCH_SIZE):
            papers = [paper for _, paper in batch if not paper.hidden]
            hidden = [paper.pk for _, paper in batch if paper.hidden]
            texts = [paper_text(paper) for paper in papers]
            indexed = done
            try:
                vectors = (
                    embed_with_store(store, self.embedder, texts, embedded, stop) if texts else None
                )
            except Stopped:  # this batch's vectors embedded so far are stored, not lost
                self._save(snapshot, meta(newest))
                return indexed
            with self._lock:
                self._hide(snapshot, hidden)
                if vectors is not None:
                    self._add(snapshot, papers, vectors)
            embedded(len(hidden))
            newest = max(newest, max(change for change, _ in batch))
            if stop is not None and stop.is_set():
                self._save(snapshot, meta(newest))
                return done
            if save_on_the_way and time.monotonic() - saved > SAVE_INTERVAL:
                # Changes come oldest first, so every change up to ``newest`` is in.
                self._save(snapshot, meta(newest))
                saved = time.monotonic()
        self._save(snapshot, meta(max(newest, latest)))
        return done

    def _hide(self, snapshot: _Snapshot, pks: list[int]) -> None:
        """Take hidden papers out of the graph and the matrix (kept out until changed again)."""
        for pk in pks:
            if pk < len(snapshot.present) and snapshot.present[pk]:
                snapshot.graph.mark_deleted(pk)
                if not snapshot.present.flags.writeable:
                    snapshot.present = snapshot.present.copy()
                snapshot.present[pk] = False
                snapshot.hidden.add(pk)

    def _add(self, snapshot: _Snapshot, papers: list[IndexEntry], vectors: Vectors) -> None:
        graph = snapshot.graph
        needed = graph.get_current_count() + len(papers)
        if needed > graph.get_max_elements():
            graph.resize_index(max(needed, 2 * graph.get_max_elements()))
        pks = np.array([paper.pk for paper in papers], dtype=np.int64)
        # hnswlib replaces the vector of a label it already holds: an upsert.
        graph.add_items(vectors, pks)
        rows = int(pks.max()) + 1
        if rows > len(snapshot.matrix) or not snapshot.matrix.flags.writeable:
            size = max(rows, len(snapshot.matrix) + len(snapshot.matrix) // 4)
            matrix = np.zeros((size, self.embedder.dimension), dtype=np.float32)
            matrix[: len(snapshot.matrix)] = snapshot.matrix
            present = np.zeros(size, dtype=bool)
            present[: len(snapshot.present)] = snapshot.present
            snapshot.matrix, snapshot.present = matrix, present
        snapshot.matrix[pks] = vectors
        snapshot.present[pks] = True
        snapshot.hidden.difference_update(pks.tolist())

    def _empty(self) -> _Snapshot:
        """No index: an empty graph and matrix (what `catch_up` then builds)."""
        return _Snapshot(
            graph=self._empty_graph(1024),
            meta={},
            matrix=np.zeros((0, self.embedder.dimension), dtype=np.float32),
            present=np.zeros(0, dtype=bool),
            hidden=set(),
        )

    # -- searching -----------------------------------------------------------------------------

    def search(self, vector: Vectors, limit: int) -> list[tuple[int, float]]:
        """(paper pk, cosine similarity) of the ``limit`` nearest papers, nearest first."""
        self._refresh()
        with self._lock:
            graph = self._snapshot.graph
            count = graph.get_current_count() - len(self._snapshot.hidden)
            if count <= 0:
                return []
            limit = min(limit, count)
            graph.set_ef(max(EF_SEARCH, limit))
            labels, distances = graph.knn_query(vector, k=limit, num_threads=1)
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
            matrix, present = self._snapshot.matrix, self._snapshot.present
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
            snapshot = self._snapshot
            if pk < len(snapshot.present) and snapshot.present[pk]:
                return np.array(snapshot.matrix[pk])
            return None

    def vectors_of(self, pks: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The unit vectors of those of ``pks`` the index holds: (their pks, a matrix with one
        row each, in that order)."""
        self._refresh()
        with self._lock:
            matrix, present = self._snapshot.matrix, self._snapshot.present
        held = [pk for pk in pks if 0 <= pk < len(present) and present[pk]]
        rows = np.asarray(matrix[np.asarray(held, dtype=np.int64)], dtype=np.float32)
        return held, rows.reshape(len(held), matrix.shape[1])

    def sample(self, count: int, seed: int) -> tuple[list[int], np.ndarray]:
        """Up to ``count`` papers drawn at random (the same ones for the same ``seed`` and
        index): (their pks, their unit vectors)."""
        self._refresh()
        with self._lock:
            present = self._snapshot.present
        held = np.flatnonzero(present)
        chosen = np.random.default_rng(seed).choice(held, min(count, len(held)), replace=False)
        return self.vectors_of(sorted(int(pk) for pk in chosen))

    def count(self) -> int:
        """How many papers the index finds (hidden ones are not counted)."""
        self._refresh()
        snapshot = self._snapshot
        return int(snapshot.graph.get_current_count()) - len(snapshot.hidden)

    def memory(self) -> tuple[int, int]:
        """Bytes of the HNSW graph (held in memory) and of the vector matrix (memory-mapped)."""
        snapshot = self._snapshot
        return int(snapshot.graph.index_file_size()), int(snapshot.matrix.nbytes)

    # -- files ---------------------------------------------------------------------------------

    def _empty_graph(self, capacity: int) -> Any:
        graph = hnswlib.Index(space="ip", dim=self.embedder.dimension)
        graph.init_index(max_elements=capacity, M=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
        return graph

    def _refresh(self, wait: bool = False) -> None:
        """Load the published generation when another process has published one since. In the
        background (when asked for, and something is loaded already) the searches meanwhile
        read the old one."""
        stamp = self.generations.stamp()
        with self._lock:
            if stamp == self._pointer:
                return
            self._pointer = stamp
            if self._background and not wait and self._snapshot.meta:
                if self._loader is None or not self._loader.is_alive():
                    self._loader = threading.Thread(
                        target=self._load, name="litfeed-vectors", daemon=True
                    )
                    self._loader.start()
                return
        self._load()

    def _load(self) -> None:
        generation = self.generations.current()
        try:
            snapshot = self._read(generation) if generation is not None else None
        except (OSError, ValueError, KeyError, IndexError, RuntimeError):
            # Missing or damaged files (hnswlib raises RuntimeError), or a generation removed
            # while being read: the next publish or catch-up mends it.
            snapshot = None
        if snapshot is None and generation is not None:
            return
        with self._lock:
            self._snapshot = snapshot or self._empty()

    def _read(self, generation: Path) -> _Snapshot | None:
        meta = json.loads((generation / VECTOR_META).read_text())
        if meta.get("model") != self.embedder.key or meta.get("format") != FILE_FORMAT:
            return None
        graph = hnswlib.Index(space="ip", dim=self.embedder.dimension)
        graph.load_index(str(generation / GRAPH_FILE), max_elements=int(meta["capacity"]))
        matrix = np.load(generation / MATRIX_FILE, mmap_mode="r")
        if matrix.shape[1:] != (self.embedder.dimension,):
            raise ValueError(f"{MATRIX_FILE} has rows of {matrix.shape[1:]} values")
        present = np.zeros(len(matrix), dtype=bool)
        present[np.asarray(graph.get_ids_list(), dtype=np.int64)] = True
        hidden = {int(pk) for pk in meta.get("hidden", [])}
        present[np.asarray(sorted(hidden), dtype=np.int64)] = False
        return _Snapshot(graph=graph, meta=meta, matrix=matrix, present=present, hidden=hidden)

    def _save(self, snapshot: _Snapshot, meta: dict[str, Any]) -> None:
        """Write ``snapshot`` as a new generation and publish it."""
        generation = self.generations.new()
        with self._lock:
            meta["capacity"] = snapshot.graph.get_max_elements()
            meta["count"] = snapshot.graph.get_current_count() - len(snapshot.hidden)
            meta["hidden"] = sorted(snapshot.hidden)
            snapshot.graph.save_index(str(generation / GRAPH_FILE))
            present = snapshot.present
            rows = int(np.flatnonzero(present)[-1]) + 1 if present.any() else 0
            with (generation / MATRIX_FILE).open("wb") as file:
                np.save(file, snapshot.matrix[:rows])
            (generation / VECTOR_META).write_text(json.dumps(meta))
            snapshot.meta = meta
        self.generations.publish(generation)
        with self._lock:
            self._pointer = self.generations.stamp()
