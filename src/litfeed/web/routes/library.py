"""A reader's library, ratings and for-you ranking through the JSON API. Each is read and
written only by its reader (their API token, or their session with its CSRF token), and only
once their address is confirmed: no other account, and no public list, sees any of it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.community.accounts import proven_address, require_proven
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import Paper
from litfeed.recommend.library import save_entries
from litfeed.store import Account
from litfeed.web.auth import Caller, check_csrf, viewer
from litfeed.web.routes.accounts import Csrf, Next, Render, local_path


class LibraryPaper(BaseModel):
    id: str
    title: str
    rating: int | None


class Library(BaseModel):
    papers: list[LibraryPaper]


class SaveRequest(BaseModel):
    ids: list[str] = Field(
        max_length=1000, description="arXiv ids, arXiv addresses or DOIs of stored papers."
    )


class Saved(BaseModel):
    matched: int
    new: int
    rejected: list[str]


class RatingRequest(BaseModel):
    rating: int = Field(description="1: more like this; -1: less like this.")


class Pick(BaseModel):
    id: str
    title: str
    score: float
    reasons: list[str]


class ForYouPage(BaseModel):
    date: date | None
    candidates: int
    library: int
    hits: list[Pick]


def _reader(account: Account) -> Account:
    """The caller, when their address is confirmed: a library is tied to the address."""
    return require_proven(account, "using a library")


def library_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["library"])

    def paper_of(paper_id: str) -> Paper:
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            raise PaperNotFound(f"no paper with id {paper_id[:100]!r}")
        return paper

    # -- the pages -----------------------------------------------------------------------------

    def page_reader(request: Request, target: str) -> Account | Response:
        """The logged-in reader whose address is confirmed; else where to send the visitor."""
        account = viewer(request)
        if account is None:
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if proven_address(account) is None:
            data = {
                "title": "Confirm your address first",
                "message": "Your library, ratings and papers for you start once your address "
                "is confirmed: open the link mailed to it, or send a new one from the banner.",
            }
            return render(request, "notice.html", data, 403)
        return account

    @router.get("/for-you", response_class=HTMLResponse, include_in_schema=False)
    def for_you_page(
        request: Request,
        day: Annotated[date | None, Query(alias="date")] = None,
    ) -> Response:
        reader = page_reader(request, "/for-you")
        if isinstance(reader, Response):
            return reader
        ranked = hub.for_you(reader.id, day, 25)
        data: dict[str, Any] = {"ranked": ranked}
        return render(request, "for_you.html", data)

    @router.post("/papers/{paper_id:path}/save", include_in_schema=False)
    def save_form(request: Request, paper_id: str, csrf: Csrf = "", next: Next = "/") -> Response:
        check_csrf(request, csrf)
        target = local_path(next)
        reader = page_reader(request, target)
        if isinstance(reader, Response):
            return reader
        paper = paper_of(paper_id)
        if not hub.store.library.remove(reader.id, paper.pk):  # a second click takes it out
            hub.store.library.save(reader.id, [paper.pk])
        return RedirectResponse(target, status_code=303)

    @router.post("/papers/{paper_id:path}/rate", include_in_schema=False)
    def rate_form(
        request: Request,
        paper_id: str,
        rating: Annotated[int, Form(ge=-1, le=1)],
        csrf: Csrf = "",
        next: Next = "/",
    ) -> Response:
        check_csrf(request, csrf)
        target = local_path(next)
        reader = page_reader(request, target)
        if isinstance(reader, Response):
            return reader
        hub.store.library.rate(reader.id, paper_of(paper_id).pk, rating or None)
        return RedirectResponse(target, status_code=303)

    # -- the API -------------------------------------------------------------------------------

    @router.get("/api/library", response_model=Library)
    def library(caller: Caller) -> Library:
        """The caller's library, the newest first, with their ratings."""
        reader = _reader(caller)
        ratings = hub.store.library.ratings(reader.id)
        papers = hub.store.get_papers_by_pk(hub.store.library.saved(reader.id))
        return Library(
            papers=[LibraryPaper(id=p.id, title=p.title, rating=ratings.get(p.pk)) for p in papers]
        )

    @router.post("/api/library", response_model=Saved)
    def save(request: SaveRequest, caller: Caller) -> Saved:
        """Save papers into the caller's library; an id that names no paper here is reported;
        saving twice changes nothing."""
        reader = _reader(caller)
        entries = [(f"ids[{n}]", text.strip()[:1000]) for n, text in enumerate(request.ids)]
        report = save_entries(hub.store, reader.id, entries)
        return Saved(matched=report.matched, new=report.new, rejected=report.rejected)

    @router.delete("/api/library/{paper_id:path}", status_code=204)
    def remove(paper_id: str, caller: Caller) -> Response:
        """Take a paper out of the caller's library."""
        reader = _reader(caller)
        if not hub.store.library.remove(reader.id, paper_of(paper_id).pk):
            raise HTTPException(404, "that paper is not in your library")
        return Response(status_code=204)

    @router.put("/api/ratings/{paper_id:path}", status_code=204)
    def rate(paper_id: str, request: RatingRequest, caller: Caller) -> Response:
        """Rate a paper for the caller: 1 more like this, -1 less like this."""
        if request.rating not in (1, -1):
            raise HTTPException(400, "rating: 1 (more like this) or -1 (less like this)")
        hub.store.library.rate(_reader(caller).id, paper_of(paper_id).pk, request.rating)
        return Response(status_code=204)

    @router.delete("/api/ratings/{paper_id:path}", status_code=204)
    def unrate(paper_id: str, caller: Caller) -> Response:
        """Take back the caller's rating of a paper."""
        hub.store.library.rate(_reader(caller).id, paper_of(paper_id).pk, None)
        return Response(status_code=204)

    @router.get("/api/for-you", response_model=ForYouPage)
    def for_you(
        caller: Caller,
        day: Annotated[date | None, Query(alias="date", description="The day.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> ForYouPage:
        """A day's papers (default: the newest day) ranked for the caller by their library and
        ratings, each with why."""
        ranked = hub.for_you(_reader(caller).id, day, limit)
        return ForYouPage(
            date=ranked.day,
            candidates=ranked.candidates,
            library=ranked.library,
            hits=[
                Pick(id=p.paper.id, title=p.paper.title, score=round(p.score, 4), reasons=p.reasons)
                for p in ranked.picks
            ],
        )

    return router
