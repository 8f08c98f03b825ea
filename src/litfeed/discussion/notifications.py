"""Telling readers of replies to their comments and of mentions of their name (``@name``, as
their public name is written): a notification is written with the comment, in its transaction;
the worker mails each reader's waiting notifications together once the oldest has waited
BATCH (so that a lively thread makes one mail, not ten), queueing the mail and marking them in
one transaction, so that a worker killed at any moment tells each reader once. Every reader
also has them as a page and a private Atom feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from litfeed.addresses import parse_address
from litfeed.config import Settings
from litfeed.mail.outbox import new_message_id
from litfeed.store import Account, Store
from litfeed.store.community import UNNAMED
from litfeed.store.discussion import Comment, Notification, QueuedMail

BATCH = timedelta(minutes=10)  # how long a notification waits for others to join its mail
MAX_MENTIONS = 10  # names one comment can notify
EXCERPT = 300  # characters of a comment quoted in a mail
MAIL_LISTS = 100  # notifications a mail quotes; it counts the rest ("… and 12 more")

REPLY, MENTION = "reply", "mention"
# "@name" as account names are made (2-40 letters, digits, - or _), not inside a word or an
# address ("ada@example.org" names nobody).
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_-]{1,39})(?![\w@-])")
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)


def mentioned(body: str) -> list[str]:
    """The names ``body`` mentions (outside code), each once, at most MAX_MENTIONS."""
    names = _MENTION.findall(_CODE.sub(" ", body))
    return list(dict.fromkeys(names))[:MAX_MENTIONS]


def to_tell(
    store: Store, writer: Account, parent: Comment | None, body: str
) -> list[tuple[int, str]]:
    """(account, kind) told of a new comment: the parent's writer, then the readers it
    mentions; never its own writer, nor an account that cannot read it as theirs (not
    proven, suspended)."""
    told: list[tuple[int, str]] = []
    if parent is not None and parent.account_id != writer.id:
        told.append((parent.account_id, REPLY))
    for name in mentioned(body):
        account = store.community.account_by_name(name)
        if account is None or account.id == writer.id or not account.verified:
            continue
        if account.active:
            told.append((account.id, MENTION))
    return told


def mail_waiting(
    store: Store,
    settings: Settings,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> int:
    """Queue one mail per reader whose oldest waiting notification is BATCH old; how many
    readers were told. A reader who turned the mail off, or whose address no longer proves
    itself, has theirs marked without a mail (their page and feed still show them)."""
    before = (now or datetime.now(UTC)) - BATCH
    told = 0
    for account_id in store.discussion.waiting(before):
        account = store.community.account(account_id)
        total, highest = store.discussion.unmailed(account_id)
        waiting = store.discussion.notifications(account_id, limit=MAIL_LISTS, unmailed=True)
        mail = None
        wanted = account is not None and account.active and account.verified
        if account is not None and wanted and account.comment_mail and waiting:
            try:
                mail = _mail(account, waiting, settings, max(total, len(waiting)))
            except ValueError as error:  # an address that no longer parses
                if log:
                    log(f"notifications for account {account_id}: {error}")
        if store.discussion.mark_mailed(account_id, mail, highest) and mail is not None:
            told += 1
    return told


def _mail(
    account: Account, waiting: list[Notification], settings: Settings, total: int
) -> QueuedMail:
    """The mail of ``waiting`` (the first MAIL_LISTS of ``total``)."""
    site = settings.public_url
    count = total
    lines = []
    for note in waiting:
        who = note.writer or UNNAMED
        what = "replied to your comment" if note.kind == REPLY else "mentioned you"
        excerpt = " ".join(note.body.split())
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[: EXCERPT - 1] + "…"
        lines.append(
            f"{who} {what} on “{note.paper_title}”:\n\n> {excerpt}\n\n"
            f"{site}/papers/{note.paper_id}#c{note.comment_id}\n"
        )
    first = waiting[0]
    did = "replied to you" if first.kind == REPLY else "mentioned you"
    subject = (
        f"{first.writer or UNNAMED} {did}" if count == 1 else f"{count} new replies and mentions"
    ) + " on litfeed"
    more = total - len(waiting)
    if more > 0:
        lines.append(f"… and {more} more.\n")
    text = (
        "\n".join(lines)
        + f"\nAll your notifications: {site}/notifications\n"
        + f'Stop these mails: {site}/account ("mail me replies and mentions").\n'
    )
    return QueuedMail(
        recipient=parse_address(account.email, "recipient"),
        subject=subject,
        text_body=text,
        html_body=None,
        message_id=new_message_id(settings),
    )
