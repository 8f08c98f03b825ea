"""Fetch runs and harvest positions. A fetch run is an `imports` row with an origin (the
configured source it fetched), a status and a detail; a harvest's position is a `harvests` row,
written in the transaction that stores the papers of the page it follows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from litfeed.store.database import record_from_row
from litfeed.store.schema import harvests, imports

RUNNING, OK, FAILED = "running", "ok", "failed"


@dataclass
class HarvestState:
    """Where an OAI-PMH harvest of one origin is. ``token`` is None between harvests."""

    origin: str
    window_from: date | None = None
    metadata_format: str | None = None
    token: str | None = None
    pages: int = 0
    records: int = 0
    complete_size: int | None = None
    next_from: date | None = None


@dataclass
class Run:
    """One fetch run of a source, as `litfeed sources` shows it."""

    id: int
    origin: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: str
    new: int
    updated: int
    unchanged: int
    rejected: int

    @property
    def counts(self) -> str:
        """ "2,265 new, 0 updated, 0 unchanged, 0 rejected"."""
        return (
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
        )


def load_harvest(connection: Connection, origin: str) -> HarvestState | None:
    row = (
        connection.execute(sa.select(harvests).where(harvests.c.origin == origin))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return record_from_row(HarvestState, row)


def save_harvest(connection: Connection, state: HarvestState) -> None:
    values: dict[str, Any] = {f.name: getattr(state, f.name) for f in fields(HarvestState)}
    values["updated_at"] = datetime.now(UTC)
    updated = connection.execute(
        sa.update(harvests).where(harvests.c.origin == state.origin).values(**values)
    )
    if updated.rowcount == 0:
        connection.execute(sa.insert(harvests).values(**values))


def add_to_run(
    connection: Connection, import_id: int, new: int, updated: int, unchanged: int, rejected: int
) -> None:
    connection.execute(
        sa.update(imports)
        .where(imports.c.id == import_id)
        .values(
            new=imports.c.new + new,
            updated=imports.c.updated + updated,
            unchanged=imports.c.unchanged + unchanged,
            rejected=imports.c.rejected + rejected,
        )
    )


def run_from_row(row: Any) -> Run:
    return Run(
        id=row["id"],
        origin=row["origin"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status=row["status"] or RUNNING,
        detail=row["detail"] or "",
        new=row["new"],
        updated=row["updated"],
        unchanged=row["unchanged"],
        rejected=row["rejected"],
    )
