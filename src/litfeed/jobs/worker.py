"""The background worker. Every host's worker keeps that host's search indexes (in its data
directory) current within a poll of each commit, following the database's change cursor: the
keyword index, and new papers embedded into the vector index (vectors another host already
stored are read, not computed again), each on a thread of its own (embedding a large import
takes minutes; words should not wait for it). So several web hosts share one PostgreSQL, each
with its own index replicas and no shared file system.

One worker of the database, elected by its worker lock, also does the database's background
work: one thread sends the mail outbox; one sends each subscriber's digest at their hour;
another fetches the configured sources on their schedule (`litfeed.sources.calendar`): arXiv
after each announcement, Hugging Face once a day, a run missed while the machine slept once at
start-up; and it places new papers on the topic map. The others stand by and one takes over
when it dies (the lock is released with its process).

Web processes only read what their host's worker publishes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from litfeed.delivery.digest import DigestBusy
from litfeed.discussion import rerender_stale
from litfeed.discussion.notifications import mail_waiting
from litfeed.errors import described
from litfeed.hub import Hub
from litfeed.jobs.submissions import fetch_submissions
from litfeed.mail import deliver_due
from litfeed.search.embeddings import EmbeddingError, ModelNotReady
from litfeed.search.vectors import VectorIndex
from litfeed.sources import FetchBusy
from litfeed.topics import TopicsError, build_topics, place_new

POLL_SECONDS = 1.0
SCHEDULE_POLL_SECONDS = 60.0
# After the model failed to load, try again this much later (a model directory may be fixed).
RETRY_MODEL_SECONDS = 300.0
NICENESS = 10  # web processes come first on a busy machine
PARENT_VARIABLE = "LITFEED_WORKER_PARENT"

Log = Callable[[str], None]


def run_worker(
    hub: Hub,
    stop: threading.Event,
    log: Log,
    poll: float = POLL_SECONDS,
    embed: bool = True,
    schedule_poll: float = SCHEDULE_POLL_SECONDS,
) -> None:
    """Keep this data directory's search indexes current (every host's worker does: each host
    keeps its own replicas of the indexes, following the database's change cursor); and, once
    elected by the database's worker lock, do the database's background work (fetching,
    mail, digests, the topic map) until ``stop`` is set."""
    elected = threading.Event()
    indexing = [threading.Thread(target=_follow_words, args=(hub, stop, log, poll))]
    if embed:
        indexing.append(
            threading.Thread(target=_follow_meaning, args=(hub, stop, log, poll, elected))
        )
    for job in indexing:
        job.start()
    lock = hub.store.worker_lock()
    try:
        waiting = False
        while not lock.acquire():
            if not waiting:
                log(
                    "another worker does this database's background work (fetching, mail, "
                    "digests); this one keeps this host's search indexes and stands by"
                )
                waiting = True
            if stop.wait(poll):
                return
        try:
            log("keeping the search indexes current")
            elected.set()
            jobs = [
                threading.Thread(target=_follow_schedule, args=(hub, stop, log, schedule_poll)),
                threading.Thread(target=_follow_mail, args=(hub, stop, log, poll)),
                threading.Thread(target=_follow_digests, args=(hub, stop, log, schedule_poll)),
            ]
            for job in jobs:
                job.start()
            for job in jobs:
                job.join()
        finally:
            lock.release()
    finally:
        stop.set()  # the worker is ending (stopped, or failed): its index threads end too
        for job in indexing:
            job.join()


def stop_on_signals(stop: threading.Event, log: Log) -> None:
    """Ctrl-C or SIGTERM sets ``stop``: the worker ends within seconds; a second Ctrl-C ends
    the process at once (exporting the model, or drawing a first topic map, is not interrupted
    otherwise: what they have not committed is simply not there, and the next worker does it
    again)."""
    interrupted = threading.Event()

    def stopping(number: int, _frame: object) -> None:
        if number == signal.SIGINT:
            if interrupted.is_set():
                os._exit(130)
            interrupted.set()
            log("stopping (Ctrl-C again stops at once)")
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stopping)


def be_nice() -> None:
    """Lower this process's priority (indexing and embedding are background work)."""
    with contextlib.suppress(OSError):
        os.nice(NICENESS)


def stop_with_parent(stop: threading.Event) -> None:
    """Started by `litfeed serve` (which names itself in LITFEED_WORKER_PARENT): set ``stop``
    when that process is gone, however it ended."""
    parent = os.environ.get(PARENT_VARIABLE)
    if not parent:
        return

    def watch() -> None:
        while not stop.wait(POLL_SECONDS):
            if str(os.getppid()) != parent:
                stop.set()

    threading.Thread(target=watch, name="litfeed-parent", daemon=True).start()


