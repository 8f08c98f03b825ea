"""One function per page producing that page's data. The HTML route renders it with a template
and the JSON route returns it as it is, so the UI and the API cannot drift apart."""

from __future__ import annotations

import math
from datetime import date
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from litfeed.errors import LitfeedError
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import Paper
from litfeed.search import Filters, Mode, SearchResults
from litfeed.search.similar import NONE_YET, SimilarPaper
from litfeed.store.community import UNNAMED


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, page: int, per_page: int, total: int) -> Pagination:
        return cls(
            page=page, per_page=per_page, total=total, pages=max(1, math.ceil(total / per_page))
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class Today(BaseModel):
    """What the home page leads with: the most voted papers of the newest day with papers."""

    day: date
    papers: list[Paper]
    total: int


class HomePage(BaseModel):
    papers: list[Paper]
    pagination: Pagination
    # The page leads with the newest day (the HTML page's first page only; the JSON list is a
    # list, and `/api/daily` has the day). Its papers are not shown again below it.
    today: Today | None = None
    # The list's filters: one author's papers, or one category's.
    author: str | None = None
    category: str | None = None

    def url(self, page: int = 1) -> str:
        query = {"author": self.author, "category": self.category}
        shown = {name: value for name, value in query.items() if value}
        if page > 1:
            shown["page"] = str(page)
        return "/" + (f"?{urlencode(shown)}" if shown else "")


class SearchPage(SearchResults):
    """The results, flat (``hits``, ``total``, ``headline`` …), with the filters and the pages
    they fill. ``mode`` is the mode that ran (hybrid falls back to words when the model cannot
    be loaded); ``requested_mode`` the one asked for, which the form and page links keep."""

    requested_mode: Mode
    category: str | None
    since: date | None
    until: date | None
    days: int | None = None
    # None when there is no query yet: the page then shows only its form.
    pagination: Pagination | None

    def url(self, page: int = 1) -> str:
        """This search's address, for another page of it; unset filters are left out."""
        values = {
            "q": self.query,
            "mode": self.requested_mode,
            "category": self.category,
            "since": self.since,
            "until": self.until,
            "days": self.days,
            "page": page if page > 1 else None,
        }
        return "/search?" + urlencode({name: value for name, value in values.items() if value})


class PaperPage(BaseModel):
    paper: Paper
    similar: list[SimilarPaper]
    # Why there are no similar papers, when they could not be found (e.g. no embedding model).
    similar_error: str | None = None
    # Who submitted it here: the account's public name, or "a reader".
    submitter: str | None = None
    # The discussion under it and the comments the viewer voted for (the page only; the API
    # serves the thread at /api/papers/{id}/comments).
    thread: Any = Field(default=None, exclude=True)
    comments_voted: set[int] = Field(default_factory=set, exclude=True)

    @property
    def no_similar(self) -> str:
        """What the page says when there are no similar papers and no error."""
        return NONE_YET[:1].upper() + NONE_YET[1:] + "."


class SimilarPage(BaseModel):
    paper_id: str
    page: int = 1  # of ``limit`` papers each, down to the 1,000 nearest
    similar: list[SimilarPaper]
    # Why the list is empty, when it is.
    notice: str | None = None


def home_page(
    hub: Hub,
    page: int = 1,
    limit: int | None = None,
    author: str | None = None,
    category: str | None = None,
    lead: bool = False,
) -> HomePage:
    """Papers newest first (all, one author's, or one category's), ``limit`` a page (default:
    the page-size setting); with ``lead``, the first page of all papers leads with the newest
    day's most voted, which the list below then leaves out."""
    author = author.strip() if author and author.strip() else None
    category = category.strip() if category and category.strip() else None
    per_page = limit or hub.settings.page_size
    offset = (page - 1) * per_page
    papers, total = hub.list_papers(offset, per_page, author=author, category=category)
    today = None
    latest = hub.store.latest_day() if lead and page == 1 and not (author or category) else None
    if latest is not None:
        leading, count = hub.store.papers_of_days(latest, latest, 0, TODAY_SHOWN)
        today = Today(day=latest, papers=leading, total=count)
        shown = {paper.pk for paper in leading}
        papers = [paper for paper in papers if paper.pk not in shown]
    return HomePage(
        papers=papers,
        pagination=Pagination.of(page, per_page, total),
        today=today,
        author=author,
        category=category,
    )


TODAY_SHOWN = 5


def search_page(
    hub: Hub,
    query: str,
    mode: Mode = "hybrid",
    page: int = 1,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    days: int | None = None,
) -> SearchPage:
    """Results for ``query``, ``limit`` a page (default: the page-size setting); none when it
    is blank: the page then shows only the form. Raises `litfeed.search.QueryError` for a
    query that cannot run."""
    category = category.strip() if category and category.strip() else None
    per_page = limit or hub.settings.page_size
    page_of: dict[str, Any] = {
        "requested_mode": mode,
        "category": category,
        "since": since,
        "until": until,
        "days": days,
    }
    if not query.strip():
        blank = {"query": query, "mode": mode, "total": 0, "matching": None, "offset": 0}
        return SearchPage.model_validate(
            {**blank, "limit": per_page, "hits": [], "pagination": None, **page_of}
        )
    filters = Filters(category=category, since=since, until=until, days=days)
    results = hub.search(
        query, mode=mode, limit=per_page, offset=(page - 1) * per_page, filters=filters
    )
    found = {name: getattr(results, name) for name in SearchResults.model_fields}
    pagination = Pagination.of(page, per_page, results.total)
    return SearchPage.model_validate({**found, "pagination": pagination, **page_of})


def paper_page(hub: Hub, paper_id: str, show_hidden: bool = False) -> PaperPage:
    """A paper and the ten papers nearest to it in meaning; a hidden paper is not found (but
    by an administrator, who can restore it)."""
    paper = hub.get_paper(paper_id)
    if paper is None or (paper.hidden and not show_hidden):
        raise PaperNotFound(f"no paper with id {paper_id!r}")
    submitter = None
    if paper.submitted_here:
        account = hub.store.community.account(paper.submitter_id or 0)
        submitter = account.shown_name if account else UNNAMED
    try:
        similar = hub.similar(paper.id)
    except LitfeedError as error:
        return PaperPage(paper=paper, similar=[], similar_error=str(error), submitter=submitter)
    return PaperPage(paper=paper, similar=similar, submitter=submitter)


def similar_page(hub: Hub, paper_id: str, limit: int = 10, page: int = 1) -> SimilarPage:
    similar = hub.similar(paper_id, limit, offset=(page - 1) * limit)
    notice = None if similar or page > 1 else NONE_YET
    return SimilarPage(paper_id=paper_id, page=page, similar=similar, notice=notice)
