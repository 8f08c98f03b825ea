"""The personal ranking as arithmetic on unit vectors: no store, no index, no web. `rank` (for
the pages, feeds and digests) and `litfeed eval reviewer-expertise --method for-you` (for the
figures) both call `score`, so the figures measure exactly what readers get.

Two signals, each standing for something a reader can check:

- **similarity to the library**: a paper's mean cosine similarity to the TOP_K papers of the
  reader's profile (saved, or rated +) it is most similar to: a researcher's interest in a topic
  shows in a few of their papers, not in all of them (the scoring `semantic` measures);
- **what the ratings taught**: once the reader has rated papers (+ or -), a logistic regression
  on the vectors learns what sets the papers they like apart from the papers they rated - and
  from the rest of the field (a sample of other papers), each of the three groups weighted to
  count as much as the others, so that a few - ratings are not drowned by the many background
  papers; its decision values rank the rest (arxiv-sanity's per-tag SVM, Scholar Inbox's
  per-reader classifier).

In a list of several days, newer papers come a little earlier (`recent_first`).

With ratings, the score is the sum of the two, each z-scored over the papers being ranked, so
that neither wins by its scale alone. Without ratings it is the similarity alone: a reader who
told litfeed nothing but their library gets exactly the library ranking. (Subtracting the
similarity to the disliked papers instead, the first version, lost 0.235 against 0.211 for the
library alone on the rated-half protocol: a - rating is a paper in the reader's own field, and
its neighbours are too.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from litfeed.search.reviewer_eval import TOP_K

# The model's regularisation (scikit-learn's default C): few ratings, so a strong prior.
REGULARISATION = 1.0


@dataclass(frozen=True)
class Evidence:
    """The vectors of what a reader told litfeed (one row per paper, unit length)."""

    liked: np.ndarray  # saved or rated +
    disliked: np.ndarray  # rated -
    background: np.ndarray  # other papers: the field beside the reader's part of it
    rated: bool  # whether the reader rated any paper (+ or -): then the model is fitted

    @classmethod
    def of(
        cls,
        liked: np.ndarray,
        disliked: np.ndarray | None = None,
        background: np.ndarray | None = None,
        rated: bool = False,
    ) -> Evidence:
        dimension = liked.shape[1]

        def rows(matrix: np.ndarray | None) -> np.ndarray:
            if matrix is None:
                return np.zeros((0, dimension), dtype=np.float32)
            return matrix.reshape(-1, dimension)

        return cls(liked, rows(disliked), rows(background), rated)


def top_mean(similarity: np.ndarray) -> np.ndarray:
    """Each row's mean of its TOP_K largest values (all of them when there are fewer)."""
    k = min(TOP_K, similarity.shape[1])
    top = -np.partition(-similarity, k - 1, axis=1)[:, :k]
    return np.asarray(top.mean(axis=1))


def score(candidates: np.ndarray, evidence: Evidence) -> np.ndarray:
    """One score per row of ``candidates`` (higher first); ``evidence.liked`` must not be
    empty."""
    closeness = top_mean(candidates @ evidence.liked.T)
    unliked = len(evidence.disliked) + len(evidence.background)
    if not evidence.rated or not unliked or len(candidates) < 2:
        return closeness
    return np.asarray(_z(closeness) + _z(learned(candidates, evidence)))


# In a list of several days (a week's), a paper a week older than the newest moves down by this
# many standard deviations of the list's scores: a strong match from Monday still beats a weak
# one from Friday, and of two equal matches the newer comes first (the older one the reader may
# have seen in the day's list already). Not measured: the relevance files have no dates.
RECENCY_PER_WEEK = 0.5


def recent_first(scores: np.ndarray, age_days: np.ndarray) -> np.ndarray:
    """``scores`` less RECENCY_PER_WEEK of their standard deviation per week of age (days
    since the newest paper of the list; all 0 for one day's list, which keeps its order)."""
    spread = float(scores.std())
    if not spread or not age_days.any():
        return scores
    return np.asarray(scores - spread * RECENCY_PER_WEEK * age_days / 7.0)


def learned(candidates: np.ndarray, evidence: Evidence) -> np.ndarray:
    """The decision values of the reader's model: the liked papers against the disliked ones
    and the background."""
    from sklearn.linear_model import LogisticRegression  # only readers with ratings need it

    groups = [g for g in (evidence.liked, evidence.disliked, evidence.background) if len(g)]
    examples = np.vstack(groups)
    labels = np.r_[np.ones(len(evidence.liked)), np.zeros(len(examples) - len(evidence.liked))]
    # Each group counts as much as the liked papers: a reader's few - ratings are not drowned
    # by the many background papers, which say less.
    weights = np.concatenate([np.full(len(g), len(examples) / len(g)) for g in groups])
    model = LogisticRegression(C=REGULARISATION, max_iter=1000)
    model.fit(examples, labels, sample_weight=weights / weights.mean())
    return np.asarray(model.decision_function(candidates))


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
