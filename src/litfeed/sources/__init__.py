"""Fetching papers from arXiv and Hugging Face: the configured sources (``LITFEED_SOURCES``),
one polite HTTP client, and a `Fetcher` that runs them, one at a time per database (the fetch
lock), recording each run for `litfeed sources`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from litfeed.config import Settings
from litfeed.errors import LitfeedError
from litfeed.sources import arxiv as arxiv_source
from litfeed.sources import calendar, hf
from litfeed.sources.http import FetchError, PoliteClient
from litfeed.store import HarvestState, Run, Store

__all__ = [
    "FetchBusy",
    "FetchError",
    "Fetcher",
    "Source",
    "SourceStatus",
    "configured_sources",
    "source_statuses",
]

Log = Callable[[str], None]
ARXIV_GROUP = "arxiv"


class FetchBusy(LitfeedError):
    """Another fetch (a cron job, the background worker) runs on this database now."""


@dataclass(frozen=True)
class Source:
    """One configured source: ``kind`` arxiv (one OAI-PMH set, ``spec``) or hf-daily."""

    kind: str
    spec: str = ""

    @property
    def origin(self) -> str:
        return arxiv_source.origin_of(self.spec) if self.kind == "arxiv" else hf.ORIGIN


@dataclass
class SourceStatus:
    source: Source
    last: Run | None
    next_run: datetime
    harvest: HarvestState | None


def configured_sources(settings: Settings) -> list[Source]:
    """``arxiv:cs.LG,stat.ML hf-daily`` -> one arxiv source per set, and hf-daily."""
    sources: list[Source] = []
    for text in settings.sources:
        kind, _, names = text.partition(":")
        if kind == "hf-daily":
            sources.append(Source("hf-daily"))
        else:
            specs = [arxiv_source.set_spec(name) for name in names.split(",")]
            sources.extend(Source("arxiv", spec) for spec in specs)
    return list(dict.fromkeys(sources))


class Fetcher:
    """Runs fetches against one store with the settings' addresses and manners."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        log: Log | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.log = log or (lambda _message: None)
        self.stop = stop or threading.Event()
        arxiv_hosts = {
            urlsplit(settings.arxiv_oai_url).netloc,
            urlsplit(settings.arxiv_api_url).netloc,
        }
        self.client = PoliteClient(
            contact=settings.contact,
            delays=dict.fromkeys(arxiv_hosts, settings.arxiv_delay),
            groups=dict.fromkeys(arxiv_hosts, ARXIV_GROUP),
            tries=settings.fetch_tries,
            timeout=settings.fetch_timeout,
            stop=self.stop,
            log=self.log,
            backoff=settings.fetch_backoff,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def locked(self, wait: bool = False) -> _FetchLock:
        """The database's fetch lock, held for a ``with`` block; `FetchBusy` when another
        process holds it (unless ``wait``)."""
        return _FetchLock(self.store, wait, self.stop)

    # -- one fetch each ------------------------------------------------------------------------

    def arxiv(
        self,
        sets: Sequence[str],
        from_day: date | None = None,
        metadata: str = arxiv_source.DEFAULT_METADATA,
    ) -> list[arxiv_source.HarvestOutcome]:
        """Harvest each set (arXiv categories or set specs; none: all of arXiv)."""
        specs = [arxiv_source.set_spec(name) for name in sets] or [""]
        return [
            arxiv_source.harvest(
                self.store,
                self.client,
                self.settings.arxiv_oai_url,
                spec,
                metadata,
                from_day,
                self.log,
                self.stop.is_set,
            )
            for spec in specs
        ]

    def arxiv_ids(self, ids: Sequence[str]) -> arxiv_source.IdsOutcome:
        url = self.settings.arxiv_api_url
        return arxiv_source.fetch_ids(self.store, self.client, url, ids, self.log)

    def hf_daily(
        self, day: date | None = None, week: str | None = None, month: str | None = None
    ) -> hf.HfOutcome:
        return hf.fetch_daily(
            self.store, self.client, self.settings.hf_url, day, week, month, self.log
        )

    def run(self, source: Source) -> Run:
        """Fetch one configured source as the schedule does; the run as recorded."""
        if source.kind == "arxiv":
            run_id = self.arxiv([source.spec] if source.spec else [])[0].run_id
        else:
            run_id = self.hf_daily().run_id
        return self.store.get_run(run_id)

    def run_all(self, sources: Sequence[Source] | None = None) -> list[tuple[Source, str]]:
        """Fetch every configured source; a source that fails does not stop the others.
        (source, outcome in words) for each."""
        done = []
        for source in configured_sources(self.settings) if sources is None else sources:
            if self.stop.is_set():
                break
            try:
                run = self.run(source)
                done.append((source, _described(run)))
            except FetchError as error:
                done.append((source, f"failed: {error}"))
        return done

    # -- the schedule --------------------------------------------------------------------------

    def statuses(self, now: datetime | None = None) -> list[SourceStatus]:
        return source_statuses(self.settings, self.store, now)

    def due_sources(self, now: datetime | None = None) -> list[Source]:
        now = now or datetime.now(UTC)
        return [status.source for status in self.statuses(now) if status.next_run <= now]


def source_statuses(
    settings: Settings, store: Store | None, now: datetime | None = None
) -> list[SourceStatus]:
    """Each configured source's last run and next run (``store`` None: a database that does
    not exist yet, where nothing has run)."""
    now = now or datetime.now(UTC)
    hours, minutes = settings.hf_fetch_time.split(":")
    hf_time = time(int(hours), int(minutes))
    statuses = []
    for source in configured_sources(settings):
        runs = store.last_runs(source.origin) if store is not None else []
        last = runs[0] if runs else None
        statuses.append(
            SourceStatus(
                source,
                last,
                calendar.due(source.kind, last, now, settings.zone, hf_time),
                store.harvest_state(source.origin) if store is not None else None,
            )
        )
    return statuses


class _FetchLock:
    def __init__(self, store: Store, wait: bool, stop: threading.Event) -> None:
        self.lock = store.fetch_lock()
        self.wait = wait
        self.stop = stop

    def __enter__(self) -> None:
        while not self.lock.acquire():
            if not self.wait:
                raise FetchBusy("another fetch runs on this database now; try again later")
            if self.stop.wait(1.0):
                raise FetchBusy("stopped while waiting for another fetch to finish")

    def __exit__(self, *_exc: object) -> None:
        self.lock.release()


def _described(run: Run) -> str:
    return f"{run.status}: {run.counts}; {run.detail}"
