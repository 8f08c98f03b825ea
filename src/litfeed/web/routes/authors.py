"""Author pages (`/authors/{name}`, `/api/authors/{name}`) and claims to be an author, thin
over `litfeed.discussion.authors`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from litfeed.discussion.authors import author_page, claim, verify
from litfeed.hub import Hub
from litfeed.models import Paper
from litfeed.web.auth import administrator, check_csrf, form_viewer
from litfeed.web.params import RowId

Render = Callable[[Request, str, Any], Response]
Csrf = Annotated[str, Form(max_length=200)]


class ClaimOut(BaseModel):
    claimant: str | None
    verified: bool


class AuthorOut(BaseModel):
    """An author's page: the spellings grouped as theirs, the names a short form may also
    mean (``ambiguous``), their papers (newest first), counts and frequent co-authors."""

    name: str
    spellings: list[str]
    ambiguous: list[str]
    papers: list[Paper]
    total: int
    by_year: dict[str, int]
    by_category: dict[str, int]
    co_authors: dict[str, int]
    claims: list[ClaimOut]


def authors_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["authors"])
    store = hub.store

    @router.get("/authors/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def author_html(request: Request, name: str) -> Response:
        page = author_page(store, name)
        if not page.papers:
            raise HTTPException(404, f"no paper here lists {name[:100]!r} as an author")
        return render(request, "author.html", page)

    @router.get("/api/authors/{name:path}", response_model=AuthorOut)
    def author_json(name: str, limit: int = 100) -> AuthorOut:
        """An author's papers under every spelling of their name, with counts by year and
        category and frequent co-authors."""
        page = author_page(store, name)
        if not page.papers:
            raise HTTPException(404, f"no paper here lists {name[:100]!r} as an author")
        return AuthorOut(
            name=page.name,
            spellings=page.spellings,
            ambiguous=page.ambiguous,
            papers=page.papers[: max(1, min(limit, 1000))],
            total=len(page.papers),
            by_year=dict(page.by_year),
            by_category=dict(page.by_category),
            co_authors=dict(page.co_authors),
            claims=[
                ClaimOut(claimant=c.claimant, verified=c.verified_at is not None)
                for c in page.claims
            ],
        )

    @router.post("/authors-claim", include_in_schema=False)
    def claim_form(
        request: Request, name: Annotated[str, Form(max_length=400)], csrf: Csrf = ""
    ) -> Response:
        target = f"/authors/{name}"
        account = form_viewer(request, csrf, target)
        if isinstance(account, Response):
            return account
        claim(store, account, name)
        return RedirectResponse(target, status_code=303)

    @router.post("/admin/claims/{claim_id}/verify", include_in_schema=False)
    def verify_form(
        request: Request,
        claim_id: RowId,
        name: Annotated[str, Form(max_length=400)] = "",
        undo: Annotated[str, Form(max_length=10)] = "",
        csrf: Csrf = "",
    ) -> Response:
        check_csrf(request, csrf)
        verify(store, administrator(request), claim_id, not undo)
        return RedirectResponse(f"/authors/{name}" if name else "/admin", status_code=303)

    return router
