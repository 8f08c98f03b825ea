"""Discussion under papers: the forms of the paper page (they work without JavaScript) and the
JSON API, both thin over `litfeed.discussion`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed import discussion
from litfeed.community.accounts import account_of_feed_key, new_feed_key, require_proven
from litfeed.delivery.feeds import MEDIA_TYPE, Note, notes_feed
from litfeed.discussion import MAX_BODY, MAX_REASON, Node, Thread
from litfeed.discussion.authors import badges
from litfeed.discussion.notifications import REPLY
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import MAX_COUNT, Paper
from litfeed.store import Account
from litfeed.store.community import UNNAMED
from litfeed.web.auth import (
    Caller,
    administrator,
    check_csrf,
    client_address,
    form_viewer,
    viewer,
    wants_json,
)
from litfeed.web.params import RowId

Render = Callable[[Request, str, Any], Response]
FEED_SIZE = 50  # notifications a page, feed or API answer holds
Csrf = Annotated[str, Form(max_length=200)]
CommentSort = Annotated[
    Literal["top", "new"], Query(description="Comments: top (most voted first) or new.")
]
SortQuery = Annotated[
    Literal["top", "new"], Query(description="top: most voted first; new: newest first.")
]


class CommentRequest(BaseModel):
    body: str = Field(max_length=MAX_BODY, description="Markdown, with maths in $…$ or $$…$$.")
    parent: int | None = Field(
        default=None, ge=1, le=MAX_COUNT, description="The comment this one replies to."
    )


class CommentChange(BaseModel):
    body: str = Field(max_length=MAX_BODY)


class ReportRequest(BaseModel):
    reason: str = Field(max_length=MAX_REASON, description="Why it should not be shown.")


class CommentOut(BaseModel):
    """A comment as a thread shows it: ``state`` is shown, deleted (its text gone, kept for
    its replies) or hidden (by a moderator); ``replies`` nest three levels, deeper ones are
    listed under the third, saying whom they reply to (``replying_to``)."""

    id: int
    parent: int | None
    author: str | None
    body: str | None
    html: str | None
    score: int
    created_at: str
    edited_at: str | None
    state: str
    replying_to: str | None
    badge: str | None = Field(
        default=None,
        description='"author" when the writer is one of the paper\'s authors (a verified claim), '
        '"author, not verified" while the claim waits',
    )
    replies: list[CommentOut]


class ThreadOut(BaseModel):
    paper: str
    sort: str
    count: int = Field(description="Comments shown (neither deleted nor hidden).")
    comments: list[CommentOut]


class NotificationOut(BaseModel):
    kind: str = Field(description="reply (to your comment) or mention (of your name)")
    comment: int
    paper: str
    paper_title: str
    writer: str
    html: str
    created_at: str


class Reported(BaseModel):
    reported: bool = Field(description="False when you had reported it already.")


def discussion_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["discussion"])
    store = hub.store

    def paper_of(paper_id: str) -> Paper:
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            raise PaperNotFound(f"no paper with id {paper_id[:100]!r}")
        return paper

    def paper_url(paper_pk: int, anchor: str = "comments") -> str:
        found = store.get_papers_by_pk([paper_pk])
        if not found:
            raise PaperNotFound("no such paper")
        return f"/papers/{found[0].id}#{anchor}"

    def done(request: Request, location: str) -> Response:
        """Where a form leads: a redirect, or for the page's script (asking for JSON) the
        address it redraws the discussion from."""
        if wants_json(request):
            return JSONResponse({"location": location})
        return RedirectResponse(location, status_code=303)

    # -- the paper page's forms ----------------------------------------------------------------

    @router.post("/papers/{paper_id:path}/comments", include_in_schema=False)
    def comment_form(
        request: Request,
        paper_id: str,
        body: Annotated[str, Form(max_length=MAX_BODY + 1000)] = "",
        parent: Annotated[int | None, Form(ge=1, le=MAX_COUNT)] = None,
        csrf: Csrf = "",
    ) -> Response:
        paper = paper_of(paper_id)
        account = form_viewer(request, csrf, f"/papers/{paper.id}#comments")
        if isinstance(account, Response):
            return account
        made = discussion.post(
            store, account, paper, body, parent, network_address=client_address(request)
        )
        return done(request, f"/papers/{paper.id}#c{made.id}")

    @router.post("/comments/{comment_id}/edit", include_in_schema=False)
    def edit_form(
        request: Request,
        comment_id: RowId,
        body: Annotated[str, Form(max_length=MAX_BODY + 1000)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, "/")
        if isinstance(account, Response):
            return account
        changed = discussion.edit(store, account, comment_id, body)
        return done(request, paper_url(changed.paper_pk, f"c{changed.id}"))

    @router.post("/comments/{comment_id}/delete", include_in_schema=False)
    def delete_form(request: Request, comment_id: RowId, csrf: Csrf = "") -> Response:
        account = form_viewer(request, csrf, "/")
        if isinstance(account, Response):
            return account
        comment = store.discussion.comment(comment_id)
        discussion.delete(store, account, comment_id)
        assert comment is not None  # delete refuses what does not exist
        return done(request, paper_url(comment.paper_pk))

    @router.post("/comments/{comment_id}/vote", include_in_schema=False)
    def vote_form(request: Request, comment_id: RowId, csrf: Csrf = "") -> Response:
        account = form_viewer(request, csrf, "/")
        if isinstance(account, Response):
            return account
        voted = comment_id in store.discussion.voted(account.id, [comment_id])
        comment = discussion.vote(store, account, comment_id, not voted)
        return done(request, paper_url(comment.paper_pk, f"c{comment_id}"))

    @router.post("/comments/{comment_id}/report", include_in_schema=False)
    def report_form(
        request: Request,
        comment_id: RowId,
        reason: Annotated[str, Form(max_length=MAX_REASON + 100)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, "/")
        if isinstance(account, Response):
            return account
        discussion.report(store, account, comment_id, reason)
        if wants_json(request):
            comment = store.discussion.comment(comment_id)
            assert comment is not None
            return done(request, paper_url(comment.paper_pk, f"c{comment_id}"))
        data = {
            "title": "Reported",
            "message": "Thank you: an administrator will look at this comment.",
        }
        return render(request, "notice.html", data)

    @router.post("/comments/{comment_id}/hide", include_in_schema=False)
    def hide_form(
        request: Request,
        comment_id: RowId,
        restore: Annotated[str, Form(max_length=10)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, "/")
        if isinstance(account, Response):
            return account
        discussion.hide(store, account, comment_id, not restore)
        comment = store.discussion.comment(comment_id)
        assert comment is not None
        target = next if next.startswith("/") and not next.startswith("//") else None
        return done(request, target or paper_url(comment.paper_pk, f"c{comment_id}"))

    # -- moderation ----------------------------------------------------------------------------

    @router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def moderation_page(request: Request) -> Response:
        administrator(request)
        log = store.discussion.logged(100)
        named = {e.actor_id for e in log} | {e.account_id for e in log}
        accounts = store.community.accounts_by_id([i for i in named if i is not None])
        data = {
            "queue": discussion.reports_queue(store),
            "log": log,
            "accounts": {i: a.email for i, a in accounts.items()},
        }
        return render(request, "moderation.html", data)

    @router.post("/admin/comments/{comment_id}/dismiss", include_in_schema=False)
    def dismiss_form(request: Request, comment_id: RowId, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        store.discussion.dismiss_reports(comment_id, administrator(request).id)
        return RedirectResponse("/admin", status_code=303)

    @router.post("/admin/accounts/{account_id}/suspend", include_in_schema=False)
    def suspend_form(
        request: Request,
        account_id: RowId,
        restore: Annotated[str, Form(max_length=10)] = "",
        why: Annotated[str, Form(max_length=MAX_REASON)] = "",
        csrf: Csrf = "",
    ) -> Response:
        check_csrf(request, csrf)
        discussion.suspend(store, administrator(request), account_id, not restore, why)
        return RedirectResponse("/admin", status_code=303)

    # -- notifications -------------------------------------------------------------------------

    def notification_notes(account: Account) -> list[Note]:
        site = hub.settings.public_url
        return [
            Note(
                url=f"{site}/papers/{n.paper_id}#c{n.comment_id}",
                title=f"{n.writer or UNNAMED} "
                + ("replied to you" if n.kind == REPLY else "mentioned you")
                + f" on “{n.paper_title}”",
                moment=n.created_at,
                author=n.writer or UNNAMED,
                html=n.html,
            )
            for n in store.discussion.notifications(account.id, FEED_SIZE)
        ]

    def notifications_view(request: Request, account: Account, **extra: Any) -> Response:
        data = {
            "notes": notification_notes(account),
            "comment_mail": account.comment_mail,
            "has_feed": store.library.has_feed(account.id),
            **extra,
        }
        return render(request, "notifications.html", data)

    @router.get("/notifications", response_class=HTMLResponse, include_in_schema=False)
    def notifications_page(request: Request) -> Response:
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login?next=/notifications", status_code=303)
        return notifications_view(request, account)

    @router.post("/notifications/feed", include_in_schema=False)
    def notifications_feed_form(request: Request, csrf: Csrf = "") -> Response:
        account = form_viewer(request, csrf, "/notifications")
        if isinstance(account, Response):
            return account
        key = new_feed_key(store, require_proven(account, "making a private feed"))
        return notifications_view(request, account, feed_url=_feed_url(key))

    def _feed_url(key: str) -> str:
        return f"{hub.settings.public_url}/feeds/notifications/{key}.atom"

    @router.get("/feeds/notifications/{key}.atom", include_in_schema=False)
    def notifications_feed(key: str) -> Response:
        """A reader's replies and mentions, newest first. Its address is its secret (the
        reader's private feed key, shared with their for-you feed)."""
        account = account_of_feed_key(store, key)
        if account is None:
            raise HTTPException(404, "no such feed (its address may have been replaced)")
        site = hub.settings.public_url
        body = notes_feed(
            "litfeed: replies and mentions",
            _feed_url(key),
            f"{site}/notifications",
            site,
            notification_notes(account),
            subtitle="Replies to your comments and mentions of your name (private).",
        )
        headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
        return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)

    @router.get("/api/notifications", response_model=list[NotificationOut])
    def notifications_json(caller: Caller) -> list[NotificationOut]:
        """Replies to your comments and mentions of your name, the newest first."""
        return [
            NotificationOut(
                kind=n.kind,
                comment=n.comment_id,
                paper=n.paper_id,
                paper_title=n.paper_title,
                writer=n.writer or UNNAMED,
                html=n.html,
                created_at=n.created_at.isoformat(),
            )
            for n in store.discussion.notifications(caller.id, FEED_SIZE)
        ]

    # -- the API -------------------------------------------------------------------------------

    @router.get("/api/papers/{paper_id:path}/comments", response_model=ThreadOut)
    def thread_json(paper_id: str, sort: SortQuery = "top") -> ThreadOut:
        """The comments under a paper, as a tree."""
        paper = paper_of(paper_id)
        found = discussion.thread(store, paper, sort)
        mark_authors(store, paper, found)
        return ThreadOut(
            paper=paper.id,
            sort=sort,
            count=found.count,
            comments=[_out(node) for node in found.comments],
        )

    @router.post("/api/papers/{paper_id:path}/comments", response_model=CommentOut, status_code=201)
    def comment_json(
        request: Request, paper_id: str, comment: CommentRequest, caller: Caller
    ) -> CommentOut:
        """Comment on a paper (``parent``: reply to a comment under it)."""
        paper = paper_of(paper_id)
        made = discussion.post(
            store, caller, paper, comment.body, comment.parent, client_address(request)
        )
        return _one(store, made.id)

    @router.get("/api/comments/{comment_id}", response_model=CommentOut)
    def comment_get(comment_id: RowId) -> CommentOut:
        """One comment (404 once deleted or hidden)."""
        return _one(store, comment_id)

    @router.patch("/api/comments/{comment_id}", response_model=CommentOut)
    def comment_patch(comment_id: RowId, change: CommentChange, caller: Caller) -> CommentOut:
        """Change your comment (it then says when it was edited)."""
        discussion.edit(store, caller, comment_id, change.body)
        return _one(store, comment_id)

    @router.delete("/api/comments/{comment_id}", status_code=204)
    def comment_delete(comment_id: RowId, caller: Caller) -> Response:
        """Delete your comment: its text is gone, its replies stay."""
        discussion.delete(store, caller, comment_id)
        return Response(status_code=204)

    @router.put("/api/comments/{comment_id}/vote", response_model=CommentOut)
    def comment_vote(comment_id: RowId, caller: Caller) -> CommentOut:
        """Vote for a comment (once: a second vote changes nothing)."""
        discussion.vote(store, caller, comment_id, True)
        return _one(store, comment_id)

    @router.delete("/api/comments/{comment_id}/vote", response_model=CommentOut)
    def comment_unvote(comment_id: RowId, caller: Caller) -> CommentOut:
        """Take your vote for a comment back."""
        discussion.vote(store, caller, comment_id, False)
        return _one(store, comment_id)

    @router.post("/api/comments/{comment_id}/report", response_model=Reported)
    def comment_report(comment_id: RowId, report: ReportRequest, caller: Caller) -> Reported:
        """Report a comment to the administrators."""
        return Reported(reported=discussion.report(store, caller, comment_id, report.reason))

    return router


def mark_authors(store: Any, paper: Paper, found: Thread) -> None:
    """Give each comment whose writer claimed to be one of the paper's authors its badge."""
    nodes = found.flat()
    marks = badges(store, paper, {node.comment.account_id for node in nodes})
    for node in nodes:
        node.badge = marks.get(node.comment.account_id)


def _one(store: Any, comment_id: int) -> CommentOut:
    """One comment as a thread shows it to everyone (404 when deleted or hidden)."""
    comment = store.discussion.comment(comment_id)
    if comment is None or not comment.shown:
        raise HTTPException(404, f"no comment {comment_id}")
    if not store.get_papers_by_pk([comment.paper_pk]):  # its paper was hidden
        raise HTTPException(404, f"no comment {comment_id}")
    return _out(discussion.shown_node(comment))


def _out(node: Node) -> CommentOut:
    return CommentOut.model_validate(node.as_json())
