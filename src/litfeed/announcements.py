"""arXiv's announcement calendar (US Eastern): new papers are announced at 20:00 on Sunday to
Thursday evenings, nothing on Friday and Saturday (nor on arXiv's holidays, which it publishes a
year at a time and litfeed does not know). A day in litfeed is such an announcement day.

Pure functions of dates and moments: the store (a paper's day), fetching (when to fetch) and
the pages (why a day is empty) share them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
ANNOUNCED_AT = time(20, 0)
ANNOUNCEMENT_WEEKDAYS = frozenset({6, 0, 1, 2, 3})  # Sunday to Thursday (Monday is 0)


def announces_on(day: date) -> bool:
    """Whether arXiv announces papers on the evening of ``day`` (its holidays aside)."""
    return day.weekday() in ANNOUNCEMENT_WEEKDAYS


def why_quiet(day: date) -> str | None:
    """Why a day brings no arXiv papers, when the calendar says so."""
    if announces_on(day):
        return None
    return f"arXiv announces nothing on {day.strftime('%A')}s (only Sunday to Thursday evenings)"


def announcement_on_or_after(day: date) -> date:
    """The first announcement day on or after ``day``: when a paper submitted that day was
    announced, at the latest the next one (litfeed knows submission days, not hours)."""
    while not announces_on(day) and day < date.max:  # a hostile file's year 9999 stays one
        day += timedelta(days=1)
    return day


def announcement_of_listing(listing: date) -> date:
    """The announcement day of the papers of arXiv's listing dated ``listing``: arXiv dates a
    listing by the day after its evening (Monday evening's announcement is Tuesday's listing,
    Sunday's is Monday's), so the last announcement day before it."""
    day = listing - timedelta(days=1)
    while not announces_on(day) and day > date.min:
        day -= timedelta(days=1)
    return day


def last_announcement(now: datetime) -> datetime:
    """The latest announcement (20:00 US Eastern, Sunday to Thursday) at or before ``now``."""
    local = now.astimezone(EASTERN)
    for back in range(8):
        candidate = local.date() - timedelta(days=back)
        moment = datetime.combine(candidate, ANNOUNCED_AT, EASTERN)
        if announces_on(candidate) and moment <= local:
            return moment
    raise AssertionError("a week always has an announcement")  # pragma: no cover


def next_announcement(now: datetime) -> datetime:
    """The first announcement after ``now``."""
    local = now.astimezone(EASTERN)
    for ahead in range(8):
        candidate = local.date() + timedelta(days=ahead)
        moment = datetime.combine(candidate, ANNOUNCED_AT, EASTERN)
        if announces_on(candidate) and moment > local:
            return moment
    raise AssertionError("a week always has an announcement")  # pragma: no cover


def announcement_day(moment: datetime) -> date:
    """The announcement day a moment belongs to: that of the latest announcement at or before
    it (what arrived on a Saturday belongs to Thursday's announcement)."""
    return last_announcement(moment).astimezone(EASTERN).date()


def arrivals_by_day(arrived: list[datetime], now: datetime, days: int = 7) -> dict[str, Any]:
    """The papers that arrived (first seen) on each of the last ``days`` calendar days, each
    day with why it brings no arXiv papers when the calendar says so, and the latest and next
    announcements: what `litfeed stats` shows so that a quiet Saturday does not look broken."""
    local_today = now.astimezone(EASTERN).date()
    counts: dict[date, int] = {}
    for moment in arrived:
        day = announcement_day(moment)
        counts[day] = counts.get(day, 0) + 1
    listed = []
    for back in range(days):
        day = local_today - timedelta(days=back)
        listed.append(
            {"day": day.isoformat(), "papers": counts.get(day, 0), "quiet": why_quiet(day)}
        )
    return {
        "days": listed,
        "latest_announcement": last_announcement(now).isoformat(),
        "next_announcement": next_announcement(now).isoformat(),
        "today": why_quiet(local_today),
    }
