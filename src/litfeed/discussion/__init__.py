"""Discussion under every paper: who may write, edit, delete, vote on and report comments, and
how a thread is arranged to be read. Rows live in `litfeed.store.discussion`; what a reader
writes becomes HTML through `litfeed.discussion.render` alone. No web or mail code here.

A thread shows three levels nested (a comment, its replies, theirs); anything deeper is listed
flat under the third level, oldest first, each saying whom it replies to. A deleted comment
with replies stays as "[deleted]", a hidden one as "[hidden by a moderator]" (an administrator
sees its text); without replies either is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from litfeed.community.auth import Limit, Throttled
from litfeed.discussion.notifications import to_tell
from litfeed.discussion.render import RENDERER, render
from litfeed.errors import LitfeedError
from litfeed.identifiers import is_storable_text
from litfeed.models import Paper
from litfeed.store import Account, Store
from litfeed.store.community import UNNAMED
from litfeed.store.discussion import Comment

MAX_BODY = 20_000  # characters of Markdown in one comment
MAX_REASON = 1_000  # characters of a report's reason
SHOWN_DEPTH = 3  # levels shown nested; deeper replies are listed flat under the third
Sort = Literal["top", "new"]
SORTS: tuple[Sort, ...] = ("top", "new")

# How many comments one account may write, and one network address (readers may share one: a
# campus, a proxy), per minute and per day; an account in its first day may write fewer.
LIMITS = {
    "account": (Limit(5, timedelta(minutes=1)), Limit(100, timedelta(days=1))),
    "first-day": (Limit(2, timedelta(minutes=1)), Limit(10, timedelta(days=1))),
    "address": (Limit(20, timedelta(minutes=1)), Limit(500, timedelta(days=1))),
}
REPORT_LIMIT = Limit(20, timedelta(hours=1))  # reports one account may make
VOTE_LIMIT = Limit(120, timedelta(minutes=1))  # comment votes one account may cast


class DiscussionError(LitfeedError, ValueError):
    """What was asked cannot be done; the message says why, fit to show the reader."""


class NotAllowed(DiscussionError):
    """The account may not do this (not its comment, not yet proven, suspended)."""


class NoSuch(DiscussionError):
    """No such comment or account (or not one this reader may see)."""


class NoComment(NoSuch):
    """No such comment (or not one this reader may see)."""


# -- writing -----------------------------------------------------------------------------------


def may_write(account: Account) -> None:
    """`NotAllowed` unless the account may write, vote and report: active, its address
    proven."""
    if not account.active:
        raise NotAllowed("this account is suspended")
    if not account.verified:
        raise NotAllowed("confirm your address first (the link in the mail we sent)")


def check_body(body: str) -> str:
    """The comment's source as it is kept: surrounding blank space removed; `DiscussionError`
    when it is empty, too long or holds what no database stores."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise DiscussionError("a comment needs some text")
    if len(body) > MAX_BODY:
        raise DiscussionError(f"a comment holds at most {MAX_BODY:,} characters")
    if not is_storable_text(body):
        raise DiscussionError("the comment holds characters that cannot be stored (NUL)")
    return body


def check_limits(store: Store, account: Account, network_address: str | None) -> None:
    """Count one comment for the account and its network address; `Throttled` past a limit."""
    first_day = datetime.now(UTC) - account.created_at < timedelta(days=1)
    counted = [("first-day" if first_day else "account", f"account {account.id}")]
    if network_address:
        counted.append(("address", f"address {network_address}"))
    for kind, key in counted:
        for rule in LIMITS[kind]:
            window = int(rule.window.total_seconds())
            if not store.community.hit(f"comment {window} {key}", rule.window, rule.events):
                raise Throttled(
                    f"too many comments: at most {rule.events} "
                    f"{'a minute' if window == 60 else 'a day'}"
                    + (" in an account's first day" if kind == "first-day" else "")
                    + ("" if kind != "address" else " from one network address")
                    + "; try again later"
                )


def post(
    store: Store,
    account: Account,
    paper: Paper,
    body: str,
    parent_id: int | None = None,
    network_address: str | None = None,
) -> Comment:
    """A new comment under ``paper`` (a reply to ``parent_id`` when given); the parent's
    writer and the readers it mentions by name are told of it."""
    may_write(account)
    body = check_body(body)
    if paper.hidden:
        raise NoComment("no such paper")
    parent = None
    if parent_id is not None:
        parent = store.discussion.comment(parent_id)
        if parent is None or parent.paper_pk != paper.pk:
            raise NoComment(f"no comment {parent_id} under this paper to reply to")
        if not parent.shown:
            raise DiscussionError("that comment was deleted or hidden: it takes no replies")
    check_limits(store, account, network_address)
    told = to_tell(store, account, parent, body)
    new_id = store.discussion.add(
        paper.pk, account.id, parent_id, body, render(body), RENDERER, told
    )
    found = store.discussion.comment(new_id)
    assert found is not None
    return found


