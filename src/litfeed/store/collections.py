"""Collections: rows and the statements over them (`litfeed.discussion.collections` decides
who may do what). A collection is named outside by its random ``key``, never by its row
number, so that an unlisted one cannot be found by counting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from litfeed.store.database import read_transaction, record_from_row, write_transaction
from litfeed.store.schema import (
    accounts,
    collection_follows,
    collection_papers,
    collections,
    papers,
)


@dataclass(frozen=True)
class Collection:
    id: int
    key: str
    account_id: int
    name: str
    description: str
    description_html: str
    renderer: int
    public: bool
    created_at: datetime
    updated_at: datetime
    owner: str | None = None  # the account's public name
    papers: int = 0  # how many papers it holds (shown ones)
    followers: int = 0


@dataclass(frozen=True)
class Held:
    """A paper in a collection, with its note."""

    paper_pk: int
    note: str
    note_html: str
    added_at: datetime


@dataclass(frozen=True)
class Added:
    """A paper added to a collection a reader follows (for their digest)."""

    paper_pk: int
    collection: str  # its name
    key: str
    added_at: datetime


def _counted() -> sa.Select[Any]:
    held = (
        sa.select(sa.func.count())
        .select_from(collection_papers.join(papers, papers.c.pk == collection_papers.c.paper_pk))
        .where(collection_papers.c.collection_id == collections.c.id, papers.c.hidden.is_(False))
        .scalar_subquery()
    )
    following = (
        sa.select(sa.func.count())
        .select_from(collection_follows)
        .where(collection_follows.c.collection_id == collections.c.id)
        .scalar_subquery()
    )
    return sa.select(
        collections,
        accounts.c.name.label("owner"),
        held.label("papers"),
        following.label("followers"),
    ).select_from(collections.join(accounts, accounts.c.id == collections.c.account_id))


class CollectionStore:
    """Collections in one database (`Store.collections`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(
        self,
        key: str,
        account_id: int,
        name: str,
        description: str,
        description_html: str,
        renderer: int,
        public: bool,
    ) -> None:
        now = datetime.now(UTC)
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.insert(collections).values(
                    key=key,
                    account_id=account_id,
                    name=name,
                    description=description,
                    description_html=description_html,
                    renderer=renderer,
                    public=public,
                    created_at=now,
                    updated_at=now,
                )
            )

    def get(self, key: str) -> Collection | None:
        with read_transaction(self.engine) as connection:
            row = connection.execute(_counted().where(collections.c.key == key)).mappings().first()
            return None if row is None else record_from_row(Collection, row)

    def of_account(self, account_id: int, public_only: bool = False) -> list[Collection]:
        """An account's collections, the last changed first (``public_only``: those listed on
        its profile)."""
        query = _counted().where(collections.c.account_id == account_id)
        if public_only:
            query = query.where(collections.c.public.is_(True))
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                query.order_by(collections.c.updated_at.desc(), collections.c.id.desc())
            ).mappings()
            return [record_from_row(Collection, row) for row in rows]

    def update(self, collection_id: int, **values: Any) -> None:
        """Change name, description (with its HTML and renderer) or public."""
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(
                sa.update(collections)
                .where(collections.c.id == collection_id)
                .values(**values, updated_at=datetime.now(UTC))
            )

    def delete(self, collection_id: int) -> None:
        with write_transaction(self.engine) as (connection, _change):
            connection.execute(sa.delete(collections).where(collections.c.id == collection_id))

    def add(self, collection_id: int, paper_pk: int, note: str, note_html: str) -> bool:
        """Put a paper in (or change its note); whether it was not there before."""
        now = datetime.now(UTC)
        mine = sa.and_(
            collection_papers.c.collection_id == collection_id,
            collection_papers.c.paper_pk == paper_pk,
        )
        with write_transaction(self.engine) as (connection, _change):
            there = connection.execute(sa.select(collection_papers.c.paper_pk).where(mine)).first()
            if there is None:
                connection.execute(
                    sa.insert(collection_papers).values(
                        collection_id=collection_id,
                        paper_pk=paper_pk,
                        note=note,
                        note_html=note_html,
                        added_at=now,
                    )
                )
            else:
                connection.execute(
                    sa.update(collection_papers).where(mine).values(note=note, note_html=note_html)
                )
            connection.execute(
                sa.update(collections)
                .where(collections.c.id == collection_id)
                .values(updated_at=now)
            )
            return there is None

    def remove(self, collection_id: int, paper_pk: int) -> bool:
        with write_transaction(self.engine) as (connection, _change):
            removed = connection.execute(
                sa.delete(collection_papers).where(
                    collection_papers.c.collection_id == collection_id,
                    collection_papers.c.paper_pk == paper_pk,
                )
            )
            return bool(removed.rowcount)

    def held(self, collection_id: int) -> list[Held]:
        """The collection's papers, the last added first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(collection_papers)
                .where(collection_papers.c.collection_id == collection_id)
                .order_by(collection_papers.c.added_at.desc(), collection_papers.c.paper_pk)
            ).mappings()
            return [record_from_row(Held, row) for row in rows]

    def holding(self, account_id: int, paper_pks: Sequence[int]) -> dict[int, set[int]]:
        """For each of these papers, the account's collections (ids) that hold it."""
        if not paper_pks:
            return {}
        joined = collection_papers.join(
            collections, collections.c.id == collection_papers.c.collection_id
        )
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(collection_papers.c.paper_pk, collections.c.id)
                .select_from(joined)
                .where(
                    collections.c.account_id == account_id,
                    collection_papers.c.paper_pk.in_(list(paper_pks)),
                )
            )
            found: dict[int, set[int]] = {}
            for paper_pk, collection_id in rows:
                found.setdefault(int(paper_pk), set()).add(int(collection_id))
            return found

    # -- following -----------------------------------------------------------------------------

    def follow(self, collection_id: int, account_id: int, on: bool) -> None:
        mine = sa.and_(
            collection_follows.c.collection_id == collection_id,
            collection_follows.c.account_id == account_id,
        )
        with write_transaction(self.engine) as (connection, _change):
            if not on:
                connection.execute(sa.delete(collection_follows).where(mine))
            elif (
                connection.execute(sa.select(collection_follows.c.account_id).where(mine)).first()
                is None
            ):
                connection.execute(
                    sa.insert(collection_follows).values(
                        collection_id=collection_id,
                        account_id=account_id,
                        created_at=datetime.now(UTC),
                    )
                )

    def follows(self, account_id: int, collection_id: int) -> bool:
        with read_transaction(self.engine) as connection:
            return (
                connection.execute(
                    sa.select(collection_follows.c.account_id).where(
                        collection_follows.c.collection_id == collection_id,
                        collection_follows.c.account_id == account_id,
                    )
                ).first()
                is not None
            )

    def following_accounts(self) -> set[int]:
        """The accounts that follow at least one collection."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(sa.select(collection_follows.c.account_id).distinct())
            return {int(account_id) for account_id in rows.scalars()}

    def added_for(self, account_id: int, since: datetime, until: datetime) -> list[Added]:
        """Papers added between ``since`` and ``until`` to the collections the account follows
        (not its own), the first added first."""
        joined = (
            collection_follows.join(
                collections, collections.c.id == collection_follows.c.collection_id
            )
            .join(collection_papers, collection_papers.c.collection_id == collections.c.id)
            .join(papers, papers.c.pk == collection_papers.c.paper_pk)
        )
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(
                    collection_papers.c.paper_pk,
                    collections.c.name.label("collection"),
                    collections.c.key,
                    collection_papers.c.added_at,
                )
                .select_from(joined)
                .where(
                    collection_follows.c.account_id == account_id,
                    collections.c.account_id != account_id,
                    collection_papers.c.added_at >= since,
                    collection_papers.c.added_at < until,
                    papers.c.hidden.is_(False),
                )
                .order_by(collection_papers.c.added_at, collection_papers.c.paper_pk)
            ).mappings()
            return [record_from_row(Added, row) for row in rows]
