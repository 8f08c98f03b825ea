"""The map as the page draws it: every placed paper's place (fitted into the square the
scatter plot draws, as whole numbers), topics, day and category, in columns (`map_columns`);
and the same map as a picture (`map_picture`, a PNG) for clients without WebGL and for the
README. Nothing here knows of the web."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from litfeed.store import Store
from litfeed.store.topics import TopicRow

STEPS = 65_535  # a place is a whole number 0..STEPS on each axis (0.003 % of the map)
PICTURE = (1000, 600)  # the picture's width and height, as the page's drawing without script
MARGIN = 20
# Colours of the broad topics, in order of size (Okabe–Ito and Tableau's, distinct on white).
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#d55e00",
    "#56b4e9",
    "#8c564b",
    "#f0c419",
    "#7f3c8d",
    "#11a579",
    "#3969ac",
    "#e73f74",
    "#80ba5a",
    "#e68310",
    "#008695",
    "#cf1c90",
    "#4b4b8f",
    "#a5aa99",
)
NOISE = "#b8b8b8"


Extent = tuple[float, float, float, float]  # the map's left, right, low, high


def extent_of(rows: Sequence[tuple[Any, ...]]) -> Extent:
    """The extent of `TopicStore.points` rows (their x and y: the second and third)."""
    if not rows:
        return (0.0, 1.0, 0.0, 1.0)
    xs, ys = [r[1] for r in rows], [r[2] for r in rows]
    return min(xs), max(xs), min(ys), max(ys)


@dataclass(frozen=True)
class Frame:
    """How the map's coordinates fit a box: ``(x - left) * scale + shift_x``, and y upwards."""

    left: float
    low: float
    scale: float
    shift_x: float
    shift_y: float

    @classmethod
    def fitting(cls, extent: Extent, width: float, height: float) -> Frame:
        """``extent`` (the map's left, right, low, high) fitted into ``width`` × ``height``,
        its shape kept, centred."""
        left, right, low, high = extent
        scale = min(width / ((right - left) or 1.0), height / ((high - low) or 1.0))
        return cls(
            left,
            low,
            scale,
            (width - (right - left) * scale) / 2,
            (height - (high - low) * scale) / 2,
        )

    def x(self, value: float) -> float:
        return (value - self.left) * self.scale + self.shift_x

    def y(self, value: float) -> float:
        return (value - self.low) * self.scale + self.shift_y


def colours(every: Sequence[TopicRow]) -> dict[int, str]:
    """A colour per broad topic (the largest first), and its finer topics' the same."""
    broad = sorted((t for t in every if t.level == 0), key=lambda t: (-t.size, t.id))
    colour = {t.id: PALETTE[n % len(PALETTE)] for n, t in enumerate(broad)}
    for t in every:
        if t.level == 1:
            colour[t.id] = colour.get(t.parent_id or 0, NOISE)
    return colour


def map_columns(store: Store) -> dict[str, Any]:
    """Every shown paper on the map, in columns (what `/api/topics/map` sends): ``x``, ``y``
    as whole numbers 0..65535 across the square the map fits (its shape kept), ``broad`` and
    ``fine`` topic numbers (0: none), ``day`` as days after ``start``, ``category`` as a place
    in ``categories``; and the topics with their centres in the same numbers."""
    rows = store.topics.points()
    every = store.topics.all()
    frame = Frame.fitting(extent_of(rows), STEPS, STEPS)
    start = min((r[5] for r in rows), default=date.today())
    categories = sorted({r[6] for r in rows})
    category_at = {name: n for n, name in enumerate(categories)}
    colour = colours(every)
    return {
        "count": len(rows),
        "start": start.isoformat(),
        "categories": categories,
        "topics": [
            {
                "id": t.id,
                "level": t.level,
                "parent": t.parent_id,
                "label": t.label,
                "size": t.size,
                "x": round(frame.x(t.x)),
                "y": round(frame.y(t.y)),
                "colour": colour.get(t.id, NOISE),
            }
            for t in every
        ],
        "ids": [r[0] for r in rows],
        "x": [round(frame.x(r[1])) for r in rows],
        "y": [round(frame.y(r[2])) for r in rows],
        "broad": [r[3] or 0 for r in rows],
        "fine": [r[4] or 0 for r in rows],
        "day": [(r[5] - start).days for r in rows],
        "category": [category_at[r[6]] for r in rows],
    }


def picture_frame(extent: Extent) -> Frame:
    """Where the picture puts the map (the page's drawing of topics uses it too)."""
    width, height = PICTURE
    inner = Frame.fitting(extent, width - 2 * MARGIN, height - 2 * MARGIN)
    return Frame(inner.left, inner.low, inner.scale, inner.shift_x + MARGIN, inner.shift_y + MARGIN)


def drawing(store: Store) -> list[dict[str, Any]]:
    """The topics as circles over the picture (the page without script): centre and radius in
    the picture's pixels, broad topics first."""
    every = store.topics.all()
    if not every:
        return []
    frame = picture_frame(store.topics.extent())
    largest = max(t.size for t in every) or 1
    return [
        {
            "topic": t,
            "cx": round(frame.x(t.x), 1),
            "cy": round(PICTURE[1] - frame.y(t.y), 1),
            "r": round((8 + 18 * (t.size / largest) ** 0.5) if t.level == 0 else 3.0, 1),
        }
        for t in sorted(every, key=lambda t: t.level)
    ]


def map_picture(store: Store) -> bytes:
    """The map as a PNG: each paper a dot in its broad topic's colour (papers in no topic
    grey, drawn first), on white."""
    rows = store.topics.points()
    width, height = PICTURE
    frame = picture_frame(extent_of(rows))
    colour = colours(store.topics.all())
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    ordered = sorted(rows, key=lambda r: r[3] is not None)
    for row in ordered:
        x = int(frame.x(row[1]))
        y = height - 1 - int(frame.y(row[2]))
        red, green, blue = _rgb(colour.get(row[3] or 0, NOISE))
        image[max(0, y - 1) : y + 1, max(0, x - 1) : x + 1] = (red, green, blue)
    return _png(image)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour[1:], 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def _png(image: np.ndarray) -> bytes:
    """An RGB image as PNG bytes (each row unfiltered, the whole deflated)."""
    height, width, _channels = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
