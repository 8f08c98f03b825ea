"""Digest subscriptions: what a digest holds (sections, muted words, how many papers, how
often, at which hour), double opt-in, and the signed links every message and page carries.

A section is a dict: ``{"kind": "trending"}``, ``{"kind": "daily"}`` (the period's papers),
``{"kind": "search", "query": …, "mode": …, "category": …, "since": …, "until": …}`` (a saved
search, run through the same code as ``/search``), ``{"kind": "author", "name": …}`` or
``{"kind": "category", "name": …}``. From the shell and in URLs they are written
``trending``, ``daily``, ``search:QUERY`` (or ``search:q=QUERY&mode=semantic&category=cs.LG``,
the search page's parameters), ``author:NAME``, ``category:CAT``.

Links are signed with the database's key (itsdangerous) and expire: the confirmation after
CONFIRM_DAYS, the others after LINK_DAYS; each also names the subscriber's secret, so making a
new one (from the preferences page) revokes every link and private feed given so far.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from litfeed.addresses import address_key, parse_address
from litfeed.config import Settings
from litfeed.errors import LitfeedError
from litfeed.mail import queue_mail
from litfeed.store import Account, Store
from litfeed.store.delivery import CONFIRMED, PENDING, UNSUBSCRIBED, Subscriber
from litfeed.taxonomy import checked_category

CONFIRM_DAYS = 7
LINK_DAYS = 120  # unsubscribe, preferences, feedback: a digest stays in a mailbox for months
MAX_SECTIONS = 20
MAX_MUTES = 50
DEFAULT_MAX_PAPERS = 10
MAX_PAPERS = 50
CADENCES = ("daily", "weekly")
KINDS = ("trending", "daily", "search", "author", "category")
DEFAULT_SECTIONS: list[dict[str, Any]] = [{"kind": "trending"}]
_WORD = re.compile(r"[^\W_][\w\-]*", re.UNICODE)


class SubscriptionError(LitfeedError, ValueError):
    """A choice that cannot be: the message says which and why; ``field`` names the choice
    (sections, mutes, max_papers, cadence, send_hour, timezone) where one is at fault."""

    def __init__(self, message: str, field: str = "sections") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Choices:
    """What a subscriber chose, checked."""

    sections: list[dict[str, Any]]
    mutes: list[str]
    max_papers: int = DEFAULT_MAX_PAPERS
    cadence: str = "daily"
    send_hour: int = 7
    timezone: str = "UTC"

    def columns(self) -> dict[str, Any]:
        return {
            "sections": self.sections,
            "mutes": self.mutes,
            "max_papers": self.max_papers,
            "cadence": self.cadence,
            "send_hour": self.send_hour,
            "timezone": self.timezone,
        }


def parse_section(text: str) -> dict[str, Any]:
    """A section from its written form (see the module's docstring); `SubscriptionError`."""
    text = text.strip()
    kind, _, value = text.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind in ("trending", "daily") and not value:
        return {"kind": kind}
    if kind == "search" and value:
        if "q=" in value and ("&" in value or value.startswith("q=")):
            fields = {key: values[-1] for key, values in parse_qs(value).items()}
            return check_section({"kind": "search", **fields, "query": fields.get("q", "")})
        return check_section({"kind": "search", "query": value})
    if kind in ("author", "category") and value:
        return check_section({"kind": kind, "name": value})
    raise SubscriptionError(
        f"{text[:80]!r} is not a section: write trending, daily, search:QUERY, author:NAME "
        "or category:CAT"
    )


def check_section(section: dict[str, Any]) -> dict[str, Any]:
    """A section with only its known fields, each checked."""
    from litfeed.search import MODES, check_query  # not at the top: `subscribers list` is quick

    kind = section.get("kind")
    if kind in ("trending", "daily"):
        return {"kind": kind}
    if kind == "search":
        mode = str(section.get("mode") or "hybrid")
        if mode not in MODES:
            raise SubscriptionError(f"unknown search mode {mode!r} (known: {', '.join(MODES)})")
        try:
            query, _ = check_query(str(section.get("query") or ""), mode)
        except ValueError as error:
            raise SubscriptionError(f"saved search: {error}") from None
        checked: dict[str, Any] = {"kind": "search", "query": query, "mode": mode}
        category = str(section.get("category") or "").strip()
        if category:
            checked["category"] = _category(category, "saved search: ")
        for bound in ("since", "until"):
            value = str(section.get(bound) or "").strip()
            if value:
                try:
                    checked[bound] = date.fromisoformat(value).isoformat()
                except ValueError:
                    raise SubscriptionError(
                        f"saved search: {bound} {value[:40]!r} is not a date (YYYY-MM-DD)"
                    ) from None
        return checked
    if kind in ("author", "category"):
        name = " ".join(str(section.get("name") or "").split())
        if not name or len(name) > 200:
            raise SubscriptionError(f"{kind}: a name of 1 to 200 characters")
        if kind == "category":
            name = _category(name, "category: ")
        return {"kind": kind, "name": name}
    raise SubscriptionError(f"unknown section kind {kind!r} (known: {', '.join(KINDS)})")


def _category(name: str, where: str) -> str:
    """``name`` as arXiv spells the category; `SubscriptionError` when arXiv has none such."""
    try:
        return checked_category(name)
    except ValueError as error:
        raise SubscriptionError(f"{where}{error}") from None


def section_text(section: dict[str, Any]) -> str:
    """The written form of a section (what `parse_section` reads)."""
    kind = section["kind"]
    if kind in ("author", "category"):
        return f"{kind}:{section['name']}"
    if kind == "search":
        extra = {k: section[k] for k in ("category", "since", "until") if section.get(k)}
        if section.get("mode", "hybrid") != "hybrid" or extra:
            fields = {"q": section["query"], "mode": section.get("mode", "hybrid"), **extra}
            return "search:" + urlencode(fields)
        return f"search:{section['query']}"
    return str(kind)


def section_label(section: dict[str, Any], cadence: str = "daily") -> str:
    """How a digest names a section (and says why a paper is in it)."""
    kind = section["kind"]
    if kind == "trending":
        return "Trending"
    if kind == "daily":
        return "This week's papers" if cadence == "weekly" else "The day's papers"
    if kind == "search":
        how = {"keyword": " (by words)", "semantic": " (by meaning)"}.get(section["mode"], "")
        filters = ", ".join(
            f"{name} {section[name]}"
            for name in ("category", "since", "until")
            if section.get(name)
        )
        return f'Saved search "{section["query"]}"{how}' + (f" ({filters})" if filters else "")
    if kind == "author":
        return f"Author {section['name']}"
    return f"Category {section['name']}"


def check_choices(
    sections: list[dict[str, Any]] | None = None,
    mutes: list[str] | None = None,
    max_papers: int | None = None,
    cadence: str | None = None,
    send_hour: int | None = None,
    timezone: str | None = None,
) -> Choices:
    checked = [check_section(section) for section in (sections or DEFAULT_SECTIONS)]
    unique: list[dict[str, Any]] = []
    for section in checked:
        if section not in unique:
            unique.append(section)
    if len(unique) > MAX_SECTIONS:
        raise SubscriptionError(f"at most {MAX_SECTIONS} sections")
    words: list[str] = []
    for mute in mutes or []:
        for word in mute.split(","):
            word = " ".join(word.split()).lower()
            if word and word not in words:
                if len(word) > 100 or not _WORD.search(word):
                    raise SubscriptionError(
                        f"muted word {word[:40]!r}: 1 to 100 characters", "mutes"
                    )
                words.append(word)
    if len(words) > MAX_MUTES:
        raise SubscriptionError(f"at most {MAX_MUTES} muted words", "mutes")
    count = DEFAULT_MAX_PAPERS if max_papers is None else max_papers
    if not 1 <= count <= MAX_PAPERS:
        raise SubscriptionError(f"at most: 1 to {MAX_PAPERS} papers", "max_papers")
    cadence = cadence or "daily"
    if cadence not in CADENCES:
        raise SubscriptionError(f"cadence {cadence!r}: daily or weekly", "cadence")
    hour = 7 if send_hour is None else send_hour
    if not 0 <= hour <= 23:
        raise SubscriptionError("the send hour is 0 to 23", "send_hour")
    zone = (timezone or "UTC").strip()
    if zone not in _zones():
        raise SubscriptionError(f"unknown time zone {zone[:60]!r} (e.g. Europe/Berlin)", "timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriptionError(f"unknown time zone {zone[:60]!r}", "timezone") from None
    return Choices(unique, words, count, cadence, hour, zone)


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones() | {"UTC"})
    return _ZONES


class Subscriptions:
    """Subscribing (double opt-in), confirming, unsubscribing, and the signed links."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._links = URLSafeTimedSerializer(
            store.community.signing_key(), salt="litfeed-subscriptions"
        )

    # -- links ---------------------------------------------------------------------------------

    def token(self, subscriber: Subscriber, action: str, **extra: Any) -> str:
        return self._links.dumps({"s": subscriber.id, "k": subscriber.secret, "a": action, **extra})

    def url(self, path: str) -> str:
        return self.settings.public_url + path

    def link(self, subscriber: Subscriber, action: str, **extra: Any) -> str:
        """The address of one of a subscriber's pages: confirm, preferences, preview,
        unsubscribe, feed, feedback (the paper and the rating go in its query)."""
        return self.url(self.path(subscriber, action, **extra))

    def path(self, subscriber: Subscriber, action: str, **extra: Any) -> str:
        """`link` without the site's address (for redirects within the site)."""
        token = self.token(subscriber, action, **extra)
        paths = {
            "confirm": f"/subscriptions/confirm/{token}",
            "preferences": f"/subscriptions/{token}",
            "preview": f"/subscriptions/{token}/preview",
            "unsubscribe": f"/unsubscribe/{token}",
            "feed": f"/feeds/subscriptions/{token}.atom",
            "feedback": f"/feedback/{token}",
        }
        return paths[action]

    def read(self, token: str, action: str) -> tuple[Subscriber, dict[str, Any]] | None:
        """The subscriber a link names, when it is whole, of ``action``, not expired (a feed's
        never expires) and of the subscriber's current secret; else None."""
        if len(token) > 1000:
            return None
        age = {"confirm": CONFIRM_DAYS, "feed": None}.get(action, LINK_DAYS)
        try:
            data = self._links.loads(
                token, max_age=int(timedelta(days=age).total_seconds()) if age else None
            )
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or data.get("a") != action:
            return None
        subscriber_id = data.get("s")
        if not isinstance(subscriber_id, int):
            return None
        subscriber = self.store.delivery.subscriber(subscriber_id)
        if subscriber is None or subscriber.secret != data.get("k"):
            return None
        return subscriber, data

    # -- subscribing ---------------------------------------------------------------------------

    def subscribe(
        self,
        email: str,
        choices: Choices,
        account: Account | None = None,
        confirmed: bool = False,
        trusted: bool = False,
    ) -> Subscriber:
        """Subscribe ``email`` with ``choices``. Unless ``confirmed`` (an administrator), or
        ``account`` has proven this very address (then the subscription is its own), the
        address is mailed a link to confirm (double opt-in), and a confirmed subscriber is not
        changed (its owner is mailed a link to the preferences instead): the answer to the
        visitor is the same in every case. ``trusted`` (an administrator) changes a confirmed
        subscriber's choices. `AddressError` for what is not an address."""
        email = parse_address(email)
        owner = self.owner(account, email)
        confirmed = confirmed or owner is not None
        found = self.store.delivery.subscriber_by_email(email)
        if found is not None and found.status == CONFIRMED and not (confirmed or trusted):
            # Someone may be trying another's address: do not change it, tell its owner.
            self._mail(
                found.email,
                "Your litfeed digest",
                "Someone (you?) asked to subscribe this address to litfeed's digest, which it "
                "is already. To change what it holds, or to unsubscribe:\n\n"
                f"{self.link(found, 'preferences')}\n",
            )
            return found
        columns = choices.columns()
        if owner is not None:
            columns["account_id"] = owner.id
        subscriber = self.store.delivery.save_subscriber(email, confirmed, **columns)
        if subscriber.status == PENDING:
            self._mail(
                subscriber.email,
                "Confirm your litfeed digest",
                "Open this link to start receiving litfeed's digest "
                f"({subscriber.cadence}):\n\n{self.link(subscriber, 'confirm')}\n\n"
                f"It works for {CONFIRM_DAYS} days. If you did not ask for it, ignore this "
                "message: nothing will be sent.\n",
            )
        return subscriber

    @staticmethod
    def owner(account: Account | None, email: str) -> Account | None:
        """``account`` when it has proven the address ``email`` (normal form), else None."""
        from litfeed.community.accounts import proven_address

        proven = proven_address(account) if account is not None else None
        if proven is None or address_key(proven) != address_key(email):
            return None
        return account

    def confirm(self, token: str) -> Subscriber | None:
        found = self.read(token, "confirm")
        if found is None:
            return None
        subscriber = found[0]
        if subscriber.status != CONFIRMED:
            self.store.delivery.set_status(subscriber.id, CONFIRMED)
        return self.store.delivery.subscriber(subscriber.id)

    def record_feedback(self, subscriber: Subscriber, paper_pk: int, value: int) -> None:
        """A digest's "more / less like this" (``value`` +1 or -1): kept with the subscriber
        and, when the subscription is an account's own (the account proved this address), as
        that reader's rating, which their next personal ranking follows."""
        self.store.delivery.record_feedback(subscriber.id, paper_pk, value)
        reader = self.reader_of(subscriber)
        if reader is not None:
            self.store.library.rate(reader, paper_pk, value)

    def reader_of(self, subscriber: Subscriber) -> int | None:
        """The account whose own the subscription is (it proved the subscriber's address):
        their library shapes the digest, and the digest's feedback is their rating."""
        return self.readers_of([subscriber]).get(subscriber.id)

    def readers_of(self, subscribers: Sequence[Subscriber]) -> dict[int, int]:
        """`reader_of` of many subscribers at once: subscriber id → account id, for those
        whose subscription is their account's own."""
        ids = [s.account_id for s in subscribers if s.account_id is not None]
        found = self.store.community.accounts_by_id(ids)
        readers = {}
        for subscriber in subscribers:
            account = found.get(subscriber.account_id) if subscriber.account_id else None
            owner = self.owner(account, subscriber.email)
            if owner is not None:
                readers[subscriber.id] = owner.id
        return readers

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.status != UNSUBSCRIBED:
            self.store.delivery.set_status(subscriber.id, UNSUBSCRIBED)

    def update(self, subscriber: Subscriber, choices: Choices) -> Subscriber:
        self.store.delivery.update_subscriber(subscriber.id, **choices.columns())
        updated = self.store.delivery.subscriber(subscriber.id)
        assert updated is not None
        return updated

    def new_secret(self, subscriber: Subscriber) -> Subscriber:
        """Revoke every link and private feed given so far."""
        self.store.delivery.update_subscriber(subscriber.id, secret=secrets.token_hex(8))
        updated = self.store.delivery.subscriber(subscriber.id)
        assert updated is not None
        return updated

    def _mail(self, to: str, subject: str, text: str) -> None:
        queue_mail(self.store, self.settings, to, subject, text)
