"""arXiv's announcement calendar, when each source is due, and the background worker's
schedule against the replay server."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from litfeed.announcements import (
    EASTERN,
    announcement_day,
    announcement_on_or_after,
    announces_on,
    arrivals_by_day,
    last_announcement,
    next_announcement,
    why_quiet,
)
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.sources.calendar import due
from litfeed.store import Run
from tests.conftest import running_worker
from tests.replay import Replay

BERLIN = ZoneInfo("Europe/Berlin")
SIX = time(6, 0)


def _at(text: str, zone: ZoneInfo = EASTERN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def _run(started: datetime, status: str = "ok") -> Run:
    return Run(1, "arxiv:cs", started, started + timedelta(minutes=5), status, "", 0, 0, 0, 0)


def test_arxiv_announces_sunday_to_thursday_at_eight_in_the_evening_eastern() -> None:
    # 2026-11-27 is a Friday
    assert [announces_on(date(2026, 11, 22) + timedelta(days=n)) for n in range(7)] == [
        True,  # Sunday
        True,
        True,
        True,
        True,  # Thursday
        False,  # Friday
        False,  # Saturday
    ]
    assert why_quiet(date(2026, 11, 28)) == (
        "arXiv announces nothing on Saturdays (only Sunday to Thursday evenings)"
    )
    assert why_quiet(date(2026, 11, 29)) is None
    assert announcement_on_or_after(date(2026, 11, 27)) == date(2026, 11, 29)  # Friday: Sunday
    assert announcement_on_or_after(date(2026, 11, 26)) == date(2026, 11, 26)
    assert announcement_on_or_after(date.max) == date.max  # no overflow past the calendar
    # Saturday noon: the last announcement was Thursday 20:00, the next is Sunday 20:00
    saturday = _at("2026-11-28T12:00")
    assert last_announcement(saturday) == _at("2026-11-26T20:00")
    assert next_announcement(saturday) == _at("2026-11-29T20:00")
    assert announcement_day(saturday) == date(2026, 11, 26)
    # at 19:59 the day's announcement has not come; at 20:00 it has
    assert last_announcement(_at("2026-12-01T19:59")) == _at("2026-11-30T20:00")
    assert last_announcement(_at("2026-12-01T20:00")) == _at("2026-12-01T20:00")
    # 20:00 Eastern is 01:00 UTC in winter, 00:00 UTC in summer
    assert next_announcement(_at("2026-07-01T12:00")).astimezone(UTC).hour == 0
    assert next_announcement(_at("2026-12-01T12:00")).astimezone(UTC).hour == 1


def test_a_missed_run_is_due_once_and_a_failed_one_again_half_an_hour_later() -> None:
    now = _at("2026-12-02T09:00")  # Wednesday morning
    # never run: due since the last announcement (Tuesday 20:00) settled
    assert due("arxiv", None, now, BERLIN, SIX) == _at("2026-12-01T20:30")
    # the machine slept from Friday to Wednesday: one run now, whatever was missed
    asleep = _run(_at("2026-11-27T10:00"))
    assert due("arxiv", asleep, now, BERLIN, SIX) <= now
    # after that run: the next announcement
    woke = _run(now)
    assert due("arxiv", woke, now + timedelta(minutes=10), BERLIN, SIX) == _at("2026-12-02T20:30")
    failed = _run(now, status="failed")
    assert due("arxiv", failed, now, BERLIN, SIX) == failed.finished_at + timedelta(minutes=30)
    # Friday evening's run waits for Sunday: nothing is announced on Friday or Saturday
    friday = _at("2026-12-04T21:00")
    thursday_run = _run(_at("2026-12-03T20:31"))
    assert due("arxiv", thursday_run, friday, BERLIN, SIX) == _at("2026-12-06T20:30")


def test_arrivals_by_announcement_day_say_why_a_day_is_quiet() -> None:
    now = _at("2026-11-28T12:00")  # a Saturday
    arrived = [_at("2026-11-26T21:00"), _at("2026-11-27T09:00"), _at("2026-11-25T20:30")]
    arrivals = arrivals_by_day(arrived, now, days=4)
    assert [(day["day"], day["papers"]) for day in arrivals["days"]] == [
        ("2026-11-28", 0),
        ("2026-11-27", 0),
        ("2026-11-26", 2),  # Friday morning's arrival belongs to Thursday's announcement
        ("2026-11-25", 1),
    ]
    assert arrivals["days"][0]["quiet"].startswith("arXiv announces nothing on Saturdays")
    assert arrivals["days"][2]["quiet"] is None
    assert arrivals["today"] == arrivals["days"][0]["quiet"]
    assert arrivals["next_announcement"] == "2026-11-29T20:00:00-05:00"


def test_hugging_face_is_due_once_a_day_at_the_set_time_in_the_set_zone() -> None:
    now = datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)
    assert due("hf-daily", None, now, BERLIN, SIX) == datetime(2026, 12, 2, 6, 0, tzinfo=BERLIN)
    done = _run(datetime(2026, 12, 2, 6, 1, tzinfo=BERLIN))
    assert due("hf-daily", done, now, BERLIN, SIX) == datetime(2026, 12, 3, 6, 0, tzinfo=BERLIN)


def test_the_worker_runs_missed_sources_once_at_start_up(
    example_replay: Replay, tmp_path: Path, database_url: str
) -> None:
    replay = example_replay
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        arxiv_oai_url=f"{replay.url}/oai",
        hf_url=replay.url,
        arxiv_delay=0,
        embed_on_import=False,
        sources=["arxiv:cs", "hf-daily"],
    )
    lines: list[str] = []
    with Hub(settings) as hub:
        with running_worker(hub, lines):
            deadline = clock.monotonic() + 60
            while clock.monotonic() < deadline:
                runs = [hub.store.last_runs(o) for o in ("arxiv:cs", "hf-daily")]
                if all(r and r[0].status != "running" for r in runs):
                    break
                clock.sleep(0.1)
            clock.sleep(1.0)  # ten more looks at the schedule: nothing is due any more
        assert len(hub.store.last_runs("arxiv:cs", 10)) == 1
        assert len(hub.store.last_runs("hf-daily", 10)) == 1
        # the first harvest of a set takes the last week (the replay serves its pages anyway)
        assert hub.store.count_papers() == 471
    assert replay.count("oai:0") == 1
    assert any("arxiv:cs: ok" in line for line in lines)
