"""arXiv's announcement calendar and when each source is fetched.

arXiv announces new papers at 20:00 US Eastern on Sunday to Thursday evenings; nothing on Friday
and Saturday (nor on its holidays, which it publishes a year at a time and litfeed does not
know). A day in litfeed is such an announcement day. The background worker fetches arXiv
`SETTLE` after each announcement, and Hugging Face once a day at the ``hf_fetch_time`` setting.
A run missed while the machine slept is made once when the worker next looks, not once per
missed slot; a failed run is tried again `RETRY` later.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from litfeed.store import Run
from litfeed.store.runs import OK

EASTERN = ZoneInfo("America/New_York")
ANNOUNCED_AT = time(20, 0)
ANNOUNCEMENT_WEEKDAYS = frozenset({6, 0, 1, 2, 3})  # Sunday to Thursday (Monday is 0)
# arXiv's OAI-PMH lists an announcement's papers some minutes after 20:00.
SETTLE = timedelta(minutes=30)
RETRY = timedelta(minutes=30)


def announces_on(day: date) -> bool:
    """Whether arXiv announces papers on the evening of ``day`` (its holidays aside)."""
    return day.weekday() in ANNOUNCEMENT_WEEKDAYS


def why_quiet(day: date) -> str | None:
    """Why a day brings no arXiv papers, when the calendar says so."""
    if announces_on(day):
        return None
    return f"arXiv announces nothing on {day.strftime('%A')}s (only Sunday to Thursday evenings)"


def announcement_day(moment: datetime) -> date:
    """The announcement day a moment belongs to: the latest announcement at or before it."""
    return last_announcement(moment).astimezone(EASTERN).date()


def last_announcement(now: datetime) -> datetime:
    """The latest announcement (20:00 US Eastern, Sunday to Thursday) at or before ``now``."""
    local = now.astimezone(EASTERN)
    day = local.date()
    for back in range(8):
        candidate = day - timedelta(days=back)
        moment = datetime.combine(candidate, ANNOUNCED_AT, EASTERN)
        if announces_on(candidate) and moment <= local:
            return moment
    raise AssertionError("a week always has an announcement")  # pragma: no cover


def next_announcement(now: datetime) -> datetime:
    local = now.astimezone(EASTERN)
    day = local.date()
    for ahead in range(8):
        candidate = day + timedelta(days=ahead)
        moment = datetime.combine(candidate, ANNOUNCED_AT, EASTERN)
        if announces_on(candidate) and moment > local:
            return moment
    raise AssertionError("a week always has an announcement")  # pragma: no cover


def latest_slot(kind: str, now: datetime, zone: tzinfo, hf_time: time) -> datetime:
    """The latest moment at or before ``now`` a source of ``kind`` was due."""
    if kind == "arxiv":
        slot = last_announcement(now) + SETTLE
        return slot if slot <= now else last_announcement(slot - timedelta(days=1)) + SETTLE
    local = now.astimezone(zone)
    slot = datetime.combine(local.date(), hf_time, zone)
    return slot if slot <= local else slot - timedelta(days=1)


def next_slot(kind: str, now: datetime, zone: tzinfo, hf_time: time) -> datetime:
    """The first moment after ``now`` a source of ``kind`` is due."""
    if kind == "arxiv":
        slot = next_announcement(now - SETTLE) + SETTLE
        return slot if slot > now else next_announcement(now) + SETTLE
    return latest_slot(kind, now, zone, hf_time) + timedelta(days=1)


def due(kind: str, last: Run | None, now: datetime, zone: tzinfo, hf_time: time) -> datetime:
    """When a source whose last run was ``last`` runs next; a moment at or before ``now``
    means now (see the module's notes)."""
    slot = latest_slot(kind, now, zone, hf_time)
    if last is None:
        return slot
    if last.started_at < slot:
        return slot
    if last.status != OK:  # failed, or killed while running: again a little later
        return (last.finished_at or last.started_at) + RETRY
    return next_slot(kind, now, zone, hf_time)


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
