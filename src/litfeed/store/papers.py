"""Reading and writing papers: matching incoming records to stored papers, and the queries the
web, CLI and indexes use. Functions take an open connection; `litfeed.store.Store` owns them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from litfeed.identifiers import (
    arxiv_id_of_doi,
    family_key,
    is_storable_text,
    normalise_doi,
    normalise_title,
    parse_arxiv_id,
    safe_url,
)
from litfeed.models import Link, Paper, PaperRecord, Provenance, Rejection, Version
from litfeed.store.database import insert_rows
from litfeed.store.library import save_arrived_items
from litfeed.store.merge import (
    Row,
    content_hash,
    merge_rows,
    new_paper_id,
    paper_day,
    row_from_record,
)
from litfeed.store.schema import UNDATED, authorships, paper_sources, papers


@dataclass
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Records the database refused, each alone (the rest of their batch is stored).
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: SaveCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)


class _Matcher:
    """Finds the stored paper a record is about: same arXiv id, else same DOI, else the same
    normalised title; a DOI or title match counts only where no arXiv id contradicts it (two
    arXiv papers may share a title, and two arXiv papers are sometimes given one DOI)."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.by_arxiv: dict[str, Row] = {}
        self.by_doi: dict[str, list[Row]] = {}
        self.by_title: dict[str, list[Row]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: Row) -> None:
        if row["arxiv_id"]:
            self.by_arxiv[row["arxiv_id"]] = row
        if row["doi"]:
            _add_once(self.by_doi.setdefault(row["doi"], []), row)
        _add_once(self.by_title.setdefault(row["title_key"], []), row)

    def find(self, incoming: Row) -> Row | None:
        if incoming["arxiv_id"] and incoming["arxiv_id"] in self.by_arxiv:
            return self.by_arxiv[incoming["arxiv_id"]]
        candidates = [
            *(self.by_doi.get(incoming["doi"], []) if incoming["doi"] else []),
            *self.by_title.get(incoming["title_key"], []),
        ]
        for row in candidates:
            if not (row["arxiv_id"] and incoming["arxiv_id"]):
                return row
        return None


def _add_once(bucket: list[Row], row: Row) -> None:
    if not any(known is row for known in bucket):
        bucket.append(row)


def save_records(
    connection: Connection,
    records: Sequence[PaperRecord],
    import_id: int,
    change_number: int,
) -> SaveCounts:
    """Insert or merge ``records`` in one transaction and record where each was seen.

    A record whose merge leaves the stored paper as it was counts as unchanged and does not
    move the change cursor, so re-importing a file changes nothing."""
    if not records:
        return SaveCounts()
    now = datetime.now(UTC)
    incoming_rows = [row_from_record(record) for record in records]
    matcher = _Matcher(_load_candidates(connection, incoming_rows))
    counts = SaveCounts()
    touched: dict[int, Row] = {}
    inserted: list[Row] = []
    seen: list[tuple[Row, PaperRecord]] = []
    for record, incoming in zip(records, incoming_rows, strict=True):
        stored = matcher.find(incoming)
        if stored is None:
            row = _new_row(incoming, now, change_number)
            inserted.append(row)
            matcher.add(row)
            counts.new += 1
        else:
            merged = merge_rows(stored, incoming)
            digest = content_hash(merged)
            if digest == stored["content_hash"]:
                counts.unchanged += 1
                row = stored
            else:
                merged.update(content_hash=digest, change_seq=change_number)
                stored.update(merged)
                row = stored
                counts.updated += 1
                if row["pk"] is not None:  # rows new in this batch are inserted as merged
                    touched[row["pk"]] = row
        seen.append((row, record))
    _write_rows(connection, inserted, list(touched.values()))
    _write_authorships(connection, inserted, list(touched.values()))
    _record_sources(connection, seen, import_id, now)
    save_arrived_items(connection, [*inserted, *touched.values()])
    return counts


def _new_row(incoming: Row, now: datetime, change_number: int) -> Row:
    row = dict(incoming)
    row.update(
        pk=None,
        id=new_paper_id(incoming),
        former_id=None,
        first_seen=now,
        content_hash=content_hash(incoming),
        change_seq=change_number,
    )
    return row


def _load_candidates(connection: Connection, rows: Sequence[Row]) -> list[Row]:
    """The stored rows ``rows`` may match, and no more: a title or DOI shared by many arXiv
    papers (a common title, a hostile file) loads one of them, not all, so a batch's cost does
    not grow with the number of stored papers that share its titles."""
    arxiv_ids = {row["arxiv_id"] for row in rows if row["arxiv_id"]}
    dois = {row["doi"] for row in rows if row["doi"]}
    title_keys = {row["title_key"] for row in rows}
    # Any record may match a stored paper without an arXiv id by DOI or title.
    conditions = [
        sa.and_(
            papers.c.arxiv_id.is_(None),
            sa.or_(papers.c.title_key.in_(title_keys), papers.c.doi.in_(dois)),
        )
    ]
    if arxiv_ids:
        conditions.append(papers.c.arxiv_id.in_(arxiv_ids))
    # A record without an arXiv id may also match an arXiv paper: the first stored one.
    loose = [row for row in rows if not row["arxiv_id"]]
    for column, keys in (
        (papers.c.title_key, {row["title_key"] for row in loose}),
        (papers.c.doi, {row["doi"] for row in loose if row["doi"]}),
    ):
        if keys:
            first = (
                sa.select(sa.func.min(papers.c.pk))
                .where(column.in_(keys), papers.c.arxiv_id.is_not(None))
                .group_by(column)
            )
            conditions.append(papers.c.pk.in_(first))
    result = connection.execute(sa.select(papers).where(sa.or_(*conditions)).order_by(papers.c.pk))
    return [dict(row) for row in result.mappings()]


