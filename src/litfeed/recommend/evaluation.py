"""The personal ranker on the reviewer-expertise benchmark (`litfeed.search.reviewer_eval` reads
the file and holds the loss): each researcher's profile draw is their library, and the
candidates are ranked by `ranker.score`, the function every reader's page calls.

Two protocols:

- **library only**: the candidates ranked against the library, no ratings; one loss per
  profile draw.
- **rated half**: per researcher and profile draw, HALVINGS random halvings of the candidates.
  The reader has rated one half (expertise 4 or more as +, 2 or less as -, between them no
  rating); the other half is ranked with the library and those ratings, and the weighted
  Kendall-tau loss is taken over the pairs inside the ranked half. Beside it, the library-only
  ranking of the same halves, so that the two figures differ by the ratings alone.

Each figure is the mean over the profile draws (of the mean over halvings) ± the standard
deviation over the draws: a difference smaller than that is noise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from litfeed.recommend.ranker import Evidence, score
from litfeed.search.embeddings import Embedder
from litfeed.search.reviewer_eval import (
    Loss,
    Researcher,
    all_items,
    item_vectors,
    weighted_kendall_tau_loss,
)
from litfeed.store import Store

METHOD = "for-you"
HALVINGS = 5
LIKED_FROM = 4.0  # expertise at or above: rated +
DISLIKED_TO = 2.0  # at or below: rated -
SEED = 2026


def evaluate_for_you(
    researchers: Sequence[Researcher],
    embedder: Callable[[], Embedder],
    store: Store,
    rated_half: bool = False,
) -> dict[str, Loss]:
    """``{"for-you": loss}`` without ratings; with ``rated_half``, also ``"library-only"`` on
    the same halves."""
    items = {item.id: item for r in researchers for item in all_items(r)}
    vectors = item_vectors(list(items.values()), embedder(), store)
    background = {r.participant: _background(r, researchers, vectors) for r in researchers}
    draws = min(len(r.profiles) for r in researchers)
    losses: dict[str, list[float]] = {METHOD: [], "library-only": []}
    for draw in range(draws):
        if not rated_half:
            predicted = {
                r.participant: _scores(r, draw, vectors, range(len(r.candidates)), {}, background)
                for r in researchers
            }
            losses[METHOD].append(weighted_kendall_tau_loss(researchers, predicted))
            continue
        random = np.random.default_rng([SEED, draw])
        per_halving: dict[str, list[float]] = {METHOD: [], "library-only": []}
        for _ in range(HALVINGS):
            halves = [_halve(r, random) for r in researchers]
            ranked_part = [
                _only(r, ranked) for r, (_, ranked) in zip(researchers, halves, strict=True)
            ]
            for name in per_halving:
                predicted = {}
                for r, (rated, ranked) in zip(researchers, halves, strict=True):
                    ratings = _ratings(r, rated) if name == METHOD else {}
                    predicted[r.participant] = _scores(
                        r, draw, vectors, ranked, ratings, background
                    )
                per_halving[name].append(weighted_kendall_tau_loss(ranked_part, predicted))
        for name, values in per_halving.items():
            losses[name].append(float(np.mean(values)))
    return {
        name: Loss(
            float(np.mean(values)), float(np.std(values, ddof=1)) if draws > 1 else 0.0, draws
        )
        for name, values in losses.items()
        if values
    }


def _background(
    researcher: Researcher, researchers: Sequence[Researcher], vectors: dict[str, np.ndarray]
) -> np.ndarray:
    """The other researchers' papers: the field beside this reader's part of it, as the other
    papers of a day are beside a reader's."""
    own = {item.id for item in all_items(researcher)}
    others = {item.id for r in researchers if r is not researcher for item in all_items(r)} - own
    return np.stack([vectors[key] for key in sorted(others)])


def _halve(researcher: Researcher, random: np.random.Generator) -> tuple[list[int], list[int]]:
    """(the candidates rated, the candidates ranked): a random half of them each."""
    order = [int(i) for i in random.permutation(len(researcher.candidates))]
    middle = len(order) // 2
    return order[:middle], order[middle:]


def _ratings(researcher: Researcher, rated: list[int]) -> dict[int, int]:
    ratings = {}
    for index in rated:
        expertise = researcher.expertise[index]
        if expertise >= LIKED_FROM:
            ratings[index] = 1
        elif expertise <= DISLIKED_TO:
            ratings[index] = -1
    return ratings


def _only(researcher: Researcher, indices: list[int]) -> Researcher:
    return dataclasses.replace(
        researcher,
        candidates=[researcher.candidates[i] for i in indices],
        expertise=[researcher.expertise[i] for i in indices],
    )


def _scores(
    researcher: Researcher,
    draw: int,
    vectors: dict[str, np.ndarray],
    ranked: Sequence[int],
    ratings: dict[int, int],
    background: dict[str, np.ndarray],
) -> list[float]:
    """The ranker's scores of the ``ranked`` candidates for the profile draw as the library,
    with ``ratings`` (candidate index → ±1) as the reader's ratings, as `profile_of` reads
    them: a + rated paper is liked as a saved one is."""
    library = [vectors[paper.id] for paper in researcher.profiles[draw]]
    liked = library + [vectors[researcher.candidates[i].id] for i, r in ratings.items() if r > 0]
    disliked = [vectors[researcher.candidates[i].id] for i, r in ratings.items() if r < 0]
    candidates = np.stack([vectors[researcher.candidates[i].id] for i in ranked])
    dimension = candidates.shape[1]
    evidence = Evidence.of(
        np.stack(liked),
        np.array(disliked, dtype=np.float32).reshape(-1, dimension),
        background[researcher.participant],
        rated=bool(ratings),
    )
    return [float(value) for value in score(candidates, evidence)]
