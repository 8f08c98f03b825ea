"""The community: accounts and their tokens, votes, the daily / weekly / monthly pages and
trending. `Community` is what the hub hands the CLI and the web layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from litfeed.announcements import announcement_day, why_quiet
from litfeed.community.accounts import AccountError, account_of_token
from litfeed.community.periods import Period, PeriodError, parse_period, period_containing
from litfeed.community.trending import Trend, TrendingParameters, rank
from litfeed.models import Paper
from litfeed.store import Account, Store

__all__ = [
    "AccountError",
    "Community",
    "PeriodError",
    "PeriodListing",
    "Trend",
    "TrendingParameters",
    "VoteRefused",
]


class VoteRefused(AccountError):
    """The account may not vote (not verified, disabled)."""


@dataclass
class PeriodListing:
    period: Period
    papers: list[Paper]
    total: int
    # Why the period has no papers, when it has none and the calendar says why.
    quiet: str | None
    # The newest day with papers: where "today" leads when the calendar day has none yet.
    latest_day: date | None


class Community:
    def __init__(self, store: Store, trending: TrendingParameters) -> None:
        self.store = store
        self.trending_parameters = trending

    # -- periods -------------------------------------------------------------------------------

    def period(self, kind: str, key: str | None) -> Period:
        """The period a page asks for; without ``key``, the one holding the newest papers (the
        current announcement day's, once it has some)."""
        if key:
            return parse_period(kind, key)
        latest = self.store.latest_day() or announcement_day(datetime.now(UTC))
        return period_containing(kind, latest)

    def listing(self, period: Period, offset: int, limit: int) -> PeriodListing:
        papers, total = self.store.papers_of_days(period.first, period.last, offset, limit)
        quiet = None
        if total == 0:
            if period.kind == "day":
                quiet = why_quiet(period.first) or "no papers on this day (yet)"
            else:
                quiet = f"no papers in this {period.kind}"
        return PeriodListing(period, papers, total, quiet, self.store.latest_day())

    # -- trending ------------------------------------------------------------------------------

    def trending(self, limit: int, now: datetime | None = None) -> list[Trend]:
        now = now or datetime.now(UTC)
        parameters = self.trending_parameters
        first = announcement_day(now) - timedelta(days=parameters.days)
        candidates = self.store.papers_since_day(first)
        recent = self.store.community.recent_votes(
            now - timedelta(hours=parameters.hours), [paper.pk for paper in candidates]
        )
        return rank(candidates, recent, now, parameters)[:limit]

    # -- votes ---------------------------------------------------------------------------------

    def vote(self, account: Account, paper: Paper, on: bool) -> int:
        """Vote for a paper (``on``) or withdraw the vote; the paper's count after."""
        if not account.active:
            raise VoteRefused("this account is disabled")
        if not account.verified:
            raise VoteRefused("verify your e-mail address before voting")
        return self.store.community.vote(account.id, paper.pk, on)

    def account_of_token(self, token: str) -> Account | None:
        return account_of_token(self.store, token)
