"""arXiv OAI-PMH responses (``ListRecords`` or ``GetRecord``) in any of arXiv's three metadata
formats: ``oai_dc`` (Dublin Core: no category codes, dates of the first and the latest version),
``arXiv`` (categories, created and updated dates, authors by name parts) and ``arXivRaw``
(categories and every version with its date).

Read a record at a time (`xmlstream`): a record that cannot be read is one `Rejection`
(``file:record N``) and the others are kept; a body cut short keeps every record before the
break. Deleted records (``status="deleted"``) carry no metadata and are skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from litfeed.identifiers import arxiv_categories, arxiv_id_of, find_links
from litfeed.ingest import xmlstream
from litfeed.ingest.source import (
    RecordError,
    SourceFile,
    announced_after,
    first_version,
    iso_date,
    mail_date,
    shown,
)
from litfeed.ingest.xmlstream import clean, text_of
from litfeed.models import PaperRecord, Rejection, SourceRef, Version

NAME = "arxiv-oai-pmh"
DESCRIPTION = "arXiv OAI-PMH responses (ListRecords, GetRecord) in oai_dc, arXiv or arXivRaw"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_VERSION = re.compile(r"v?(\d{1,9})")


def looks_like(head: str) -> bool:
    return "<OAI-PMH" in head[:4096] and "openarchives.org/OAI/2.0/" in head[:4096]


@dataclass
class Listing:
    """What a response says besides its records, for a harvest to go on: the resumption token
    ("" when the list is complete, None when the response has none), the size of the whole list
    when given, and the OAI-PMH error codes (``noRecordsMatch`` is among them, yet no error)."""

    token: str | None = None
    complete_size: int | None = None
    errors: list[str] = field(default_factory=list)


def parse(source: SourceFile, listing: Listing | None = None) -> Iterator[PaperRecord | Rejection]:
    """The records of one response; ``listing``, when given, is filled in as it is read."""
    number = 0
    listing = listing if listing is not None else Listing()
    tags = {f"{OAI}record", f"{OAI}error", f"{OAI}resumptionToken"}
    for element in xmlstream.elements(source, tags):
        if isinstance(element, Rejection):
            yield element
        elif element.tag == f"{OAI}resumptionToken":
            listing.token = clean(element.text)
            size = element.get("completeListSize") or ""
            listing.complete_size = int(size) if size.isdigit() and len(size) < 10 else None
        elif element.tag == f"{OAI}error":
            code = element.get("code") or "?"
            listing.errors.append(code)
            if code != "noRecordsMatch":
                text = clean(element.text)
                yield Rejection(source.name, f"the OAI-PMH response is an error: {code}: {text}")
        else:
            number += 1
            yield from _record(element, SourceRef(NAME, f"{source.name}:record {number}"))


def _record(element: ElementTree.Element, source: SourceRef) -> Iterator[PaperRecord | Rejection]:
    header = element.find(f"{OAI}header")
    if header is not None and header.get("status") == "deleted":
        return
    metadata = element.find(f"{OAI}metadata")
    inner = list(metadata) if metadata is not None else []
    if len(inner) != 1:
        yield Rejection(source.location, "no metadata in the record")
        return
    try:
        if inner[0].tag == f"{OAI_DC}dc":
            yield _from_oai_dc(inner[0], source)
        elif inner[0].tag == f"{ARXIV}arXiv":
            yield _from_arxiv(inner[0], source)
        elif inner[0].tag == f"{ARXIV_RAW}arXivRaw":
            yield _from_arxiv_raw(inner[0], source)
        else:
            raise RecordError(f"metadata format {shown(inner[0].tag)} is not one litfeed reads")
    except RecordError as error:
        yield Rejection(source.location, str(error))


def _from_oai_dc(dc: ElementTree.Element, source: SourceRef) -> PaperRecord:
    identifiers = [clean(node.text) for node in dc.findall(f"{DC}identifier")]
    arxiv = next((found for text in identifiers if (found := arxiv_id_of(text)) is not None), None)
    if arxiv is None:
        raise RecordError(f"field 'dc:identifier': no arXiv id in {shown(identifiers)}")
    descriptions = [clean(node.text) for node in dc.findall(f"{DC}description")]
    comments = [
        text.removeprefix("Comment:").strip()
        for text in descriptions
        if text.startswith("Comment:")
    ]
    abstract = next((text for text in descriptions if not text.startswith("Comment:")), "")
    dates = [iso_date(clean(node.text), "dc:date") for node in dc.findall(f"{DC}date")]
    known = [day for day in dates if day is not None]
    comment = comments[0] if comments else None
    return PaperRecord(
        title=_required(dc, f"{DC}title", "dc:title"),
        abstract=abstract,
        authors=[_name_first(clean(node.text)) for node in dc.findall(f"{DC}creator")],
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        versions=first_version(known[0] if known else None),
        comment=comment,
        published=known[0] if known else None,
        announced=announced_after(known[0] if known else None),
        updated=known[-1] if len(known) > 1 else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _from_arxiv(record: ElementTree.Element, source: SourceRef) -> PaperRecord:
    arxiv = arxiv_id_of(_required(record, f"{ARXIV}id", "id"))
    if arxiv is None:
        raise RecordError(f"field 'id': {shown(text_of(record, f'{ARXIV}id'))} is not an arXiv id")
    authors = []
    for author in record.iter(f"{ARXIV}author"):
        parts = [text_of(author, f"{ARXIV}{part}") for part in ("forenames", "keyname", "suffix")]
        name = " ".join(part for part in parts if part)
        if name:
            authors.append(name)
    abstract, comment = text_of(record, f"{ARXIV}abstract"), text_of(record, f"{ARXIV}comments")
    created = iso_date(text_of(record, f"{ARXIV}created"), "created")
    return PaperRecord(
        title=_required(record, f"{ARXIV}title", "title"),
        abstract=abstract,
        authors=authors,
        categories=arxiv_categories(text_of(record, f"{ARXIV}categories").split()),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        versions=first_version(created),
        doi=text_of(record, f"{ARXIV}doi") or None,
        comment=comment or None,
        published=created,
        announced=announced_after(created),
        updated=iso_date(text_of(record, f"{ARXIV}updated"), "updated"),
        links=find_links(abstract, comment),
        source=source,
    )


def _from_arxiv_raw(record: ElementTree.Element, source: SourceRef) -> PaperRecord:
    arxiv = arxiv_id_of(_required(record, f"{ARXIV_RAW}id", "id"))
    if arxiv is None:
        raise RecordError(
            f"field 'id': {shown(text_of(record, f'{ARXIV_RAW}id'))} is not an arXiv id"
        )
    versions: list[tuple[int, date | None]] = []
    for version in record.findall(f"{ARXIV_RAW}version"):
        label = version.get("version") or ""
        matched = _VERSION.fullmatch(label)
        if matched is None:
            raise RecordError(f"field 'version': {shown(label)} is not a version number")
        versions.append(
            (int(matched.group(1)), mail_date(text_of(version, f"{ARXIV_RAW}date"), "version.date"))
        )
    versions.sort()
    abstract = text_of(record, f"{ARXIV_RAW}abstract")
    comment = text_of(record, f"{ARXIV_RAW}comments")
    authors = text_of(record, f"{ARXIV_RAW}authors")
    return PaperRecord(
        title=_required(record, f"{ARXIV_RAW}title", "title"),
        abstract=abstract,
        authors=[name.strip() for name in _AUTHOR_SPLIT.split(authors) if name.strip()],
        categories=arxiv_categories(text_of(record, f"{ARXIV_RAW}categories").split()),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1] or (versions[-1][0] if versions else None),
        versions=[Version(number=number, submitted=day) for number, day in versions],
        doi=text_of(record, f"{ARXIV_RAW}doi") or None,
        comment=comment or None,
        published=versions[0][1] if versions else None,
        announced=announced_after(versions[0][1] if versions else None),
        updated=versions[-1][1] if len(versions) > 1 else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _name_first(name: str) -> str:
    """Dublin Core's "Baillie, Robert" as "Robert Baillie"."""
    last, comma, first = name.partition(", ")
    return f"{first} {last}".strip() if comma else name


def _required(element: ElementTree.Element, tag: str, field: str) -> str:
    text = text_of(element, tag)
    if not text:
        raise RecordError(f"field {field!r} is missing or empty")
    return text
