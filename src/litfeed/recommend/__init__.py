"""Recommendations for one reader: their profile (the library they saved, their + and -
ratings) and the personal ranking of a list of papers, each pick with the reasons a reader
can check: the library papers it is closest to, by title.

The score of a paper is its mean cosine similarity to the TOP_K most similar papers of the
reader's profile (the library and the papers rated +), the scoring `litfeed eval
reviewer-expertise` measures as `semantic`; when the reader has rated papers -, the same mean
over those is taken off, so that a - rating moves that paper's near neighbours down at once.
No web or mail code here: the routes, commands and digests call `rank`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from litfeed.models import Paper
from litfeed.search.reviewer_eval import TOP_K
from litfeed.search.vectors import VectorIndex
from litfeed.store import Store

# A library paper is named as a reason when it is this close to the best one's similarity.
REASON_MARGIN = 0.05
MAX_REASONS = 3


@dataclass(frozen=True)
class Profile:
    """What a reader told litfeed: the papers they like (saved or rated +) and dislike."""

    liked: list[int]
    disliked: list[int]

    @property
    def empty(self) -> bool:
        return not self.liked


@dataclass(frozen=True)
class Pick:
    paper: Paper
    score: float
    # The library papers it is closest to (at most MAX_REASONS), closest first.
    closest: list[Paper] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [f"close to your paper “{paper.title}”" for paper in self.closest]


def profile_of(store: Store, account_id: int) -> Profile:
    ratings = store.library.ratings(account_id)
    disliked = [pk for pk, rating in ratings.items() if rating < 0]
    liked = [pk for pk in store.library.saved(account_id) if pk not in disliked]
    liked += [pk for pk, rating in ratings.items() if rating > 0 and pk not in liked]
    return Profile(liked, disliked)


def rank(
    store: Store,
    vectors: VectorIndex,
    profile: Profile,
    candidates: Sequence[Paper],
    limit: int,
) -> list[Pick]:
    """The ``limit`` best of ``candidates`` for a reader with ``profile`` (papers they saved
    or rated are left out: they know them), each with its reasons. Candidates without a vector
    yet (not embedded) are left out; an empty profile ranks nothing."""
    known = set(profile.liked) | set(profile.disliked)
    pool = [paper for paper in candidates if paper.pk not in known]
    liked_pks, liked = vectors.vectors_of(profile.liked)
    if not pool or not liked_pks:
        return []
    pool_pks, pool_vectors = vectors.vectors_of([paper.pk for paper in pool])
    by_pk = {paper.pk: paper for paper in pool}
    similarity = pool_vectors @ liked.T  # unit vectors: cosines
    scores = _top_mean(similarity)
    _disliked_pks, disliked = vectors.vectors_of(profile.disliked)
    if len(disliked):
        scores = scores - _top_mean(pool_vectors @ disliked.T)
    order = np.argsort(-scores, kind="stable")[:limit]
    library = {paper.pk: paper for paper in store.get_papers_by_pk(liked_pks)}
    picks = []
    for row in order:
        closest = _closest(similarity[row], liked_pks)
        picks.append(
            Pick(
                by_pk[pool_pks[row]],
                float(scores[row]),
                [library[pk] for pk in closest if pk in library],
            )
        )
    return picks


def _top_mean(similarity: np.ndarray) -> np.ndarray:
    """Each row's mean of its TOP_K largest values (all of them when there are fewer)."""
    k = min(TOP_K, similarity.shape[1])
    top = -np.partition(-similarity, k - 1, axis=1)[:, :k]
    return np.asarray(top.mean(axis=1))


def _closest(row: np.ndarray, pks: list[int]) -> list[int]:
    order = np.argsort(-row, kind="stable")[:MAX_REASONS]
    best = row[order[0]]
    return [pks[i] for i in order if row[i] >= best - REASON_MARGIN]


@dataclass(frozen=True)
class ForYou:
    """A day's papers ranked for one reader."""

    day: date | None
    picks: list[Pick]
    candidates: int  # the day's papers
    library: int  # the papers the ranking learnt from (saved or rated +)


# A day has about a thousand papers; more than this are not ranked.
MAX_CANDIDATES = 5_000


def for_you(
    store: Store, vectors: VectorIndex, account_id: int, day: date | None, limit: int
) -> ForYou:
    """The papers of ``day`` (default: the newest day with papers) ranked for the account."""
    day = day or store.latest_day()
    profile = profile_of(store, account_id)
    if day is None:
        return ForYou(None, [], 0, len(profile.liked))
    candidates, total = store.papers_of_days(day, day, 0, MAX_CANDIDATES)
    picks = rank(store, vectors, profile, candidates, limit)
    return ForYou(day, picks, total, len(profile.liked))
