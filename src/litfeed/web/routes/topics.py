"""The topic map's pages and API, thin over `litfeed.topics`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.hub import Hub
from litfeed.models import Paper
from litfeed.store.topics import TopicRow
from litfeed.topics import TopicsError, topic_page
from litfeed.web.params import RowId

Render = Callable[[Request, str, Any], Response]
Order = Annotated[
    Literal["votes", "new"], Query(description="votes: most voted first; new: newest first.")
]


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
    papers: list[Paper]
    weeks: list[WeekOut]


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


def topics_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["topics"])
    store = hub.store

    def page_of(topic_id: int, order: str) -> Any:
        try:
            return topic_page(store, topic_id, order)
        except TopicsError as error:
            raise HTTPException(404, str(error)) from None

    @router.get("/api/topics", response_model=list[TopicOut])
    def topics_json() -> list[TopicOut]:
        """Every topic of the map, broad and fine, the largest first."""
        return [_out(topic) for topic in store.topics.all()]

    @router.get("/api/topics/{topic_id}", response_model=TopicDetail)
    def topic_json(topic_id: RowId, order: Order = "votes") -> TopicDetail:
        """A topic: its label, size, finer topics, papers, and papers a week (with their share
        of all the week's papers) over the last 16 weeks."""
        page = page_of(topic_id, order)
        return TopicDetail(
            **_out(page.topic).model_dump(),
            children=[_out(child) for child in page.children],
            papers=page.papers,
            weeks=[
                WeekOut(
                    week=monday.isoformat(),
                    papers=count,
                    share=round(count / total, 4) if total else 0.0,
                    total=total,
                )
                for monday, count, total in page.weeks
            ],
        )

    @router.get("/topics", response_class=HTMLResponse, include_in_schema=False)
    def topics_html(request: Request) -> Response:
        every = store.topics.all()
        return render(request, "topics.html", {"map": _svg_map(every), "topics": every})

    @router.get("/topics/{topic_id}", response_class=HTMLResponse, include_in_schema=False)
    def topic_html(request: Request, topic_id: RowId, order: Order = "votes") -> Response:
        page = page_of(topic_id, order)
        most = max((count for _monday, count, _total in page.weeks), default=0) or 1
        return render(request, "topic.html", {"page": page, "most": most, "order": order})

    return router


def _svg_map(every: list[TopicRow]) -> dict[str, Any]:
    """The broad topics' centres scaled into a 1000 × 600 box: a drawing without script."""
    broad = [t for t in every if t.level == 0]
    if not broad:
        return {"points": []}
    xs, ys = [t.x for t in every], [t.y for t in every]
    left, right, low, high = min(xs), max(xs), min(ys), max(ys)
    width, height = (right - left) or 1.0, (high - low) or 1.0
    largest = max(t.size for t in every)
    points = [
        {
            "topic": t,
            "cx": round(40 + 920 * (t.x - left) / width, 1),
            "cy": round(560 - 520 * (t.y - low) / height, 1),
            "r": round(
                (4 if t.level else 8) + (18 if t.level == 0 else 8) * (t.size / largest) ** 0.5, 1
            ),
        }
        for t in sorted(every, key=lambda t: t.level)
    ]
    return {"points": points}
