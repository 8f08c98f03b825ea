"""The topic map's pages and API, thin over `litfeed.topics`."""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.community.accounts import require_proven
from litfeed.delivery.feeds import MEDIA_TYPE, Entry, atom_feed
from litfeed.hub import Hub
from litfeed.models import MAX_COUNT, Paper
from litfeed.recommend import InterestError, set_interest
from litfeed.store.topics import FOLLOW_TOPIC, TopicRow
from litfeed.topics import TopicsError, topic_page
from litfeed.topics.points import drawing, map_columns, map_picture
from litfeed.topics.rising import FORMULA, rising
from litfeed.web.auth import form_viewer, viewer
from litfeed.web.guard import MAP_POLICY
from litfeed.web.params import RowId

Render = Callable[[Request, str, Any], Response]
Order = Annotated[
    Literal["votes", "new", "central"],
    Query(
        description="votes: most voted first; new: newest first; central: nearest the "
        "topic's centre on the map first."
    ),
]
Csrf = Annotated[str, Form(max_length=200)]
TopicIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_COUNT)]], Form(max_length=50)]
Level = Annotated[
    int | None, Query(ge=0, le=1, description="0: broad topics only; 1: finer ones only.")
]
FEED_SIZE = 50


class TopicOut(BaseModel):
    id: int
    level: int = Field(description="0: a broad topic; 1: a finer one inside it (``parent``).")
    parent: int | None
    label: str
    size: int = Field(description="Its papers on the map.")
    x: float
    y: float


class WeekOut(BaseModel):
    week: str = Field(description="The week's Monday.")
    papers: int
    share: float = Field(description="Its papers over all the week's papers on the map.")
    total: int


class TopicDetail(TopicOut):
    children: list[TopicOut]
    neighbours: list[TopicOut] = Field(description="The topics of its level nearest it.")
    papers: list[Paper]
    weeks: list[WeekOut]


class RisingOut(BaseModel):
    topic: TopicOut
    recent: int = Field(description="Its papers in the last 4 weeks.")
    recent_total: int = Field(description="All papers on the map in those weeks.")
    before: int = Field(description="Its papers in the 12 weeks before.")
    before_total: int
    growth: float | None = Field(
        description="Its share now over its share before (null: it had none before)."
    )
    low: float = Field(description="The lower end of the growth's 95 % interval (> 1 to rise).")
    weeks: list[WeekOut]


class RisingPageOut(BaseModel):
    day: str | None = Field(description="The newest paper's day: the trend is as of it.")
    recent_from: str | None
    before_from: str | None
    formula: str
    topics: list[RisingOut]


def _weeks(weeks: list[tuple[Any, int, int]]) -> list[WeekOut]:
    return [
        WeekOut(
            week=monday.isoformat(),
            papers=count,
            share=round(count / total, 4) if total else 0.0,
            total=total,
        )
        for monday, count, total in weeks
    ]


def _out(topic: TopicRow) -> TopicOut:
    return TopicOut(
        id=topic.id,
        level=topic.level,
        parent=topic.parent_id,
        label=topic.label,
        size=topic.size,
        x=topic.x,
        y=topic.y,
    )


class MapTopic(TopicOut):
    colour: str = Field(description="Its colour on the map (a finer topic: its broad one's).")


class MapOut(BaseModel):
    count: int
    start: str = Field(description="The first day of a paper on the map (``day`` counts from it).")
    categories: list[str]
    topics: list[MapTopic]
    ids: list[str]
    x: list[int]
    y: list[int]
    broad: list[int]
    fine: list[int]
    day: list[int]
    category: list[int]


