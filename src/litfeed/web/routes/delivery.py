"""Digest subscriptions (subscribe, confirm, preferences, preview, one-click unsubscribe,
feedback), Atom feeds of every list, and the OpenSearch description."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.addresses import AddressError, key_of
from litfeed.community.accounts import AccountError
from litfeed.community.auth import Throttled
from litfeed.delivery.feeds import (
    MEDIA_TYPE,
    OPENSEARCH_TYPE,
    Entry,
    atom_feed,
    opensearch_description,
)
from litfeed.delivery.subscriptions import (
    CADENCES,
    DEFAULT_MAX_PAPERS,
    MAX_PAPERS,
    Choices,
    SubscriptionError,
    check_choices,
    parse_section,
    section_text,
)
from litfeed.hub import Hub
from litfeed.models import Paper
from litfeed.search import Filters
from litfeed.store.delivery import CONFIRMED, Subscriber
from litfeed.web.auth import auth_of, check_csrf, client_address, viewer
from litfeed.web.params import Category, Days, SearchMode, SearchQuery, Since, Until

Render = Callable[..., Response]
Token = Annotated[str, Query(max_length=1000)]
PaperId = Annotated[str, Query(max_length=300)]
Rating = Annotated[str, Query(max_length=10)]
RATINGS = {"more": 1, "less": -1}
FEED_SIZE = 50
# The digest preview is a mail's HTML: its styles are inline, which the site's policy forbids.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
SUBSCRIBED = (
    "Check your inbox: a message is on its way to {email} with a link to confirm the "
    "subscription (or, if it is subscribed already, a link to its preferences). Nothing is "
    "sent until it is confirmed."
)


class SubscriptionRequest(BaseModel):
    email: str = Field(max_length=320)
    sections: list[str] = Field(
        default_factory=lambda: ["trending"],
        max_length=20,
        description="trending, daily, search:QUERY (or search:q=QUERY&mode=semantic&"
        "category=cs.LG), author:NAME, category:CAT",
    )
    mutes: list[str] = Field(default_factory=list, max_length=50, description="Muted words.")
    max_papers: int = Field(default=DEFAULT_MAX_PAPERS, ge=1, le=MAX_PAPERS)
    cadence: str = Field(default="daily", description="daily or weekly")
    send_hour: int = Field(default=7, ge=0, le=23)
    timezone: str = Field(default="UTC", max_length=64)


class ChoicesForm(BaseModel):
    """The subscription form's fields, as typed (checked by `check_choices`)."""

    sections: str = Field(default="trending", max_length=5000)
    mutes: str = Field(default="", max_length=5000)
    max_papers: str = Field(default="", max_length=10)
    cadence: str = Field(default="daily", max_length=20)
    send_hour: str = Field(default="", max_length=10)
    timezone: str = Field(default="UTC", max_length=64)
    csrf: str = Field(default="", max_length=200)

    def typed(self) -> dict[str, Any]:
        return self.model_dump(exclude={"csrf", "action"})


class SubscribeForm(ChoicesForm):
    email: str = Field(default="", max_length=320)


class PreferencesForm(ChoicesForm):
    action: str = Field(default="save", max_length=20)


class Accepted(BaseModel):
    message: str


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _form_values(subscriber: Subscriber | None, **given: Any) -> dict[str, Any]:
    """What a subscription form shows: the subscriber's choices, else defaults; ``given``
    (what was typed) wins."""
    values: dict[str, Any] = {
        "email": subscriber.email if subscriber else "",
        "sections": "\n".join(section_text(s) for s in subscriber.sections)
        if subscriber
        else "trending",
        "mutes": ", ".join(subscriber.mutes) if subscriber else "",
        "max_papers": subscriber.max_papers if subscriber else DEFAULT_MAX_PAPERS,
        "cadence": subscriber.cadence if subscriber else "daily",
        "send_hour": subscriber.send_hour if subscriber else 7,
        "timezone": subscriber.timezone if subscriber else "UTC",
    }
    values.update({k: v for k, v in given.items() if v is not None})
    values["cadences"] = CADENCES
    values["max_allowed"] = MAX_PAPERS
    return values


def _feed(body: bytes) -> Response:
    return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8")


