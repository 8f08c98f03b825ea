"""How an incoming record is folded into a stored paper's row, and when that is a change.

Pure functions over plain dicts (rows as the ``papers`` table holds them), so the rules can be
tested without a database.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from litfeed.announcements import announcement_day
from litfeed.identifiers import arxiv_links, clean_text, normalise_title, title_paper_id
from litfeed.models import PaperRecord

Row = dict[str, Any]

# Fields whose value in the incoming record replaces the stored one when the record is at least
# as authoritative (see `_authority`), and only fills a gap otherwise.
_REPLACEABLE = ("title", "abstract", "authors", "categories", "comment", "arxiv_version")
_FILL_ONLY = ("arxiv_id", "doi", "hf_id")
_COMMUNITY = ("upvotes", "comments", "submitted_by", "submitter_user", "submitted_at")
HASHED_FIELDS = (
    *_REPLACEABLE,
    *_FILL_ONLY,
    *_COMMUNITY,
    "published",
    "updated",
    "links",
    "versions",
    "withdrawn",
    "announced",
)
# Fields added after papers were first hashed: hashed only when they hold something, so a paper
# stored before they existed keeps its hash (and re-importing it changes nothing).
_HASHED_WHEN_SET = ("versions", "withdrawn", "announced", "submitter_user")
# arXiv's comment on a withdrawn paper: "This paper has been withdrawn by the author…".
_WITHDRAWN = re.compile(r"\bhas been withdrawn\b|^\s*withdrawn\b", re.IGNORECASE)


def row_from_record(record: PaperRecord) -> Row:
    """The ``papers`` columns a record provides (without id, first_seen and bookkeeping)."""
    title = clean_text(record.title)
    links = [link.model_dump() for link in record.links]
    if record.arxiv_id:
        links = _union_links([link.model_dump() for link in arxiv_links(record.arxiv_id)], links)
    community = record.community
    comment = clean_text(record.comment) if record.comment else None
    return {
        "title": title,
        "title_key": normalise_title(title),
        "abstract": clean_text(record.abstract),
        "authors": [clean_text(name) for name in record.authors if name.strip()],
        "categories": list(dict.fromkeys(record.categories)),
        "comment": comment,
        "arxiv_id": record.arxiv_id,
        "arxiv_version": record.arxiv_version,
        "versions": _union_versions(
            [],
            [{"number": v.number, "submitted": _iso(v.submitted)} for v in record.versions],
        ),
        "withdrawn": is_withdrawn(comment),
        "doi": record.doi.lower() if record.doi else None,
        "hf_id": record.hf_id,
        "published": record.published,
        "updated": record.updated,
        "announced": record.announced,
        "links": links,
        "upvotes": community.upvotes if community else None,
        "comments": community.comments if community else None,
        "submitted_by": community.submitted_by if community else None,
        "submitter_user": community.submitter_user if community else None,
        "submitted_at": community.submitted_at if community else None,
    }


def new_paper_id(row: Row) -> str:
    return str(row["arxiv_id"]) if row["arxiv_id"] else title_paper_id(row["title"])


def merge_rows(stored: Row, incoming: Row) -> Row:
    """The stored row after ``incoming`` is applied: the more authoritative source wins each
    field it has a value for; the other only fills gaps. Dates keep the earliest publication and
    the latest update; links are united."""
    merged = dict(stored)
    incoming_wins = _authority(incoming) >= _authority(stored)
    for name in _REPLACEABLE:
        value = incoming[name]
        if _has_value(value) and (incoming_wins or not _has_value(stored[name])):
            merged[name] = value
    for name in _FILL_ONLY:
        if not stored[name] and incoming[name]:
            merged[name] = incoming[name]
    if any(incoming[name] is not None for name in _COMMUNITY):
        for name in _COMMUNITY:
            merged[name] = incoming[name]
    if not stored["arxiv_id"] and merged["arxiv_id"]:
        # A paper is known by its arXiv id once it has one, whichever file came first; the
        # title-based id it had stays findable.
        merged["former_id"] = stored["id"]
        merged["id"] = merged["arxiv_id"]
    merged["title_key"] = normalise_title(merged["title"])
    merged["versions"] = _union_versions(stored["versions"] or [], incoming["versions"])
    merged["withdrawn"] = is_withdrawn(merged["comment"])
    merged["published"] = _earliest(stored["published"], incoming["published"])
    merged["announced"] = _earliest(stored["announced"], incoming["announced"])
    merged["updated"] = _latest(stored["updated"], incoming["updated"])
    merged["links"] = _union_links(stored["links"], incoming["links"])
    return merged


def paper_day(row: Row) -> date:
    """A paper's day: the day a reader submitted it here (a paper is submitted only when it
    was on no page yet, and then it is on that day's page); else the day arXiv announced it or
    it entered Hugging Face Daily Papers (``submitted_at``, a UTC day as Hugging Face counts
    them), whichever came first; else the announcement day it arrived in."""
    submitted_here: date | None = row.get("submitted_here")
    if submitted_here:
        return submitted_here
    entered = row["submitted_at"].astimezone(UTC).date() if row["submitted_at"] else None
    known = [day for day in (row["announced"], entered) if day]
    return min(known) if known else announcement_day(row["first_seen"])


def is_withdrawn(comment: str | None) -> bool:
    return bool(comment and _WITHDRAWN.search(comment))


def content_hash(row: Row) -> str:
    payload = {
        name: row.get(name)
        for name in HASHED_FIELDS
        if name not in _HASHED_WHEN_SET or row.get(name)
    }
    text = json.dumps(payload, sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _authority(row: Row) -> tuple[bool, int]:
    """arXiv metadata outranks a page that only carries title and abstract; a later arXiv
    version outranks an earlier one; equal authority means the newer import wins."""
    return (bool(row["arxiv_id"]), row["arxiv_version"] or 0)


def _has_value(value: object) -> bool:
    return value not in (None, "", [])


def _earliest(first: date | None, second: date | None) -> date | None:
    dates = [d for d in (first, second) if d is not None]
    return min(dates) if dates else None


def _latest(first: date | None, second: date | None) -> date | None:
    dates = [d for d in (first, second) if d is not None]
    return max(dates) if dates else None


def _union_links(first: list[dict[str, str]], second: list[dict[str, str]]) -> list[dict[str, str]]:
    seen = {link["url"] for link in first}
    return [*first, *(link for link in second if link["url"] not in seen)]


def _union_versions(stored: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[Any]:
    """Every version either side knows, by number; a known date wins over an unknown one."""
    by_number: dict[int, dict[str, Any]] = {}
    for version in (*stored, *incoming):
        known = by_number.get(version["number"])
        if known is None or (version["submitted"] and not known["submitted"]):
            by_number[version["number"]] = dict(version)
    return [by_number[number] for number in sorted(by_number)]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")
