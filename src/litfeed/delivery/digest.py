"""The digest: which papers a subscriber gets for a period, the message that carries them, and
sending it through a ledger so that nobody gets two digests for one period.

A period is an announcement day (daily digests) or an ISO week (weekly). Selection runs each
section through the code the pages use (the period's papers, trending, `/search` with the
saved search's filters, limited to the period's papers), drops papers with a muted word and
papers the subscriber was sent before, and shares the room (``max_papers``) between the
sections: each gets its share in turn, then the rest is filled in section order. A subscriber
whose subscription is their account's own (the account proved the address) and who has a
library gets a first section, "For you": the period's papers ranked for them by `personal`
(the hub's `litfeed.recommend`), each saying which of their papers it is close to.

Sending (`Digests.send`): first the ledger rows of every subscriber due are written, with the
papers they hold, in one transaction per batch; then each is rendered and handed to SMTP and
marked sent. A run killed at any moment and started again sends what is left; the one window
(the server accepted a message, the process died before marking it) sends it again, with the
same Message-ID.
"""

from __future__ import annotations

import base64
import contextlib
import email.policy
import json
import math
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from litfeed.addresses import address_key, key_of, parse_address
from litfeed.announcements import announcement_day
from litfeed.community import Community
from litfeed.community.periods import Period, check_day, parse_period, period_containing
from litfeed.community.trending import day_began
from litfeed.config import Settings
from litfeed.delivery.subscriptions import Subscriptions, section_label
from litfeed.errors import LitfeedError, described
from litfeed.mail import MailError, Postman, retry_delay
from litfeed.models import Paper
from litfeed.search import Filters, SearchResults
from litfeed.search.mutes import muted_by
from litfeed.store import Store
from litfeed.store.delivery import CONFIRMED, Digest, Planned, Subscriber

BOUNCE_LIMIT = 3  # permanent refusals (SMTP 5xx) before an address is sent nothing more
SEARCH_CANDIDATES = 100
FOR_YOU = "For you"
FOLLOWED = "From collections you follow"
FOLLOWED_DAYS = 7  # a first digest brings what followed collections gained in this many days
TOPICS = "From topics you follow"


class Personal(Protocol):
    """Ranks a period's papers for readers (the hub gives `litfeed.recommend`'s)."""

    def prepare(self, account_ids: Sequence[int]) -> None:
        """Read what these readers told, at once, before a run ranks for each of them."""

    def __call__(
        self, account_id: int, period: str, papers: list[Paper], limit: int
    ) -> list[tuple[Paper, list[str]]]:
        """Among ``papers`` (those of the period keyed ``period``): (paper, reasons) best
        first, at most ``limit``; nothing for a reader without a library or follows."""


PLAN_BATCH = 500
EXCERPT_CHARACTERS = 220  # about two lines of a mail client

Search = Callable[[str, str, int, Filters], SearchResults]
# Long headers are left whole (RFC 5322 allows 998 characters a line): folded, a signed
# List-Unsubscribe address would be split into encoded words no mail client could post to.
HEADER_POLICY = email.policy.compat32.clone(max_line_length=998)


class DigestError(LitfeedError, ValueError):
    """A digest cannot be made as asked; the message says why."""


class DigestBusy(LitfeedError):
    """Another process sends digests on this database now."""


@dataclass(frozen=True)
class Item:
    paper: Paper
    why: list[str]  # the sections that hold it


@dataclass
class Selection:
    subscriber: Subscriber
    period: Period
    items: list[Item]


@dataclass
class SendReport:
    planned: int = 0
    empty: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.planned} digests recorded, {self.empty} with nothing new (not sent), "
            f"{self.sent} sent, {self.retried} to try again later, {self.failed} given up"
        )


def period_for(cadence: str, day: date) -> Period:
    """The period a digest of ``cadence`` covers when ``day`` names it: that announcement day,
    or the week containing it."""
    return period_containing("week" if cadence == "weekly" else "day", check_day(day))


