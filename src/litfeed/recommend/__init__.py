"""Recommendations for one reader: their profile (the library they saved, their + and -
ratings) and the personal ranking of a list of papers (`ranker.score`), each pick with the
reasons a reader can check: the library papers it is closest to, by title.
No web or mail code here: the routes, commands and digests call `rank`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import zip_longest

import numpy as np

from litfeed.errors import LitfeedError
from litfeed.models import Paper
from litfeed.recommend.ranker import Evidence, learned, recent_first, score
from litfeed.search.embeddings import EmbeddingError
from litfeed.search.mutes import muted_by
from litfeed.search.vectors import VectorIndex, embed_with_store
from litfeed.store import Store
from litfeed.store.library import OutsideItem, Reader
from litfeed.store.topics import FOLLOW_TOPIC, Place
from litfeed.taxonomy import checked_category

# A library paper is named as a reason when it is this close to the best one's similarity.
REASON_MARGIN = 0.05
MAX_REASONS = 3
# The other papers a reader's model learns their library apart from: about a day's worth,
# drawn from the whole index (the same ones for the same reader, so a ranking is stable).
BACKGROUND = 1_000


FOLLOW_AUTHOR, FOLLOW_CATEGORY = "follow-author", "follow-category"
MUTE_WORD, MUTE_AUTHOR, MUTE_CATEGORY = "mute-word", "mute-author", "mute-category"
SAVED_SEARCH = "search"  # a saved search: its fields as a query string (q, mode, category)
INTEREST_KINDS = (
    FOLLOW_AUTHOR,
    FOLLOW_CATEGORY,
    FOLLOW_TOPIC,
    MUTE_WORD,
    MUTE_AUTHOR,
    MUTE_CATEGORY,
    SAVED_SEARCH,
)
# A followed author's papers come before every other paper (the reader asked for them by
# name); a followed category's or topic's move up by this many standard deviations of the
# day's scores.
CATEGORY_BOOST = 1.0


MAX_INTERESTS = 500  # follows and mutes of one reader
MAX_INTEREST_LENGTH = 200
MAX_SEARCH_LENGTH = 700  # a saved search's query string


class InterestError(LitfeedError, ValueError):
    """A follow or mute cannot be kept as asked; the message says why."""


def set_interest(store: Store, account_id: int, kind: str, value: str, on: bool = True) -> bool:
    """Follow or mute (``kind``, one of INTEREST_KINDS) ``value`` for a reader, or stop;
    whether anything changed. `InterestError` for an unknown kind or an unusable value."""
    value = " ".join(value.split())
    if kind not in INTEREST_KINDS:
        raise InterestError(f"unknown kind {kind[:40]!r} (known: {', '.join(INTEREST_KINDS)})")
    longest = MAX_SEARCH_LENGTH if kind == SAVED_SEARCH else MAX_INTEREST_LENGTH
    if not value or len(value) > longest or not value.isprintable():
        raise InterestError(f"a {kind} value is 1 to {longest} printable characters")
    if kind in (FOLLOW_CATEGORY, MUTE_CATEGORY) and on:
        try:
            value = checked_category(value)
        except ValueError as error:
            raise InterestError(str(error)) from None
    if (
        kind == FOLLOW_TOPIC
        and on
        and not (value.isdigit() and len(value) < 16 and store.topics.get(int(value)))
    ):
        raise InterestError(f"no topic {value[:20]!r} on the map")
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
        return any(self.values.get(kind) for kind in (FOLLOW_AUTHOR, FOLLOW_CATEGORY, FOLLOW_TOPIC))

    @property
    def topics(self) -> set[int]:
        """The numbers of the topics followed."""
        return {int(value) for value in self.values.get(FOLLOW_TOPIC, []) if value.isdigit()}

    @property
    def mutes(self) -> bool:
        return any(self.values.get(kind) for kind in (MUTE_WORD, MUTE_AUTHOR, MUTE_CATEGORY))

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

    def followed(self, paper: Paper, topics: Sequence[str] = ()) -> tuple[bool, float, list[str]]:
        """(whether a followed author wrote it; its category's or topic's boost, in standard
        deviations; the reasons) for one paper; ``topics``: the labels of the followed topics
        it is in."""
        authors, categories = self._keys(FOLLOW_AUTHOR), self._keys(FOLLOW_CATEGORY)
        by = [name for name in paper.authors if name.casefold() in authors]
        within = [name for name in paper.categories if name.casefold() in categories]
        reasons = [f"by {name}, whom you follow" for name in by[:2]]
        reasons += [f"in {name}, which you follow" for name in within[:1]]
        reasons += [f"in the topic “{label}”, which you follow" for label in topics[:1]]
        return bool(by), CATEGORY_BOOST * bool(within or topics), reasons


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
    return profiles_of(store, [account_id])[account_id]


def profiles_of(store: Store, account_ids: Sequence[int]) -> dict[int, Profile]:
    """The profiles of many readers, read at once (a digest run's)."""
    return {
        account_id: _profile(reader)
        for account_id, reader in store.library.readers(account_ids).items()
    }


def _profile(reader: Reader) -> Profile:
    ratings = reader.ratings
    disliked = [pk for pk, rating in ratings.items() if rating < 0]
    liked = [pk for pk in reader.saved if pk not in disliked]
    liked += [pk for pk, rating in ratings.items() if rating > 0 and pk not in liked]
    return Profile(liked, disliked, bool(ratings), reader.outside, Interests(reader.interests))


class Pool:
    """Candidate papers and their vectors, read once and ranked for any number of readers (a
    digest run ranks the day's papers for every subscriber with a library)."""

    def __init__(
        self,
        store: Store,
        vectors: VectorIndex,
        candidates: Sequence[Paper],
        titles: dict[int, tuple[str, str]] | None = None,
    ) -> None:
        """``titles``: library papers' ids and titles known already (shared by the pools of a
        digest run, which reads them all at once)."""
        self.store = store
        self.vectors = vectors
        by_pk = {paper.pk: paper for paper in candidates}
        pks, self.matrix = vectors.vectors_of(list(by_pk))  # not embedded yet: left out
        self.papers = [by_pk[pk] for pk in pks]
        self.pks = np.asarray(pks, dtype=np.int64)
        days = [paper.day for paper in self.papers]
        newest = max((day for day in days if day is not None), default=None)
        self.age_days = np.asarray(
            [(newest - day).days if newest and day else 0 for day in days], dtype=np.float32
        )
        self._titles = {} if titles is None else titles  # library papers named as reasons
        self._places: dict[int, Place] | None = None  # the candidates' places on the map
        self._labels: dict[int, str] = {}

    def titles_of(self, pks: set[int]) -> dict[int, tuple[str, str]]:
        """Id and title of library papers, read once for every reader of the pool."""
        missing = sorted(pk for pk in pks if pk not in self._titles)
        if missing:
            self._titles.update(self.store.titles_of(missing))
        return self._titles

    def rank(
        self, profile: Profile, limit: int, seed: int = 0, reasons: int = MAX_REASONS
    ) -> list[Pick]:
        """The ``limit`` best candidates for a reader with ``profile`` (papers they saved or
        rated are left out: they know them), each with its reasons; an empty profile ranks
        nothing. ``seed`` (the reader's account) chooses the background papers of their
        model."""
        known = set(profile.liked) | set(profile.disliked)
        liked_pks, liked = self._liked(profile)
        open_rows = self.open_rows(profile, known)
        if not len(open_rows) or profile.empty:
            return []
        if len(liked) and profile.rated:
            candidates = self.matrix[open_rows]
            scores = score(candidates, self._evidence(profile, liked, known, seed))
        elif len(liked):  # the similarity alone, row by row: no copy of the matrix needed
            scores = score(self.matrix, Evidence.of(liked))[open_rows]
        else:  # follows alone: their papers first
            scores = np.zeros(len(open_rows), dtype=np.float32)
        scores = recent_first(scores, self.age_days[open_rows])
        follows: dict[int, list[str]] = {}
        if profile.interests.follows:
            spread = float(scores.std()) or 1.0
            above_all = float(scores.max() - scores.min()) + (1 + CATEGORY_BOOST) * spread
            boosts = np.zeros_like(scores)
            in_topics = self._followed_topics(profile.interests.topics)
            for place, row in enumerate(open_rows):
                paper = self.papers[row]
                by_followed, boost, why = profile.interests.followed(
                    paper, in_topics.get(paper.pk, ())
                )
                if why:
                    boosts[place] = above_all * by_followed + boost * spread
                    follows[place] = why
            scores = scores + boosts
        order = np.argsort(-scores, kind="stable")[:limit]
        closest = (
            _closest(self.matrix[open_rows[order]] @ liked.T, reasons)  # cosines
            if len(liked)
            else [[] for _ in order]
        )
        named = {int(liked_pks[i]) for columns in closest for i in columns if i < len(liked_pks)}
        library = self.titles_of(named)

        def known_as(column: int) -> Known | None:
            if column >= len(liked_pks):
                return Known(profile.outside[column - len(liked_pks)].title)
            found = library.get(liked_pks[column])
            return Known(found[1], found[0]) if found is not None else None

        picks = []
        for place, row in enumerate(order):
            near = [known for known in map(known_as, closest[place]) if known is not None]
            paper = self.papers[open_rows[row]]
            picks.append(Pick(paper, float(scores[row]), near, follows.get(int(row), [])))
        return picks

    def _followed_topics(self, followed: set[int]) -> dict[int, list[str]]:
        """The labels of the followed topics each candidate is in (its places read once a
        pool)."""
        if not followed:
            return {}
        if self._places is None:
            self._places = self.store.topics.places_of([paper.pk for paper in self.papers])
            self._labels = {topic.id: topic.label for topic in self.store.topics.all()}
        found: dict[int, list[str]] = {}
        for pk, place in self._places.items():
            labels = [
                self._labels[topic]
                for topic in (place.fine_id, place.broad_id)
                if topic in followed and topic in self._labels
            ]
            if labels:
                found[pk] = labels
        return found

    def least_sure(self, profile: Profile, count: int, seed: int = 0) -> list[Paper]:
        """The ``count`` candidates the reader's model is least sure of (decision values
        nearest zero): what rating teaches it most. None before the reader rated a paper."""
        known = set(profile.liked) | set(profile.disliked)
        _liked_pks, liked = self._liked(profile)
        open_rows = self.open_rows(profile, known)
        if not profile.rated or not len(liked) or not len(open_rows):
            return []
        evidence = self._evidence(profile, liked, known, seed)
        if not len(evidence.disliked) + len(evidence.background):
            return []
        decision = np.abs(learned(self.matrix[open_rows], evidence))
        return [self.papers[open_rows[row]] for row in np.argsort(decision, kind="stable")[:count]]

    def _liked(self, profile: Profile) -> tuple[list[int], np.ndarray]:
        """The pks of the liked stored papers, and the vectors of those and of the outside
        items (after them)."""
        liked_pks, liked = self.vectors.vectors_of(profile.liked)
        if profile.outside:
            texts = [item.text for item in profile.outside]
            outside = embed_with_store(self.store, self.vectors.embedder, texts)
            liked = np.vstack([liked, outside])
        return liked_pks, liked

    def open_rows(self, profile: Profile, known: set[int]) -> np.ndarray:
        """The rows of the candidates the reader neither knows nor muted."""
        rows = np.flatnonzero(~np.isin(self.pks, np.fromiter(known, dtype=np.int64)))
        if profile.interests.mutes:
            muted = profile.interests.muted()
            rows = np.asarray([row for row in rows if not muted(self.papers[row])], np.int64)
        return rows

    def _evidence(
        self, profile: Profile, liked: np.ndarray, known: set[int], seed: int
    ) -> Evidence:
        _disliked_pks, disliked = self.vectors.vectors_of(profile.disliked)
        background = None
        if profile.rated:
            sampled_pks, sampled = self.vectors.sample(BACKGROUND, seed)
            background = sampled[[pk not in known for pk in sampled_pks]]
        return Evidence.of(liked, disliked, background, rated=profile.rated)


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


def _closest(similarity: np.ndarray, most: int = MAX_REASONS) -> list[list[int]]:
    """For each row (a pick), the columns of the library entries it is closest to: at most
    ``most``, within REASON_MARGIN of the closest."""
    if not similarity.size:
        return [[] for _ in range(len(similarity))]
    if most == 1:
        return [[int(column)] for column in np.argmax(similarity, axis=1)]
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :most]
    top = np.take_along_axis(similarity, order, axis=1)
    near = top >= top[:, :1] - REASON_MARGIN
    return [
        [int(c) for c, kept in zip(row, keep, strict=True) if kept]
        for row, keep in zip(order, near, strict=True)
    ]


