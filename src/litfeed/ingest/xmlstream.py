"""Reading XML imports (arXiv OAI-PMH and Atom responses) a record at a time.

`elements` yields each element of one tag as soon as it is complete, then clears it, so a large
response is never held whole as a tree. XML that stops being well-formed (a body cut short)
ends with one `CutShort` rejection naming the line, after every element before the break. A
document type declaration is refused: arXiv's responses never have one, and entities declared in
one are how hostile XML makes a parser expand a few bytes into gigabytes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

from litfeed.ingest.source import CutShort, ImportFormatError, SourceFile
from litfeed.models import Rejection

_CHUNK = 1 << 20
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def elements(source: SourceFile, tags: set[str]) -> Iterator[ElementTree.Element | Rejection]:
    """The elements whose tag is in ``tags`` (``{namespace}name``), in document order; a
    `CutShort` where the XML stops being well-formed."""
    data = source.read_bytes()
    if _DECLARATION.search(data):
        raise ImportFormatError(f"{source.path}: XML with a document type declaration is not read")
    parser: Any = ElementTree.XMLPullParser(events=("end",))
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(data[start : start + _CHUNK])
            for _event, element in parser.read_events():
                if element.tag in tags:
                    yield element
                    element.clear()
        parser.close()
    except ElementTree.ParseError as error:
        line, column = error.position
        yield CutShort(
            f"{source.name}:{line}",
            f"not well-formed XML ({clean(str(error).split(':')[0])}, column {column}): "
            "the file is cut short or damaged here; the records before it are kept",
        )


def clean(text: str | None) -> str:
    """Text as arXiv's XML wraps it (indented lines) as one line."""
    return " ".join((text or "").split())


def text_of(element: ElementTree.Element, tag: str) -> str:
    found = element.find(tag)
    return clean(found.text) if found is not None else ""
