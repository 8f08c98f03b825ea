"""Trending, by an open formula (the README writes it out; `why` says it per paper).

    points = votes here in the last H hours + Hugging Face upvotes + comments / 2
    age    = hours since the paper's day was announced (20:00 US Eastern on its day)
    score  = points / (age + 2) ** gravity

Hacker News' gravity form (`../shared/STANDARDS.md`): a paper needs more points to stay up as
it ages; ``gravity`` (1.8 by default) says how fast. Only papers of the last D days with at
least one point are candidates. Hugging Face's counts come without timestamps, so they count
whole; votes cast here count when they are recent. Comments are those here and Hugging Face's
together, counted whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from litfeed.announcements import EASTERN
from litfeed.models import Paper

ANNOUNCED = time(20, 0)


@dataclass(frozen=True)
class TrendingParameters:
    hours: int = 48
    days: int = 7
    gravity: float = 1.8


@dataclass(frozen=True)
class Trend:
    paper: Paper
    score: float
    recent_votes: int
    age_hours: float
    why: str


def day_began(day: date) -> datetime:
    return datetime.combine(day, ANNOUNCED, EASTERN)


def trend(paper: Paper, recent_votes: int, now: datetime, parameters: TrendingParameters) -> Trend:
    upvotes = paper.upvotes or 0
    comments = (paper.comments or 0) + paper.comments_here
    points = recent_votes + upvotes + comments / 2
    day = paper.day or now.date()
    age = max(0.0, (now - day_began(day)).total_seconds() / 3600)
    score = points / (age + 2) ** parameters.gravity
    parts = [f"{recent_votes} vote{'s' if recent_votes != 1 else ''} here in {parameters.hours} h"]
    if upvotes:
        parts.append(f"{upvotes} on Hugging Face")
    if comments:
        parts.append(f"{comments} comment{'s' if comments != 1 else ''}")
    formula = f"{points:g} / ({age:.0f} + 2)^{parameters.gravity:g}"
    why = f"{', '.join(parts)}; {age:.0f} h old: {formula}"
    return Trend(paper, score, recent_votes, age, why)


def rank(
    candidates: list[Paper],
    recent: dict[int, int],
    now: datetime,
    parameters: TrendingParameters,
) -> list[Trend]:
    trends = [trend(paper, recent.get(paper.pk, 0), now, parameters) for paper in candidates]
    return sorted(trends, key=lambda t: (-t.score, -(t.paper.votes), t.paper.id))