class _Cache:
    """The map's payloads, made again when the map changes (a build, or papers placed)."""

    def __init__(self) -> None:
        self.made: dict[str, tuple[object, bytes]] = {}
        self.lock = threading.Lock()

    def get(self, kind: str, version: object, make: Callable[[], bytes]) -> bytes:
        with self.lock:
            found = self.made.get(kind)
            if found is None or found[0] != version:
                found = (version, make())
                self.made[kind] = found
            return found[1]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def topics_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["topics"])
    store = hub.store
    site = hub.settings.public_url
    map_cache = _Cache()

    def follows(account_id: int, topic_id: int) -> bool:
        return str(topic_id) in store.library.interests(account_id).get(FOLLOW_TOPIC, [])

    def page_of(topic_id: int, order: str) -> Any:
        try:
            return topic_page(store, topic_id, order)
        except TopicsError as error:
            raise HTTPException(404, str(error)) from None

    @router.get("/api/topics", response_model=list[TopicOut])
    def topics_json() -> list[TopicOut]:
        """Every topic of the map, broad and fine, the largest first."""
        return [_out(topic) for topic in store.topics.all()]

    @router.get(
        "/api/topics/map",
        response_model=MapOut,
        responses={200: {"description": "gzip-compressed when the client accepts it"}},
    )
    def topic_map(request: Request) -> Response:
        """Every paper on the map, in columns (one entry per paper in each): its id, place
        (``x``, ``y``: 0..65535 across the square the map fits), broad and fine topic
        (0: none), day (days after ``start``) and primary category (a place in
        ``categories``); and every topic with its centre. What `/topics` draws."""
        body = map_cache.get(
            "json", store.topics.version(), lambda: gzip.compress(_json(map_columns(store)), 6)
        )
        headers = {"Vary": "Accept-Encoding", "Cache-Control": "public, max-age=60"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(body, media_type="application/json", headers=headers)
        return Response(gzip.decompress(body), media_type="application/json", headers=headers)

    @router.get("/api/topics/{topic_id}", response_model=TopicDetail)
    def topic_json(topic_id: RowId, order: Order = "votes") -> TopicDetail:
        """A topic: its label, size, finer topics, papers, and papers a week (with their share
        of all the week's papers) over the last 16 weeks."""
        page = page_of(topic_id, order)
        return TopicDetail(
            **_out(page.topic).model_dump(),
            children=[_out(child) for child in page.children],
            neighbours=[_out(near) for near in page.neighbours],
            papers=page.papers,
            weeks=_weeks(page.weeks),
        )

    @router.get("/api/rising", response_model=RisingPageOut)
    def rising_json(level: Level = None, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
        """The topics whose share of new papers grew most over the last 4 weeks against the
        12 before, where the growth is more than chance (the formula is in ``formula``)."""
        found = rising(store, limit, level)
        return RisingPageOut(
            day=found.day.isoformat() if found.day else None,
            recent_from=found.recent_from.isoformat() if found.recent_from else None,
            before_from=found.before_from.isoformat() if found.before_from else None,
            formula=FORMULA,
            topics=[
                RisingOut(
                    topic=_out(item.topic),
                    recent=item.recent,
                    recent_total=item.recent_total,
                    before=item.before,
                    before_total=item.before_total,
                    growth=None if math.isinf(item.growth) else round(item.growth, 3),
                    low=round(item.low, 3),
                    weeks=_weeks(item.weeks),
                )
                for item in found.topics
            ],
        )

    @router.get("/rising", response_class=HTMLResponse, include_in_schema=False)
    def rising_html(request: Request, level: Level = None) -> Response:
        return render(request, "rising.html", {"rising": rising(store, 20, level), "level": level})

    @router.get("/feeds/topics/{topic_id}.atom", tags=["feeds"], response_class=Response)
    def topic_feed(topic_id: RowId) -> Response:
        """A topic's newest papers."""
        page = page_of(topic_id, "new")
        body = atom_feed(
            f"litfeed topic: {page.topic.label}",
            f"{site}/feeds/topics/{page.topic.id}.atom",
            f"{site}/topics/{page.topic.id}",
            site,
            [Entry(paper) for paper in page.papers[:FEED_SIZE]],
        )
        return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8")

    @router.post("/topics/{topic_id}/follow", include_in_schema=False)
    def follow_form(request: Request, topic_id: RowId, csrf: Csrf = "") -> Response:
        """Follow a topic, or stop (the button says which)."""
        account = form_viewer(request, csrf, f"/topics/{topic_id}")
        if isinstance(account, Response):
            return account
        if store.topics.get(topic_id) is None:
            raise HTTPException(404, f"no topic {topic_id}")
        reader = require_proven(account, "following a topic")
        try:
            set_interest(
                store, reader.id, FOLLOW_TOPIC, str(topic_id), not follows(reader.id, topic_id)
            )
        except InterestError as error:
            raise HTTPException(400, str(error)) from None
        return RedirectResponse(f"/topics/{topic_id}", status_code=303)

    @router.post("/topics/follow", include_in_schema=False)
    def follow_many(request: Request, topic: TopicIds, csrf: Csrf = "") -> Response:
        """ "These areas are mine": follow the topics a reader circled on the map."""
        account = form_viewer(request, csrf, "/topics")
        if isinstance(account, Response):
            return account
        reader = require_proven(account, "following a topic")
        try:
            for topic_id in dict.fromkeys(topic):
                set_interest(store, reader.id, FOLLOW_TOPIC, str(topic_id))
        except InterestError as error:
            raise HTTPException(400, str(error)) from None
        return RedirectResponse("/for-you", status_code=303)

    @router.get("/topics", response_class=HTMLResponse, include_in_schema=False)
    def topics_html(request: Request) -> Response:
        every = store.topics.all()
        page = render(request, "topics.html", {"drawing": drawing(store), "topics": every})
        page.headers["Content-Security-Policy"] = MAP_POLICY
        return page

    @router.get("/topics/map.png", include_in_schema=False)
    def map_png() -> Response:
        """The map as a picture: the page's fallback without WebGL, and the README's."""
        return Response(
            map_cache.get("png", store.topics.version(), lambda: map_picture(store)),
            media_type="image/png",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @router.get("/topics/{topic_id}", response_class=HTMLResponse, include_in_schema=False)
    def topic_html(request: Request, topic_id: RowId, order: Order = "votes") -> Response:
        page = page_of(topic_id, order)
        account = viewer(request)
        following = account is not None and follows(account.id, topic_id)
        return render(request, "topic.html", {"page": page, "order": order, "following": following})

    return router
