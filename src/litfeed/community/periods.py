"""Days, ISO weeks and months: the periods of the daily, weekly and monthly pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from litfeed.errors import LitfeedError

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


# The days a page, a feed or a ranking may ask for: far enough inside Python's dates (years 1 to
# 9999) that a period's neighbours and the windows reaching back from it are dates too.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class PeriodError(LitfeedError, ValueError):
    """A period written in a way litfeed does not read, or out of its range; the message shows
    the right way."""


def check_day(day: date) -> date:
    """``day``, when it lies between FIRST_DAY and LAST_DAY; `PeriodError` otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodError(
            f"{day.isoformat()} is out of range: a day from {FIRST_DAY.year} to {LAST_DAY.year}"
        )
    return day


@dataclass(frozen=True)
class Period:
    kind: str  # day, week or month
    key: str  # 2024-10-25, 2024-W43, 2024-10
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.strftime("%A %d %B %Y")
        if self.kind == "week":
            return f"Week {self.key} ({self.first:%d %b} – {self.last:%d %b %Y})"
        return self.first.strftime("%B %Y")

    def previous(self) -> Period:
        return period_containing(self.kind, self.first - timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.last + timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def period_containing(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day.isoformat(), day, day)
    if kind == "week":
        year, week, weekday = day.isocalendar()
        first = day - timedelta(days=weekday - 1)
        return Period("week", f"{year}-W{week:02d}", first, first + timedelta(days=6))
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first.strftime("%Y-%m"), first, following - timedelta(days=1))


def parse_period(kind: str, text: str) -> Period:
    """``2024-10-25`` (a day), ``2024-W43`` (an ISO week), ``2024-10`` (a month)."""
    text = text.strip()
    try:
        if kind == "day":
            first = date.fromisoformat(text)
        elif kind == "week":
            matched = _WEEK.fullmatch(text)
            if matched is None:
                raise ValueError(text)
            first = date.fromisocalendar(int(matched.group(1)), int(matched.group(2)), 1)
        else:
            matched = _MONTH.fullmatch(text)
            if matched is None:
                raise ValueError(text)
            first = date(int(matched.group(1)), int(matched.group(2)), 1)
    except ValueError:
        example = {"day": "2024-10-25", "week": "2024-W43", "month": "2024-10"}[kind]
        raise PeriodError(f"{text[:40]!r} is not a {kind}: write it like {example}") from None
    return period_containing(kind, check_day(first))
