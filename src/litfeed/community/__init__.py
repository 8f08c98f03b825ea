"""The community: accounts and their tokens, votes, the daily / weekly / monthly pages and
trending. `Community` is what the hub hands the CLI and the web layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from litfeed.announcements import announcement_day, why_quiet
from litfeed.community.accounts import AccountError, account_of_token
from litfeed.community.periods import Period, PeriodError, parse_period, period_containing
from litfeed.community.trending import Trend, TrendingParameters, day_began, rank
from litfeed.errors import LitfeedError
from litfeed.identifiers import arxiv_id_of, parse_arxiv_id
from litfeed.models import Paper
from litfeed.store import Account, Store, Submission

__all__ = [
    "AccountError",
    "Community",
    "PeriodError",
    "PeriodListing",
    "SubmissionError",
    "Submitted",
    "Trend",
    "TrendingParameters",
    "VoteRefused",
]


class VoteRefused(AccountError):
    """The account may not vote or submit (not verified, disabled)."""


class SubmissionError(LitfeedError, ValueError):
    """What was submitted is not an arXiv paper id or address."""


@dataclass(frozen=True)
class Submitted:
    """What a submission did: ``status`` exists (the paper is here) or pending (fetching)."""

    id: int | None
    status: str
    paper: str | None
    message: str


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

    def trending_moment(self, now: datetime | None = None) -> datetime:
        """When trending is worked out: now; or, on an instance that has fetched nothing for
        longer than trending looks back, at the end of its newest day with papers (the trend as
        of its newest papers, which the pages say)."""
        now = now or datetime.now(UTC)
        latest = self.store.latest_day()
        window = announcement_day(now) - timedelta(days=self.trending_parameters.days)
        if latest is not None and latest < window:
            return day_began(latest) + timedelta(days=1)
        return now

    def trending(self, limit: int, now: datetime | None = None) -> list[Trend]:
        return self.trending_at(self.trending_moment(now), limit)

    def trending_at(self, now: datetime, limit: int) -> list[Trend]:
        """Trending as of the moment ``now`` (see `trending_moment`)."""
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
        _may_act(account, "voting")
        return self.store.community.vote(account.id, paper.pk, on)

    # -- submissions ---------------------------------------------------------------------------

    def submit(self, account: Account, text: str) -> Submitted:
        """A reader submits a paper by arXiv id or address. A paper already here is not
        fetched again: it joins today's page when it was on no page of its own yet (it only
        arrived); another is fetched by the background worker, then credited."""
        _may_act(account, "submitting")
        parsed = arxiv_id_of(text.strip()) or parse_arxiv_id(text.strip())
        if parsed is None:
            raise SubmissionError(f"{text.strip()[:100]!r} is not an arXiv id or arXiv address")
        arxiv_id = parsed[0]
        paper = self.store.get_paper(arxiv_id)
        today = announcement_day(datetime.now(UTC))
        if paper is not None and not paper.hidden:
            if paper.announced is None and paper.submitted_at is None and not paper.submitted_here:
                self.store.community.credit(paper.pk, account.id, today)
                message = f"{arxiv_id} is here already; it joins today's page, credited to you"
            else:
                message = f"{arxiv_id} is here already, on the page of {paper.day}"
            return Submitted(None, "exists", paper.id, message)
        submission = self.store.community.add_submission(account.id, arxiv_id)
        return Submitted(
            submission.id,
            "pending",
            None,
            f"{arxiv_id} is being fetched from arXiv; it appears on today's page within a minute",
        )

    def credit_submission(self, submission: Submission, paper: Paper) -> None:
        self.store.community.credit(
            paper.pk, submission.account_id, announcement_day(submission.created_at)
        )

    def account_of_token(self, token: str) -> Account | None:
        return account_of_token(self.store, token)


def _may_act(account: Account, doing: str) -> None:
    """`VoteRefused` unless the account is active and its address verified."""
    if not account.active:
        raise VoteRefused("this account is disabled")
    if not account.verified:
        raise VoteRefused(f"verify your e-mail address before {doing}")
