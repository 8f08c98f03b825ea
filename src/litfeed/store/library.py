"""A reader's library and ratings: rows private to one account (no public list, feed or API
reads them; `recommend/` ranks with them for their reader only). A library holds stored papers
(`library_items`) and outside items (`outside_items`: entries that match no stored paper, kept
with their own metadata); each has a private note and tags."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from litfeed.identifiers import normalise_title
from litfeed.store.database import plain_write_transaction, read_transaction
from litfeed.store.schema import feed_keys, interests, library_items, outside_items, ratings


@dataclass(frozen=True)
class Saved:
    """A stored paper in a reader's library."""

    paper_pk: int
    note: str
    tags: list[str]
    added_at: datetime


@dataclass(frozen=True)
class OutsideItem:
    """A library entry that matches no stored paper. ``key`` is what makes two imports of it
    the same ("doi:…", "arxiv:…" or "title:…")."""

    key: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    url: str | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    id: int | None = None  # None until stored
    added_at: datetime | None = None

    @property
    def text(self) -> str:
        """What is embedded: as a paper's title and abstract are (`paper_text`)."""
        return f"{self.title}. {self.abstract}".strip()


class LibraryStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def save(self, account_id: int, paper_pks: Sequence[int]) -> int:
        """Save papers into the account's library; how many were not there yet (saving twice
        changes nothing)."""
        wanted = list(dict.fromkeys(paper_pks))
        if not wanted:
            return 0
        now = datetime.now(UTC)
        with plain_write_transaction(self.engine) as connection:
            present = set(
                connection.execute(
                    sa.select(library_items.c.paper_pk).where(
                        library_items.c.account_id == account_id,
                        library_items.c.paper_pk.in_(wanted),
                    )
                ).scalars()
            )
            new = [pk for pk in wanted if pk not in present]
            if new:
                connection.execute(
                    sa.insert(library_items),
                    [{"account_id": account_id, "paper_pk": pk, "added_at": now} for pk in new],
                )
            return len(new)

    def remove(self, account_id: int, paper_pk: int) -> bool:
        with plain_write_transaction(self.engine) as connection:
            removed = connection.execute(
                sa.delete(library_items).where(
                    library_items.c.account_id == account_id, library_items.c.paper_pk == paper_pk
                )
            )
            return bool(removed.rowcount)

    def saved_items(self, account_id: int) -> list[Saved]:
        """The account's saved papers with their notes and tags, the newest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(library_items)
                .where(library_items.c.account_id == account_id)
                .order_by(library_items.c.added_at.desc(), library_items.c.paper_pk)
            ).mappings()
            return [
                Saved(row["paper_pk"], row["note"], json.loads(row["tags"]), row["added_at"])
                for row in rows
            ]

    def add_outside(self, account_id: int, items: Sequence[OutsideItem]) -> int:
        """Keep entries that match no stored paper; how many were not kept before (an entry
        whose key is there already changes nothing)."""
        wanted = list({item.key: item for item in items}.values())
        if not wanted:
            return 0
        now = datetime.now(UTC)
        with plain_write_transaction(self.engine) as connection:
            present = set(
                connection.execute(
                    sa.select(outside_items.c.key).where(
                        outside_items.c.account_id == account_id,
                        outside_items.c.key.in_([item.key for item in wanted]),
                    )
                ).scalars()
            )
            new = [item for item in wanted if item.key not in present]
            if new:
                connection.execute(
                    sa.insert(outside_items),
                    [_outside_row(account_id, item, now) for item in new],
                )
            return len(new)

    def remove_outside(self, account_id: int, item_id: int) -> bool:
        with plain_write_transaction(self.engine) as connection:
            removed = connection.execute(
                sa.delete(outside_items).where(
                    outside_items.c.account_id == account_id, outside_items.c.id == item_id
                )
            )
            return bool(removed.rowcount)

    def annotate(
        self,
        account_id: int,
        *,
        paper_pk: int | None = None,
        outside_id: int | None = None,
        note: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> bool:
        """Set the note and/or the tags of one library entry (a saved paper or an outside
        item); False when the account's library does not hold it."""
        table, column, key = (
            (library_items, library_items.c.paper_pk, paper_pk)
            if paper_pk is not None
            else (outside_items, outside_items.c.id, outside_id)
        )
        values: dict[str, Any] = {}
        if note is not None:
            values["note"] = note
        if tags is not None:
            values["tags"] = json.dumps(list(dict.fromkeys(tags)))
        owned = sa.and_(table.c.account_id == account_id, column == key)
        with plain_write_transaction(self.engine) as connection:
            if not values:
                return connection.execute(sa.select(column).where(owned)).first() is not None
            return bool(connection.execute(sa.update(table).where(owned).values(**values)).rowcount)

    def set_feed_key(self, account_id: int, key_hash: str | None) -> None:
        """Give the account's private feed a new key (its hash), or none (the feed stops)."""
        with plain_write_transaction(self.engine) as connection:
            connection.execute(sa.delete(feed_keys).where(feed_keys.c.account_id == account_id))
            if key_hash is not None:
                connection.execute(
                    sa.insert(feed_keys).values(
                        account_id=account_id, key_hash=key_hash, created_at=datetime.now(UTC)
                    )
                )

    def feed_key_owner(self, key_hash: str) -> int | None:
        """The account whose private feed has this key."""
        with read_transaction(self.engine) as connection:
            found = connection.execute(
                sa.select(feed_keys.c.account_id).where(feed_keys.c.key_hash == key_hash)
            ).scalar()
            return None if found is None else int(found)

    def has_feed(self, account_id: int) -> bool:
        with read_transaction(self.engine) as connection:
            return (
                connection.execute(
                    sa.select(feed_keys.c.account_id).where(feed_keys.c.account_id == account_id)
                ).first()
                is not None
            )

    def set_interest(self, account_id: int, kind: str, value: str, on: bool = True) -> bool:
        """Follow or mute (``kind``) ``value``, or stop (``on`` False); whether it changed."""
        key = value.casefold()
        owned = sa.and_(
            interests.c.account_id == account_id,
            interests.c.kind == kind,
            interests.c.value_key == key,
        )
        with plain_write_transaction(self.engine) as connection:
            present = connection.execute(sa.select(interests.c.kind).where(owned)).first()
            if on and present is None:
                connection.execute(
                    sa.insert(interests).values(
                        account_id=account_id,
                        kind=kind,
                        value_key=key,
                        value=value,
                        created_at=datetime.now(UTC),
                    )
                )
                return True
            if not on and present is not None:
                connection.execute(sa.delete(interests).where(owned))
                return True
            return False

    def rate(self, account_id: int, paper_pk: int, rating: int | None) -> None:
        """Rate a paper +1 or -1 for the account (None takes the rating back)."""
        with plain_write_transaction(self.engine) as connection:
            connection.execute(
                sa.delete(ratings).where(
                    ratings.c.account_id == account_id, ratings.c.paper_pk == paper_pk
                )
            )
            if rating is not None:
                connection.execute(
                    sa.insert(ratings).values(
                        account_id=account_id,
                        paper_pk=paper_pk,
                        rating=rating,
                        rated_at=datetime.now(UTC),
                    )
                )

    # -- reading what readers told: one account, or every account of a digest run at once ----

    def saved(self, account_id: int) -> list[int]:
        """The account's saved papers (row numbers), the newest first."""
        with read_transaction(self.engine) as connection:
            return _saved_of(connection, [account_id]).get(account_id, [])

    def ratings(self, account_id: int) -> dict[int, int]:
        """The account's ratings: paper row number → +1 or -1."""
        with read_transaction(self.engine) as connection:
            return _ratings_of(connection, [account_id]).get(account_id, {})

    def outside(self, account_id: int) -> list[OutsideItem]:
        """The account's outside items, the newest first."""
        with read_transaction(self.engine) as connection:
            return _outside_of(connection, [account_id]).get(account_id, [])

    def interests(self, account_id: int) -> dict[str, list[str]]:
        """The account's follows and mutes: kind → values, in the order they were added."""
        with read_transaction(self.engine) as connection:
            return _interests_of(connection, [account_id]).get(account_id, {})

    def readers(self, account_ids: Sequence[int]) -> dict[int, Reader]:
        """Everything each account told (saved papers, ratings, outside items, follows and
        mutes), in four queries for any number of accounts."""
        found = {account_id: Reader() for account_id in account_ids}
        with read_transaction(self.engine) as connection:
            for start in range(0, len(found), _CHUNK):
                chunk = list(found)[start : start + _CHUNK]
                for account_id, pks in _saved_of(connection, chunk).items():
                    found[account_id].saved.extend(pks)
                for account_id, values in _ratings_of(connection, chunk).items():
                    found[account_id].ratings.update(values)
                for account_id, items in _outside_of(connection, chunk).items():
                    found[account_id].outside.extend(items)
                for account_id, kinds in _interests_of(connection, chunk).items():
                    found[account_id].interests.update(kinds)
        return found


