"""The map of the field: every embedded paper placed in two dimensions (UMAP on the stored
vectors, cosine, a fixed seed: the same data gives the same map), clustered at two levels
(HDBSCAN on the map: broad topics, and finer ones inside them), each topic labelled by its
distinctive phrases (`labels`). A topic keeps its number across rebuilds when most of its papers
stay in one topic (matched by overlap), so that what readers follow survives a rebuild."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from litfeed.topics.labels import label_topics

SEED = 7
BROAD, FINE = 0, 1
# HDBSCAN's smallest topic, as a share of the papers (and at least a handful).
BROAD_SHARE, FINE_SHARE = 1 / 150, 1 / 1_500
BROAD_MOST = 1 / 8  # the largest share of the papers one broad topic holds, where it divides
# A new topic takes an old one's number when they share this much (Jaccard) of their papers.
SAME_TOPIC = 0.5


@dataclass(frozen=True)
class Topic:
    id: int
    level: int  # BROAD or FINE
    parent: int | None  # a fine topic's broad topic
    label: str
    members: list[int]  # paper pks
    x: float  # the centre of its papers on the map
    y: float


@dataclass(frozen=True)
class TopicMap:
    pks: list[int]
    xy: np.ndarray  # one row per pk
    broad: list[int | None]  # each paper's broad topic (None: none: HDBSCAN's noise)
    fine: list[int | None]
    topics: list[Topic]

    @property
    def noise(self) -> float:
        """The share of papers in no broad topic."""
        return sum(t is None for t in self.broad) / max(1, len(self.broad))


def layout(vectors: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Two coordinates per row of ``vectors`` (unit vectors)."""
    import umap

    neighbours = max(2, min(15, len(vectors) - 1))
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=neighbours,
        min_dist=0.05,
        metric="cosine",
        random_state=seed,  # the same map each time, on one core (UMAP's price for a seed)
        n_jobs=1,
        low_memory=True,
    )
    return np.asarray(reducer.fit_transform(vectors), dtype=np.float32)


def clusters(xy: np.ndarray, share: float, least: int, most: float = 1.0) -> np.ndarray:
    """A cluster number per point (-1: noise); no cluster holds more than ``most`` of the
    points where its own density divides it (`_divide`)."""
    size = max(least, int(len(xy) * share))
    if len(xy) <= size:
        return np.full(len(xy), -1)
    found = _hdbscan(xy, size)
    return _divide(xy, found, int(most * len(xy)), size) if most < 1.0 else found


def inside(xy: np.ndarray, broad: np.ndarray, size: int) -> np.ndarray:
    """Finer clusters inside each broad one: HDBSCAN on each broad cluster's points alone, so
    that a finer topic's papers all lie in its broad topic (a paper in no broad topic is in no
    finer one; a broad topic whose density does not divide has none inside it)."""
    fine = np.full(len(xy), -1)
    number = 0
    for cluster in np.unique(broad[broad >= 0]):
        rows = np.flatnonzero(broad == cluster)
        if len(rows) <= size:
            continue
        parts = _hdbscan(xy[rows], size)
        for part in np.unique(parts[parts >= 0]):
            fine[rows[parts == part]] = number
            number += 1
    return fine


def _hdbscan(xy: np.ndarray, size: int) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    found = HDBSCAN(min_cluster_size=size, min_samples=min(10, size), copy=True).fit_predict(xy)
    return np.asarray(found)


def _divide(xy: np.ndarray, found: np.ndarray, most: int, size: int) -> np.ndarray:
    """Clusters of more than ``most`` points clustered again on their own (HDBSCAN's one cut
    of the density tree leaves a continent where one dense region runs into the next: on the
    74,728-paper corpus, 30 % of the papers in one broad topic); the points the second run
    leaves out join the part their nearest clustered point is in, so the share in no topic
    stays as the first run found it."""
    from sklearn.neighbors import KNeighborsClassifier

    found = found.copy()
    number = int(found.max()) + 1
    waiting = [int(c) for c in np.unique(found[found >= 0])]
    while waiting:
        cluster = waiting.pop()
        rows = np.flatnonzero(found == cluster)
        if len(rows) <= most:
            continue
        parts = _hdbscan(xy[rows], size)
        kept = parts >= 0
        if len(np.unique(parts[kept])) < 2:
            continue  # one dense region: it stays whole
        if not kept.all():
            nearest = KNeighborsClassifier(n_neighbors=1).fit(xy[rows][kept], parts[kept])
            parts[~kept] = nearest.predict(xy[rows][~kept])
        for part in np.unique(parts)[1:]:  # the first part keeps the number
            found[rows[parts == part]] = number
            waiting.append(number)
            number += 1
        waiting.append(cluster)
    return found


def build(
    pks: Sequence[int],
    vectors: np.ndarray,
    texts: Callable[[Sequence[int]], list[str]],
    previous: Mapping[int, tuple[int, set[int]]] | None = None,
    seed: int = SEED,
) -> TopicMap:
    """The map of ``pks`` (their ``vectors``); ``texts`` gives their titles and abstracts;
    ``previous``: the last map's topics (id → (level, papers)), whose numbers are kept."""
    pks = list(pks)
    xy = layout(vectors, seed)
    broad_found = clusters(xy, BROAD_SHARE, 10, BROAD_MOST)
    fine_found = inside(xy, broad_found, max(5, int(len(xy) * FINE_SHARE)))
    words = texts(pks)
    numbers = _Numbering(previous or {})
    topics: list[Topic] = []
    broad_of: dict[int, int] = {}
    for level, found in ((BROAD, broad_found), (FINE, fine_found)):
        rows_of: dict[int, list[int]] = {}
        for row, cluster in enumerate(found):
            if cluster >= 0:
                rows_of.setdefault(int(cluster), []).append(row)
        labels = label_topics(rows_of, words)
        for cluster, rows in sorted(rows_of.items(), key=lambda item: -len(item[1])):
            members = [pks[row] for row in rows]
            number = numbers.take(level, set(members))
            # a fine topic's papers all lie in one broad topic (`inside`)
            parent = broad_of[members[0]] if level == FINE else None
            centre = xy[rows].mean(axis=0)
            topics.append(
                Topic(
                    number,
                    level,
                    parent,
                    labels[cluster],
                    members,
                    float(centre[0]),
                    float(centre[1]),
                )
            )
            if level == BROAD:
                broad_of.update((pk, number) for pk in members)
    fine_of = {pk: t.id for t in topics if t.level == FINE for pk in t.members}
    return TopicMap(
        pks=pks,
        xy=xy,
        broad=[broad_of.get(pk) for pk in pks],
        fine=[fine_of.get(pk) for pk in pks],
        topics=topics,
    )


class _Numbering:
    """Topic numbers: an old topic's for the new one that shares most of its papers (at least
    SAME_TOPIC of them, Jaccard), else a new number."""

    def __init__(self, previous: Mapping[int, tuple[int, set[int]]]) -> None:
        self.previous = dict(previous)
        self.next = max(self.previous, default=0) + 1
        self.taken: set[int] = set()

    def take(self, level: int, members: set[int]) -> int:
        best, overlap = None, 0.0
        for number, (old_level, old_members) in self.previous.items():
            if old_level != level or number in self.taken:
                continue
            union = len(members | old_members)
            share = len(members & old_members) / union if union else 0.0
            if share > overlap:
                best, overlap = number, share
        if best is not None and overlap >= SAME_TOPIC:
            self.taken.add(best)
            return best
        number = self.next
        self.next += 1
        return number
