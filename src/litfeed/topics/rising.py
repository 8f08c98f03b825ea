"""Rising topics: those whose share of new papers grew most over the last 4 weeks against the 12
before, where the growth is more than chance.

The formula, in the open (docs/topics.md says it too): for a topic with ``n1`` of the ``N1``
papers placed on the map in the last 28 days (up to the newest paper's day: an instance that
has fetched nothing for a while shows the trend as of its newest papers) and ``n0`` of the
``N0`` in the 84 days before,

    growth = (n1 / N1) / (n0 / N0)
    low    = exp(ln((n1 + ½) / N1) − ln((n0 + ½) / N0) − 1.96 · √(1/(n1 + ½) + 1/(n0 + ½)))

``low`` is the lower end of the 95 % interval of the ratio of two shares (the log method, with
half a paper added to each count so that a topic new this month has a finite ratio). A topic
rises when ``low`` > 1 and it has at least MIN_RECENT papers this month; they are ordered by
``low``, so 3 papers against 1 (growth 3, ``low`` 0.5) is not a trend, and a large topic's
steady 5 % more is one only when its numbers bear it out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from litfeed.store import Store
from litfeed.store.topics import TopicRow
from litfeed.topics import weekly

FORMULA = (
    "growth = (n1/N1) / (n0/N0); low = exp(ln((n1+0.5)/N1) - ln((n0+0.5)/N0) "
    "- 1.96*sqrt(1/(n1+0.5) + 1/(n0+0.5))); rising when low > 1 and n1 >= 10, ordered by low "
    "(n1 of N1 papers in the last 28 days, n0 of N0 in the 84 days before)"
)
RECENT_DAYS, BEFORE_DAYS = 28, 84  # together the 16 weeks of a topic's chart (topics.WEEKS)
MIN_RECENT = 10
Z = 1.96  # 95 %


@dataclass(frozen=True)
class Rising:
    topic: TopicRow
    recent: int  # its papers in the last 4 weeks
    recent_total: int  # all papers placed in those weeks
    before: int  # its papers in the 12 weeks before
    before_total: int
    growth: float  # its share now over its share before
    low: float  # the lower end of the growth's 95 % interval
    weeks: list[tuple[date, int, int]]  # (monday, its papers, all papers)


@dataclass(frozen=True)
class RisingPage:
    day: date | None  # the newest paper's day: "now"
    recent_from: date | None
    before_from: date | None
    topics: list[Rising]


def growth_bounds(n1: int, total1: int, n0: int, total0: int) -> tuple[float, float]:
    """(growth, the lower end of its 95 % interval) of a share ``n1/total1`` over ``n0/total0``."""
    if not total1 or not total0:
        return 0.0, 0.0
    growth = (n1 / total1) / (n0 / total0) if n0 else math.inf
    a, b = n1 + 0.5, n0 + 0.5
    log_ratio = math.log(a / total1) - math.log(b / total0)
    low = math.exp(log_ratio - Z * math.sqrt(1 / a + 1 / b))
    return growth, low


def rising(store: Store, limit: int = 20, level: int | None = None) -> RisingPage:
    """The topics (of ``level``, or both) rising most, at most ``limit``."""
    day = store.latest_day()
    if day is None or not store.topics.has_map():
        return RisingPage(day, None, None, [])
    recent_from = day - timedelta(days=RECENT_DAYS - 1)
    before_from = recent_from - timedelta(days=BEFORE_DAYS)
    rows = store.topics.recent_places(before_from, day)
    recent_total = sum(1 for shown, _b, _f in rows if shown >= recent_from)
    before_total = len(rows) - recent_total
    counted: dict[int, list[int]] = {}  # topic → [recent, before]
    for shown, broad, fine in rows:
        for number in (broad, fine):
            if number is not None:
                counts = counted.setdefault(number, [0, 0])
                counts[0 if shown >= recent_from else 1] += 1
    found: list[tuple[TopicRow, int, int, float, float]] = []
    for topic in store.topics.all(level):
        n1, n0 = counted.get(topic.id, [0, 0])
        growth, low = growth_bounds(n1, recent_total, n0, before_total)
        if n1 >= MIN_RECENT and low > 1.0:
            found.append((topic, n1, n0, growth, low))
    # A finer topic holding the very papers of its broad one says nothing more: left out.
    same = {(t.id, n1, n0) for t, n1, n0, _g, _l in found if t.level == 0}
    found = [f for f in found if f[0].level == 0 or (f[0].parent_id, f[1], f[2]) not in same]
    found.sort(key=lambda item: (-item[4], item[0].id))
    result = [
        Rising(topic, n1, recent_total, n0, before_total, growth, low, weekly(rows, topic, day))
        for topic, n1, n0, growth, low in found[:limit]
    ]
    return RisingPage(day, recent_from, before_from, result)
