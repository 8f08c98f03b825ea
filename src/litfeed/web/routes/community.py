"""Daily, weekly and monthly pages, trending, votes and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.community.accounts import new_token, rename
from litfeed.hub import Hub, PaperNotFound
from litfeed.store import Account
from litfeed.web.auth import Caller, auth_of, client_address
from litfeed.web.community_pages import PeriodPage, TrendingPage, period_page, trending_page
from litfeed.web.params import PageNumber, PageSize, RowId

Render = Callable[[Request, str, Any], Response]
Day = Annotated[str | None, Query(max_length=40, description="A day: 2024-10-25.")]
Week = Annotated[str | None, Query(max_length=40, description="An ISO week: 2024-W43.")]
Month = Annotated[str | None, Query(max_length=40, description="A month: 2024-10.")]


class Vote(BaseModel):
    """A paper's votes here after a vote, and whether the caller's vote is on it."""

    upvotes: int
    voted: bool


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: str


class NewToken(TokenInfo):
    """A new API token; ``token`` is shown this once (litfeed keeps only its hash)."""

    token: str


class SubmissionRequest(BaseModel):
    paper: str = Field(max_length=300, description="An arXiv id or arxiv.org address.")


class SubmissionAnswer(BaseModel):
    id: int | None
    status: str
    paper: str | None
    message: str


class SubmissionState(BaseModel):
    id: int
    arxiv_id: str
    status: str
    paper: str | None
    detail: str | None


class MeChange(BaseModel):
    name: str | None = Field(
        default=None, max_length=100, description="2 to 40 letters, digits, - or _; null: none."
    )


class Me(BaseModel):
    id: int
    email: str
    name: str | None
    verified: bool
    admin: bool
    tokens: list[TokenInfo]


def community_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter()
    for kind, path, parameter in (
        ("day", "daily", "date"),
        ("week", "weekly", "week"),
        ("month", "monthly", "month"),
    ):
        _add_period_routes(router, hub, render, kind, path, parameter)

    @router.get("/trending", response_class=HTMLResponse, include_in_schema=False)
    def trending_html(request: Request) -> Response:
        return render(request, "trending.html", trending_page(hub))

    @router.get("/api/trending", response_model=TrendingPage, tags=["community"])
    def trending_json(
        limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = 30,
    ) -> TrendingPage:
        """Trending papers by the open formula (`why` per paper): points (votes here in the last
        `hours`, Hugging Face upvotes, half its comments here and on Hugging Face) / (age in
        hours + 2) ** `gravity`."""
        return trending_page(hub, limit)

    @router.post("/api/papers/{paper_id:path}/vote", response_model=Vote, tags=["community"])
    def vote(request: Request, paper_id: str, caller: Caller) -> Vote:
        """Vote for a paper (once: voting again changes nothing)."""
        return _vote(request, hub, caller, paper_id, True)

    @router.delete("/api/papers/{paper_id:path}/vote", response_model=Vote, tags=["community"])
    def unvote(request: Request, paper_id: str, caller: Caller) -> Vote:
        """Withdraw one's vote for a paper."""
        return _vote(request, hub, caller, paper_id, False)

    @router.post(
        "/api/submissions", response_model=SubmissionAnswer, status_code=201, tags=["community"]
    )
    def submit(http: Request, request: SubmissionRequest, caller: Caller) -> SubmissionAnswer:
        """Submit a paper by arXiv id or address: fetched from arXiv by the background worker
        and put on today's page, credited to the caller; a paper already here is not fetched
        again (``status`` exists)."""
        auth_of(http).limit("submit", f"account {caller.id}", f"address {client_address(http)}")
        done = hub.community.submit(caller, request.paper)
        return SubmissionAnswer(
            id=done.id, status=done.status, paper=done.paper, message=done.message
        )

    @router.get(
        "/api/submissions/{submission_id}", response_model=SubmissionState, tags=["community"]
    )
    def submission(submission_id: RowId, caller: Caller) -> SubmissionState:
        """Where one of the caller's submissions is: pending, done (``paper``), failed."""
        found = hub.store.community.submission(submission_id)
        if found is None or found.account_id != caller.id:
            raise HTTPException(404, f"you have no submission {submission_id}")
        paper = found.detail if found.status == "done" else None
        return SubmissionState(
            id=found.id,
            arxiv_id=found.arxiv_id,
            status=found.status,
            paper=paper,
            detail=None if paper else found.detail,
        )

    @router.get("/api/me", response_model=Me, tags=["accounts"])
    def me(caller: Caller) -> Me:
        """The caller's account and API tokens."""
        return Me(
            id=caller.id,
            email=caller.email,
            name=caller.name,
            verified=caller.verified,
            admin=caller.administrator,
            tokens=[_token_info(t) for t in hub.store.community.tokens(caller.id)],
        )

    @router.patch("/api/me", response_model=Me, tags=["accounts"])
    def change_me(caller: Caller, change: MeChange) -> Me:
        """Change the caller's public name (shown with the papers they submit; null: none)."""
        renamed = rename(hub.store, caller, change.name)
        return me(renamed)

    @router.post("/api/tokens", response_model=NewToken, status_code=201, tags=["accounts"])
    def add_token(
        caller: Caller,
        name: Annotated[str, Query(max_length=100, description="What it is for.")] = "api",
    ) -> NewToken:
        """A new API token for the caller."""
        token, record = new_token(hub.store, caller, name)
        return NewToken(**_token_info(record).model_dump(), token=token)

    @router.delete("/api/tokens/{token_id}", status_code=204, tags=["accounts"])
    def delete_token(token_id: RowId, caller: Caller) -> Response:
        """Delete one of the caller's tokens (404 for any other)."""
        if not hub.store.community.delete_token(caller.id, token_id):
            raise HTTPException(404, f"you have no token {token_id}")
        return Response(status_code=204)

    return router


