"""A reader's library and ratings: rows private to one account (no public list, feed or API
reads them; `recommend/` ranks with them for their reader only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from litfeed.store.database import plain_write_transaction, read_transaction
from litfeed.store.schema import library_items, ratings


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

    def saved(self, account_id: int) -> list[int]:
        """The account's saved papers (row numbers), the newest first."""
        with read_transaction(self.engine) as connection:
            return [
                int(pk)
                for pk in connection.execute(
                    sa.select(library_items.c.paper_pk)
                    .where(library_items.c.account_id == account_id)
                    .order_by(library_items.c.added_at.desc(), library_items.c.paper_pk)
                ).scalars()
            ]

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

    def ratings(self, account_id: int) -> dict[int, int]:
        """The account's ratings: paper row number → +1 or -1."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(ratings.c.paper_pk, ratings.c.rating).where(
                    ratings.c.account_id == account_id
                )
            )
            return {int(pk): int(rating) for pk, rating in rows}
