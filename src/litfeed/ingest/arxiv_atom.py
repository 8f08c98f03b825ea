"""arXiv Atom API responses (``export.arxiv.org/api/query``): a feed of entries, each a paper
at one version, with its primary and other categories, comment, DOI and journal reference.

Read an entry at a time (`xmlstream`): an entry that cannot be read is one `Rejection`
(``file:entry N``); a response cut short keeps every entry before the break. The API answers an
unknown id with an entry titled "Error", which is rejected as such.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date

from litfeed.identifiers import arxiv_categories, arxiv_id_of, find_links
from litfeed.ingest import xmlstream
from litfeed.ingest.source import (
    RecordError,
    SourceFile,
    announced_after,
    first_version,
    iso_date,
    shown,
)
from litfeed.ingest.xmlstream import clean, text_of
from litfeed.models import PaperRecord, Rejection, SourceRef, Version

NAME = "arxiv-atom"
DESCRIPTION = "arXiv Atom API responses (export.arxiv.org/api/query)"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def looks_like(head: str) -> bool:
    start = head[:4096]
    return "<feed" in start and "http://www.w3.org/2005/Atom" in start and "arxiv" in start.lower()


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    number = 0
    for element in xmlstream.elements(source, {f"{ATOM}entry"}):
        if isinstance(element, Rejection):
            yield element
            continue
        number += 1
        location = f"{source.name}:entry {number}"
        try:
            yield _from_entry(element, SourceRef(NAME, location))
        except RecordError as error:
            yield Rejection(location, str(error))


def _from_entry(entry: ElementTree.Element, source: SourceRef) -> PaperRecord:
    title = text_of(entry, f"{ATOM}title")
    if title == "Error":  # the API's answer for an id it does not know
        raise RecordError(f"arXiv answered an error: {shown(text_of(entry, f'{ATOM}summary'))}")
    if not title:
        raise RecordError("field 'title' is missing or empty")
    identifier = text_of(entry, f"{ATOM}id")
    arxiv = arxiv_id_of(identifier)
    if arxiv is None:
        raise RecordError(f"field 'id': {shown(identifier)} is not an arXiv abstract address")
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.findall(f"{ATOM}category")]
    abstract = text_of(entry, f"{ATOM}summary")
    comment = text_of(entry, f"{ARXIV}comment")
    published = iso_date(text_of(entry, f"{ATOM}published"), "published")
    updated = iso_date(text_of(entry, f"{ATOM}updated"), "updated")
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=[
            name
            for author in entry.findall(f"{ATOM}author")
            if (name := clean(author.findtext(f"{ATOM}name")))
        ],
        categories=list(dict.fromkeys(arxiv_categories(terms))),  # the primary is listed twice
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        versions=_versions(arxiv[1], published, updated),
        doi=text_of(entry, f"{ARXIV}doi") or None,
        comment=comment or None,
        published=published,
        announced=announced_after(published),
        updated=updated if updated != published else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _versions(number: int | None, published: date | None, updated: date | None) -> list[Version]:
    """An entry is one version: the first was published on ``published``, this one (when it is
    a later one) on ``updated``."""
    versions = first_version(published)
    if number and number > 1 and updated:
        versions.append(Version(number=number, submitted=updated))
    return versions