def _write_rows(connection: Connection, inserted: list[Row], updated: list[Row]) -> None:
    for row in (*inserted, *updated):
        row["sort_date"] = row["published"] or UNDATED
        row["day"] = paper_day(row)
    if inserted:
        values = [{key: value for key, value in row.items() if key != "pk"} for row in inserted]
        pks = insert_rows(connection, papers, values, numbered=papers.c.pk)
        for row, pk in zip(inserted, pks, strict=True):
            row["pk"] = pk
    if updated:
        # Votes and the hidden mark are the community's, written by their own statements.
        kept = (
            "pk",
            "first_seen",
            "votes",
            "comments_here",
            "hidden",
            "submitted_here",
            "submitter_id",
        )
        columns = [c.name for c in papers.columns if c.name not in kept]
        statement = (
            sa.update(papers)
            .where(papers.c.pk == sa.bindparam("_pk"))
            .values({name: sa.bindparam(f"_{name}") for name in columns})
        )
        connection.execute(
            statement,
            [{"_pk": row["pk"], **{f"_{name}": row[name] for name in columns}} for row in updated],
        )


def _write_authorships(connection: Connection, inserted: list[Row], updated: list[Row]) -> None:
    """Keep `authorships` with the papers' author lists."""
    if updated:
        connection.execute(
            sa.delete(authorships).where(authorships.c.paper_pk.in_([r["pk"] for r in updated]))
        )
    values = [
        {"paper_pk": row["pk"], "position": place, "name": name, "family": family_key(name)}
        for row in (*inserted, *updated)
        for place, name in enumerate(row["authors"] or [])
    ]
    insert_rows(connection, authorships, values)


def _record_sources(
    connection: Connection, seen: list[tuple[Row, PaperRecord]], import_id: int, now: datetime
) -> None:
    pks = {row["pk"] for row, _ in seen}
    existing = {
        (pk, source, location)
        for pk, source, location in connection.execute(
            sa.select(
                paper_sources.c.paper_pk, paper_sources.c.source, paper_sources.c.location
            ).where(paper_sources.c.paper_pk.in_(pks))
        )
    }
    new_rows = []
    for row, record in seen:
        key = (row["pk"], record.source.source, record.source.location)
        if key not in existing:
            existing.add(key)
            new_rows.append(
                {
                    "paper_pk": row["pk"],
                    "import_id": import_id,
                    "source": record.source.source,
                    "location": record.source.location,
                    "seen_at": now,
                }
            )
    insert_rows(connection, paper_sources, new_rows)


def paper_from_row(row: Any, sources: list[Provenance] | None = None) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=list(row["authors"]),
        categories=list(row["categories"]),
        arxiv_id=row["arxiv_id"],
        arxiv_version=row["arxiv_version"],
        versions=[Version(**version) for version in row["versions"] or []],
        withdrawn=bool(row["withdrawn"]),
        doi=row["doi"],
        hf_id=row["hf_id"],
        comment=row["comment"],
        published=row["published"],
        updated=row["updated"],
        announced=row["announced"],
        day=row["day"],
        votes=row["votes"],
        comments_here=row["comments_here"],
        submitted_here=row["submitted_here"],
        hidden=bool(row["hidden"]),
        first_seen=row["first_seen"],
        # Only http(s) addresses are links (rows stored before imports checked that may not be).
        links=[Link(**link) for link in row["links"] if safe_url(link["url"]) is not None],
        upvotes=row["upvotes"],
        comments=row["comments"],
        submitted_by=row["submitted_by"],
        submitter_user=row["submitter_user"],
        submitter_id=row["submitter_id"],
        submitted_at=row["submitted_at"],
        sources=sources or [],
        pk=row["pk"],
    )


def find_paper_row(connection: Connection, key: str) -> Any | None:
    """A paper by litfeed id (or the id it had before its arXiv id was known), arXiv id (any
    version, or an arxiv.org URL) or DOI."""
    key = key.strip()
    if not key or not is_storable_text(key):  # no id is like that; databases refuse to compare
        return None
    for column in (papers.c.id, papers.c.former_id):
        row = connection.execute(sa.select(papers).where(column == key)).mappings().first()
        if row is not None:
            return row
    arxiv = parse_arxiv_id(key.rsplit("/abs/", 1)[-1])
    doi = normalise_doi(key) if arxiv is None else None
    arxiv_id = arxiv[0] if arxiv else (arxiv_id_of_doi(doi) if doi else None)
    if arxiv_id is not None:
        condition = papers.c.arxiv_id == arxiv_id
    elif doi is not None:
        condition = papers.c.doi == doi
    else:
        return None
    return connection.execute(sa.select(papers).where(condition)).mappings().first()


def find_paper_row_by_title(connection: Connection, title: str) -> Any | None:
    """The shown paper with this title (compared as `normalise_title` does), the newest when
    several have it."""
    key = normalise_title(title)
    if not key:
        return None
    return (
        connection.execute(
            sa.select(papers)
            .where(papers.c.title_key == key, papers.c.hidden == sa.false())
            .order_by(papers.c.pk.desc())
        )
        .mappings()
        .first()
    )


def load_sources(connection: Connection, paper_pk: int) -> list[Provenance]:
    result = connection.execute(
        sa.select(paper_sources)
        .where(paper_sources.c.paper_pk == paper_pk)
        .order_by(paper_sources.c.id)
    ).mappings()
    return [
        Provenance(
            source=row["source"],
            location=row["location"],
            import_id=row["import_id"],
            seen_at=row["seen_at"],
        )
        for row in result
    ]
