"""The bounds every record must keep before it reaches the database, whatever its format.

Importers parse; `check_record` then refuses, naming the field, anything the database (SQLite or
PostgreSQL), the search indexes or the pages could not hold: a value of the wrong type, text with
a NUL character or half of a UTF-16 surrogate pair, a number or date out of range, a field longer
than its limit, a link that is not an http(s) address. A refused record is reported and skipped;
the rest of its file is stored (see `litfeed.ingest.import_file`).

The limits are far above what real metadata holds (arXiv titles stay under 300 characters,
abstracts under 2,000, the longest author lists under 4,000 names) and are stored whole; pages
shorten long titles and author lists (see the templates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from litfeed.identifiers import safe_url
from litfeed.ingest.source import RecordError
from litfeed.models import EARLIEST_DATE, LATEST_DATE, MAX_COUNT, CommunityStats, PaperRecord


@dataclass(frozen=True)
class Limits:
    title: int = 1_000
    abstract: int = 100_000
    comment: int = 10_000
    author: int = 1_000
    authors: int = 10_000
    category: int = 1_000  # listings put ACM and MSC class lists here too
    categories: int = 200
    doi: int = 255  # the column's width
    hf_id: int = 64
    submitted_by: int = 255
    url: int = 2_000
    links: int = 100


LIMITS = Limits()


def check_record(record: PaperRecord) -> PaperRecord:
    """``record`` as it is, or `RecordError` naming the first field out of bounds."""
    _text("title", record.title, LIMITS.title, required=True)
    _text("abstract", record.abstract, LIMITS.abstract)
    _optional_text("comment", record.comment, LIMITS.comment)
    _texts("authors", record.authors, LIMITS.author, LIMITS.authors)
    _texts("categories", record.categories, LIMITS.category, LIMITS.categories)
    _optional_text("arxiv_id", record.arxiv_id, 32)
    _optional_text("doi", record.doi, LIMITS.doi)
    _optional_text("hf_id", record.hf_id, LIMITS.hf_id)
    _count("arxiv_version", record.arxiv_version, minimum=1)
    _date("published", record.published)
    _date("updated", record.updated)
    if len(record.links) > LIMITS.links:
        raise RecordError(f"field 'links': {len(record.links)} links; the limit is {LIMITS.links}")
    for link in record.links:
        _text("links[].url", link.url, LIMITS.url)
        if safe_url(link.url) is None:
            raise RecordError(f"field 'links[].url': {link.url[:80]!r} is not an http(s) address")
    if record.community is not None:
        _check_community(record.community)
    return record


def _check_community(community: CommunityStats) -> None:
    _count("upvotes", community.upvotes)
    _count("comments", community.comments)
    _optional_text("submitted_by", community.submitted_by, LIMITS.submitted_by)
    _optional_text("submitter_user", community.submitter_user, LIMITS.submitted_by)
    moment = community.submitted_at
    if moment is not None:
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise RecordError(f"field 'submitted_at': {moment!r} has no time zone")
        try:
            day = moment.astimezone(UTC).date()
        except OverflowError:
            raise RecordError(
                f"field 'submitted_at': {moment.isoformat()} is out of range"
            ) from None
        _date("submitted_at", day)


def _text(field: str, value: object, limit: int, required: bool = False) -> None:
    if not isinstance(value, str):
        raise RecordError(f"field {field!r}: expected text, found {type(value).__name__}")
    if required and not value.strip():
        raise RecordError(f"field {field!r} is missing or empty")
    if len(value) > limit:
        raise RecordError(f"field {field!r}: {len(value):,} characters; the limit is {limit:,}")
    if "\x00" in value:
        raise RecordError(f"field {field!r}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RecordError(
            f"field {field!r}: character {error.start + 1} is half of a UTF-16 surrogate pair"
        ) from None


def _optional_text(field: str, value: object, limit: int) -> None:
    if value is not None:
        _text(field, value, limit)


def _texts(field: str, values: Sequence[object], each: int, count: int) -> None:
    if not isinstance(values, list):
        raise RecordError(f"field {field!r}: expected a list, found {type(values).__name__}")
    if len(values) > count:
        raise RecordError(f"field {field!r}: {len(values):,} entries; the limit is {count:,}")
    for value in values:
        _text(f"{field}[]", value, each)


def _count(field: str, value: object, minimum: int = 0) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"field {field!r}: expected a whole number, found {value!r}")
    if not minimum <= value <= MAX_COUNT:
        shown = str(value) if value.bit_length() < 200 else f"a {value.bit_length()}-bit number"
        raise RecordError(f"field {field!r}: {shown} is out of range ({minimum} to {MAX_COUNT})")


def _date(field: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, date):
        raise RecordError(f"field {field!r}: expected a date, found {type(value).__name__}")
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise RecordError(
            f"field {field!r}: {value.isoformat()} is out of range "
            f"({EARLIEST_DATE.year} to {LATEST_DATE.year})"
        )
