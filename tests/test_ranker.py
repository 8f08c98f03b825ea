"""The personal ranker's arithmetic (`litfeed.recommend.ranker`) on vectors made for the case:
the library alone ranks by similarity, and ratings teach what the library cannot say."""

from __future__ import annotations

import numpy as np

from litfeed.recommend.ranker import RECENCY_PER_WEEK, Evidence, recent_first, score, top_mean


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _around(centre: np.ndarray, count: int, random: np.random.Generator) -> np.ndarray:
    return _unit(centre + 0.35 * random.standard_normal((count, centre.size)))


def test_without_ratings_the_score_is_the_similarity_to_the_closest_library_papers() -> None:
    random = np.random.default_rng(1)
    library = _unit(random.standard_normal((12, 16)))
    candidates = _unit(random.standard_normal((30, 16)))
    background = _unit(random.standard_normal((50, 16)))
    scores = score(candidates, Evidence.of(library, background=background))
    expected = np.sort(candidates @ library.T, axis=1)[:, -3:].mean(axis=1)
    assert np.allclose(scores, expected)
    assert np.allclose(top_mean(candidates @ library.T), expected)


def test_ratings_push_down_the_part_of_the_library_the_reader_said_less_of() -> None:
    """A library spans two topics, A and B, equally; the reader rated a few B papers -. Without
    the ratings, A and B candidates are interleaved; with them, A comes first."""
    random = np.random.default_rng(7)
    a, b, elsewhere = (random.standard_normal(32) for _ in range(3))
    library = np.vstack([_around(a, 10, random), _around(b, 10, random)])
    disliked = _around(b, 3, random)
    background = _unit(random.standard_normal((200, 32)) + 0.5 * elsewhere)
    candidates = np.vstack([_around(a, 20, random), _around(b, 20, random)])
    is_a = np.r_[np.ones(20, bool), np.zeros(20, bool)]

    def share_of_a_in_top(scores: np.ndarray) -> float:
        return float(is_a[np.argsort(-scores)[:20]].mean())

    library_only = score(candidates, Evidence.of(library, background=background))
    rated = score(candidates, Evidence.of(library, disliked, background, rated=True))
    assert 0.25 <= share_of_a_in_top(library_only) <= 0.75
    assert share_of_a_in_top(rated) >= 0.9


def test_one_candidate_or_no_other_papers_falls_back_to_the_similarity() -> None:
    random = np.random.default_rng(3)
    library = _unit(random.standard_normal((5, 8)))
    one = _unit(random.standard_normal((1, 8)))
    assert np.allclose(score(one, Evidence.of(library, rated=True)), top_mean(one @ library.T))


def test_in_a_weeks_list_newer_papers_come_a_little_earlier() -> None:
    """Equal matches: the newer first. A match one standard deviation better than another
    still comes first when it is a week older; one day's list keeps its order."""
    scores = np.asarray([0.5, 0.5, 0.7, 0.3, 0.6], dtype=np.float32)
    spread = float(scores.std())
    one_day = recent_first(scores, np.zeros(5, dtype=np.float32))
    assert np.array_equal(one_day, scores)
    ages = np.asarray([6, 0, 7, 0, 0], dtype=np.float32)
    moved = recent_first(scores, ages)
    assert moved[1] > moved[0]  # equal matches: today's first
    assert moved[2] > moved[1]  # 0.2 better (about 1.4 standard deviations), a week older
    assert np.isclose(moved[2], 0.7 - spread * RECENCY_PER_WEEK)
    assert np.argsort(-moved).tolist()[:2] == [2, 4]