def due_period(
    latest_day: Callable[[date], date | None], subscriber: Subscriber, now: datetime
) -> Period | None:
    """The period a subscriber's digest is due for at ``now`` (the worker sends it unless the
    ledger has it). Their day counts from their send hour: before it, it is still yesterday.
    Daily: the newest day with papers up to that day (``latest_day``). Weekly: the week before
    that day's, so it falls due on Monday at the hour, and a Monday missed is made up later in
    the week. None when no day has papers."""
    local = now.astimezone(ZoneInfo(subscriber.timezone))
    today = local.date() if local.hour >= subscriber.send_hour else local.date() - timedelta(1)
    return _period_up_to(subscriber.cadence, today, latest_day)


def latest_period(store: Store, cadence: str) -> Period | None:
    """Without a date: the newest day with papers (daily), or the last whole week (weekly)."""
    return _period_up_to(cadence, announcement_day(datetime.now(UTC)), store.latest_day)


def _period_up_to(
    cadence: str, today: date, latest_day: Callable[[date], date | None]
) -> Period | None:
    """The newest daily period with papers up to ``today``, or the week before ``today``'s."""
    if cadence == "weekly":
        return period_for("weekly", today - timedelta(days=today.weekday() + 1))
    latest = latest_day(today)
    return period_for("daily", latest) if latest is not None else None


