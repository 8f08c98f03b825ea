"""Saved Hugging Face Papers listing pages (the text a browser's "save as text" produces).

The page is lines of title, then abstract, one pair per paper, mixed with page furniture
("new", "Subscribe", "byAK and the research community", a date like "Mar 12"). Some saves glue
the "Subscribe" button's text to the first title. There are no ids, dates or authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from litfeed.identifiers import find_links
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection, SourceRef

NAME = "hf-papers-page"
DESCRIPTION = "saved Hugging Face Papers listing page (text: title line, abstract line)"

FURNITURE = frozenset(
    {
        "new",
        "Subscribe",
        "byAK and the research community",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
)
_DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(, \d{4})?$")
_GLUED_BUTTON = "Subscribe"
# The longest title among the 544 seed entries is 141 characters, the shortest abstract 449.
MAX_TITLE_LENGTH = 300
MIN_ABSTRACT_LENGTH = 50


def looks_like(head: str) -> bool:
    """Page furniture near the top, or the title/abstract rhythm of lines."""
    lines = [line.strip() for line in head.splitlines()[:40] if line.strip()]
    if any(line.startswith("Get trending papers in your email inbox") for line in lines):
        return True
    content = [line for line in lines[:20] if not _is_furniture(line)]
    if len(content) < 4 or head.lstrip().startswith(("{", "[", "<", "@")):
        return False
    return all(
        len(title) <= MAX_TITLE_LENGTH and len(abstract) >= max(MIN_ABSTRACT_LENGTH, len(title))
        for title, abstract in zip(content[0::2], content[1::2], strict=False)
    )


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    lines = list(_content_lines(source))
    texts = [text for _number, text in lines]
    index = 0
    while index < len(lines):
        number, text = lines[index]
        location = f"{source.name}:{number}"
        if text is None:
            yield Rejection(location, "line is not valid UTF-8 text")
            index += 1
            continue
        if len(text) > MAX_TITLE_LENGTH:
            yield Rejection(location, f"expected a title, found {len(text)} characters of text")
            index += 1
            continue
        abstract = texts[index + 1] if index + 1 < len(texts) else None
        if (
            abstract is None
            or len(abstract) < MIN_ABSTRACT_LENGTH
            or _starts_a_paper(texts, index + 1)
        ):
            yield Rejection(location, f"title {text[:60]!r} has no abstract line after it")
            index += 1
            continue
        yield PaperRecord(
            title=text,
            abstract=abstract,
            links=find_links(abstract),
            source=SourceRef(NAME, location),
        )
        index += 2


def _starts_a_paper(texts: list[str | None], index: int) -> bool:
    """Whether line ``index`` is a title followed by its abstract (a title-length line, then
    a line longer than any title), not the abstract of the line before it."""
    title = texts[index]
    following = texts[index + 1] if index + 1 < len(texts) else None
    return (
        title is not None
        and len(title) <= MAX_TITLE_LENGTH
        and following is not None
        and len(following) > MAX_TITLE_LENGTH
    )


def _content_lines(source: SourceFile) -> Iterator[tuple[int, str | None]]:
    for number, raw in source.lines():
        text = raw.strip() if raw is not None else None
        if text == "":
            continue
        if text is not None:
            if _is_furniture(text):
                continue
            text = _unglue_button(text)
        yield number, text


def _unglue_button(line: str) -> str:
    """Turn "SubscribeOn Mutual…" into "On Mutual…", "Subscribe3D…" into "3D…" and
    "SubscribeiVideoGPT…" into "iVideoGPT…" (but "Subscribers…" stays as it is): what follows
    the button starts with a capital or a digit, or is a lower-case letter before a capital."""
    rest = line[len(_GLUED_BUTTON) :]
    if not line.startswith(_GLUED_BUTTON) or not rest:
        return line
    if rest[0].isupper() or rest[0].isdigit() or (rest[0].islower() and rest[1:2].isupper()):
        return rest
    return line


def _is_furniture(line: str) -> bool:
    return line in FURNITURE or bool(_DATE_LINE.match(line))