def delivery_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter()
    site = hub.settings.public_url

    def choices_from_form(form: ChoicesForm) -> Choices:
        try:
            count = int(form.max_papers or DEFAULT_MAX_PAPERS)
            hour = int(form.send_hour or 7)
        except ValueError:
            raise SubscriptionError("how many papers and the hour are whole numbers") from None
        return check_choices(
            [parse_section(line) for line in _lines(form.sections)],
            [form.mutes],
            count,
            form.cadence,
            hour,
            form.timezone,
        )

    def notice(request: Request, title: str, message: str, status_code: int = 200) -> Response:
        return render(request, "notice.html", {"title": title, "message": message}, status_code)

    def subscriber_of(token: str, action: str) -> Subscriber:
        found = hub.subscriptions.read(token, action)
        if found is None:
            raise HTTPException(404, "this link does not work: it has expired or is not whole")
        return found[0]

    # -- subscribing ---------------------------------------------------------------------------

    @router.get("/subscribe", response_class=HTMLResponse, include_in_schema=False)
    def subscribe_form(
        request: Request,
        email: Annotated[str, Query(max_length=320)] = "",
        section: Annotated[list[str] | None, Query(max_length=20)] = None,
    ) -> Response:
        account = viewer(request)
        values = _form_values(
            None,
            email=email or (account.email if account else ""),
            sections="\n".join(s[:1000] for s in section) if section else None,
        )
        return render(request, "subscribe.html", {**values, "error": None})

    @router.post("/subscribe", response_class=HTMLResponse, include_in_schema=False)
    def subscribe(request: Request, form: Annotated[SubscribeForm, Form()]) -> Response:
        check_csrf(request, form.csrf)
        email = form.email
        account = viewer(request)
        try:
            choices = choices_from_form(form)  # checked first: a mistyped form costs no attempt
            auth_of(request).limit("subscribe", client_address(request), key_of(email))
            subscriber = hub.subscriptions.subscribe(email, choices, account)
        except (SubscriptionError, AccountError, AddressError) as error:
            status = 429 if isinstance(error, Throttled) else 400
            values = _form_values(None, **form.typed())
            return render(request, "subscribe.html", {**values, "error": str(error)}, status)
        if hub.subscriptions.owner(account, subscriber.email) is not None:
            return RedirectResponse(hub.subscriptions.path(subscriber, "preferences"), 303)
        return notice(request, "Almost there", SUBSCRIBED.format(email=email.strip()))

    @router.post("/api/subscriptions", response_model=Accepted, status_code=202, tags=["delivery"])
    def subscribe_json(request: Request, asked: SubscriptionRequest) -> Accepted:
        """Subscribe an address to the digest; it gets a link to confirm (double opt-in). The
        answer is the same whether or not the address is subscribed already."""
        choices = check_choices(
            [parse_section(text) for text in asked.sections],
            asked.mutes,
            asked.max_papers,
            asked.cadence,
            asked.send_hour,
            asked.timezone,
        )  # checked first: a mistyped request costs no attempt
        auth_of(request).limit("subscribe", client_address(request), key_of(asked.email))
        hub.subscriptions.subscribe(asked.email, choices)
        return Accepted(message=SUBSCRIBED.format(email=asked.email.strip()))

    @router.get(
        "/subscriptions/confirm/{token}", response_class=HTMLResponse, include_in_schema=False
    )
    def confirm_page(request: Request, token: str) -> Response:
        """The confirmation link asks for a press of its button: opening it (as a mail
        scanner does, following every link of a message) confirms nothing."""
        found = hub.subscriptions.read(token, "confirm")
        if found is None:
            return _dead_confirmation(request)
        subscriber = found[0]
        if subscriber.status == CONFIRMED:  # nothing to ask: its preferences
            return RedirectResponse(hub.subscriptions.path(subscriber, "preferences"), 303)
        return render(request, "confirm_subscription.html", {"subscriber": subscriber})

    @router.post(
        "/subscriptions/confirm/{token}", response_class=HTMLResponse, include_in_schema=False
    )
    def confirm(request: Request, token: str) -> Response:
        """The signed link is the proof (as for unsubscribing): no cookie or CSRF token."""
        subscriber = hub.subscriptions.confirm(token)
        if subscriber is None:
            return _dead_confirmation(request)
        return RedirectResponse(
            hub.subscriptions.path(subscriber, "preferences") + "?confirmed=1", 303
        )

    def _dead_confirmation(request: Request) -> Response:
        return notice(
            request,
            "This link does not work",
            "It has expired or is not whole: subscribe again to get a new one.",
            400,
        )

    # -- preferences, preview ------------------------------------------------------------------

    def preferences_page(
        request: Request,
        subscriber: Subscriber,
        status_code: int = 200,
        error: str | None = None,
        saved: bool = False,
        confirmed: bool = False,
        typed: dict[str, Any] | None = None,
    ) -> Response:
        subscriptions = hub.subscriptions
        data = {
            **_form_values(subscriber, **(typed or {})),
            "subscriber": subscriber,
            "active": subscriber.status == CONFIRMED,
            "token": subscriptions.token(subscriber, "preferences"),
            "feed": subscriptions.link(subscriber, "feed"),
            "preview": subscriptions.link(subscriber, "preview"),
            "unsubscribe": subscriptions.link(subscriber, "unsubscribe"),
            "error": error,
            "saved": saved,
            "confirmed": confirmed,
        }
        return render(request, "preferences.html", data, status_code)

    @router.get("/subscriptions/{token}", response_class=HTMLResponse, include_in_schema=False)
    def preferences(request: Request, token: str, confirmed: str = "") -> Response:
        subscriber = subscriber_of(token, "preferences")
        return preferences_page(request, subscriber, confirmed=bool(confirmed))

    @router.post("/subscriptions/{token}", response_class=HTMLResponse, include_in_schema=False)
    def save_preferences(
        request: Request, token: str, form: Annotated[PreferencesForm, Form()]
    ) -> Response:
        check_csrf(request, form.csrf)
        action = form.action
        subscriber = subscriber_of(token, "preferences")
        subscriptions = hub.subscriptions
        if action == "new-links":
            renewed = subscriptions.new_secret(subscriber)
            return RedirectResponse(subscriptions.path(renewed, "preferences"), 303)
        if action == "resume":
            hub.store.delivery.set_status(subscriber.id, CONFIRMED)
            return RedirectResponse(subscriptions.path(subscriber, "preferences"), 303)
        try:
            choices = choices_from_form(form)
        except SubscriptionError as error:
            return preferences_page(request, subscriber, 400, str(error), typed=form.typed())
        return preferences_page(request, subscriptions.update(subscriber, choices), saved=True)

    @router.get(
        "/subscriptions/{token}/preview", response_class=HTMLResponse, include_in_schema=False
    )
    def preview(token: str) -> Response:
        subscriber = subscriber_of(token, "preview")
        digests = hub.digests()
        selection = digests.preview(subscriber)
        if selection is None or not selection.items:
            body = (
                "<!DOCTYPE html><title>Nothing new</title><p>Your next digest has nothing in it "
                "yet: nothing new matches its sections. An empty digest is never sent.</p>"
            )
        else:
            body = digests.composer.html(selection)
        return HTMLResponse(body, headers={"content-security-policy": PREVIEW_POLICY})

    # -- unsubscribing (RFC 8058), feedback ----------------------------------------------------

    @router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_page(request: Request, token: str) -> Response:
        subscriber = subscriber_of(token, "unsubscribe")
        data = {"subscriber": subscriber, "done": False}
        return render(request, "unsubscribe.html", data)

    @router.post("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe(request: Request, token: str) -> Response:
        """One click (RFC 8058): the signed link is the proof; no cookie, no log-in, no CSRF
        token (a mail client posts ``List-Unsubscribe=One-Click`` with nothing else)."""
        subscriber = subscriber_of(token, "unsubscribe")
        hub.subscriptions.unsubscribe(subscriber)
        data = {
            "subscriber": subscriber,
            "done": True,
            "preferences": hub.subscriptions.link(subscriber, "preferences"),
        }
        return render(request, "unsubscribe.html", data)

    def feedback_of(token: str, paper: str, rating: str) -> tuple[Subscriber, Paper, int]:
        """The subscriber a feedback link names (its token), the paper and the rating (its
        query: one token serves every paper of a message)."""
        found = hub.subscriptions.read(token, "feedback")
        if found is None or rating not in RATINGS:
            raise HTTPException(404, "this link does not work: it has expired or is not whole")
        rated = hub.get_paper(paper)
        if rated is None or rated.hidden:
            raise HTTPException(404, "this paper is no longer here")
        return found[0], rated, RATINGS[rating]

    @router.get("/feedback/{token}", response_class=HTMLResponse, include_in_schema=False)
    def feedback_page(request: Request, token: str, paper: PaperId, rating: Rating) -> Response:
        _subscriber, rated, value = feedback_of(token, paper, rating)
        return render(request, "feedback.html", {"paper": rated, "value": value, "done": False})

    @router.post("/feedback/{token}", response_class=HTMLResponse, include_in_schema=False)
    def feedback(request: Request, token: str, paper: PaperId, rating: Rating) -> Response:
        """Records "more / less like this" from a digest's link, without logging in (a button
        on the page the link opens: mail scanners that open every link record nothing)."""
        subscriber, rated, value = feedback_of(token, paper, rating)
        hub.subscriptions.record_feedback(subscriber, rated.pk, value)
        return render(request, "feedback.html", {"paper": rated, "value": value, "done": True})

    # -- feeds ---------------------------------------------------------------------------------

    def period_feed(request: Request, kind: str, key: str | None, label: str) -> Response:
        period = hub.community.period(kind, key)
        listing = hub.community.listing(period, 0, FEED_SIZE)
        path = {"day": "daily", "week": "weekly", "month": "monthly"}[kind]
        return _feed(
            atom_feed(
                f"litfeed: {label} — {period.label}",
                site
                + str(request.url.path)
                + (f"?{request.url.query}" if request.url.query else ""),
                f"{site}/{path}/{period.key}",
                site,
                [Entry(paper) for paper in listing.papers],
            )
        )

    @router.get("/feeds/daily.atom", tags=["feeds"], response_class=Response)
    def daily_feed(
        request: Request, date: Annotated[str | None, Query(max_length=40)] = None
    ) -> Response:
        """The day's papers (the newest day's without ``date``), most voted first."""
        return period_feed(request, "day", date, "the day's papers")

    @router.get("/feeds/weekly.atom", tags=["feeds"], response_class=Response)
    def weekly_feed(
        request: Request, week: Annotated[str | None, Query(max_length=40)] = None
    ) -> Response:
        """The week's papers (without ``week``, the newest week's with papers), most voted first."""
        return period_feed(request, "week", week, "the week's papers")

    @router.get("/feeds/monthly.atom", tags=["feeds"], response_class=Response)
    def monthly_feed(
        request: Request, month: Annotated[str | None, Query(max_length=40)] = None
    ) -> Response:
        """The month's papers (without ``month``, the newest month's with papers), most voted
        first."""
        return period_feed(request, "month", month, "the month's papers")

    @router.get("/feeds/trending.atom", tags=["feeds"], response_class=Response)
    def trending_feed() -> Response:
        """Trending papers, each with why."""
        trends = hub.community.trending(FEED_SIZE)
        return _feed(
            atom_feed(
                "litfeed: trending",
                f"{site}/feeds/trending.atom",
                f"{site}/trending",
                site,
                [Entry(t.paper, t.why) for t in trends],
            )
        )

    @router.get("/feeds/search.atom", tags=["feeds"], response_class=Response)
    def search_feed(
        q: SearchQuery,
        mode: SearchMode = "hybrid",
        category: Category = None,
        since: Since = None,
        until: Until = None,
        days: Days = None,
    ) -> Response:
        """A search (the search page's parameters) as a feed: its first results; with
        ``days``, the papers of the last N days that match (a saved search's feed)."""
        filters = Filters(category=category, since=since, until=until, days=days)
        results = hub.search(q, mode, FEED_SIZE, 0, filters)
        fields = {"q": q, "mode": mode, "category": category, "since": since, "until": until}
        query = urlencode({k: str(v) for k, v in {**fields, "days": days}.items() if v})
        return _feed(
            atom_feed(
                f"litfeed: search for {results.query}",
                f"{site}/feeds/search.atom?{query}",
                f"{site}/search?{query}",
                site,
                [Entry(hit.paper) for hit in results.hits],
                subtitle=results.headline,
            )
        )

    def listing_feed(kind: str, name: str, title: str) -> Response:
        """The newest papers of one author (``kind`` author) or category, as the home page
        lists them."""
        found, _total = hub.list_papers(0, FEED_SIZE, **{kind: name})
        folder = {"author": "authors", "category": "categories"}[kind]
        return _feed(
            atom_feed(
                title,
                f"{site}/feeds/{folder}/{quote(name, safe='')}.atom",
                f"{site}/?{urlencode({kind: name})}",
                site,
                [Entry(paper) for paper in found],
            )
        )

    @router.get("/feeds/authors/{name}.atom", tags=["feeds"], response_class=Response)
    def author_feed(name: str) -> Response:
        """One author's papers (by the name as papers list it), newest first."""
        return listing_feed("author", name[:300], f"litfeed: papers by {name[:300]}")

    @router.get("/feeds/categories/{name}.atom", tags=["feeds"], response_class=Response)
    def category_feed(name: str) -> Response:
        """One arXiv category's papers, newest first."""
        return listing_feed("category", name[:64], f"litfeed: {name[:64]}")

    @router.get("/feeds/subscriptions/{token}.atom", include_in_schema=False)
    def subscriber_feed(token: str) -> Response:
        """A subscriber's private feed: their digest's selection for the latest period."""
        subscriber = subscriber_of(token, "feed")
        selection = hub.digests().preview(subscriber, skip_sent=False)
        items = selection.items if selection else []
        entries = [Entry(item.paper, " · ".join(item.why)) for item in items]
        return _feed(
            atom_feed(
                "litfeed: your digest",
                hub.subscriptions.link(subscriber, "feed"),
                hub.subscriptions.link(subscriber, "preferences"),
                site,
                entries,
            )
        )

    @router.get("/opensearch.xml", include_in_schema=False)
    def opensearch() -> Response:
        return Response(
            opensearch_description(site), media_type=f"{OPENSEARCH_TYPE}; charset=utf-8"
        )

    return router
