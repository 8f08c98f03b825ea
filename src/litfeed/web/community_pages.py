"""The data of the community's pages (daily, weekly, monthly, trending): one function per page,
rendered by a template for HTML and returned as it is for JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from litfeed.community.periods import Period, period_containing
from litfeed.hub import Hub
from litfeed.models import Paper
from litfeed.web.pages import Pagination

PATHS = {"day": "daily", "week": "weekly", "month": "monthly"}


class PeriodLink(BaseModel):
    key: str
    label: str
    url: str


class PeriodPage(BaseModel):
    """The papers of a day, an ISO week or a month, most voted first (votes here and on
    Hugging Face together), then newest. ``quiet`` says why a period has no papers."""

    kind: str
    key: str
    label: str
    first: date
    last: date
    papers: list[Paper]
    pagination: Pagination
    quiet: str | None
    previous: PeriodLink
    next: PeriodLink | None
    latest_day: date | None

    def url(self, page: int = 1) -> str:
        return f"/{PATHS[self.kind]}/{self.key}" + (f"?page={page}" if page > 1 else "")


class TrendingPaper(BaseModel):
    paper: Paper
    score: float
    recent_votes: int
    age_hours: float
    why: str


class TrendingPage(BaseModel):
    """Trending papers by the open formula of the README, each with why."""

    papers: list[TrendingPaper]
    hours: int
    days: int
    gravity: float
    # Set when litfeed has fetched nothing for longer than trending looks back: the trend as of
    # the end of its newest day with papers.
    as_of: datetime | None = None


def period_page(
    hub: Hub, kind: str, key: str | None, page: int = 1, limit: int | None = None
) -> PeriodPage:
    community = hub.community
    period = community.period(kind, key)
    per_page = limit or hub.settings.page_size
    listing = community.listing(period, (page - 1) * per_page, per_page)
    # The links lead to the nearest periods that have papers (a quiet stretch is skipped);
    # without any before, to the period before; none after the newest papers.
    before = hub.store.latest_day(until=period.first - timedelta(days=1))
    after = hub.store.first_day(since=period.last + timedelta(days=1))
    return PeriodPage(
        kind=kind,
        key=period.key,
        label=period.label,
        first=period.first,
        last=period.last,
        papers=listing.papers,
        pagination=Pagination.of(page, per_page, listing.total),
        quiet=listing.quiet,
        previous=_link(period_containing(kind, before) if before else period.previous()),
        next=_link(period_containing(kind, after)) if after else None,
        latest_day=listing.latest_day,
    )


def trending_page(hub: Hub, limit: int = 30) -> TrendingPage:
    community = hub.community
    parameters = community.trending_parameters
    now = datetime.now(UTC)
    moment = community.trending_moment(now)
    trends = community.trending_at(moment, limit)
    return TrendingPage(
        papers=[
            TrendingPaper(
                paper=t.paper,
                score=round(t.score, 6),
                recent_votes=t.recent_votes,
                age_hours=round(t.age_hours, 1),
                why=t.why,
            )
            for t in trends
        ],
        hours=parameters.hours,
        days=parameters.days,
        gravity=parameters.gravity,
        as_of=moment if moment != now else None,
    )


def _link(period: Period) -> PeriodLink:
    return PeriodLink(key=period.key, label=period.label, url=f"/{PATHS[period.kind]}/{period.key}")
