"""arXiv OAI-PMH responses (``ListRecords`` or ``GetRecord``) in any of arXiv's three metadata
formats: ``oai_dc`` (Dublin Core: no category codes, dates of the first and the latest version),
``arXiv`` (categories, created and updated dates, authors by name parts) and ``arXivRaw``
(categories and every version with its date).

The XML is read incrementally, a record at a time; a record that cannot be read is one
`Rejection` (``file:record N``) and the others are kept. XML that stops being well-formed (a body
cut short) keeps every record before the break. A document type declaration is refused: OAI-PMH
never has one, and entities declared in it are how hostile XML makes a parser expand a few
bytes into gigabytes. Deleted records (``status="deleted"``) carry no metadata and are skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from litfeed.identifiers import find_links, is_arxiv_category, parse_arxiv_id
from litfeed.ingest.source import ImportFormatError, RecordError, SourceFile, shown
from litfeed.models import PaperRecord, Rejection, SourceRef

NAME = "arxiv-oai-pmh"
DESCRIPTION = "arXiv OAI-PMH responses (ListRecords, GetRecord) in oai_dc, arXiv or arXivRaw"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_CHUNK = 1 << 20
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_VERSION = re.compile(r"v?(\d{1,9})")


def looks_like(head: str) -> bool:
    return "<OAI-PMH" in head[:4096] and "openarchives.org/OAI/2.0/" in head[:4096]


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    data = source.read_bytes()
    if _DECLARATION.search(data):
        raise ImportFormatError(f"{source.path}: XML with a document type declaration is not read")
    parser: Any = ElementTree.XMLPullParser(events=("end",))
    number = 0
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(data[start : start + _CHUNK])
            for _event, element in parser.read_events():
                if not isinstance(element, ElementTree.Element):
                    continue  # only "end" events are asked for: always elements
                if element.tag == f"{OAI}record":
                    number += 1
                    location = f"{source.name}:record {number}"
                    yield from _record(element, SourceRef(NAME, location))
                    element.clear()
                elif element.tag == f"{OAI}error" and element.get("code") != "noRecordsMatch":
                    code, text = element.get("code"), _clean(element.text)
                    yield Rejection(
                        source.name, f"the OAI-PMH response is an error: {code}: {text}"
                    )
        parser.close()
    except ElementTree.ParseError as error:
        line, column = error.position
        yield Rejection(
            f"{source.name}:{line}",
            f"not well-formed XML ({_clean(str(error).split(':')[0])}, column {column}): "
            "the file is cut short or damaged here; the records before it are kept",
        )


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
    identifiers = [_clean(node.text) for node in dc.findall(f"{DC}identifier")]
    arxiv = next((found for text in identifiers if (found := _arxiv_id_of(text)) is not None), None)
    if arxiv is None:
        raise RecordError(f"field 'dc:identifier': no arXiv id in {shown(identifiers)}")
    descriptions = [_clean(node.text) for node in dc.findall(f"{DC}description")]
    comments = [
        text.removeprefix("Comment:").strip()
        for text in descriptions
        if text.startswith("Comment:")
    ]
    abstract = next((text for text in descriptions if not text.startswith("Comment:")), "")
    dates = [_date(node.text, "dc:date") for node in dc.findall(f"{DC}date")]
    known = [day for day in dates if day is not None]
    comment = comments[0] if comments else None
    return PaperRecord(
        title=_required(dc, f"{DC}title", "dc:title"),
        abstract=abstract,
        authors=[_name_first(_clean(node.text)) for node in dc.findall(f"{DC}creator")],
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        comment=comment,
        published=known[0] if known else None,
        updated=known[-1] if len(known) > 1 else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _from_arxiv(record: ElementTree.Element, source: SourceRef) -> PaperRecord:
    arxiv = _arxiv_id_of(_required(record, f"{ARXIV}id", "id"))
    if arxiv is None:
        raise RecordError(f"field 'id': {shown(_text(record, f'{ARXIV}id'))} is not an arXiv id")
    authors = []
    for author in record.iter(f"{ARXIV}author"):
        parts = [_text(author, f"{ARXIV}{part}") for part in ("forenames", "keyname", "suffix")]
        name = " ".join(part for part in parts if part)
        if name:
            authors.append(name)
    abstract, comment = _text(record, f"{ARXIV}abstract"), _text(record, f"{ARXIV}comments")
    return PaperRecord(
        title=_required(record, f"{ARXIV}title", "title"),
        abstract=abstract,
        authors=authors,
        categories=_categories(_text(record, f"{ARXIV}categories")),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1],
        doi=_text(record, f"{ARXIV}doi") or None,
        comment=comment or None,
        published=_date(_text(record, f"{ARXIV}created"), "created"),
        updated=_date(_text(record, f"{ARXIV}updated"), "updated"),
        links=find_links(abstract, comment),
        source=source,
    )


def _from_arxiv_raw(record: ElementTree.Element, source: SourceRef) -> PaperRecord:
    arxiv = _arxiv_id_of(_required(record, f"{ARXIV_RAW}id", "id"))
    if arxiv is None:
        raise RecordError(
            f"field 'id': {shown(_text(record, f'{ARXIV_RAW}id'))} is not an arXiv id"
        )
    versions: list[tuple[int, date | None]] = []
    for version in record.findall(f"{ARXIV_RAW}version"):
        label = version.get("version") or ""
        matched = _VERSION.fullmatch(label)
        if matched is None:
            raise RecordError(f"field 'version': {shown(label)} is not a version number")
        versions.append((int(matched.group(1)), _moment(_text(version, f"{ARXIV_RAW}date"))))
    versions.sort()
    abstract = _text(record, f"{ARXIV_RAW}abstract")
    comment = _text(record, f"{ARXIV_RAW}comments")
    authors = _text(record, f"{ARXIV_RAW}authors")
    return PaperRecord(
        title=_required(record, f"{ARXIV_RAW}title", "title"),
        abstract=abstract,
        authors=[name.strip() for name in _AUTHOR_SPLIT.split(authors) if name.strip()],
        categories=_categories(_text(record, f"{ARXIV_RAW}categories")),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1] or (versions[-1][0] if versions else None),
        doi=_text(record, f"{ARXIV_RAW}doi") or None,
        comment=comment or None,
        published=versions[0][1] if versions else None,
        updated=versions[-1][1] if len(versions) > 1 else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _arxiv_id_of(text: str) -> tuple[str, int | None] | None:
    """An arXiv id, bare or as an abs URL (http://arxiv.org/abs/0806.4410v2)."""
    text = text.strip()
    for prefix in ("http://arxiv.org/abs/", "https://arxiv.org/abs/"):
        text = text.removeprefix(prefix)
    return parse_arxiv_id(text)


def _categories(text: str) -> list[str]:
    return [name for name in text.split() if is_arxiv_category(name)]


def _name_first(name: str) -> str:
    """Dublin Core's "Baillie, Robert" as "Robert Baillie"."""
    last, comma, first = name.partition(", ")
    return f"{first} {last}".strip() if comma else name


def _text(element: ElementTree.Element, tag: str) -> str:
    found = element.find(tag)
    return _clean(found.text) if found is not None else ""


def _required(element: ElementTree.Element, tag: str, field: str) -> str:
    text = _text(element, tag)
    if not text:
        raise RecordError(f"field {field!r} is missing or empty")
    return text


def _clean(text: str | None) -> str:
    """Text as OAI-PMH wraps it (indented lines) as one line."""
    return " ".join((text or "").split())


def _date(text: str | None, field: str) -> date | None:
    text = _clean(text)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RecordError(f"field {field!r}: {shown(text)} is not a date") from None


def _moment(text: str) -> date | None:
    """arXivRaw's version dates: "Mon, 2 Apr 2007 19:18:42 GMT"."""
    if not text:
        return None
    try:
        moment: datetime = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise RecordError(f"field 'version.date': {shown(text)} is not a date") from None
    return moment.date()
