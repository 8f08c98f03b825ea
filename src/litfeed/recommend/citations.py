"""Reading and writing the files reference managers exchange: BibTeX (Zotero, JabRef, Mendeley,
Google Scholar), CSL-JSON (Zotero, Mendeley), RIS (EndNote, Zotero, Mendeley), and a plain list
of arXiv ids, arXiv addresses or DOIs (what a reader pastes, `#` starts a comment).

Each entry becomes a `Citation`: where it is (FILE:LINE, or FILE: item N for JSON), its title,
abstract, authors, year, DOI and arXiv id as far as the file says them (an arXiv id is found in
`eprint`, the address, an arXiv DOI, or a note such as "arXiv preprint arXiv:1706.03762"). An
entry that cannot be read is reported with where it is and why; the rest are kept.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litfeed.errors import LitfeedError
from litfeed.identifiers import arxiv_id_of_doi, normalise_doi, parse_arxiv_id, safe_url

FORMATS = ("bibtex", "csl-json", "ris", "ids")
SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csl-json", ".ris": "ris"}
MAX_BYTES = 20_000_000  # a library of some tens of thousands of entries

_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf)/|\s*(?:preprint)?\s*(?:arxiv)?\s*[:.]?\s*)"
    r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)


class CitationFileError(LitfeedError):
    """The file cannot be read at all (not text, not the format it says); the message says
    where and why."""


@dataclass(frozen=True)
class Citation:
    where: str  # FILE:LINE or FILE: item N
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    reference: str = ""  # an id list's line as written (an id, an address or a DOI)
    url: str | None = None


@dataclass
class Citations:
    entries: list[Citation] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # "WHERE: why"


def read_citations(path: Path, format_name: str | None = None) -> Citations:
    """The citations in a file, its format told or found from its name and first bytes."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CitationFileError(f"{path}: larger than {MAX_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as error:
        raise CitationFileError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_citation_bytes(data, str(path), format_name)


def parse_citation_bytes(data: bytes, name: str, format_name: str | None = None) -> Citations:
    """The citations in a file's bytes (UTF-8): a record holding bytes that are not UTF-8 is
    rejected, naming its line, and the others are read (in CSL-JSON, one JSON text, such a
    byte rejects the file)."""
    try:
        return parse_citations(data.decode("utf-8-sig"), name, format_name)
    except UnicodeDecodeError:
        pass
    lines, bad = [], []
    for number, line in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            bad.append((number, line[error.start]))
            lines.append(line.decode("utf-8", "replace"))
    text = "\n".join(lines)
    chosen = format_name or guess_format(name, text)
    if chosen == "csl-json":
        number, byte = bad[0]
        raise CitationFileError(f"{name}:{number}: not UTF-8 text (byte 0x{byte:02x})")
    found = parse_citations(text, name, chosen)
    order = sorted(range(len(found.entries)), key=lambda n: _line_of(found.entries[n].where))
    starts = [_line_of(found.entries[n].where) for n in order]
    dropped: set[int] = set()
    for number, byte in bad:
        before = bisect.bisect_right(starts, number)  # the entries starting on or before it
        why = f"not UTF-8 text (byte 0x{byte:02x} on line {number})"
        if before == 0:
            found.rejected.append(f"{name}:{number}: {why}")
        elif (holding := order[before - 1]) not in dropped:  # the entry the line is in
            dropped.add(holding)
            found.rejected.append(f"{found.entries[holding].where}: {why}")
    found.entries = [c for n, c in enumerate(found.entries) if n not in dropped]
    return found


def _line_of(where: str) -> int:
    """The line number of a citation's FILE:LINE."""
    tail = where.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def parse_citations(text: str, name: str, format_name: str | None = None) -> Citations:
    """The citations in ``text`` (a file called ``name``)."""
    chosen = format_name or guess_format(name, text)
    if chosen not in FORMATS:
        raise CitationFileError(f"{name}: unknown format {chosen!r} (known: {', '.join(FORMATS)})")
    reader = {"bibtex": _bibtex, "csl-json": _csl_json, "ris": _ris, "ids": _ids}[chosen]
    return reader(text, name)


def guess_format(name: str, text: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    start = text.lstrip()[:200]
    if start.startswith("@") or re.search(r"^\s*@\w+\s*[{(]", text[:5000], re.MULTILINE):
        return "bibtex"
    if start[:1] in "[{":
        return "csl-json"
    if re.match(r"TY {2}- ", start):
        return "ris"
    return "ids"


# -- BibTeX ------------------------------------------------------------------------------------


def _bibtex(text: str, name: str) -> Citations:
    from bibtexparser import middlewares
    from bibtexparser.entrypoint import parse_string

    logger = logging.getLogger("bibtexparser")  # its warnings are the report's lines here
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        library = parse_string(
            text,
            append_middleware=[
                middlewares.LatexDecodingMiddleware(),
                middlewares.SeparateCoAuthors(),
            ],
        )
    finally:
        logger.setLevel(level)
    found = Citations()
    for block in library.failed_blocks:
        error = getattr(block, "error", None)
        reason = " ".join(str(getattr(error, "abort_reason", None) or error or "").split())
        line = (block.start_line or 0) + 1
        found.rejected.append(f"{name}:{line}: {reason[:200] or 'unreadable'}")
    for entry in library.entries:
        fields = {key.lower(): value.value for key, value in entry.fields_dict.items()}
        where = f"{name}:{(entry.start_line or 0) + 1}"
        authors = fields.get("author") or []
        citation = _citation(
            where,
            title=_text(fields.get("title")),
            abstract=_text(fields.get("abstract")),
            authors=[_forward(a) for a in (authors if isinstance(authors, list) else [authors])],
            year=_year(fields.get("year")),
            doi=fields.get("doi"),
            url=fields.get("url"),
            arxiv_hints=[
                fields.get("eprint") if _is_arxiv(fields.get("archiveprefix"), fields) else None,
                fields.get("arxivid"),  # Mendeley's
                fields.get("url"),
                fields.get("journal"),
                fields.get("note"),
                fields.get("howpublished"),
                fields.get("number"),
            ],
        )
        _keep(found, citation)
    return found


def _is_arxiv(prefix: object, fields: dict[str, Any]) -> bool:
    prefix = str(prefix or fields.get("eprinttype") or "arxiv")
    return prefix.strip().lower() == "arxiv"


# -- CSL-JSON ----------------------------------------------------------------------------------


def _csl_json(text: str, name: str) -> Citations:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise CitationFileError(
            f"{name}:{error.lineno}: not CSL-JSON: {error.msg} (column {error.colno})"
        ) from None
    if isinstance(items, dict):
        items = items.get("items", [items])
    if not isinstance(items, list):
        raise CitationFileError(f"{name}: CSL-JSON is a list of items")
    found = Citations()
    for number, item in enumerate(items, 1):
        where = f"{name}: item {number}"
        if not isinstance(item, dict):
            found.rejected.append(f"{where}: not an object")
            continue
        citation = _citation(
            where,
            title=_text(item.get("title")),
            abstract=_text(item.get("abstract")),
            authors=[_csl_name(author) for author in _list(item.get("author"))],
            year=_csl_year(item.get("issued")),
            doi=_text(item.get("DOI")),
            url=_text(item.get("URL")),
            arxiv_hints=[
                _text(item.get("URL")),
                _text(item.get("number")),
                _text(item.get("note")),
                _text(item.get("container-title")),
                _text(item.get("archive_location")),
            ],
        )
        _keep(found, citation)
    return found


def _csl_name(author: object) -> str:
    if not isinstance(author, dict):
        return _text(author)
    if author.get("literal"):
        return _text(author["literal"])
    return " ".join(_text(author.get(part)) for part in ("given", "family") if author.get(part))


def _csl_year(issued: object) -> int | None:
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return _year(parts[0][0])
        return _year(issued.get("raw") or issued.get("literal"))
    return None


# -- RIS ---------------------------------------------------------------------------------------

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _ris(text: str, name: str) -> Citations:
    import rispy

    found = Citations()
    record: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        tag = _RIS_TAG.match(line.rstrip())
        if tag and tag.group(1) == "TY":
            if record:
                found.rejected.append(f"{name}:{start}: the record has no end (ER  - )")
            record, start = [line], number
        elif record:
            record.append(line)
            if tag and tag.group(1) == "ER":
                _ris_record(found, rispy.loads("\n".join(record) + "\n"), f"{name}:{start}")
                record = []
        elif line.strip():
            found.rejected.append(f"{name}:{number}: outside any record (a record starts TY  - )")
    if record:
        found.rejected.append(f"{name}:{start}: the record has no end (ER  - )")
    return found


def _ris_record(found: Citations, records: list[dict[str, Any]], where: str) -> None:
    if len(records) != 1:
        found.rejected.append(f"{where}: cannot be read as an RIS record")
        return
    record = records[0]

    def first(*keys: str) -> str:
        for key in keys:
            value = record.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if value:
                return _text(value)
        return ""

    authors = [_forward(a) for key in ("authors", "first_authors") for a in record.get(key, [])]
    urls = [_text(url) for url in record.get("urls", [])]
    citation = _citation(
        where,
        title=first("title", "primary_title", "translated_title"),
        abstract=first("abstract", "notes_abstract"),
        authors=authors,
        year=_year(first("year", "publication_year", "date")),
        doi=first("doi"),
        url=urls[0] if urls else None,
        arxiv_hints=[*urls, *(_text(note) for note in record.get("notes", [])), first("number")],
    )
    _keep(found, citation)


# -- plain lists -------------------------------------------------------------------------------


def _ids(text: str, name: str) -> Citations:
    found = Citations()
    for number, line in enumerate(text.split("\n"), 1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            found.entries.append(Citation(f"{name}:{number}", reference=entry[:1000]))
    return found


# -- shared ------------------------------------------------------------------------------------


def _citation(
    where: str,
    *,
    title: str,
    abstract: str,
    authors: list[str],
    year: int | None,
    doi: object,
    url: object,
    arxiv_hints: Iterable[object],
) -> Citation:
    normal_doi = normalise_doi(_text(doi)) if doi else None
    arxiv_id = arxiv_id_of_doi(normal_doi) if normal_doi else None
    for hint in arxiv_hints:
        if arxiv_id:
            break
        arxiv_id = _arxiv_in(_text(hint))
    return Citation(
        where,
        title=_one_line(_text(title))[:1000],
        abstract=_text(abstract)[:20_000],
        authors=[author for author in (_one_line(a)[:300] for a in authors) if author][:500],
        year=year,
        doi=normal_doi,
        arxiv_id=arxiv_id,
        url=safe_url(_text(url)[:2000]) if url else None,  # http(s) only: it becomes a link
    )


def _keep(found: Citations, citation: Citation) -> None:
    if citation.title or citation.doi or citation.arxiv_id:
        found.entries.append(citation)
    else:
        found.rejected.append(f"{citation.where}: no title, DOI or arXiv id")


def _arxiv_in(text: str) -> str | None:
    if not text:
        return None
    bare = parse_arxiv_id(text)
    if bare:
        return bare[0]
    match = _ARXIV_IN_TEXT.search(text)
    if match:
        found = parse_arxiv_id(match.group(1))
        return found[0] if found else None
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: object) -> str:
    """A field as text: lists joined, control characters (NUL, which no database stores, among
    them) dropped."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(part) for part in value)
    return _CONTROL.sub("", str(value)).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _forward(name: object) -> str:
    """``Family, Given`` as ``Given Family`` (how papers print names)."""
    text = _one_line(_text(name))
    if text.count(",") == 1:
        family, given = (part.strip() for part in text.split(","))
        return f"{given} {family}".strip()
    return text


def _year(value: object) -> int | None:
    match = re.search(r"\b(1[89]\d\d|2[01]\d\d)\b", _text(value))
    return int(match.group(1)) if match else None


def _list(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else []
