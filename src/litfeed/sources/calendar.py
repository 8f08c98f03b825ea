"""When each source is fetched, on arXiv's announcement calendar (`litfeed.announcements`).

The background worker fetches arXiv `SETTLE` after each announcement, and Hugging Face once a
day at the ``hf_fetch_time`` setting.
A run missed while the machine slept is made once when the worker next looks, not once per
missed slot; a failed run is tried again `RETRY` later.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from litfeed.announcements import (
    last_announcement,
    next_announcement,
)
from litfeed.store import Run
from litfeed.store.runs import OK

# arXiv's OAI-PMH lists an announcement's papers some minutes after 20:00.
SETTLE = timedelta(minutes=30)
RETRY = timedelta(minutes=30)


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
