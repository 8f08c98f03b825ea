"""Fetching Hugging Face daily papers (``{hf_url}/api/daily_papers``), with their upvotes,
comment counts and submitters, a page of 100 at a time.

Without a date, week or month, a fetch takes every day from the day the last one reached (votes
keep coming for a day or two, so that day is fetched again) to today, at most `MAX_DAYS` days.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from litfeed.errors import LitfeedError
from litfeed.ingest import hf_daily
from litfeed.models import PaperRecord, Rejection
from litfeed.sources.http import BadBody, PoliteClient
from litfeed.sources.pages import read_body
from litfeed.store import HarvestState, Store
from litfeed.store.runs import OK

ORIGIN = "hf-daily"
PAGE_SIZE = 100  # the API's largest limit
MAX_PAGES = 100  # per period: 10,000 papers, far past any real day or month
MAX_DAYS = 14  # days a fetch without a period catches up on
FIRST_DAYS = 2  # the first fetch without a period: yesterday and today

Log = Callable[[str], None]


@dataclass
class HfOutcome:
    run_id: int
    periods: list[str] = field(default_factory=list)
    records: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def periods_to_fetch(
    store: Store, day: date | None, week: str | None, month: str | None, today: date
) -> list[tuple[str, str]]:
    """(parameter, value) pairs, one request series each: the period asked for, or the days
    since the last fetch."""
    if day is not None:
        return [("date", day.isoformat())]
    if week is not None:
        return [("week", week)]
    if month is not None:
        return [("month", month)]
    state = store.harvest_state(ORIGIN)
    start = state.next_from if state and state.next_from else today - timedelta(FIRST_DAYS - 1)
    start = max(start, today - timedelta(days=MAX_DAYS - 1))
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    return [("date", d.isoformat()) for d in days]


def fetch_daily(
    store: Store,
    client: PoliteClient,
    hf_url: str,
    day: date | None = None,
    week: str | None = None,
    month: str | None = None,
    log: Log | None = None,
    today: date | None = None,
) -> HfOutcome:
    """Fetch the daily papers of a day, an ISO week (2024-W43) or a month (2024-10), or of the
    days since the last fetch, and store them with their votes."""
    say = log or (lambda _message: None)
    today = today or datetime.now(UTC).date()
    periods = periods_to_fetch(store, day, week, month, today)
    url = f"{hf_url}/api/daily_papers"
    run_id = store.start_run(ORIGIN, hf_daily.NAME, url)
    outcome = HfOutcome(run_id)
    latest = day is None and week is None and month is None
    try:
        for parameter, value in periods:
            for number in range(MAX_PAGES):
                records, rejected = _fetch_page(client, url, parameter, value, number)
                # Without a period, where the next fetch starts: this day (its votes still grow).
                state = (
                    HarvestState(ORIGIN, next_from=date.fromisoformat(value)) if latest else None
                )
                counts = store.save_records(
                    records, run_id, harvest=state, fetched=True, rejected=len(rejected)
                )
                outcome.records += len(records)
                outcome.rejected.extend([*rejected, *counts.rejected])
                if len(records) + len(rejected) < PAGE_SIZE:
                    break
            outcome.periods.append(value)
            detail = f"{len(outcome.periods)} of {len(periods)} periods, {outcome.records} papers"
            say(f"{ORIGIN}: {value}: {detail}")
            store.note_run(run_id, detail)
    except LitfeedError as error:  # the source failed, or the database
        store.fail_run(run_id, f"{error} (after {len(outcome.periods)} periods)")
        raise
    store.note_run(run_id, f"complete: {', '.join(outcome.periods)}: {outcome.records} papers", OK)
    return outcome


def _fetch_page(
    client: PoliteClient, url: str, parameter: str, value: str, number: int
) -> tuple[list[PaperRecord], list[Rejection]]:
    page: list[tuple[list[PaperRecord], list[Rejection]]] = []

    def parsed(body: bytes) -> None:
        try:
            if not isinstance(json.loads(body), list):
                raise BadBody("not a JSON array of daily papers")
        except (ValueError, RecursionError) as error:
            raise BadBody(f"not JSON: {error}") from None
        name = f"daily_papers {parameter}={value} page {number + 1}"
        page[:] = [read_body(hf_daily.parse, name, body)]

    params = {parameter: value, "limit": str(PAGE_SIZE), "p": str(number)}
    client.get(url, params, check=parsed)
    return page[0]
