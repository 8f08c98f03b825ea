"""The only code that opens the database. `Store` is what the rest of litfeed holds."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from litfeed.identifiers import family_key
from litfeed.models import (
    Checkpoint,
    ImportReport,
    IndexEntry,
    Paper,
    PaperRecord,
    Rejection,
)
from litfeed.store.collections import CollectionStore
from litfeed.store.community import (
    Account,
    AccountExists,
    CommunityStore,
    NameExists,
    Submission,
    Token,
)
from litfeed.store.database import (
    StoreError,
    create_engine,
    migrate,
    read_transaction,
    record_change,
    write_transaction,
)
from litfeed.store.delivery import DeliveryStore
from litfeed.store.discussion import DiscussionStore
from litfeed.store.library import LibraryStore
from litfeed.store.locks import WorkerLock
from litfeed.store.mail import Mail, MailStore
from litfeed.store.papers import (
    SaveCounts,
    find_paper_row,
    find_paper_row_by_title,
    load_sources,
    paper_from_row,
    save_records,
)
from litfeed.store.runs import (
    FAILED,
    RUNNING,
    HarvestState,
    Run,
    add_to_run,
    load_harvest,
    run_from_row,
    save_harvest,
)
from litfeed.store.schema import (
    CHANGE_COUNTER,
    IDENTITY_COUNTER,
    accounts,
    authorships,
    counters,
    embeddings,
    imports,
    paper_sources,
    papers,
)
from litfeed.store.topics import TopicStore

__all__ = [
    "Account",
    "AccountExists",
    "HarvestState",
    "Mail",
    "NameExists",
    "NoDatabase",
    "Run",
    "SaveCounts",
    "Store",
    "StoreError",
    "Submission",
    "Token",
    "WorkerLock",
]


class NoDatabase(StoreError):
    """A command that only reads found no database to read; the message says where it looked."""


class Store:
    """A litfeed database: papers, their provenance, import runs, and the change cursor."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._identity: int | None = None

    @classmethod
    def open(cls, url: str, create: bool = True) -> Store:
        """Connect and migrate to the newest schema; `StoreError` names the URL on failure.
        Without ``create``, a database that does not exist yet is `NoDatabase`, and nothing
        is created (not the file, not its directory, not the tables)."""
        file = _sqlite_file(url)
        if file is not None and not create and not file.exists():
            raise NoDatabase(f"no litfeed database at {file}")
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create {file.parent}: {error.strerror}") from None
        store = cls(url)
        try:
            if (
                not create
                and file is None
                and not sa.inspect(store.engine).has_table("alembic_version")
            ):
                store.close()
                raise NoDatabase(f"the database {_safe_url(url)} holds no litfeed tables yet")
            migrate(store.engine)
        except SQLAlchemyError as error:
            store.close()
            raise StoreError(
                f"cannot open database {_safe_url(url)}: {_first_line(error)}"
            ) from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    @property
    def mail(self) -> MailStore:
        """Mail waiting to be sent."""
        return MailStore(self.engine)

    @property
    def delivery(self) -> DeliveryStore:
        """Digest subscribers, the send ledger and feedback."""
        return DeliveryStore(self.engine)

    @property
    def library(self) -> LibraryStore:
        """Readers' libraries and ratings (private to each account)."""
        return LibraryStore(self.engine)

    @property
    def topics(self) -> TopicStore:
        """The topic map: topics and papers' places."""
        return TopicStore(self.engine)

    @property
    def collections(self) -> CollectionStore:
        """Readers' collections of papers and who follows them."""
        return CollectionStore(self.engine)

    @property
    def discussion(self) -> DiscussionStore:
        """Comments, their votes and reports, the moderation log."""
        return DiscussionStore(self.engine)

    @property
    def community(self) -> CommunityStore:
        """Accounts, tokens and votes."""
        return CommunityStore(self.engine)

    def worker_lock(self) -> WorkerLock:
        """The lock electing this database's one background worker (`locks.py`)."""
        return WorkerLock(self.engine)

    def fetch_lock(self) -> WorkerLock:
        """The lock that lets one fetch run at a time on this database."""
        return WorkerLock(self.engine, "fetch")

    def send_lock(self) -> WorkerLock:
        """The lock that lets one digest send run at a time on this database (the worker's,
        or `litfeed digest send` from cron): two would both send a digest not yet marked."""
        return WorkerLock(self.engine, "send")

    # -- writing -------------------------------------------------------------------------------

    def start_import(self, source: str, path: str, sha256: str) -> int:
        values = {
            "source": source,
            "path": path,
            "sha256": sha256,
            "started_at": datetime.now(UTC),
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
        }
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sa.insert(imports).values(**values).returning(imports.c.id)
                ).scalar_one()
            )

    def save_records(
        self,
        records: Sequence[PaperRecord],
        import_id: int,
        harvest: HarvestState | None = None,
        rejected: int = 0,
        fetched: bool = False,
        checkpoint: Checkpoint | None = None,
    ) -> SaveCounts:
        """Store a batch in one transaction. When the database refuses it, each record is
        stored alone, so that only the records it refuses are lost (reported in ``rejected``).
        Raises `StoreError` when the database cannot be used at all.

        For a ``fetched`` page (``harvest`` given or not): the run's counts grow by the page's,
        with ``rejected`` records the parser refused, and ``harvest`` (where the harvest is
        after this page) is written, all in the same transaction, so a run stopped at any
        moment resumes after its last committed page and `litfeed sources` shows how far it
        got.

        For a file's import, ``checkpoint`` (where the file is read to after this batch, and
        the import's counts before it) is written in the same transaction, with the counts
        grown by the batch's: `litfeed import --resume` goes on from there."""
        try:
            fetched = fetched or harvest is not None
            counts = self._save_batch(records, import_id, harvest, rejected, fetched, checkpoint)
        except _RECORD_ERRORS as error:
            if len(records) == 1:
                reason = f"the database refused it: {_first_line(error)}"
                counts = SaveCounts(rejected=[Rejection(records[0].source.location, reason)])
            else:
                counts = SaveCounts()
                for record in records:
                    counts.add(self.save_records([record], import_id))
            if fetched or checkpoint is not None:
                # The page's records are stored (or refused, each alone): now where it got to.
                self._save_batch(
                    [], import_id, harvest, rejected, fetched, checkpoint, carried=counts
                )
        return counts

    def _save_batch(
        self,
        records: Sequence[PaperRecord],
        import_id: int,
        harvest: HarvestState | None = None,
        rejected: int = 0,
        fetched: bool = False,
        checkpoint: Checkpoint | None = None,
        carried: SaveCounts | None = None,
    ) -> SaveCounts:
        try:
            with write_transaction(self.engine) as (connection, change_number):
                counts = save_records(connection, records, import_id, change_number)
                if counts.new or counts.updated:
                    record_change(connection, change_number)
                if harvest is not None:
                    save_harvest(connection, harvest)
                total = SaveCounts()
                for part in (counts, carried):
                    if part is not None:
                        total.add(part)
                if checkpoint is not None:
                    connection.execute(
                        sa.update(imports)
                        .where(imports.c.id == import_id)
                        .values(
                            new=checkpoint.new + total.new,
                            updated=checkpoint.updated + total.updated,
                            unchanged=checkpoint.unchanged + total.unchanged,
                            rejected=checkpoint.rejected + len(total.rejected),
                            skipped=checkpoint.skipped,
                            resume_line=checkpoint.line,
                            resume_byte=checkpoint.byte,
                        )
                    )
                if fetched:
                    add_to_run(
                        connection,
                        import_id,
                        total.new,
                        total.updated,
                        total.unchanged,
                        rejected + len(total.rejected),
                    )
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            raise StoreError(f"the database cannot be used: {_first_line(error)}") from None
        return counts

    # -- fetch runs ----------------------------------------------------------------------------

    def start_run(self, origin: str, source: str, address: str) -> int:
        """A fetch run of ``origin`` begins (an import whose counts grow page by page)."""
        values = {
            "source": source,
            "path": address,
            "sha256": "",
            "started_at": datetime.now(UTC),
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "origin": origin,
            "status": RUNNING,
            "detail": "",
        }
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sa.insert(imports).values(**values).returning(imports.c.id)
                ).scalar_one()
            )

    def note_run(self, import_id: int, detail: str, status: str | None = None) -> None:
        """Say how far a run got; with ``status`` (ok, failed), the run is over."""
        values: dict[str, Any] = {"detail": detail}
        if status is not None:
            values.update(status=status, finished_at=datetime.now(UTC))
        with self.engine.begin() as connection:
            connection.execute(sa.update(imports).where(imports.c.id == import_id).values(values))

    def fail_run(self, import_id: int, detail: str) -> None:
        """Mark a run failed, when the database can still be written (a run that failed
        because it cannot stays "running" until the next run of its source)."""
        with contextlib.suppress(SQLAlchemyError):
            self.note_run(import_id, detail, FAILED)

    def get_run(self, import_id: int) -> Run:
        with read_transaction(self.engine) as connection:
            row = connection.execute(sa.select(imports).where(imports.c.id == import_id))
            return run_from_row(row.mappings().one())

    def last_runs(self, origin: str, count: int = 1) -> list[Run]:
        """The newest runs of ``origin``, newest first."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(imports)
                .where(imports.c.origin == origin)
                .order_by(imports.c.id.desc())
                .limit(count)
            ).mappings()
            return [run_from_row(row) for row in rows]

    def harvest_state(self, origin: str) -> HarvestState | None:
        with read_transaction(self.engine) as connection:
            return load_harvest(connection, origin)

    def save_harvest_state(self, state: HarvestState) -> None:
        with write_transaction(self.engine) as (connection, _change):
            save_harvest(connection, state)

    def unfinished_import(self, source: str, path: str, sha256: str) -> Checkpoint | None:
        """Where the newest unfinished import of this very file (its path and contents) got
        to, with its counts then: what `litfeed import --resume` goes on from."""
        with read_transaction(self.engine) as connection:
            row = (
                connection.execute(
                    sa.select(imports)
                    .where(
                        imports.c.source == source,
                        imports.c.path == path,
                        imports.c.sha256 == sha256,
                        imports.c.finished_at.is_(None),
                        imports.c.origin.is_(None),
                        imports.c.resume_line.is_not(None),
                    )
                    .order_by(imports.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return Checkpoint(
            line=int(row["resume_line"]),
            byte=int(row["resume_byte"] or 0),
            new=row["new"],
            updated=row["updated"],
            unchanged=row["unchanged"],
            rejected=row["rejected"],
            skipped=row["skipped"] or 0,
            import_id=int(row["id"]),
        )

    def finish_import(self, report: ImportReport) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(imports)
                .where(imports.c.id == report.import_id)
                .values(
                    finished_at=datetime.now(UTC),
                    new=report.new,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    rejected=len(report.rejected) + report.rejected_before,
                    skipped=report.skipped,
                )
            )

    # -- reading -------------------------------------------------------------------------------

    def get_paper(self, key: str) -> Paper | None:
        """A paper by litfeed id, arXiv id (with or without version) or DOI, with provenance."""
        with read_transaction(self.engine) as connection:
            row = find_paper_row(connection, key)
            if row is None:
                return None
            return paper_from_row(row, load_sources(connection, row["pk"]))

    def get_paper_by_title(self, title: str) -> Paper | None:
        """The shown paper with this title (case, accents' forms, punctuation and spacing
        aside), the newest when several have it."""
        with read_transaction(self.engine) as connection:
            row = find_paper_row_by_title(connection, title)
            return None if row is None else paper_from_row(row)

    def get_papers(self, ids: Sequence[str]) -> list[Paper]:
        """Papers by litfeed id, in the order given; ids not stored are left out."""
        return self._papers_by("id", ids)

    def get_papers_by_pk(self, pks: Sequence[int]) -> list[Paper]:
        """Papers by row number (the indexes' labels), in the order given; hidden papers are
        left out (the indexes drop them once they catch up with the change that hid them)."""
        return [paper for paper in self._papers_by("pk", pks) if not paper.hidden]

    def titles_of(self, pks: Sequence[int]) -> dict[int, tuple[str, str]]:
        """The id and title of each shown paper among ``pks`` (what a reason names; loading
        whole papers would cost a hundred times more)."""
        wanted = list(pks)
        found: dict[int, tuple[str, str]] = {}
        with read_transaction(self.engine) as connection:
            for start in range(0, len(wanted), 5_000):
                rows = connection.execute(
                    sa.select(papers.c.pk, papers.c.id, papers.c.title).where(
                        papers.c.pk.in_(wanted[start : start + 5_000]),
                        papers.c.hidden.is_(False),
                    )
                )
                found.update((int(pk), (paper_id, title)) for pk, paper_id, title in rows)
        return found

    def _papers_by(self, column: str, keys: Sequence[Any]) -> list[Paper]:
        if not keys:
            return []
        with read_transaction(self.engine) as connection:
            rows = connection.execute(sa.select(papers).where(papers.c[column].in_(keys)))
            found = {row[column]: paper_from_row(row) for row in rows.mappings()}
        return [found[key] for key in keys if key in found]

    def list_papers(
        self,
        offset: int = 0,
        limit: int = 25,
        author: str | None = None,
        category: str | None = None,
    ) -> tuple[list[Paper], int]:
        """Newest first: by publication date, then the papers without one (newest import
        first); and the total. With ``author`` or ``category``, only the papers that list that
        exact name or category."""
        conditions = [
            _lists(column, value)
            for column, value in ((papers.c.authors, author), (papers.c.categories, category))
            if value
        ]
        conditions.append(papers.c.hidden.is_(False))
        with read_transaction(self.engine) as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(papers).where(*conditions)
            ).scalar_one()
            rows = connection.execute(
                sa.select(papers)
                .where(*conditions)
                .order_by(papers.c.sort_date.desc(), papers.c.pk.desc())
                .offset(offset)
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows], int(total)

    def spellings_of(self, name: str, limit: int = 2_000) -> list[str]:
        """The spellings of author names papers give with ``name``'s family name (its last
        token, accents and case aside)."""
        key = family_key(name)
        if not key:
            return []
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(authorships.c.name)
                .where(authorships.c.family == key)
                .distinct()
                .limit(limit)
            )
            return sorted(str(found) for found in rows.scalars())

    def papers_by_authors(self, names: Sequence[str], limit: int) -> list[Paper]:
        """Shown papers that list any of ``names`` (as spelt) as an author, newest first."""
        if not names:
            return []
        wrote = sa.select(authorships.c.paper_pk).where(authorships.c.name.in_(list(names)))
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers)
                .where(papers.c.pk.in_(wrote), papers.c.hidden.is_(False))
                .order_by(papers.c.sort_date.desc(), papers.c.pk.desc())
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows]

    def papers_of_days(
        self, first: date, last: date, offset: int = 0, limit: int = 25
    ) -> tuple[list[Paper], int]:
        """The papers whose day is from ``first`` to ``last``, most voted first (litfeed's
        votes and Hugging Face's together), then newest; and how many there are."""
        condition = sa.and_(papers.c.day >= first, papers.c.day <= last, papers.c.hidden.is_(False))
        with read_transaction(self.engine) as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(papers).where(condition)
            ).scalar_one()
            rows = connection.execute(
                sa.select(papers)
                .where(condition)
                .order_by(_POINTS.desc(), papers.c.sort_date.desc(), papers.c.pk.desc())
                .offset(offset)
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows], int(total)

    def pks_of_days(self, first: date, last: date) -> list[int]:
        """The numbers of the shown papers whose day is from ``first`` to ``last``."""
        condition = sa.and_(papers.c.day >= first, papers.c.day <= last, papers.c.hidden.is_(False))
        with read_transaction(self.engine) as connection:
            return list(connection.execute(sa.select(papers.c.pk).where(condition)).scalars())

    def arxiv_papers_of_days(
        self, first: date | None, last: date | None, submitter: str | None, limit: int
    ) -> list[Paper]:
        """arXiv papers (Hugging Face's ids are arXiv ids) whose day is from ``first`` to
        ``last`` (None: any), submitted by ``submitter`` when given (a Hugging Face user name,
        or the public name of an account here; any case); newest day first, then newest entry
        into Daily Papers."""
        conditions: list[sa.ColumnElement[bool]] = [
            papers.c.arxiv_id.is_not(None),
            papers.c.hidden.is_(False),
        ]
        if first is not None and last is not None:
            conditions += [papers.c.day >= first, papers.c.day <= last]
        if submitter:
            key = submitter.lower()
            named = sa.select(accounts.c.id).where(sa.func.lower(accounts.c.name) == key)
            conditions.append(
                sa.or_(
                    sa.func.lower(papers.c.submitter_user) == key,
                    # Stored before the user name was (migration 0010): the full name.
                    sa.and_(papers.c.submitter_user.is_(None), papers.c.submitted_by == submitter),
                    papers.c.submitter_id.in_(named),
                )
            )
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers)
                .where(*conditions)
                .order_by(
                    papers.c.day.desc(),
                    papers.c.submitted_at.desc().nulls_last(),
                    papers.c.pk.desc(),
                )
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows]

    def latest_day(self, until: date | None = None) -> date | None:
        """The newest day with a paper on it (``until`` that day, when given)."""
        return self._day_bound(
            sa.func.max(papers.c.day), papers.c.day <= until if until is not None else None
        )

    def first_day(self, since: date) -> date | None:
        """The oldest day with a paper on it from ``since`` on."""
        return self._day_bound(sa.func.min(papers.c.day), papers.c.day >= since)

    def _day_bound(
        self, bound: sa.ColumnElement[Any], condition: sa.ColumnElement[bool] | None
    ) -> date | None:
        """``bound`` (the max or min day) over the papers not hidden that meet ``condition``."""
        where: sa.ColumnElement[bool] = papers.c.hidden.is_(False)
        if condition is not None:
            where = sa.and_(where, condition)
        with read_transaction(self.engine) as connection:
            found: date | None = connection.execute(sa.select(bound).where(where)).scalar_one()
            return found

    def days_with_papers(self, first: date, last: date) -> dict[date, int]:
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers.c.day, sa.func.count())
                .where(papers.c.day >= first, papers.c.day <= last, papers.c.hidden.is_(False))
                .group_by(papers.c.day)
            )
            return {day: int(count) for day, count in rows}

    def papers_since_day(self, first: date, limit: int = 5000) -> list[Paper]:
        """The papers whose day is ``first`` or later (trending's candidates), with a vote."""
        with read_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(papers)
                .where(papers.c.day >= first, papers.c.hidden.is_(False), _POINTS > 0)
                .order_by(_POINTS.desc())
                .limit(limit)
            ).mappings()
            return [paper_from_row(row) for row in rows]

    def set_hidden(self, key: str, hidden: bool) -> Paper | None:
        """Hide a paper from every list (or restore it); None when no paper has that id. The
        change cursor moves, so the search indexes drop (or take back) the paper."""
        with write_transaction(self.engine) as (connection, change):
            row = find_paper_row(connection, key)
            if row is None:
                return None
            if bool(row["hidden"]) != hidden:
                connection.execute(
                    sa.update(papers)
                    .where(papers.c.pk == row["pk"])
                    .values(hidden=hidden, change_seq=change)
                )
                record_change(connection, change)
        return self.get_paper(key)

    def highest_paper_pk(self) -> int:
        """The largest paper number (0 without papers): ranges of numbers cut the papers into
        tasks (`search.distributed`)."""
        with read_transaction(self.engine) as connection:
            return int(connection.execute(sa.select(sa.func.max(papers.c.pk))).scalar() or 0)

    def count_papers(self) -> int:
        with read_transaction(self.engine) as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
            )

    @property
    def identity(self) -> int:
        """A random number fixed when the database was created: index files built from it
        record it, so files left by another database are rebuilt, never trusted."""
        if self._identity is None:
            with read_transaction(self.engine) as connection:
                self._identity = int(
                    connection.execute(
                        sa.select(counters.c.value).where(counters.c.name == IDENTITY_COUNTER)
                    ).scalar_one()
                )
        return self._identity

    def latest_change(self) -> int:
        """The change number of the newest committed change: where derived indexes catch up to."""
        with read_transaction(self.engine) as connection:
            return int(
                connection.execute(
                    sa.select(counters.c.value).where(counters.c.name == CHANGE_COUNTER)
                ).scalar_one()
            )

    def count_changed_papers(self, after: int) -> int:
        with read_transaction(self.engine) as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(papers)
                    .where(papers.c.change_seq > after)
                ).scalar_one()
            )

    def iter_changed_papers(
        self, after: int, batch_size: int = 2000
    ) -> Iterator[list[tuple[int, IndexEntry]]]:
        """Papers changed after change number ``after``, oldest change first, in batches of
        (change number, what the indexes read of the paper). Reads in key order, so it is safe
        while writers run."""
        condition: sa.ColumnElement[bool] = papers.c.change_seq > after
        columns = [papers.c[field.name] for field in dataclasses.fields(IndexEntry)]  # pk first
        while True:
            with read_transaction(self.engine) as connection:
                rows = connection.execute(
                    sa.select(papers.c.change_seq, *columns)
                    .where(condition)
                    .order_by(papers.c.change_seq, papers.c.pk)
                    .limit(batch_size)
                ).all()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][1])
            condition = sa.tuple_(papers.c.change_seq, papers.c.pk) > sa.tuple_(*last)
            yield [(int(row[0]), IndexEntry(*row[1:])) for row in rows]

    # -- embeddings ----------------------------------------------------------------------------

    def load_embeddings(self, model: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """Stored vectors of ``model`` for these text hashes (those not stored are left out)."""
        found: dict[str, bytes] = {}
        with read_transaction(self.engine) as connection:
            for start in range(0, len(text_hashes), 900):
                chunk = list(text_hashes[start : start + 900])
                rows = connection.execute(
                    sa.select(embeddings.c.text_hash, embeddings.c.vector).where(
                        embeddings.c.model == model, embeddings.c.text_hash.in_(chunk)
                    )
                )
                found.update({text_hash: bytes(vector) for text_hash, vector in rows})
        return found

    def save_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        """Keep vectors (text hash -> bytes); ones already stored are left as they are."""
        if not vectors:
            return
        with self.engine.begin() as connection:
            known = set(
                connection.execute(
                    sa.select(embeddings.c.text_hash).where(
                        embeddings.c.model == model, embeddings.c.text_hash.in_(list(vectors))
                    )
                ).scalars()
            )
            rows = [
                {"model": model, "text_hash": text_hash, "vector": vector}
                for text_hash, vector in vectors.items()
                if text_hash not in known
            ]
            if rows:
                connection.execute(sa.insert(embeddings), rows)

    def count_embeddings(self, model: str) -> int:
        with read_transaction(self.engine) as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(embeddings)
                    .where(embeddings.c.model == model)
                ).scalar_one()
            )

    def first_seen_since(self, moment: datetime) -> list[datetime]:
        """When each paper first seen at or after ``moment`` arrived."""
        with read_transaction(self.engine) as connection:
            return list(
                connection.execute(
                    sa.select(papers.c.first_seen).where(papers.c.first_seen >= moment)
                ).scalars()
            )

    def stats(self) -> dict[str, Any]:
        """Counts for `litfeed stats`: papers, by source, by category, by month, imports."""
        with read_transaction(self.engine) as connection:
            total = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
            by_source = {
                str(source): int(count)
                for source, count in connection.execute(
                    sa.select(
                        paper_sources.c.source, sa.func.count(paper_sources.c.paper_pk.distinct())
                    )
                    .group_by(paper_sources.c.source)
                    .order_by(paper_sources.c.source)
                )
            }
            categories: Counter[str] = Counter()
            months: Counter[str] = Counter()
            for paper_categories, published in connection.execute(
                sa.select(papers.c.categories, papers.c.published)
            ):
                categories.update(paper_categories)
                months[published.strftime("%Y-%m") if published else "undated"] += 1
            import_count = connection.execute(
                sa.select(sa.func.count()).select_from(imports)
            ).scalar_one()
        return {
            "papers": int(total),
            "by_source": by_source,
            "by_category": dict(categories.most_common()),
            "by_month": dict(sorted(months.items())),
            "imports": int(import_count),
        }


# A paper's votes here and on Hugging Face together: how lists rank it.
_POINTS = papers.c.votes + sa.func.coalesce(papers.c.upvotes, 0)

# What the database (or the code preparing a row for it) raises for one record it cannot hold.
_RECORD_ERRORS = (sa.exc.StatementError, ValueError, TypeError, OverflowError)


def _lists(column: Any, value: str) -> Any:
    """Whether the JSON list in ``column`` holds ``value`` as one whole element: its JSON text
    (as SQLAlchemy wrote it: json.dumps) contains the element's JSON, quotes included. The same
    on SQLite and PostgreSQL; a scan, fine for a page of browsing."""
    element = json.dumps(value)
    pattern = element.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.cast(column, sa.Text).like(f"%{pattern}%", escape="\\")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and for SQLite in memory)."""
    address = sa.engine.make_url(url)
    if address.get_backend_name() != "sqlite" or address.database in (None, "", ":memory:"):
        return None
    return Path(address.database)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip() or type(error).__name__
    return text.splitlines()[0]


def _safe_url(url: str) -> str:
    """The URL without its password, for error messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url