@dataclass(frozen=True)
class ForYou:
    """A day's papers ranked for one reader."""

    day: date | None
    picks: list[Pick]
    candidates: int  # the day's papers
    library: int  # the entries the ranking learnt from (saved, outside, or rated +)
    empty: bool = False  # the reader told litfeed nothing yet (no library, no follows)
    week: bool = False  # the papers of the day's ISO week, not the day's
    first: date | None = None  # the days ranked
    last: date | None = None


# A day has about a thousand papers; more than this are not ranked.
MAX_CANDIDATES = 5_000


def for_you(
    store: Store,
    vectors: VectorIndex,
    account_id: int,
    day: date | None,
    limit: int,
    week: bool = False,
    category: str | None = None,
) -> ForYou:
    """The papers of ``day`` (default: the newest day with papers), or with ``week`` of its
    ISO week, in ``category`` when given, ranked for the account."""
    day = day or store.latest_day()
    profile = profile_of(store, account_id)
    if day is None:
        return ForYou(None, [], 0, profile.size, profile.empty, week)
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=6) if week else day
    candidates, total = store.papers_of_days(first, last, 0, MAX_CANDIDATES)
    if category:
        wanted = category.casefold()
        candidates = [p for p in candidates if wanted in (c.casefold() for c in p.categories)]
        total = len(candidates)
    picks = rank(store, vectors, profile, candidates, limit, seed=account_id)
    return ForYou(day, picks, total, profile.size, profile.empty, week, first, last)


