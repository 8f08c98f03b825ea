"""Hugging Face Papers compatibility under /hf: the JSON shapes of huggingface.co's
``/api/daily_papers``, ``/api/papers/{id}`` and ``/api/papers/search``, so that the official
``huggingface_hub`` client works with ``HfApi(endpoint="http://HOST/hf")``.

Papers are named by arXiv id, as there; ``upvotes`` are litfeed's votes and Hugging Face's
together, as are its comments here and Hugging Face's in ``numComments``; a paper's
``publishedAt`` is its arXiv date (its first moment, UTC), an entry's ``publishedAt`` the day it
entered litfeed's daily page (or Hugging Face's Daily Papers, when known)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.exceptions import HTTPException

from litfeed.announcements import EASTERN
from litfeed.community.periods import parse_period
from litfeed.community.trending import rank
from litfeed.hub import Hub
from litfeed.models import Paper

MAX_MATCHES = 5000  # papers a listing ranks before it pages: far past any day or week


def hf_router(hub: Hub) -> APIRouter:
    router = APIRouter(prefix="/hf", tags=["Hugging Face compatibility"])

    @router.get("/api/daily_papers")
    def daily_papers(
        date: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")] = None,
        week: Annotated[str | None, Query(max_length=40, description="YYYY-Www")] = None,
        month: Annotated[str | None, Query(max_length=40, description="YYYY-MM")] = None,
        submitter: Annotated[str | None, Query(max_length=300)] = None,
        sort: Literal["publishedAt", "trending"] = "publishedAt",
        p: Annotated[int, Query(ge=0, le=100_000, description="Page, from 0.")] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> list[dict[str, Any]]:
        """Daily papers as Hugging Face lists them (huggingface_hub's `list_daily_papers`)."""
        first = last = None
        for kind, key in (("day", date), ("week", week), ("month", month)):
            if key:
                period = parse_period(kind, key)
                first, last = period.first, period.last
        papers = hub.store.arxiv_papers_of_days(first, last, submitter, MAX_MATCHES)
        if sort == "trending":
            community = hub.community
            now = datetime.now(UTC)
            since = now - timedelta(hours=community.trending_parameters.hours)
            recent = hub.store.community.recent_votes(since, [paper.pk for paper in papers])
            trends = rank(papers, recent, now, community.trending_parameters)
            papers = [t.paper for t in trends]
        shown = papers[p * limit : (p + 1) * limit]
        names = _names(hub, shown)
        return [daily_entry(paper, names) for paper in shown]

    @router.get("/api/papers/search")
    def search(
        q: Annotated[str, Query(max_length=250)] = "",
        limit: Annotated[int, Query(ge=1, le=120)] = 50,
    ) -> list[dict[str, Any]]:
        """Papers matching a query (huggingface_hub's `list_papers`), by litfeed's search."""
        if not q.strip():
            return []
        results = hub.search(q, "hybrid", limit=limit)
        found = [hit.paper for hit in results.hits if hit.paper.arxiv_id]
        names = _names(hub, found)
        return [daily_entry(paper, names) for paper in found]

    @router.get("/api/papers/{arxiv_id:path}")
    def paper(arxiv_id: str) -> dict[str, Any]:
        """One paper by arXiv id (huggingface_hub's `paper_info`)."""
        found = hub.get_paper(arxiv_id)
        if found is None or found.hidden or not found.arxiv_id:
            raise HTTPException(404, f"no paper with arXiv id {arxiv_id!r}")
        return paper_info(found, _names(hub, [found]))

    return router


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _day_stamp(day: date | None) -> str | None:
    """A day as the moment its papers were announced (20:00 US Eastern)."""
    return _stamp(datetime.combine(day, time(20, 0), EASTERN)) if day else None


def _midnight(day: date | None) -> str | None:
    """A date known to the day (a paper's arXiv date) as its first moment, UTC: the day it is
    shown as everywhere."""
    return _stamp(datetime.combine(day, time(0, 0), UTC)) if day else None


def _paper_fields(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.arxiv_id,
        "authors": [
            {"_id": f"{paper.arxiv_id}-{number}", "name": name, "hidden": False}
            for number, name in enumerate(paper.authors)
        ],
        "publishedAt": _midnight(paper.published) or _day_stamp(paper.day),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.votes + (paper.upvotes or 0),
        "discussionId": paper.id,
        "withdrawnAt": None,
    }


def _names(hub: Hub, papers: list[Paper]) -> dict[int, str]:
    """The public names of the accounts that submitted these papers here."""
    return hub.store.community.names([p.submitter_id for p in papers if p.submitter_id])


def _submitter(paper: Paper, names: dict[int, str]) -> dict[str, Any] | None:
    """Who submitted the paper: on Hugging Face (user name and full name), else here (an
    account's public name); None when neither is known."""
    user = paper.submitter_user or paper.submitted_by
    full = paper.submitted_by or paper.submitter_user
    if not user and paper.submitter_id in names:
        user = full = names[paper.submitter_id]
    if not user:
        return None
    return {"name": user, "fullname": full, "user": user, "avatarUrl": "", "type": "user"}


def paper_info(paper: Paper, names: dict[int, str]) -> dict[str, Any]:
    """The shape of huggingface.co's /api/papers/{id}."""
    fields = _paper_fields(paper)
    fields["submittedOnDailyAt"] = _stamp(paper.submitted_at) or _day_stamp(paper.day)
    submitter = _submitter(paper, names)
    if submitter is not None:
        fields["submittedOnDailyBy"] = submitter
    fields["numComments"] = paper.comments_here + (paper.comments or 0)
    return fields


def daily_entry(paper: Paper, names: dict[int, str]) -> dict[str, Any]:
    """The shape of one entry of huggingface.co's /api/daily_papers."""
    entry: dict[str, Any] = {
        "paper": _paper_fields(paper),
        "publishedAt": _stamp(paper.submitted_at) or _day_stamp(paper.day),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": "",
        "numComments": paper.comments_here + (paper.comments or 0),
        "isAuthorParticipating": False,
    }
    submitter = _submitter(paper, names)
    if submitter is not None:
        entry["submittedBy"] = submitter
    return entry
