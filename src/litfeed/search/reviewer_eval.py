"""The reviewer-expertise benchmark (Stelmakh et al. 2023): how well does litfeed rank papers
the way researchers rate their own expertise in them?

Each researcher has draws of a 20-paper profile and ~10 candidate papers rated 1-5. For each
draw, every method scores each candidate against the profile; the weighted Kendall-tau loss
counts, over candidate pairs, how much rating difference the scores put in the wrong order
(ties count half). Lower is better; the loss is averaged over the draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from litfeed.errors import LitfeedError
from litfeed.search.embeddings import Embedder, Vectors
from litfeed.search.fusion import normalised_score_fusion, ranked, reciprocal_rank_fusion
from litfeed.search.lexical import TextIndex
from litfeed.search.vectors import embed_with_store
from litfeed.store import Store

# A researcher's expertise in a topic shows in a few of their papers, not in all of them: a
# candidate is scored by its mean similarity to the TOP_K most similar profile papers.
TOP_K = 3
METHODS = ("keyword", "semantic", "hybrid-rrf", "hybrid-score")
DEFAULT_METHOD = "semantic"


class EvaluationError(LitfeedError):
    """The benchmark file cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    abstract: str

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}".strip()


@dataclass(frozen=True)
class Loss:
    """A method's loss over the profile draws: their mean, and their standard deviation (how
    much the figure moves with the draw alone; a smaller difference between methods is noise)."""

    mean: float
    spread: float
    draws: int


@dataclass(frozen=True)
class Researcher:
    participant: str
    candidates: list[Item]
    expertise: list[float]
    profiles: list[list[Item]]


def load_researchers(path: Path) -> list[Researcher]:
    """Read the benchmark's JSON lines; a malformed line is an error naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvaluationError(f"{path}: cannot read: {error.strerror}") from None
    researchers = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            researchers.append(_researcher(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise EvaluationError(f"{path.name}:{number}: {reason}") from None
    if not researchers:
        raise EvaluationError(f"{path}: no researchers in it")
    return researchers


def _item(value: Mapping[str, object]) -> Item:
    return Item(str(value["id"]), str(value.get("title") or ""), str(value.get("abstract") or ""))


def _researcher(value: Mapping[str, object]) -> Researcher:
    candidates = value["candidates"]
    profiles = value["profiles"]
    if not isinstance(candidates, list) or not isinstance(profiles, list) or not profiles:
        raise ValueError("'candidates' and 'profiles' must be non-empty lists")
    return Researcher(
        participant=str(value["participant"]),
        candidates=[_item(candidate) for candidate in candidates],
        expertise=[float(candidate["expertise"]) for candidate in candidates],
        profiles=[[_item(paper) for paper in draw] for draw in profiles],
    )


def weighted_kendall_tau_loss(
    researchers: Sequence[Researcher], predicted: Mapping[str, Sequence[float]]
) -> float:
    """Loss of ``predicted`` (participant -> a score per candidate) over all researchers."""
    loss = maximum = 0.0
    for researcher in researchers:
        scores = predicted[researcher.participant]
        ratings = researcher.expertise
        for i in range(len(ratings)):
            for j in range(i + 1, len(ratings)):
                truth = ratings[i] - ratings[j]
                if truth == 0:
                    continue
                guess = scores[i] - scores[j]
                maximum += abs(truth)
                if guess * truth < 0:
                    loss += abs(truth)
                elif guess == 0:
                    loss += abs(truth) / 2
    return loss / maximum if maximum else 0.0


Similarity = Callable[[Item, Item], float]


def evaluate(
    researchers: Sequence[Researcher],
    embedder: Callable[[], Embedder],
    store: Store,
    methods: Sequence[str] = METHODS,
) -> dict[str, Loss]:
    """Loss per method over the profile draws. Vectors are cached in ``store``; the model is
    loaded only for methods that rank by meaning."""
    items = {item.id: item for r in researchers for item in all_items(r)}
    similarities: dict[str, Similarity] = {"keyword": _LexicalSimilarity(items)}
    if any(method != "keyword" for method in methods):
        vectors = item_vectors(list(items.values()), embedder(), store)
        similarities["semantic"] = lambda a, b: float(vectors[a.id] @ vectors[b.id])
    draws = min(len(r.profiles) for r in researchers)
    losses: dict[str, list[float]] = {method: [] for method in methods}
    for draw in range(draws):
        per_source = {
            name: {
                r.participant: _profile_scores(r, r.profiles[draw], similarity) for r in researchers
            }
            for name, similarity in similarities.items()
        }
        for method in methods:
            predicted = _combine(method, per_source)
            losses[method].append(weighted_kendall_tau_loss(researchers, predicted))
    return {
        method: Loss(
            float(np.mean(values)), float(np.std(values, ddof=1)) if draws > 1 else 0.0, draws
        )
        for method, values in losses.items()
    }


def all_items(researcher: Researcher) -> list[Item]:
    return [*researcher.candidates, *(paper for draw in researcher.profiles for paper in draw)]


def _profile_scores(
    researcher: Researcher, profile: list[Item], similarity: Similarity
) -> list[float]:
    scores = []
    for candidate in researcher.candidates:
        values = sorted((similarity(candidate, paper) for paper in profile), reverse=True)
        scores.append(float(np.mean(values[:TOP_K])))
    return scores


def _combine(method: str, per_source: dict[str, dict[str, list[float]]]) -> dict[str, list[float]]:
    if method in per_source:
        return per_source[method]
    combined = {}
    for participant, keyword_scores in per_source["keyword"].items():
        lists = [
            dict(enumerate(keyword_scores)),
            dict(enumerate(per_source["semantic"][participant])),
        ]
        if method == "hybrid-rrf":
            fused = reciprocal_rank_fusion([ranked(scores) for scores in lists])
        elif method == "hybrid-score":
            fused = normalised_score_fusion(lists)
        else:
            raise EvaluationError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
        combined[participant] = [fused[index] for index in range(len(keyword_scores))]
    return combined


class _LexicalSimilarity:
    """BM25 of one text against another, divided by the first text's BM25 against itself, so
    that long and short candidates are on one scale (1.0 = as similar as the text itself)."""

    def __init__(self, items: Mapping[str, Item]) -> None:
        self.index = TextIndex({key: (item.title, item.abstract) for key, item in items.items()})
        self.cache: dict[str, dict[str, float]] = {}

    def __call__(self, query: Item, other: Item) -> float:
        if query.id not in self.cache:
            self.cache[query.id] = self.index.scores(query.text)
        scores = self.cache[query.id]
        own = scores.get(query.id) or 1.0
        return scores.get(other.id, 0.0) / own


def item_vectors(items: list[Item], embedder: Embedder, store: Store) -> dict[str, Vectors]:
    vectors = embed_with_store(store, embedder, [item.text for item in items])
    return {item.id: vector for item, vector in zip(items, vectors, strict=True)}