def _follow_words(hub: Hub, stop: threading.Event, log: Log, poll: float) -> None:
    while not stop.is_set():
        try:
            indexed = hub.keyword_index.catch_up(hub.store, wait=False)
        except Exception as error:  # a background loop must outlive any one failure
            log(f"keyword index: {described(error)}")
        else:
            if indexed:
                log(f"indexed {indexed:,} papers by words")
        stop.wait(poll)


def _follow_meaning(
    hub: Hub, stop: threading.Event, log: Log, poll: float, elected: threading.Event
) -> None:
    """Embed new papers into this data directory's vector index (vectors another host stored
    are read, not computed again); the elected worker also places them on the topic map and
    draws the first map."""
    first_map = hub.settings.topics_first_map  # tried once a worker, when no map exists
    while not stop.is_set():
        try:
            vectors = hub.vector_index  # loads (and, the first time, exports) the model
            embedded = vectors.catch_up(hub.store, wait=False, stop=stop)
        except ModelNotReady:
            pass
        except EmbeddingError as error:
            log(f"search by meaning is off: {error}")
            stop.wait(RETRY_MODEL_SECONDS)
            hub.forget_embedding_error()
            continue
        except Exception as error:
            log(f"vector index: {described(error)}")
        else:
            if embedded:
                log(f"embedded {embedded:,} papers for search by meaning")
            if embedded and elected.is_set():
                try:
                    if placed := place_new(hub.store, vectors):
                        log(f"placed {placed:,} papers on the topic map")
                except Exception as error:
                    log(f"topic map: {described(error)}")
            if first_map and elected.is_set() and not stop.is_set():
                first_map = False
                _first_map(hub, vectors, log)
        stop.wait(poll)


def _first_map(hub: Hub, vectors: VectorIndex, log: Log) -> None:
    """The topic map of an instance that has none, once its papers are embedded (a first
    `make run` shows its topics without a command)."""
    if hub.store.topics.has_map():
        return
    try:
        built = build_topics(hub.store, vectors)
    except TopicsError:
        return  # too few papers yet: `litfeed topics build` later
    except Exception as error:
        log(f"topic map: {described(error)}")
        return
    log(f"drew the topic map: {built.broad} broad topics, {built.fine} finer ones")


def _follow_schedule(hub: Hub, stop: threading.Event, log: Log, poll: float) -> None:
    if not hub.settings.sources:
        return
    log(f"fetching on schedule: {' '.join(hub.settings.sources)}")
    with hub.fetcher(log, stop) as fetcher:
        while not stop.is_set():
            try:
                if fetcher.due_sources():
                    with fetcher.locked():
                        # again, holding the lock: a fetch that just ended may have run them
                        for source, outcome in fetcher.run_all(fetcher.due_sources()):
                            log(f"{source.origin}: {outcome}")
            except FetchBusy:
                pass  # a fetch from cron or the shell runs now; its runs count for the schedule
            except Exception as error:
                log(f"fetching: {described(error)}")
            stop.wait(poll)


def _follow_mail(hub: Hub, stop: threading.Event, log: Log, poll: float) -> None:
    """Mail readers their replies and mentions, send the outbox (verification and reset
    links, those mails) and fetch what readers submitted; first store the HTML of comments
    made by older rendering rules."""
    try:
        if done := rerender_stale(hub.store):
            log(f"rendered {done} comment{'s' if done != 1 else ''} by today's rules")
    except Exception as error:
        log(f"comments: {described(error)}")
    with hub.fetcher(log, stop) as fetcher:
        while not stop.is_set():
            # Each on its own: a failure of one never stops the others.
            try:
                told = mail_waiting(hub.store, hub.settings, log=log)
            except Exception as error:
                log(f"notifications: {described(error)}")
            else:
                if told:
                    log(f"told {told} reader{'s' if told != 1 else ''} of replies")
            try:
                sent = deliver_due(hub.store, hub.settings, log)
            except Exception as error:
                log(f"mail: {described(error)}")
            else:
                if sent:
                    log(f"sent {sent} message{'s' if sent != 1 else ''}")
            try:
                done = fetch_submissions(hub, fetcher, log)
            except Exception as error:
                log(f"submissions: {described(error)}")
            else:
                if done:
                    # found or failed: each submission's status (on /submit) says which
                    log(f"settled {done} submission{'s' if done != 1 else ''}")
            stop.wait(poll)


def _follow_digests(hub: Hub, stop: threading.Event, log: Log, poll: float) -> None:
    """Send each subscriber's digest once their hour has come (checked every ``poll`` s)."""
    while not stop.is_set():
        try:
            report = hub.digests(log).send(now=datetime.now(UTC), wait=False)
        except DigestBusy:
            pass  # `litfeed digest send` runs: what it leaves is sent next time
        except Exception as error:
            log(f"digests: {described(error)}")
        else:
            if report.planned or report.sent or report.failed:
                log(f"digests: {report}")
        stop.wait(poll)