def _own(store: Store, account: Account, comment_id: int) -> Comment:
    comment = store.discussion.comment(comment_id)
    if comment is None or comment.deleted_at is not None:
        raise NoComment(f"no comment {comment_id}")
    if comment.account_id != account.id:
        raise NotAllowed("only its writer can change a comment")
    return comment


def edit(store: Store, account: Account, comment_id: int, body: str) -> Comment:
    """The writer changes their comment (it then says "edited")."""
    may_write(account)
    comment = _own(store, account, comment_id)
    if comment.hidden_at is not None:
        raise NotAllowed("a moderator hid this comment: it cannot be changed")
    body = check_body(body)
    if body != comment.body:
        store.discussion.edit(comment.id, body, render(body), RENDERER)
    changed = store.discussion.comment(comment.id)
    assert changed is not None
    return changed


def delete(store: Store, account: Account, comment_id: int) -> None:
    """The writer deletes their comment: its text is gone; replies to it stay."""
    if not account.active:
        raise NotAllowed("this account is suspended")
    _own(store, account, comment_id)
    store.discussion.delete(comment_id)


def vote(store: Store, account: Account, comment_id: int, on: bool) -> Comment:
    """Vote for a comment (``on``) or take the vote back; one vote per reader."""
    may_write(account)
    comment = store.discussion.comment(comment_id)
    if comment is None or not comment.shown:
        raise NoComment(f"no comment {comment_id}")
    if not store.community.hit(f"comment-vote {account.id}", VOTE_LIMIT.window, VOTE_LIMIT.events):
        raise Throttled("too many votes; try again in a minute")
    store.discussion.vote(comment_id, account.id, on)
    voted = store.discussion.comment(comment_id)
    assert voted is not None
    return voted


def report(store: Store, account: Account, comment_id: int, reason: str) -> bool:
    """Report a comment to the administrators; False when this reader had reported it."""
    may_write(account)
    reason = " ".join(reason.split())
    if not reason:
        raise DiscussionError("say why you report it")
    if len(reason) > MAX_REASON or not is_storable_text(reason):
        raise DiscussionError(f"a reason holds at most {MAX_REASON:,} characters of text")
    comment = store.discussion.comment(comment_id)
    if comment is None or not comment.shown:
        raise NoComment(f"no comment {comment_id}")
    if not store.community.hit(
        f"comment-report {account.id}", REPORT_LIMIT.window, REPORT_LIMIT.events
    ):
        raise Throttled("too many reports; try again in an hour")
    return store.discussion.report(comment_id, account.id, reason)


def hide(store: Store, moderator: Account, comment_id: int, hidden: bool, why: str = "") -> bool:
    """An administrator hides a comment (or shows it again); logged. Whether it changed."""
    if not moderator.administrator:
        raise NotAllowed("only an administrator can hide comments")
    if store.discussion.comment(comment_id) is None:
        raise NoComment(f"no comment {comment_id}")
    return store.discussion.set_hidden(comment_id, hidden, moderator.id, why[:MAX_REASON])


def suspend(
    store: Store, moderator: Account, account_id: int, suspended: bool, why: str = ""
) -> None:
    """An administrator suspends an account (it can no longer log in, write or vote, and its
    votes stop counting) or lifts the suspension; logged."""
    if not moderator.administrator:
        raise NotAllowed("only an administrator can suspend accounts")
    if account_id == moderator.id:
        raise NotAllowed("an administrator cannot suspend their own account")
    if store.community.account(account_id) is None:
        raise NoSuch(f"no account {account_id}")
    store.community.set_suspended(account_id, suspended)
    store.discussion.log(
        moderator.id, "suspend" if suspended else "unsuspend", None, account_id, why[:MAX_REASON]
    )


@dataclass(frozen=True)
class Reported:
    """A comment readers reported, with their reasons, for the moderators' queue."""

    comment: Comment
    paper_id: str
    paper_title: str
    reasons: list[str]
    first: datetime