TO_RATE = 10  # papers a reader is offered to rate at once


def papers_to_rate(
    store: Store, vectors: VectorIndex, account_id: int, day: date | None, count: int = TO_RATE
) -> list[Paper]:
    """Papers for a reader to rate + or -, from ``day`` (default: the newest): the day's most
    voted, and, once they have rated, the papers their model is least sure of, in turn (as
    Scholar Inbox starts a reader). Papers they know or muted are left out."""
    day = day or store.latest_day()
    if day is None:
        return []
    profile = profile_of(store, account_id)
    candidates, _total = store.papers_of_days(day, day, 0, MAX_CANDIDATES)  # most voted first
    pool = Pool(store, vectors, candidates)
    known = set(profile.liked) | set(profile.disliked)
    voted = [pool.papers[row] for row in pool.open_rows(profile, known)]
    unsure = pool.least_sure(profile, count, seed=account_id)
    mixed: dict[int, Paper] = {}
    for pair in zip_longest(unsure, voted):
        for paper in pair:
            if paper is not None and len(mixed) < count:
                mixed.setdefault(paper.pk, paper)
    return list(mixed.values())


DIGEST_REASONS = 1  # a digest says the first reason only: a line of a mail, not a page


class DigestRanking:
    """Ranking a period's papers for every reader of a digest run: what they told is read for
    all of them at once (`prepare`), each period's papers once (`Pool`)."""

    def __init__(self, store: Store, vectors: Callable[[], VectorIndex]) -> None:
        self.store = store
        self.vectors = vectors
        self.profiles: dict[int, Profile] = {}
        self.pools: dict[str, Pool] = {}
        self.titles: dict[int, tuple[str, str]] = {}

    def prepare(self, account_ids: Sequence[int]) -> None:
        """Read the readers' profiles, and the titles of their libraries' papers (the reasons
        name them), at once."""
        profiles = profiles_of(self.store, account_ids)
        self.profiles.update(profiles)
        liked = {pk for profile in profiles.values() for pk in profile.liked}
        self.titles.update(self.store.titles_of(sorted(liked - set(self.titles))))

    def __call__(
        self, account_id: int, period: str, papers: list[Paper], limit: int
    ) -> list[tuple[Paper, list[str]]]:
        """The reader's picks among ``papers`` (those of ``period``, a key); nothing when the
        vector index cannot be had (the digest goes without its For you, as for a reader with
        no library)."""
        if account_id not in self.profiles:
            self.prepare([account_id])
        profile = self.profiles[account_id]
        if profile.empty:
            return []
        try:
            if period not in self.pools:
                self.pools[period] = Pool(self.store, self.vectors(), papers, self.titles)
            picks = self.pools[period].rank(profile, limit, account_id, DIGEST_REASONS)
        except EmbeddingError:
            return []
        return [(pick.paper, pick.reasons) for pick in picks]