class Selector:
    """Selection for many subscribers: each period's papers, trending and each saved search
    are computed once per run and shared."""

    def __init__(
        self,
        store: Store,
        community: Community,
        search: Search,
        personal: Personal | None = None,
        readers_of: Callable[[Sequence[Subscriber]], dict[int, int]] | None = None,
    ) -> None:
        self.store = store
        self.community = community
        self.search = search
        self.personal = personal
        self.readers_of = readers_of
        self._readers: dict[int, int] = {}  # subscriber id → their account (prepared)
        self._following: set[int] | None = None  # accounts following a collection
        self._topics: dict[int, set[int]] | None = None  # account → the topics it follows
        self._places: dict[str, dict[int, set[int]]] = {}  # period → topic → its papers' pks
        self._periods: dict[str, list[Paper]] = {}
        self._sections: dict[tuple[str, str], tuple[list[Paper], set[int]]] = {}
        self._indexes: dict[tuple[str, str], dict[str, list[Paper]]] = {}

    def prepare(self, subscribers: Sequence[Subscriber]) -> None:
        """Before selecting for many subscribers: find whose subscription is their account's
        own, and read those readers' libraries at once."""
        if self.readers_of is None:
            return
        self._readers = self.readers_of(subscribers)
        if self.personal is not None:
            self.personal.prepare(sorted(set(self._readers.values())))

    def _follows(self, account_id: int) -> bool:
        """Whether the account follows any collection (read once a run)."""
        if self._following is None:
            self._following = self.store.collections.following_accounts()
        return account_id in self._following

    def _in_topics(self, account_id: int, period: Period) -> list[Paper]:
        """The period's papers in the topics the account follows, in the period's order (the
        follows read once a run, the period's places once a period)."""
        if self._topics is None:
            self._topics = self.store.topics.followed()
        followed = self._topics.get(account_id)
        if not followed:
            return []
        if period.key not in self._places:
            papers = self.papers_of(period)
            members: dict[int, set[int]] = {}
            for pk, place in self.store.topics.places_of([p.pk for p in papers]).items():
                for topic in (place.broad_id, place.fine_id):
                    if topic is not None:
                        members.setdefault(topic, set()).add(pk)
            self._places[period.key] = members
        members = self._places[period.key]
        wanted = set().union(*(members.get(topic, set()) for topic in followed))
        return [paper for paper in self.papers_of(period) if paper.pk in wanted]

    def _reader(self, subscriber: Subscriber) -> int | None:
        """The account whose own subscription this is (its address proven), if any."""
        if self.readers_of is None:
            return None
        if subscriber.id in self._readers:
            return self._readers[subscriber.id]
        return self.readers_of([subscriber]).get(subscriber.id)

    def papers_of(self, period: Period) -> list[Paper]:
        key = period.key
        if key not in self._periods:
            found, _total = self.store.papers_of_days(period.first, period.last, 0, 100_000)
            self._periods[key] = found
        return self._periods[key]

    def section_papers(
        self, section: dict[str, Any], period: Period
    ) -> tuple[list[Paper], set[int]]:
        """The papers of a section in its order, and their pks."""
        key = (period.key, json.dumps(section, sort_keys=True))
        if key not in self._sections:
            found = self._run(section, period)
            self._sections[key] = (found, {paper.pk for paper in found})
        return self._sections[key]

    def _by(self, period: Period, field: str) -> dict[str, list[Paper]]:
        """The period's papers by author or category (in any case), built once a period."""
        key = (period.key, field)
        if key not in self._indexes:
            index: dict[str, list[Paper]] = {}
            for paper in self.papers_of(period):
                for name in dict.fromkeys(value.casefold() for value in getattr(paper, field)):
                    index.setdefault(name, []).append(paper)
            self._indexes[key] = index
        return self._indexes[key]

    def _run(self, section: dict[str, Any], period: Period) -> list[Paper]:
        papers = self.papers_of(period)
        kind = section["kind"]
        if kind == "daily":
            return papers
        if kind in ("author", "category"):
            field = "authors" if kind == "author" else "categories"
            return self._by(period, field).get(section["name"].casefold(), [])
        if kind == "trending":
            end = day_began(period.last + timedelta(days=1))
            now = min(datetime.now(UTC), end)
            return [t.paper for t in self.community.trending(SEARCH_CANDIDATES, now)]
        # A saved search, as /search runs it, among the period's papers.
        filters = Filters(
            category=section.get("category"),
            since=date.fromisoformat(section["since"]) if section.get("since") else None,
            until=date.fromisoformat(section["until"]) if section.get("until") else None,
            among=tuple(p.pk for p in papers),
        )
        if not papers:
            return []
        results = self.search(section["query"], section["mode"], SEARCH_CANDIDATES, filters)
        if results.mode == "semantic":
            return [hit.paper for hit in results.hits]
        return [hit.paper for hit in results.hits if "words" in hit.matched_by]

    def select(self, subscriber: Subscriber, period: Period, skip_sent: bool = True) -> Selection:
        """The papers of a subscriber's digest for ``period``: at most max_papers, none muted,
        none sent to them before (unless not ``skip_sent``), each with the sections it is in."""
        muted = muted_by(subscriber.mutes)
        sections = [
            (section_label(section, subscriber.cadence), *self.section_papers(section, period))
            for section in subscriber.sections
        ]
        room = subscriber.max_papers
        reasons: dict[int, list[str]] = {}
        reader = self._reader(subscriber)
        followed: dict[int, list[str]] = {}
        if reader is not None and self._follows(reader):
            # added since the subscriber's last digest (the first: in the last FOLLOWED_DAYS)
            until = datetime.now(UTC)
            last = self.store.delivery.last_digest_at(subscriber.id)
            since = last or until - timedelta(days=FOLLOWED_DAYS)
            for added in self.store.collections.added_for(reader, since, until):
                followed.setdefault(added.paper_pk, []).append(f"in “{added.collection}”")
            if followed:
                held = self.store.get_papers_by_pk(list(followed))
                sections.insert(0, (FOLLOWED, held, set(followed)))
        if reader is not None:
            in_topics = self._in_topics(reader, period)
            if in_topics:
                sections.insert(0, (TOPICS, in_topics, {paper.pk for paper in in_topics}))
        if reader is not None and self.personal is not None:
            ranked = self.personal(reader, period.key, self.papers_of(period), 3 * room)
            if ranked:
                reasons = {paper.pk: why for paper, why in ranked}
                found = [paper for paper, _why in ranked]
                sections.insert(0, (FOR_YOU, found, set(reasons)))
        lists = [(label, found) for label, found, _pks in sections]
        sent = self.store.delivery.sent_papers(subscriber.id) if skip_sent else set()
        share = max(1, math.ceil(room / max(1, len(lists))))
        chosen: dict[int, Item] = {}
        left_out: set[int] = set(sent)  # sent before, or muted
        for fill in (share, room):  # each section its share, then the rest in order
            for label, found in lists:
                taken = sum(1 for item in chosen.values() if item.why[0] == label)
                for paper in found:
                    if len(chosen) >= room or taken >= fill:
                        break
                    if paper.pk in left_out:
                        continue
                    if paper.pk in chosen:
                        if label not in chosen[paper.pk].why:
                            chosen[paper.pk].why.append(label)
                        continue
                    if muted(paper):
                        left_out.add(paper.pk)
                        continue
                    chosen[paper.pk] = Item(paper, [label])
                    taken += 1
        # Papers chosen for one section also say the other sections that hold them.
        for pk, item in chosen.items():
            for label, _found, pks in sections:
                if pk in pks and label not in item.why:
                    item.why.append(label)
        order = {label: n for n, (label, _found) in enumerate(lists)}
        items = sorted(chosen.values(), key=lambda item: order[item.why[0]])
        for item in items:  # "For you" says why: the reader's own papers it is close to
            for label, why in ((FOR_YOU, reasons), (FOLLOWED, followed)):
                if item.paper.pk in why and label in item.why:
                    place = item.why.index(label)
                    shown = "; ".join(why[item.paper.pk])
                    item.why[place] = f"{label}: {shown}" if shown else label
        return Selection(subscriber, period, items)