def reports_queue(store: Store, limit: int = 200) -> list[Reported]:
    """Reported comments no moderator has dealt with, the longest waiting first."""
    grouped: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for open_report in store.discussion.open_reports(limit):
        grouped[open_report.comment_id].append((open_report.reason, open_report.created_at))
    queue = []
    for comment_id, reasons in grouped.items():
        comment = store.discussion.comment(comment_id)
        if comment is None:
            continue
        papers = store.get_papers_by_pk([comment.paper_pk])
        paper_id, title = (papers[0].id, papers[0].title) if papers else ("", "(a hidden paper)")
        queue.append(
            Reported(comment, paper_id, title, [r for r, _ in reasons], min(t for _, t in reasons))
        )
    return sorted(queue, key=lambda reported: reported.first)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Node:
    """A comment as a thread shows it."""

    comment: Comment
    depth: int
    html: str  # "" when deleted, or hidden from this viewer
    state: Literal["shown", "deleted", "hidden"]
    replying_to: str | None = None  # said by replies listed flat under the third level
    replies: list[Node] = field(default_factory=list)
    badge: str | None = None  # "author" when its writer is (claims to be) one of the paper's

    @property
    def author(self) -> str:
        return self.comment.author or UNNAMED

    def flat(self) -> list[Node]:
        """This node and every reply under it, in reading order."""
        return [self, *(node for reply in self.replies for node in reply.flat())]

    def as_json(self) -> dict[str, object]:
        comment = self.comment
        shown = self.state == "shown" or self.html
        return {
            "id": comment.id,
            "parent": comment.parent_id,
            "author": self.author if self.state != "deleted" else None,
            "body": comment.body if shown else None,
            "html": self.html or None,
            "score": comment.score,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "state": self.state,
            "replying_to": self.replying_to,
            "badge": self.badge,
            "replies": [reply.as_json() for reply in self.replies],
        }


@dataclass(frozen=True)
class Thread:
    paper_pk: int
    sort: Sort
    comments: list[Node]  # the first level
    count: int  # comments shown (neither deleted nor hidden)

    def flat(self) -> list[Node]:
        return [node for top in self.comments for node in top.flat()]


def thread(store: Store, paper: Paper, sort: Sort = "top", moderator: bool = False) -> Thread:
    """The comments under ``paper`` arranged to be read (``moderator``: hidden comments show
    their text, marked)."""
    every = store.discussion.thread(paper.pk)
    return arrange(paper.pk, every, sort, moderator)


def arrange(paper_pk: int, every: list[Comment], sort: Sort, moderator: bool = False) -> Thread:
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in every:
        children[comment.parent_id].append(comment)
    wanted: dict[int, bool] = {}

    def kept(comment: Comment) -> bool:
        """Shown, or seen by a moderator, or holding a reply that is kept."""
        if comment.id not in wanted:
            own = comment.shown or (moderator and comment.deleted_at is None)
            wanted[comment.id] = own or any(kept(reply) for reply in children[comment.id])
        return wanted[comment.id]

    def ordered(comments: list[Comment]) -> list[Comment]:
        if sort == "new":
            return sorted(comments, key=lambda c: (c.created_at, c.id), reverse=True)
        return sorted(comments, key=lambda c: (-c.score, c.created_at, c.id))

    def node(comment: Comment, depth: int, replying_to: str | None = None) -> Node:
        if comment.deleted_at is not None:
            state, html = "deleted", ""
        elif comment.hidden_at is not None:
            state, html = "hidden", _html(comment) if moderator else ""
        else:
            state, html = "shown", _html(comment)
        return Node(comment, depth, html, state, replying_to)  # type: ignore[arg-type]

    names = {c.id: c.author or UNNAMED for c in every}  # whom a flat reply answers

    def build(comment: Comment, depth: int) -> Node:
        made = node(comment, depth)
        replies = [reply for reply in children[comment.id] if kept(reply)]
        if depth + 1 < SHOWN_DEPTH:
            made.replies = [build(reply, depth + 1) for reply in ordered(replies)]
        else:  # deeper: every reply below, oldest first, flat, saying whom it answers
            below: list[Comment] = []
            waiting = list(replies)
            while waiting:
                reply = waiting.pop()
                below.append(reply)
                waiting.extend(r for r in children[reply.id] if kept(r))
            below.sort(key=lambda c: (c.created_at, c.id))
            made.replies = [
                node(reply, depth + 1, names.get(reply.parent_id or 0)) for reply in below
            ]
        return made

    first = [build(comment, 0) for comment in ordered([c for c in children[None] if kept(c)])]
    count = sum(1 for comment in every if comment.shown)
    return Thread(paper_pk, sort, first, count)


def shown_node(comment: Comment) -> Node:
    """A shown comment alone, as a thread would show it."""
    return Node(comment, 0, _html(comment), "shown")


def _html(comment: Comment) -> str:
    """The stored HTML, or made again when newer rules exist (a reader never writes: the
    worker stores it, `rerender_stale`)."""
    return comment.html if comment.renderer >= RENDERER else render(comment.body)


def rerender_stale(store: Store, batch: int = 1_000) -> int:
    """Store the HTML of comments made by older rules, made again by today's; how many."""
    done = 0
    while True:
        stale = store.discussion.stale(RENDERER, batch)
        if not stale:
            return done
        store.discussion.rendered([(i, render(body), RENDERER) for i, body in stale])
        done += len(stale)
