"""Hugging Face ``daily_papers`` API responses: a JSON array of submitted papers with votes.

Each entry is ``{"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt",
"upvotes"}, "numComments", "submittedBy": {"name", "fullname"}, "publishedAt"}``; the paper id is
the arXiv id. Locations are ``file:entry N`` (the response is one JSON document).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from litfeed.identifiers import find_links, parse_arxiv_id, safe_url
from litfeed.ingest.source import CutShort, ImportFormatError, RecordError, SourceFile, shown
from litfeed.models import MAX_COUNT, CommunityStats, Link, PaperRecord, Rejection, SourceRef

NAME = "hf-daily-papers"
DESCRIPTION = "Hugging Face daily_papers API JSON (a list of submitted papers with upvotes)"


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
        except RecordError as error:
            yield Rejection(location, str(error))


def _entries(source: SourceFile) -> Iterator[tuple[int, Any]]:
    """The array's entries one by one. Each entry's extent is found by matching brackets outside
    strings (no recursion, however deep the nesting), then the entry alone is decoded: a broken
    entry is one `Rejection` and the entries after it are still read. A file cut short keeps
    every entry before the cut."""
    text = source.read_text()
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFormatError(
                f"{source.path}:{error.lineno}: not JSON ({error.msg}, column {error.colno})"
            ) from None
        except (RecursionError, ValueError):
            raise ImportFormatError(f"{source.path}: not JSON that can be read") from None
        raise ImportFormatError(f"{source.path}: expected a JSON array of daily papers")
    position = _skip_space(text, position + 1)
    number = 1
    while not text.startswith("]", position):
        location = f"{source.name}:entry {number}"
        end = _value_end(text, position)
        if end is None:
            yield (
                number,
                CutShort(location, f"the file is cut short here, at {_where(text, position)}"),
            )
            return
        try:
            entry, stop = _DECODER.raw_decode(text, position)
            if text[stop:end].strip():
                raise json.JSONDecodeError("Extra data", text, stop)
        except json.JSONDecodeError as error:
            yield (
                number,
                Rejection(location, f"not JSON ({error.msg}), at {_where(text, error.pos)}"),
            )
        except (RecursionError, ValueError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            yield number, Rejection(location, f"not JSON that can be read ({reason})")
        else:
            yield number, entry
        number += 1
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            reason = "the file is cut short" if position >= len(text) else "expected , or ]"
            line = text.count("\n", 0, position) + 1
            yield number, CutShort(f"{source.name}:entry {number}", f"{reason}, at line {line}")
            return


_DECODER = json.JSONDecoder()
# Outside a string, the characters that open or close a value or end a scalar; inside one, the
# characters that end it or escape the next.
_STRUCTURE = re.compile(r'[\[\]{}",]')
_IN_STRING = re.compile(r'["\\]')


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON value starting at ``start`` ends (one past its last character), judged by
    brackets and quotes alone; None when the text ends first."""
    depth = 0
    position = start
    while True:
        match = _STRUCTURE.search(text, position)
        if match is None:
            return None if depth or position >= len(text) else len(text)
        character, position = match.group(), match.start()
        if character == '"':
            after = _string_end(text, position + 1)
            if after is None or depth == 0:
                return after
            position = after
            continue
        if character in "[{":
            depth += 1
        elif character in "]}":
            if depth == 0:
                return position  # a scalar entry, ended by the array's "]"
            depth -= 1
            if depth == 0:
                return position + 1
        elif depth == 0:  # "," after a scalar entry
            return position
        position += 1


def _string_end(text: str, position: int) -> int | None:
    """One past the quote closing the string whose first character is at ``position``."""
    while True:
        match = _IN_STRING.search(text, position)
        if match is None:
            return None
        if match.group() == '"':
            return match.end()
        position = match.end() + 1  # skip the escaped character


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def record_from_entry(entry: Any, source: SourceRef) -> PaperRecord:
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        raise RecordError("field 'paper': missing or not an object")
    paper = entry["paper"]
    paper_id = paper.get("id")
    arxiv = parse_arxiv_id(paper_id) if isinstance(paper_id, str) else None
    if arxiv is None:
        raise RecordError(f"field 'paper.id': {shown(paper_id)} is not an arXiv id")
    title = paper.get("title") or entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise RecordError("field 'paper.title' is missing or empty")
    abstract = paper.get("summary") or ""
    if not isinstance(abstract, str):
        raise RecordError("field 'paper.summary': expected text")
    links = [Link(kind="huggingface", url=f"https://huggingface.co/papers/{arxiv[0]}")]
    for field, kind in (("githubRepo", "code"), ("projectPage", "project")):
        # Only an http(s) address becomes a link: "http:javascript:alert(1)//" does not.
        url = safe_url(paper[field]) if isinstance(paper.get(field), str) else None
        if url is not None:
            links.append(Link(kind=kind, url=url))
    published = _moment(paper, "publishedAt", "paper.publishedAt")
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=_authors(paper.get("authors")),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        hf_id=arxiv[0],
        published=published.date() if published else None,
        links=links + find_links(abstract),
        community=CommunityStats(
            upvotes=_count(paper, "upvotes", "paper.upvotes"),
            comments=_count(entry, "numComments", "numComments"),
            submitted_by=_submitter(entry.get("submittedBy"), ("fullname", "name")),
            submitter_user=_submitter(entry.get("submittedBy"), ("name",)),
            submitted_at=_moment(entry, "publishedAt", "publishedAt"),
        ),
        source=source,
    )


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("field 'paper.authors': expected a list")
    names = []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else None
        if not isinstance(name, str):
            raise RecordError("field 'paper.authors[].name': missing")
        if not author.get("hidden"):
            names.append(name)
    return names


def _submitter(value: Any, fields: tuple[str, ...]) -> str | None:
    """The first of the submitter's ``fields`` given (full name, user name); else None."""
    if not isinstance(value, dict):
        return None
    for field in fields:
        name = value.get(field)
        if name is None or name == "":
            continue
        if not isinstance(name, str):
            raise RecordError(f"field 'submittedBy.{field}': expected text, found {shown(name)}")
        return name
    return None


def _count(value: dict[str, Any], field: str, label: str) -> int | None:
    count = value.get(field)
    if count is None:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise RecordError(f"field {label!r}: {shown(count)} is not a count")
    if count > MAX_COUNT:
        raise RecordError(f"field {label!r}: {shown(count)} is out of range (0 to {MAX_COUNT})")
    return count


def _moment(value: dict[str, Any], field: str, label: str) -> datetime | None:
    """A timestamp; one without a zone is taken as UTC (the API writes UTC with "Z")."""
    text = value.get(field)
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise RecordError(f"field {label!r}: expected a timestamp, found {shown(text)}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"field {label!r}: {shown(text)} is not a timestamp") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
