"""arXiv metadata as JSON lines, plain or gzip: one paper per line.

Reads the daily-listing format (``id, title, abstract, authors[], categories[], comment,
first_listing_date``) and the arXiv bulk metadata snapshot (``authors`` as one string,
``categories`` space-separated, ``comments``, ``doi``, ``versions[]``, ``update_date``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from litfeed.announcements import announcement_of_listing
from litfeed.identifiers import arxiv_categories, find_links, parse_arxiv_id
from litfeed.ingest.source import (
    RecordError,
    SourceFile,
    announced_after,
    iso_date,
    load_json,
    mail_date,
    shown,
)
from litfeed.models import PaperRecord, Rejection, SourceRef, Version

NAME = "arxiv-jsonl"
DESCRIPTION = "arXiv metadata, one JSON object a line (daily listings or the bulk snapshot)"
# One record a line, each given before the next line is read: an import can resume after the
# last line of its last committed batch (`litfeed import --resume`).
RESUMABLE = True

_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


def looks_like(head: str) -> bool:
    first = next((line for line in head.splitlines() if line.strip()), "")
    try:
        value = load_json(first)
    except RecordError:
        return False
    return isinstance(value, dict) and {"id", "title"} <= value.keys()


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    for number, line in source.lines():
        location = f"{source.name}:{number}"
        if line is None:
            yield Rejection(location, "line is not valid UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            yield record_from_object(load_json(line), SourceRef(NAME, location))
        except RecordError as error:
            yield Rejection(location, str(error))


def record_from_object(value: Any, source: SourceRef) -> PaperRecord:
    if not isinstance(value, dict):
        raise RecordError(f"expected a JSON object, found {type(value).__name__}")
    arxiv = parse_arxiv_id(_text(value, "id", required=True))
    if arxiv is None:
        raise RecordError(f"field 'id': {shown(value['id'])} is not an arXiv id")
    title = _text(value, "title", required=True)
    abstract = _text(value, "abstract")
    comment = _text(value, "comment") or _text(value, "comments") or None
    versions = value.get("versions") or []
    version = arxiv[1] or (len(versions) if isinstance(versions, list) and versions else None)
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=_authors(value.get("authors")),
        categories=_categories(value.get("categories")),
        arxiv_id=arxiv[0],
        arxiv_version=version,
        versions=_versions(versions),
        doi=_text(value, "doi") or None,
        comment=comment,
        published=_date(value, "first_listing_date") or _first_version_date(versions),
        announced=_announced(_date(value, "first_listing_date"))
        or announced_after(_first_version_date(versions)),
        updated=_date(value, "update_date"),
        links=find_links(abstract, comment),
        source=source,
    )


def _announced(listing: date | None) -> date | None:
    """A daily listing's ``first_listing_date`` is arXiv's listing date, the day after the
    announcement evening litfeed counts a paper's day by."""
    return announcement_of_listing(listing) if listing else None


def _text(value: dict[str, Any], field: str, required: bool = False) -> str:
    text = value.get(field)
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise RecordError(f"field {field!r} is missing or empty")
        return ""
    if not isinstance(text, str):
        raise RecordError(f"field {field!r}: expected text, found {type(text).__name__}")
    return text.strip()


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [name.strip() for name in _AUTHOR_SPLIT.split(value) if name.strip()]
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return [name.strip() for name in value if name.strip()]
    raise RecordError("field 'authors': expected a list of names or one string")


def _categories(value: Any) -> list[str]:
    """The arXiv categories; ACM and MSC class lists ("I.2.7; I.2.6", "68T50") that listings put
    among them are dropped (they are not categories, and the README says so)."""
    if value is None:
        return []
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, list) and all(isinstance(name, str) for name in value):
        names = [name.strip() for name in value]
    else:
        raise RecordError("field 'categories': expected a list or a space-separated string")
    return arxiv_categories(names)


def _date(value: dict[str, Any], field: str) -> date | None:
    text = value.get(field)
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise RecordError(f"field {field!r}: expected a date (YYYY-MM-DD), found {shown(text)}")
    return iso_date(text, field)


def _first_version_date(versions: Any) -> date | None:
    """The snapshot's ``versions[0].created``, e.g. "Mon, 2 Apr 2007 19:18:42 GMT"."""
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    return mail_date(str(versions[0].get("created")), "versions[0].created")


def _versions(versions: Any) -> list[Version]:
    """The snapshot's ``versions``: [{"version": "v1", "created": "Mon, 2 Apr 2007 …"}, …].
    Entries that cannot be read are left out (the paper itself is still good)."""
    if not isinstance(versions, list):
        return []
    found: dict[int, Version] = {}
    for entry in versions:
        if not isinstance(entry, dict):
            continue
        label = str(entry.get("version") or "").removeprefix("v")
        if not label.isdigit() or len(label) > 9:
            continue
        try:
            submitted = mail_date(str(entry.get("created") or ""), "versions.created")
        except RecordError:
            submitted = None
        found[int(label)] = Version(number=int(label), submitted=submitted)
    return [found[number] for number in sorted(found)]
