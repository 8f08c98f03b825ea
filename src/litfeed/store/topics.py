"""The topic map's rows: topics and papers' places (`litfeed.topics` makes them). A build
replaces both in one transaction: readers see the old map or the new one, never half."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from litfeed.models import Paper
from litfeed.store.database import read_transaction, record_from_row, write_transaction
from litfeed.store.papers import paper_from_row
from litfeed.store.schema import interests, paper_places, papers, topics

# The interest (a reader's follow, kept with their other follows) of following a topic: its
# value is the topic's number, which rebuilds keep where the topic's papers mostly stay.
FOLLOW_TOPIC = "follow-topic"


@dataclass(frozen=True)
class TopicRow:
    id: int
    level: int
    parent_id: int | None
    label: str
    size: int
    x: float
    y: float
    built_at: datetime


@dataclass(frozen=True)
class Place:
    paper_pk: int
    x: float
    y: float
    broad_id: int | None
    fine_id: int | None


class TopicStore:
    """The topic map in one database (`Store.topics`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def replace(self, rows: Sequence[dict[str, Any]], places: Sequence[Place]) -> None:
        """The new map, in place of the old one, at once."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(sa.delete(paper_places))
            connection.execute(sa.delete(topics))
            if rows:
                connection.execute(sa.insert(topics), [{**row, "built_at": now} for row in rows])
            for start in range(0, len(places), 5_000):
                connection.execute(
                    sa.insert(paper_places),
                    [place.__dict__ for place in places[start : start + 5_000]],
                )

    def all(self, level: int | None = None) -> list[TopicRow]:
        """The topics (of one level), the largest first."""
        query = sa.select(topics).order_by(topics.c.size.desc(), topics.c.id)
        if level is not None:
            query = query.where(topics.c.level == level)
        with read_transaction(self.engine) as connection:
            return [record_from_row(TopicRow, row) for row in connection.execute(query).mappings()]

    def get(self, topic_id: int) -> TopicRow | None:
        with read_transaction(self.engine) as connection:
            row = connection.execute(sa.select(topics).where(topics.c.id == topic_id)).mappings()
            found = row.first()
            return None if found is None else record_from_row(TopicRow, found)

    def memberships(self) -> dict[int, tuple[int, set[int]]]:
        """Each topic's level and papers (what a rebuild keeps numbers by)."""
        found: dict[int, tuple[int, set[int]]] = {
            topic.id: (topic.level, set()) for topic in self.all()
        }
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(paper_places.c.paper_pk, paper_places.c.broad_id, paper_places.c.fine_id)
            )
            for pk, broad, fine in rows:
                for topic in (broad, fine):
                    if topic in found:
                        found[topic][1].add(int(pk))
        return found

    def places(self) -> list[Place]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(sa.select(paper_places)).mappings()
            return [record_from_row(Place, row) for row in rows]

    def points(self) -> list[tuple[str, float, float, int | None, int | None, date, str]]:
        """Every shown paper on the map: its id, place, broad and fine topic, day and primary
        category (the map page draws them), in the order of their numbers."""
        joined = papers.join(paper_places, paper_places.c.paper_pk == papers.c.pk)
        query = (
            sa.select(
                papers.c.id,
                paper_places.c.x,
                paper_places.c.y,
                paper_places.c.broad_id,
                paper_places.c.fine_id,
                papers.c.day,
                papers.c.categories,
            )
            .select_from(joined)
            .where(papers.c.hidden.is_(False))
            .order_by(papers.c.pk)
        )
        with read_transaction(self.engine) as connection:
            return [
                (id_, x, y, broad, fine, day, categories[0] if categories else "")
                for id_, x, y, broad, fine, day, categories in connection.execute(query)
            ]

    def extent(self) -> tuple[float, float, float, float]:
        """The left, right, low and high of the shown papers' places (those `points` gives);
        (0, 1, 0, 1) for an empty map."""
        joined = papers.join(paper_places, paper_places.c.paper_pk == papers.c.pk)
        query = (
            sa.select(
                sa.func.min(paper_places.c.x),
                sa.func.max(paper_places.c.x),
                sa.func.min(paper_places.c.y),
                sa.func.max(paper_places.c.y),
            )
            .select_from(joined)
            .where(papers.c.hidden.is_(False))
        )
        with read_transaction(self.engine) as connection:
            left, right, low, high = connection.execute(query).one()
        if left is None:
            return (0.0, 1.0, 0.0, 1.0)
        return float(left), float(right), float(low), float(high)

    def recent_places(self, first: date, last: date) -> list[tuple[date, int | None, int | None]]:
        """(day, broad topic, fine topic) of each shown paper on the map from ``first`` to
        ``last``."""
        joined = papers.join(paper_places, paper_places.c.paper_pk == papers.c.pk)
        query = (
            sa.select(papers.c.day, paper_places.c.broad_id, paper_places.c.fine_id)
            .select_from(joined)
            .where(papers.c.day >= first, papers.c.day <= last, papers.c.hidden.is_(False))
        )
        with read_transaction(self.engine) as connection:
            return [(day, broad, fine) for day, broad, fine in connection.execute(query)]

    def version(self) -> tuple[datetime | None, int]:
        """When the map was built and how many papers are on it: what changes when it does."""
        with read_transaction(self.engine) as connection:
            built = connection.execute(sa.select(sa.func.max(topics.c.built_at))).scalar()
            placed = connection.execute(sa.select(sa.func.count()).select_from(paper_places))
            return built, int(placed.scalar() or 0)

    def followed(self) -> dict[int, set[int]]:
        """The topics each account follows."""
        found: dict[int, set[int]] = {}
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(interests.c.account_id, interests.c.value).where(
                    interests.c.kind == FOLLOW_TOPIC
                )
            )
            for account_id, value in rows:
                if value.isdigit():
                    found.setdefault(int(account_id), set()).add(int(value))
        return found

    def has_map(self) -> bool:
        with read_transaction(self.engine) as connection:
            return connection.execute(sa.select(topics.c.id).limit(1)).first() is not None

    def unplaced(self, limit: int) -> list[int]:
        """Shown papers not on the map yet, the newest first."""
        placed = sa.select(paper_places.c.paper_pk)
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers.c.pk)
                .where(papers.c.hidden.is_(False), papers.c.pk.not_in(placed))
                .order_by(papers.c.pk.desc())
                .limit(limit)
            )
            return [int(pk) for pk in rows.scalars()]

    def places_of(self, pks: Sequence[int]) -> dict[int, Place]:
        found: dict[int, Place] = {}
        wanted = list(pks)
        with read_transaction(self.engine) as connection:
            for start in range(0, len(wanted), 5_000):
                rows = connection.execute(
                    sa.select(paper_places).where(
                        paper_places.c.paper_pk.in_(wanted[start : start + 5_000])
                    )
                ).mappings()
                found.update((row["paper_pk"], record_from_row(Place, row)) for row in rows)
        return found

    def add_places(self, places: Sequence[Place]) -> None:
        """New papers on the map; their topics' sizes grow with them."""
        if not places:
            return
        grown: dict[int, int] = {}
        for place in places:
            for topic in (place.broad_id, place.fine_id):
                if topic is not None:
                    grown[topic] = grown.get(topic, 0) + 1
        with write_transaction(self.engine) as (connection, _change):
            known = {
                pk
                for (pk,) in connection.execute(
                    sa.select(paper_places.c.paper_pk).where(
                        paper_places.c.paper_pk.in_([p.paper_pk for p in places])
                    )
                )
            }
            new = [place for place in places if place.paper_pk not in known]
            if new:
                connection.execute(sa.insert(paper_places), [place.__dict__ for place in new])
            for topic, count in grown.items():
                connection.execute(
                    sa.update(topics).where(topics.c.id == topic).values(size=topics.c.size + count)
                )

    def papers_of(
        self,
        topic_id: int,
        level: int,
        limit: int,
        order: str = "votes",
        centre: tuple[float, float] = (0.0, 0.0),
    ) -> list[Paper]:
        """A topic's shown papers: most voted, newest ("new"), or nearest ``centre`` on the
        map ("central")."""
        column = paper_places.c.broad_id if level == 0 else paper_places.c.fine_id
        if order == "new":
            ordering = [papers.c.sort_date.desc(), papers.c.pk.desc()]
        elif order == "central":
            dx, dy = paper_places.c.x - centre[0], paper_places.c.y - centre[1]
            ordering = [(dx * dx + dy * dy).asc(), papers.c.pk.desc()]
        else:
            ordering = [
                (papers.c.votes + sa.func.coalesce(papers.c.upvotes, 0)).desc(),
                papers.c.sort_date.desc(),
                papers.c.pk.desc(),
            ]
        joined = papers.join(paper_places, paper_places.c.paper_pk == papers.c.pk)
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers)
                .select_from(joined)
                .where(column == topic_id, papers.c.hidden.is_(False))
                .order_by(*ordering)
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows]