def _add_period_routes(
    router: APIRouter, hub: Hub, render: Render, kind: str, path: str, parameter: str
) -> None:
    """/daily, /daily/2024-10-25 (HTML) and /api/daily?date=2024-10-25 (JSON); likewise weekly
    and monthly."""

    def html(request: Request, key: str | None = None, page: PageNumber = 1) -> Response:
        return render(request, "period.html", period_page(hub, kind, key, page))

    for address in (f"/{path}", f"/{path}/{{key}}"):
        router.add_api_route(
            address, html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )

    def daily(date: Day = None, page: PageNumber = 1, limit: PageSize = None) -> PeriodPage:
        """The papers of a day (default: the newest day with papers)."""
        return period_page(hub, kind, date, page, limit)

    def weekly(week: Week = None, page: PageNumber = 1, limit: PageSize = None) -> PeriodPage:
        """The papers of an ISO week (default: the week of the newest papers)."""
        return period_page(hub, kind, week, page, limit)

    def monthly(month: Month = None, page: PageNumber = 1, limit: PageSize = None) -> PeriodPage:
        """The papers of a month (default: the month of the newest papers)."""
        return period_page(hub, kind, month, page, limit)

    endpoint = {"date": daily, "week": weekly, "month": monthly}[parameter]
    router.add_api_route(
        f"/api/{path}", endpoint, methods=["GET"], response_model=PeriodPage, tags=["community"]
    )


def _vote(request: Request, hub: Hub, caller: Account, paper_id: str, on: bool) -> Vote:
    auth_of(request).limit("vote", f"account {caller.id}", f"address {client_address(request)}")
    paper = hub.get_paper(paper_id)
    if paper is None or paper.hidden:
        raise PaperNotFound(f"no paper with id {paper_id!r}")
    count = hub.community.vote(caller, paper, on)
    return Vote(upvotes=count, voted=on)


def _token_info(token: Any) -> TokenInfo:
    return TokenInfo(
        id=token.id, name=token.name, created_at=token.created_at.isoformat(timespec="seconds")
    )
