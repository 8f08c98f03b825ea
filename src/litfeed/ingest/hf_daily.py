"""Hugging Face ``daily_papers`` API responses: a JSON array of submitted papers with votes.

Each entry is ``{"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt",
"upvotes"}, "numComments", "submittedBy": {"name", "fullname"}, "publishedAt"}``; the paper id is
the arXiv id. Locations are ``file:entry N`` (the response is one JSON document).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from litfeed.identifiers import find_links, parse_arxiv_id
from litfeed.ingest.source import ImportFormatError, SourceFile
from litfeed.models import CommunityStats, Link, PaperRecord, Rejection, SourceRef

NAME = "hf-daily-papers"
DESCRIPTION = "Hugging Face daily_papers API JSON (a list of submitted papers with upvotes)"


class FieldError(ValueError):
    """A field of one entry is missing or malformed."""


def looks_like(head: str) -> bool:
    text = head.lstrip()
    return text.startswith("[") and '"paper"' in text[:2000] and '"upvotes"' in head


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    for number, entry in _entries(source):
        location = f"{source.name}:entry {number}"
        if isinstance(entry, Rejection):
            yield entry
            continue
        try:
            yield record_from_entry(entry, SourceRef(NAME, location))
        except FieldError as error:
            yield Rejection(location, str(error))


def _entries(source: SourceFile) -> Iterator[tuple[int, Any]]:
    """The array's entries one by one, so a file cut short (or broken part way) keeps every
    entry before the break; the break is one `Rejection`, and the entries after it are lost
    (there is no telling where the next one starts)."""
    text = source.read_text()
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFormatError(
                f"{source.path}:{error.lineno}: not JSON ({error.msg}, column {error.colno})"
            ) from None
        raise ImportFormatError(f"{source.path}: expected a JSON array of daily papers")
    position = _skip_space(text, position + 1)
    number = 1
    while not text.startswith("]", position):
        try:
            entry, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            cut = _skip_space(text, error.pos) >= len(text) or error.msg.startswith(
                "Unterminated string"
            )
            reason = "the file is cut short here" if cut else f"not JSON ({error.msg})"
            where = f"line {error.lineno}, column {error.colno}"
            yield number, Rejection(f"{source.name}:entry {number}", f"{reason}, at {where}")
            return
        yield number, entry
        number += 1
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            reason = "the file is cut short" if position >= len(text) else "expected , or ]"
            line = text.count("\n", 0, position) + 1
            yield number, Rejection(f"{source.name}:entry {number}", f"{reason}, at line {line}")
            return


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def record_from_entry(entry: Any, source: SourceRef) -> PaperRecord:
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        raise FieldError("field 'paper': missing or not an object")
    paper = entry["paper"]
    paper_id = paper.get("id")
    arxiv = parse_arxiv_id(paper_id) if isinstance(paper_id, str) else None
    if arxiv is None:
        raise FieldError(f"field 'paper.id': {paper_id!r} is not an arXiv id")
    title = paper.get("title") or entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FieldError("field 'paper.title' is missing or empty")
    abstract = paper.get("summary") or ""
    if not isinstance(abstract, str):
        raise FieldError("field 'paper.summary': expected text")
    submitter = entry.get("submittedBy")
    if not isinstance(submitter, dict):
        submitter = {}
    links = [Link(kind="huggingface", url=f"https://huggingface.co/papers/{arxiv[0]}")]
    for field, kind in (("githubRepo", "code"), ("projectPage", "project")):
        if isinstance(paper.get(field), str) and paper[field].startswith("http"):
            links.append(Link(kind=kind, url=paper[field]))
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=_authors(paper.get("authors")),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        hf_id=arxiv[0],
        published=_moment(paper, "publishedAt", "paper.publishedAt").date()
        if paper.get("publishedAt")
        else None,
        links=links + find_links(abstract),
        community=CommunityStats(
            upvotes=_count(paper, "upvotes", "paper.upvotes"),
            comments=_count(entry, "numComments", "numComments"),
            submitted_by=submitter.get("fullname") or submitter.get("name"),
            submitted_at=_moment(entry, "publishedAt", "publishedAt")
            if entry.get("publishedAt")
            else None,
        ),
        source=source,
    )


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError("field 'paper.authors': expected a list")
    names = []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else None
        if not isinstance(name, str):
            raise FieldError("field 'paper.authors[].name': missing")
        if not author.get("hidden"):
            names.append(name)
    return names


def _count(value: dict[str, Any], field: str, label: str) -> int | None:
    count = value.get(field)
    if count is None:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise FieldError(f"field {label!r}: {count!r} is not a count")
    return count


def _moment(value: dict[str, Any], field: str, label: str) -> datetime:
    text = value.get(field)
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(f"field {label!r}: {text!r} is not a timestamp") from None
