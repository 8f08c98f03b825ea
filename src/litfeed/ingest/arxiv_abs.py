"""arXiv ``.abs`` files (the metadata beside each paper in arXiv's own archive): one file, or a
tar archive (plain or gzip) of them, read member by member without unpacking anything to disk.

A file is a header of ``Key: value`` lines (continued on lines starting with spaces) with the id
(``arXiv:2401.00001`` or ``Paper: hep-th/9901001``) and a ``Date:`` line per version, then the
abstract between ``\\\\`` lines. Locations are ``file`` or ``archive:member``.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterator
from datetime import date

from litfeed.identifiers import arxiv_categories, arxiv_id_of, find_links
from litfeed.ingest.source import (
    ImportFormatError,
    RecordError,
    SourceFile,
    announced_after,
    mail_date,
    shown,
)
from litfeed.models import PaperRecord, Rejection, SourceRef, Version

NAME = "arxiv-abs"
DESCRIPTION = "arXiv .abs metadata files: one, or a tar (.tar.gz) archive of them"

_FIELD = re.compile(r"^([A-Za-z][A-Za-z -]*?)(?: \(revised (v\d+)\))?:\s?(.*)$")
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_AFFILIATION = re.compile(r"\([^()]*\)")
_DATE_PART = re.compile(r"^(.*?\d{2}:\d{2}:\d{2} [A-Z]{2,4})")
MAX_MEMBER = 1 << 20  # an .abs file is a few kilobytes; a member past this is not one


def looks_like(head: str) -> bool:
    if "ustar" in head[:600] and ".abs" in head[:4096]:
        return True
    start = head.lstrip()[:600]
    return start.startswith("----") and "\\\\" in start and ("arXiv:" in start or "Paper:" in start)


def parse(source: SourceFile) -> Iterator[PaperRecord | Rejection]:
    data = source.read_bytes()
    if data.lstrip()[:4] == b"----":
        yield _one(data, SourceRef(NAME, source.name))
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 (closed below)
    except tarfile.TarError as error:
        raise ImportFormatError(
            f"{source.path}: neither an .abs file nor a tar of them: {error}"
        ) from None
    with archive:
        try:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".abs"):
                    continue
                location = f"{source.name}:{member.name}"
                if member.size > MAX_MEMBER:
                    yield Rejection(location, f"{member.size:,} bytes: too large for an .abs file")
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    yield _one(handle.read(), SourceRef(NAME, location))
        except (tarfile.TarError, EOFError) as error:
            yield Rejection(source.name, f"the archive is cut short or damaged here: {error}")


def _one(data: bytes, source: SourceRef) -> PaperRecord | Rejection:
    """One file's record. Older .abs files are Latin-1 ("Géométrie" as one byte a letter): text
    that is not UTF-8 is read as that."""
    if not data.strip():
        return Rejection(source.location, "an empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        return _record(text, source)
    except RecordError as error:
        return Rejection(source.location, str(error))


def _record(text: str, source: SourceRef) -> PaperRecord:
    parts = text.split("\\\\")
    if len(parts) < 3:
        raise RecordError("no header and abstract between '\\\\' lines")
    fields: dict[str, str] = {}
    versions: list[tuple[int, date | None]] = []
    key = None
    for line in parts[1].splitlines():
        if line.startswith((" ", "\t")) and key is not None:
            fields[key] += " " + line.strip()
            continue
        matched = _FIELD.match(line.strip())
        if matched is None:
            key = None
            continue
        name, revised, value = matched.group(1).lower(), matched.group(2), matched.group(3)
        if name == "date":
            number = int(revised[1:]) if revised else 1
            versions.append((number, _moment(value)))
            key = None
            continue
        key = name
        fields[key] = value.strip()
    identifier = fields.get("arxiv") or fields.get("paper") or ""
    arxiv = arxiv_id_of(identifier)
    if arxiv is None:
        raise RecordError(f"field 'arXiv': {shown(identifier)} is not an arXiv id")
    title = " ".join(fields.get("title", "").split())
    if not title:
        raise RecordError("field 'Title' is missing or empty")
    authors = _AFFILIATION.sub("", fields.get("authors", ""))
    abstract = " ".join(parts[2].split())
    comment = fields.get("comments") or None
    versions.sort()
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=[name.strip() for name in _AUTHOR_SPLIT.split(authors) if name.strip()],
        categories=arxiv_categories(fields.get("categories", "").split()),
        arxiv_id=arxiv[0],
        arxiv_version=arxiv[1] or (versions[-1][0] if versions else None),
        versions=[Version(number=number, submitted=day) for number, day in versions],
        doi=fields.get("doi") or None,
        comment=comment,
        published=versions[0][1] if versions else None,
        announced=announced_after(versions[0][1] if versions else None),
        updated=versions[-1][1] if len(versions) > 1 else None,
        links=find_links(abstract, comment),
        source=source,
    )


def _moment(text: str) -> date | None:
    """ "Sat, 16 Jan 1993 11:49:26 GMT   (0kb,I)" -> 1993-01-16."""
    matched = _DATE_PART.match(text.strip())
    if matched is None:
        raise RecordError(f"field 'Date': {shown(text)} is not a date")
    return mail_date(matched.group(1), "Date")