# -- the message -----------------------------------------------------------------------------

_templates = Environment(
    loader=PackageLoader("litfeed.delivery", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def excerpt(text: str, limit: int = EXCERPT_CHARACTERS) -> str:
    """About two lines of ``text``, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + " …"


def authors_line(authors: Sequence[str], shown: int = 4) -> str:
    if len(authors) <= shown:
        return ", ".join(authors)
    return ", ".join(authors[:shown]) + f" et al. ({len(authors)} authors)"


class Composer:
    """Renders a selection as a message: a plain-text part and an HTML part with its styles
    inline (no images, no scripts), the links signed for the subscriber."""

    def __init__(self, settings: Settings, subscriptions: Subscriptions) -> None:
        self.settings = settings
        self.subscriptions = subscriptions

    def context(self, selection: Selection) -> dict[str, Any]:
        subscriber = selection.subscriber
        link = self.subscriptions.link
        # One signed token for the message; the paper and the rating ride in the query.
        rate = link(subscriber, "feedback")
        items = [
            {
                "title": " ".join(item.paper.title.split()),
                "authors": authors_line(item.paper.authors),
                "excerpt": excerpt(item.paper.abstract),
                "why": item.why,
                "url": self.subscriptions.url(f"/papers/{item.paper.id}"),
                "more": f"{rate}?{urlencode({'paper': item.paper.id, 'rating': 'more'})}",
                "less": f"{rate}?{urlencode({'paper': item.paper.id, 'rating': 'less'})}",
            }
            for item in selection.items
        ]
        return {
            "title": self.subject(selection),
            "period": selection.period.label,
            "items": items,
            "preferences": link(subscriber, "preferences"),
            "unsubscribe": link(subscriber, "unsubscribe"),
            "site": self.settings.public_url,
        }

    def subject(self, selection: Selection) -> str:
        count = len(selection.items)
        return f"litfeed: {count} paper{'s' if count != 1 else ''} for {selection.period.label}"

    def html(self, selection: Selection) -> str:
        return _templates.get_template("digest.html").render(self.context(selection))

    def text(self, selection: Selection) -> str:
        return _templates.get_template("digest.txt").render(self.context(selection))

    def message(self, selection: Selection, message_id: str) -> Message:
        """multipart/alternative: the plain text, then the HTML. Built with the email
        package's plain MIME classes (its newer API parses every header it is given: 5 ms a
        message, measured); long headers are left whole. The boundary is given (else the
        email package searches both bodies for a free one: 0.5 ms a message): base64 text
        never holds "=_", so no body can contain it; and the bodies are encoded by
        `base64.encodebytes` in C (the email package encodes 57 bytes at a time in Python)."""
        context = self.context(selection)
        boundary = f"=_litfeed_{secrets.token_hex(12)}"
        message = MIMEMultipart("alternative", boundary=boundary, policy=HEADER_POLICY)
        message["From"] = self.settings.mail_from
        message["To"] = parse_address(selection.subscriber.email, "recipient")
        subject = context["title"]
        message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        message["List-Id"] = f"litfeed digest <digest.{_domain(self.settings)}>"
        # RFC 8058: a POST to this address unsubscribes, with no cookie and no log-in.
        message["List-Unsubscribe"] = f"<{context['unsubscribe']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"
        for name, subtype in (("digest.txt", "plain"), ("digest.html", "html")):
            body = _templates.get_template(name).render(context)
            part = MIMENonMultipart("text", subtype, policy=HEADER_POLICY, charset="utf-8")
            part["Content-Transfer-Encoding"] = "base64"
            part.set_payload(base64.encodebytes(body.encode("utf-8")).decode("ascii"))
            message.attach(part)
        return message


def _domain(settings: Settings) -> str:
    return (
        parseaddr(settings.mail_from)[1].rpartition("@")[2]
        or urlsplit(settings.public_url).hostname
        or "litfeed.invalid"
    )


# -- planning and sending --------------------------------------------------------------------


class Digests:
    """Planning, sending and previewing digests over one store."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        community: Community,
        search: Search,
        log: Callable[[str], None] | None = None,
        personal: Personal | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.subscriptions = Subscriptions(store, settings)
        self.composer = Composer(settings, self.subscriptions)
        self.selector = Selector(store, community, search, personal, self.subscriptions.readers_of)
        self.log = log or (lambda _message: None)

    def period(self, cadence: str, day: date | None) -> Period | None:
        return period_for(cadence, day) if day else latest_period(self.store, cadence)

    def preview(
        self, subscriber: Subscriber, day: date | None = None, skip_sent: bool = True
    ) -> Selection | None:
        """The subscriber's next digest as it would be now (None: no period has papers); with
        ``skip_sent`` False, the period's selection whatever was sent (the private feed)."""
        period = self.period(subscriber.cadence, day)
        if period is None:
            return None
        return self.selector.select(subscriber, period, skip_sent)

    @contextlib.contextmanager
    def sending(self, wait: bool = True) -> Iterator[None]:
        """Hold the database's send lock (one send at a time: two would both send a digest
        not yet marked); `DigestBusy` at once when another holds it and not ``wait``."""
        lock = self.store.send_lock()
        while not lock.acquire():
            if not wait:
                raise DigestBusy("another digest send runs on this database now")
            time.sleep(0.5)
        try:
            yield
        finally:
            lock.release()

    def plan(
        self,
        day: date | None = None,
        only: str | None = None,
        now: datetime | None = None,
        wait: bool = True,
    ) -> SendReport:
        """Record the digests due in the ledger (with the papers they hold): for the period
        ``day`` names, or the latest one (from cron); with ``now``, those whose send hour has
        come (the worker). ``only``: one address."""
        with self.sending(wait):
            return self._plan(day, only, now, SendReport())

    def _plan(
        self, day: date | None, only: str | None, now: datetime | None, report: SendReport
    ) -> SendReport:
        subscribers = self._confirmed(only)
        self.selector.prepare(subscribers)
        recorded: dict[str, set[int]] = {}
        planned: list[Planned] = []
        latest: dict[date, date | None] = {}

        def latest_day(until: date) -> date | None:
            if until not in latest:
                latest[until] = self.store.latest_day(until=until)
            return latest[until]

        for subscriber in subscribers:
            period = (
                due_period(latest_day, subscriber, now)
                if now is not None
                else self.period(subscriber.cadence, day)
            )
            if period is None:
                continue
            if period.key not in recorded:
                recorded[period.key] = self.store.delivery.periods_recorded(period.key)
            if subscriber.id in recorded[period.key]:
                continue
            try:
                selection = self.selector.select(subscriber, period)
            except Exception as error:  # one subscriber, one fate: the others are planned
                report.failed += 1
                self.log(f"digest to {subscriber.email!r}: cannot be selected: {described(error)}")
                continue
            if not selection.items:
                # Never sent empty; recorded so it is not worked out again and again.
                report.empty += 1
            planned.append(
                Planned(
                    subscriber.id,
                    period.key,
                    make_msgid(domain=_domain(self.settings)),
                    [(item.paper.pk, item.why) for item in selection.items],
                )
            )
            if len(planned) >= PLAN_BATCH:
                report.planned += len(self.store.delivery.record_digests(planned))
                planned = []
        if planned:
            report.planned += len(self.store.delivery.record_digests(planned))
        return report

    def deliver(self, report: SendReport | None = None, wait: bool = True) -> SendReport:
        """Send every digest of the ledger that is due, and mark each."""
        with self.sending(wait):
            return self._deliver(report or SendReport())

    def _deliver(self, report: SendReport) -> SendReport:
        after = 0
        papers: dict[int, Paper] = {}  # digests of one period share most of their papers
        with Postman(self.settings) as postman:
            while batch := self.store.delivery.due_digests(after_id=after):
                after = batch[-1].id
                subscribers = self.store.delivery.subscribers_by_id(d.subscriber_id for d in batch)
                missing = {int(pk) for d in batch for pk, _why in d.papers} - set(papers)
                papers.update((p.pk, p) for p in self.store.get_papers_by_pk(sorted(missing)))
                for digest in batch:
                    subscriber = subscribers.get(digest.subscriber_id)
                    self._deliver_one(postman, digest, subscriber, papers, report)
        return report

    def send(
        self,
        day: date | None = None,
        only: str | None = None,
        now: datetime | None = None,
        wait: bool = True,
    ) -> SendReport:
        """`plan`, then `deliver`, holding the send lock throughout."""
        with self.sending(wait):
            return self._deliver(self._plan(day, only, now, SendReport()))

    def dry_run(
        self, directory: Path, day: date | None = None, only: str | None = None
    ) -> SendReport:
        """Render the digests a send would send into ``directory`` (one .eml each); nothing is
        sent or recorded."""
        report = SendReport()
        directory.mkdir(parents=True, exist_ok=True)
        for subscriber in self._confirmed(only):
            period = self.period(subscriber.cadence, day)
            if period is None:
                continue
            selection = self.selector.select(subscriber, period)
            if not selection.items:
                report.empty += 1
                continue
            message = self.composer.message(selection, make_msgid(domain=_domain(self.settings)))
            path = directory / f"{subscriber.id:06d}-{period.key}.eml"
            path.write_bytes(bytes(message))
            report.files.append(path)
        return report

    def _confirmed(self, only: str | None) -> list[Subscriber]:
        """The confirmed subscribers (only the one of address ``only``, when given;
        `AddressError` when it is not an address)."""
        key = key_of(only, "--to") if only is not None else None
        found = [
            s
            for s in self.store.delivery.subscribers(CONFIRMED)
            if key is None or address_key(s.email) == key
        ]
        if only is not None and not found:
            raise DigestError(f"{only} is not a confirmed subscriber")
        return found

    def _deliver_one(
        self,
        postman: Postman,
        digest: Digest,
        subscriber: Subscriber | None,
        known: dict[int, Paper],
        report: SendReport,
    ) -> None:
        delivery = self.store.delivery
        if subscriber is None or subscriber.status != CONFIRMED:
            delivery.mark_failed(digest.id, "the subscriber unsubscribed before it was sent", None)
            return
        why = {int(pk): list(sections) for pk, sections in digest.papers}
        papers = [known[pk] for pk in why if pk in known]  # hidden since: left out
        if not papers:
            delivery.mark_failed(digest.id, "its papers were hidden: not sent", None)
            return
        period = parse_period("week" if "W" in digest.period else "day", digest.period)
        selection = Selection(subscriber, period, [Item(p, why[p.pk]) for p in papers])
        try:
            message = self.composer.message(selection, digest.message_id)
        except Exception as error:  # one digest, one fate: the others are sent
            reason = f"cannot be built: {described(error)}"
            delivery.mark_failed(digest.id, reason, None)
            report.failed += 1
            self.log(f"digest to {subscriber.email!r}: {reason}")
            return
        try:
            postman.send(message)
        except MailError as error:
            if error.permanent:
                delivery.mark_failed(digest.id, str(error), None)
                bounces = delivery.count_bounce(subscriber.id, BOUNCE_LIMIT)
                report.failed += 1
                self.log(f"digest to {subscriber.email}: {error} (refusal {bounces})")
            else:
                retry = retry_delay(digest.attempts + 1)
                delivery.mark_failed(digest.id, str(error), retry)
                report.retried += 1
                self.log(f"digest to {subscriber.email}: {error}; trying again later")
            return
        delivery.mark_sent(digest.id)
        if subscriber.bounces:
            delivery.reset_bounces(subscriber.id)
        report.sent += 1
