"""Topics: the map of the field (`build`: layout, clusters at two levels, labels), stored by
`build_topics` and read by the pages, the API and the commands. Derived from the stored
embeddings; no web or mail code here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from litfeed.errors import LitfeedError
from litfeed.models import Paper
from litfeed.search.vectors import VectorIndex
from litfeed.store import Store
from litfeed.store.topics import Place, TopicRow
from litfeed.topics.build import BROAD, FINE, build

WEEKS = 16  # the weeks a topic's chart shows (rising topics' too: the 4 and 12 compared)
TOPIC_PAPERS = 50
NEIGHBOURING = 6  # the neighbours a topic's page names


class TopicsError(LitfeedError):
    """The map cannot be built or read as asked; the message says why."""


@dataclass(frozen=True)
class Built:
    papers: int
    broad: int
    fine: int
    noise: float  # the share of papers in no broad topic


def build_topics(
    store: Store, vectors: VectorIndex, log: Callable[[str], None] | None = None
) -> Built:
    """Build the map of every embedded paper and put it in place of the last one (topic
    numbers kept where the papers mostly stay)."""
    say = log or (lambda _message: None)
    pks, matrix = vectors.sample(10**9, 0)
    if len(pks) < 20:
        raise TopicsError(
            f"{len(pks)} embedded papers are too few for a map: `litfeed index` embeds them"
        )
    say(f"placing {len(pks):,} papers on the map")

    def texts(wanted: Sequence[int]) -> list[str]:
        found: dict[int, str] = {}
        chunk = list(wanted)
        for start in range(0, len(chunk), 5_000):
            for paper in store.get_papers_by_pk(chunk[start : start + 5_000]):
                found[paper.pk] = f"{paper.title}. {paper.abstract}"
        return [found.get(pk, "") for pk in wanted]

    made = build(pks, matrix, texts, store.topics.memberships())
    rows = [
        {
            "id": topic.id,
            "level": topic.level,
            "parent_id": topic.parent,
            "label": topic.label,
            "size": len(topic.members),
            "x": topic.x,
            "y": topic.y,
        }
        for topic in made.topics
    ]
    places = [
        Place(pk, float(xy[0]), float(xy[1]), broad, fine)
        for pk, xy, broad, fine in zip(made.pks, made.xy, made.broad, made.fine, strict=True)
    ]
    store.topics.replace(rows, places)
    counted = Counter(topic.level for topic in made.topics)
    return Built(len(pks), counted[BROAD], counted[FINE], made.noise)


NEIGHBOURS = 10  # the placed papers nearest in meaning that place a new one
PLACE_BATCH = 5_000


def place_new(store: Store, vectors: VectorIndex, limit: int = PLACE_BATCH) -> int:
    """Put the embedded papers not on the map yet where their nearest placed papers in meaning
    are (their mean place, weighted by similarity) and in the topics most of those are in;
    how many were placed. Nothing before a map is built."""
    if not store.topics.has_map():
        return 0
    pks, matrix = vectors.vectors_of(store.topics.unplaced(limit))
    if not pks:
        return 0
    found = [vectors.search(row, NEIGHBOURS + 1) for row in matrix]
    near = store.topics.places_of(sorted({pk for hits in found for pk, _similarity in hits}))
    placed: list[Place] = []
    for pk, hits in zip(pks, found, strict=True):
        around = [
            (near[other], max(similarity, 1e-6)) for other, similarity in hits if other in near
        ]
        if not around:
            continue
        total = sum(weight for _place, weight in around)
        x = sum(place.x * weight for place, weight in around) / total
        y = sum(place.y * weight for place, weight in around) / total
        broad = _most(Counter(place.broad_id for place, _w in around))
        # the finer topic most of the neighbours in that broad topic are in: one inside it
        fine = (
            _most(Counter(place.fine_id for place, _w in around if place.broad_id == broad))
            if broad is not None
            else None
        )
        placed.append(Place(pk, x, y, broad, fine))
    store.topics.add_places(placed)
    return len(placed)


def _most(counted: Counter[int | None]) -> int | None:
    """The topic most neighbours are in (None when most are in none)."""
    topic, _count = counted.most_common(1)[0]
    return topic


@dataclass(frozen=True)
class TopicPage:
    topic: TopicRow
    parent: TopicRow | None
    children: list[TopicRow]
    neighbours: list[TopicRow]  # the topics of its level nearest it on the map
    papers: list[Paper]
    weeks: list[tuple[date, int, int]]  # (monday, the topic's papers, all placed papers)


def topic_page(
    store: Store, topic_id: int, order: str = "votes", limit: int = TOPIC_PAPERS
) -> TopicPage:
    topic = store.topics.get(topic_id)
    if topic is None:
        raise TopicsError(f"no topic {topic_id}")
    every = store.topics.all()
    parent = next((t for t in every if t.id == topic.parent_id), None)
    children = [t for t in every if t.level == FINE and t.parent_id == topic.id]
    neighbours = sorted(
        (t for t in every if t.level == topic.level and t.id != topic.id),
        key=lambda t: (t.x - topic.x) ** 2 + (t.y - topic.y) ** 2,
    )[:NEIGHBOURING]
    latest = store.latest_day() or date.today()
    first = monday(latest) - timedelta(weeks=WEEKS - 1)
    weeks = weekly(store.topics.recent_places(first, latest), topic, latest)
    papers = store.topics.papers_of(topic.id, topic.level, limit, order, (topic.x, topic.y))
    return TopicPage(topic, parent, children, neighbours, papers, weeks)


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly(
    rows: Sequence[tuple[date, int | None, int | None]], topic: TopicRow, last: date
) -> list[tuple[date, int, int]]:
    """Over the WEEKS weeks up to ``last``'s: (Monday, ``topic``'s papers, all papers) a week,
    from (day, broad topic, fine topic) rows of placed papers (`TopicStore.recent_places`)."""
    column = 1 if topic.level == 0 else 2
    mine = Counter(monday(row[0]) for row in rows if row[column] == topic.id)
    every = Counter(monday(row[0]) for row in rows)
    first = monday(last) - timedelta(weeks=WEEKS - 1)
    return [
        (week, mine.get(week, 0), every.get(week, 0))
        for week in (first + timedelta(weeks=n) for n in range(WEEKS))
    ]