_CHUNK = 500  # accounts a query asks for at once (databases bound the parameters of one)


@dataclass
class Reader:
    """What one account told: saved papers (newest first), ratings, outside items, and its
    follows and mutes (kind → values)."""

    saved: list[int] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=dict)
    outside: list[OutsideItem] = field(default_factory=list)
    interests: dict[str, list[str]] = field(default_factory=dict)


def _saved_of(connection: sa.Connection, ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = connection.execute(
        sa.select(library_items.c.account_id, library_items.c.paper_pk)
        .where(library_items.c.account_id.in_(list(ids)))
        .order_by(library_items.c.added_at.desc(), library_items.c.paper_pk)
    )
    for account_id, pk in rows:
        found.setdefault(account_id, []).append(int(pk))
    return found


def _ratings_of(connection: sa.Connection, ids: Sequence[int]) -> dict[int, dict[int, int]]:
    found: dict[int, dict[int, int]] = {}
    rows = connection.execute(
        sa.select(ratings.c.account_id, ratings.c.paper_pk, ratings.c.rating).where(
            ratings.c.account_id.in_(list(ids))
        )
    )
    for account_id, pk, rating in rows:
        found.setdefault(account_id, {})[int(pk)] = int(rating)
    return found


def _outside_of(connection: sa.Connection, ids: Sequence[int]) -> dict[int, list[OutsideItem]]:
    found: dict[int, list[OutsideItem]] = {}
    rows = connection.execute(
        sa.select(outside_items)
        .where(outside_items.c.account_id.in_(list(ids)))
        .order_by(outside_items.c.added_at.desc(), outside_items.c.id.desc())
    ).mappings()
    for row in rows:
        found.setdefault(row["account_id"], []).append(_outside_item(row))
    return found


def _interests_of(connection: sa.Connection, ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    found: dict[int, dict[str, list[str]]] = {}
    rows = connection.execute(
        sa.select(interests.c.account_id, interests.c.kind, interests.c.value)
        .where(interests.c.account_id.in_(list(ids)))
        .order_by(interests.c.created_at, interests.c.value_key)
    )
    for account_id, kind, value in rows:
        found.setdefault(account_id, {}).setdefault(kind, []).append(value)
    return found


def save_arrived_items(connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Outside items whose paper is among ``rows`` (papers just written) become saved papers,
    with their note, tags and date; how many did. An item is found by the paper's arXiv id, DOI
    or title key, as an import matches an entry; called in the transaction that writes the
    papers, so that a reader's library never holds a paper twice."""
    shown = [row for row in rows if row.get("pk") is not None and not row.get("hidden")]
    if not shown or connection.execute(sa.select(outside_items.c.id).limit(1)).first() is None:
        return 0  # nothing waits (an import of all of arXiv: three lookups a batch saved)
    found: dict[int, tuple[int, Any]] = {}  # outside item id -> (paper pk, the item's row)
    for column, field_name in (
        (outside_items.c.arxiv_id, "arxiv_id"),
        (outside_items.c.doi, "doi"),
        (outside_items.c.title_key, "title_key"),
    ):
        papers_by = {row[field_name]: row["pk"] for row in shown if row.get(field_name)}
        keys = list(papers_by)
        for start in range(0, len(keys), 5_000):
            items = connection.execute(
                sa.select(outside_items).where(column.in_(keys[start : start + 5_000]))
            ).mappings()
            for item in items:
                found.setdefault(item["id"], (papers_by[item[field_name]], item))
    if not found:
        return 0
    pairs = {(item["account_id"], pk) for pk, item in found.values()}
    saved: dict[tuple[int, int], dict[str, Any]] = {
        (row["account_id"], row["paper_pk"]): dict(row)
        for row in connection.execute(
            sa.select(library_items).where(
                sa.tuple_(library_items.c.account_id, library_items.c.paper_pk).in_(list(pairs))
            )
        ).mappings()
    }
    for pk, item in found.values():
        pair = (item["account_id"], pk)
        tags = json.loads(item["tags"])
        if pair not in saved:
            connection.execute(
                sa.insert(library_items).values(
                    account_id=item["account_id"],
                    paper_pk=pk,
                    note=item["note"],
                    tags=json.dumps(tags),
                    added_at=item["added_at"],
                )
            )
            saved[pair] = {"note": item["note"], "tags": json.dumps(tags)}
        else:  # saved already (or by another item of the same paper): keep both's words
            kept = saved[pair]
            note = kept["note"] or item["note"]
            both = json.dumps(list(dict.fromkeys([*json.loads(kept["tags"]), *tags])))
            connection.execute(
                sa.update(library_items)
                .where(library_items.c.account_id == pair[0], library_items.c.paper_pk == pair[1])
                .values(note=note, tags=both)
            )
            saved[pair] = {"note": note, "tags": both}
    connection.execute(sa.delete(outside_items).where(outside_items.c.id.in_(list(found))))
    return len(found)


def _outside_row(account_id: int, item: OutsideItem, now: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "key": item.key,
        "title": item.title,
        "abstract": item.abstract,
        "authors": json.dumps(item.authors),
        "year": item.year,
        "doi": item.doi,
        "arxiv_id": item.arxiv_id,
        "url": item.url,
        "note": item.note,
        "tags": json.dumps(item.tags),
        "added_at": now,
        "title_key": normalise_title(item.title),
    }


def _outside_item(row: Any) -> OutsideItem:
    return OutsideItem(
        key=row["key"],
        title=row["title"],
        abstract=row["abstract"],
        authors=json.loads(row["authors"]),
        year=row["year"],
        doi=row["doi"],
        arxiv_id=row["arxiv_id"],
        url=row["url"],
        note=row["note"],
        tags=json.loads(row["tags"]),
        id=row["id"],
        added_at=row["added_at"],
    )
