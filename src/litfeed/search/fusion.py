"""Combining rankings from different retrievers (BM25 and dense vectors) into one."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

# Cormack, Clarke & Büttcher (SIGIR 2009): k = 60 damps the weight of the very top ranks; it was
# chosen on TREC data and is the customary default, not fitted here.
RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Key]], k: int = RRF_K) -> dict[Key, float]:
    """Each ranking adds 1 / (k + rank) to an item's score (rank counted from 1)."""
    scores: dict[Key, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


def normalised_score_fusion(
    score_lists: Sequence[Mapping[Key, float]], weights: Sequence[float] | None = None
) -> dict[Key, float]:
    """Each list's scores are min-max scaled to [0, 1] and summed with ``weights`` (equal by
    default); an item missing from a list gets 0 from it."""
    weights = weights or [1.0] * len(score_lists)
    fused: dict[Key, float] = {}
    for scores, weight in zip(score_lists, weights, strict=True):
        if not scores:
            continue
        low, high = min(scores.values()), max(scores.values())
        spread = high - low
        for key, score in scores.items():
            scaled = (score - low) / spread if spread > 0 else 1.0
            fused[key] = fused.get(key, 0.0) + weight * scaled
    return fused


def ranked(scores: Mapping[Key, float]) -> list[Key]:
    """Keys by descending score (ties keep insertion order)."""
    return sorted(scores, key=lambda key: -scores[key])
