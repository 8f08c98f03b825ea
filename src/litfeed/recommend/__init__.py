"""Recommendations for one reader: their profile (the library they saved, their + and -
ratings) and the personal ranking of a list of papers (`ranker.score`), each pick with the
reasons a reader can check: the library papers it is closest to, by title.
No web or mail code here: the routes, commands and digests call `rank`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from litfeed.errors import LitfeedError
from litfeed.models import Paper
from litfeed.recommend.ranker import Evidence, score
from litfeed.search.mutes import muted_by
from litfeed.search.vectors import VectorIndex, embed_with_store
from litfeed.store import Store
from litfeed.store.library import OutsideItem

# A library paper is named as a reason when it is this close to the best one's similarity.
REASON_MARGIN = 0.05
MAX_REASONS = 3
# The other papers a reader's model learns their library apart from: about a day's worth,
# drawn from the whole index (the same ones for the same reader, so a ranking is stable).
BACKGROUND = 1_000


FOLLOW_AUTHOR, FOLLOW_CATEGORY = "follow-author", "follow-category"
MUTE_WORD, MUTE_AUTHOR, MUTE_CATEGORY = "mute-word", "mute-author", "mute-category"
INTEREST_KINDS = (FOLLOW_AUTHOR, FOLLOW_CATEGORY, MUTE_WORD, MUTE_AUTHOR, MUTE_CATEGORY)
# A followed author's papers come before every other paper (the reader asked for them by
# name); a followed category's move up by this many standard deviations of the day's scores.
CATEGORY_BOOST = 1.0


MAX_INTERESTS = 500  # follows and mutes of one reader
MAX_INTEREST_LENGTH = 200


class InterestError(LitfeedError, ValueError):
    """A follow or mute cannot be kept as asked; the message says why."""


def set_interest(store: Store, account_id: int, kind: str, value: str, on: bool = True) -> bool:
    """Follow or mute (``kind``, one of INTEREST_KINDS) ``value`` for a reader, or stop;
    whether anything changed. `InterestError` for an unknown kind or an unusable value."""
    value = " ".join(value.split())
    if kind not in INTEREST_KINDS:
        raise InterestError(f"unknown kind {kind[:40]!r} (known: {', '.join(INTEREST_KINDS)})")
    if not value or len(value) > MAX_INTEREST_LENGTH or not value.isprintable():
        raise InterestError(f"a {kind} value is 1 to {MAX_INTEREST_LENGTH} printable characters")
    if on and sum(map(len, store.library.interests(account_id).values())) >= MAX_INTERESTS:
        raise InterestError(f"at most {MAX_INTERESTS} follows and mutes")
    return store.library.set_interest(account_id, kind, value, on)


@dataclass(frozen=True)
class Interests:
    """What a reader follows (their papers rank higher and say so) and mutes (left out)."""

    values: dict[str, list[str]] = field(default_factory=dict)  # kind → values

    def _keys(self, kind: str) -> set[str]:
        return {value.casefold() for value in self.values.get(kind, [])}

    @property
    def follows(self) -> bool:
        return bool(self.values.get(FOLLOW_AUTHOR) or self.values.get(FOLLOW_CATEGORY))

    def muted(self) -> Callable[[Paper], bool]:
        words = muted_by(self.values.get(MUTE_WORD, []))
        authors, categories = self._keys(MUTE_AUTHOR), self._keys(MUTE_CATEGORY)

        def test(paper: Paper) -> bool:
            return (
                words(paper)
                or any(name.casefold() in authors for name in paper.authors)
                or any(name.casefold() in categories for name in paper.categories)
            )

        return test

    def followed(self, paper: Paper) -> tuple[bool, float, list[str]]:
        """(whether a followed author wrote it; its category's boost, in standard deviations;
        the reasons) for one paper."""
        authors, categories = self._keys(FOLLOW_AUTHOR), self._keys(FOLLOW_CATEGORY)
        by = [name for name in paper.authors if name.casefold() in authors]
        within = [name for name in paper.categories if name.casefold() in categories]
        reasons = [f"by {name}, whom you follow" for name in by[:2]]
        reasons += [f"in {name}, which you follow" for name in within[:1]]
        return bool(by), CATEGORY_BOOST * bool(within), reasons


@dataclass(frozen=True)
class Profile:
    """What a reader told litfeed: the papers they like (saved or rated +) and dislike, and
    the outside items of their library (entries no stored paper matched)."""

    liked: list[int]
    disliked: list[int]
    rated: bool = False  # whether they rated any paper
    outside: list[OutsideItem] = field(default_factory=list)
    interests: Interests = field(default_factory=Interests)

    @property
    def empty(self) -> bool:
        return not self.liked and not self.outside and not self.interests.follows

    @property
    def size(self) -> int:
        """The library entries the ranking learns from."""
        return len(self.liked) + len(self.outside)


@dataclass(frozen=True)
class Known:
    """A library entry a pick is close to: a stored paper (``paper_id``) or an outside item."""

    title: str
    paper_id: str | None = None


@dataclass(frozen=True)
class Pick:
    paper: Paper
    score: float
    # The library entries it is closest to (at most MAX_REASONS), closest first.
    closest: list[Known] = field(default_factory=list)
    # What the reader follows that it is by or in ("by Jane Doe, whom you follow").
    follows: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return self.follows + [f"close to your paper “{known.title}”" for known in self.closest]


def profile_of(store: Store, account_id: int) -> Profile:
    ratings = store.library.ratings(account_id)
    disliked = [pk for pk, rating in ratings.items() if rating < 0]
    liked = [pk for pk in store.library.saved(account_id) if pk not in disliked]
    liked += [pk for pk, rating in ratings.items() if rating > 0 and pk not in liked]
    outside = store.library.outside(account_id)
    interests = Interests(store.library.interests(account_id))
    return Profile(liked, disliked, bool(ratings), outside, interests)


class Pool:
    """Candidate papers and their vectors, read once and ranked for any number of readers (a
    digest run ranks the day's papers for every subscriber with a library)."""

    def __init__(self, store: Store, vectors: VectorIndex, candidates: Sequence[Paper]) -> None:
        self.store = store
        self.vectors = vectors
        by_pk = {paper.pk: paper for paper in candidates}
        pks, self.matrix = vectors.vectors_of(list(by_pk))  # not embedded yet: left out
        self.papers = [by_pk[pk] for pk in pks]
        self.pks = np.asarray(pks, dtype=np.int64)

    def rank(self, profile: Profile, limit: int, seed: int = 0) -> list[Pick]:
        """The ``limit`` best candidates for a reader with ``profile`` (papers they saved or
        rated are left out: they know them), each with its reasons; an empty profile ranks
        nothing. ``seed`` (the reader's account) chooses the background papers of their
        model."""
        known = set(profile.liked) | set(profile.disliked)
        liked_pks, liked = self.vectors.vectors_of(profile.liked)
        if profile.outside:
            texts = [item.text for item in profile.outside]
            outside = embed_with_store(self.store, self.vectors.embedder, texts)
            liked = np.vstack([liked, outside])
        muted = profile.interests.muted()
        open_rows = np.asarray(
            [
                row
                for row, paper in enumerate(self.papers)
                if paper.pk not in known and not muted(paper)
            ],
            dtype=np.int64,
        )
        if not len(open_rows) or profile.empty:
            return []
        candidates = self.matrix[open_rows]
        if len(liked):
            _disliked_pks, disliked = self.vectors.vectors_of(profile.disliked)
            background = None
            if profile.rated:
                sampled_pks, sampled = self.vectors.sample(BACKGROUND, seed)
                background = sampled[[pk not in known for pk in sampled_pks]]
            evidence = Evidence.of(liked, disliked, background, rated=profile.rated)
            scores = score(candidates, evidence)
        else:  # follows alone: their papers first
            scores = np.zeros(len(open_rows), dtype=np.float32)
        follows: dict[int, list[str]] = {}
        if profile.interests.follows:
            spread = float(scores.std()) or 1.0
            above_all = float(scores.max() - scores.min()) + (1 + CATEGORY_BOOST) * spread
            boosts = np.zeros_like(scores)
            for place, row in enumerate(open_rows):
                by_followed, boost, why = profile.interests.followed(self.papers[row])
                if why:
                    boosts[place] = above_all * by_followed + boost * spread
                    follows[place] = why
            scores = scores + boosts
        order = np.argsort(-scores, kind="stable")[:limit]
        closest = (
            [_closest(row) for row in candidates[order] @ liked.T]  # unit vectors: cosines
            if len(liked)
            else [[] for _ in order]
        )
        named = {int(liked_pks[i]) for columns in closest for i in columns if i < len(liked_pks)}
        library = {paper.pk: paper for paper in self.store.get_papers_by_pk(sorted(named))}

        def known_as(column: int) -> Known | None:
            if column >= len(liked_pks):
                return Known(profile.outside[column - len(liked_pks)].title)
            paper = library.get(liked_pks[column])
            return Known(paper.title, paper.id) if paper is not None else None

        picks = []
        for place, row in enumerate(order):
            near = [known for known in map(known_as, closest[place]) if known is not None]
            paper = self.papers[open_rows[row]]
            picks.append(Pick(paper, float(scores[row]), near, follows.get(int(row), [])))
        return picks


def rank(
    store: Store,
    vectors: VectorIndex,
    profile: Profile,
    candidates: Sequence[Paper],
    limit: int,
    seed: int = 0,
) -> list[Pick]:
    """`Pool.rank` of one reader."""
    return Pool(store, vectors, candidates).rank(profile, limit, seed)


def _closest(row: np.ndarray) -> list[int]:
    """The columns of the library entries a pick is closest to."""
    order = np.argsort(-row, kind="stable")[:MAX_REASONS]
    best = row[order[0]]
    return [int(i) for i in order if row[i] >= best - REASON_MARGIN]


@dataclass(frozen=True)
class ForYou:
    """A day's papers ranked for one reader."""

    day: date | None
    picks: list[Pick]
    candidates: int  # the day's papers
    library: int  # the entries the ranking learnt from (saved, outside, or rated +)
    empty: bool = False  # the reader told litfeed nothing yet (no library, no follows)


# A day has about a thousand papers; more than this are not ranked.
MAX_CANDIDATES = 5_000


def for_you(
    store: Store, vectors: VectorIndex, account_id: int, day: date | None, limit: int
) -> ForYou:
    """The papers of ``day`` (default: the newest day with papers) ranked for the account."""
    day = day or store.latest_day()
    profile = profile_of(store, account_id)
    if day is None:
        return ForYou(None, [], 0, profile.size, profile.empty)
    candidates, total = store.papers_of_days(day, day, 0, MAX_CANDIDATES)
    picks = rank(store, vectors, profile, candidates, limit, seed=account_id)
    return ForYou(day, picks, total, profile.size, profile.empty)
