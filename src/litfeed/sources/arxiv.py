"""Fetching from arXiv: OAI-PMH harvests (``ListRecords`` following resumption tokens, resumable
page by page) and single papers through the Atom API.

A harvest's position (set, format, window, resumption token) is committed with each page's
papers in one transaction (`Store.save_records` with ``harvest``), so a harvest killed at any
moment resumes after its last committed page; a token that expired meanwhile
(``badResumptionToken``) restarts the window, and the store's merge makes the pages seen twice
change nothing. Without a ``from`` date, a harvest continues from the day the last complete one
began (arXiv's datestamps are last-modified days: that day is harvested again, harmlessly).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from litfeed.errors import LitfeedError
from litfeed.identifiers import arxiv_id_of, parse_arxiv_id
from litfeed.ingest import arxiv_atom, oai_pmh
from litfeed.models import PaperRecord, Rejection
from litfeed.sources.http import BadBody, FetchError, PoliteClient
from litfeed.sources.pages import Parse, read_body
from litfeed.store import HarvestState, Store
from litfeed.store.runs import FAILED, OK

METADATA_FORMATS = ("arXivRaw", "arXiv", "oai_dc")
DEFAULT_METADATA = "arXivRaw"
# The window of a first harvest of a set, without --from: the last week's new and changed papers.
FIRST_WINDOW_DAYS = 7
ATOM_BATCH = 100  # ids per Atom API request
# arXiv's groups other than physics; every other archive (astro-ph, cond-mat, hep-th, quant-ph,
# math-ph, nlin, …) is in the physics group.
_GROUPS = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}

Log = Callable[[str], None]


class SourceError(FetchError):
    """A fetch cannot start or go on: a bad set or id, an error the source answered."""


def set_spec(name: str) -> str:
    """The OAI-PMH set of an arXiv category or archive, or a set spec as given: ``cs.LG`` ->
    ``cs:cs:LG``, ``astro-ph.CO`` -> ``physics:astro-ph:CO``, ``hep-th`` -> ``physics:hep-th``,
    ``cs`` -> ``cs``, ``cs:cs:LG`` -> ``cs:cs:LG``."""
    if ":" in name:
        return name
    archive, dot, category = name.partition(".")
    group = archive if archive in _GROUPS else "physics"
    parts = [group] if archive == group else [group, archive]
    if dot:
        if archive == group:
            parts.append(archive)
        parts.append(category)
    return ":".join(parts)


@dataclass
class HarvestOutcome:
    run_id: int
    pages: int = 0
    records: int = 0
    restarted: bool = False
    rejected: list[Rejection] = field(default_factory=list)


def origin_of(spec: str) -> str:
    return f"arxiv:{spec}" if spec else "arxiv"


def harvest(
    store: Store,
    client: PoliteClient,
    base_url: str,
    spec: str = "",
    metadata: str = DEFAULT_METADATA,
    from_day: date | None = None,
    log: Log | None = None,
    stop: Callable[[], bool] | None = None,
    today: date | None = None,
) -> HarvestOutcome:
    """Harvest one set (``spec`` "" for all of arXiv) into the store; see the module's notes.
    Raises `FetchError` when the source cannot be reached or answers an error; the pages before
    are kept and the next harvest resumes after them."""
    if metadata not in METADATA_FORMATS:
        raise SourceError(f"unknown metadata format {metadata!r} (known: {METADATA_FORMATS})")
    say = log or (lambda _message: None)
    origin = origin_of(spec)
    today = today or datetime.now(UTC).date()
    state = store.harvest_state(origin) or HarvestState(origin)
    if from_day is not None:
        state = _new_window(origin, from_day, metadata, today)
    elif state.token is not None and state.metadata_format != metadata:
        say(f"{origin}: a harvest in {state.metadata_format} was under way; starting it anew")
        state = _new_window(origin, state.window_from, metadata, today)
    elif state.token is None:
        window = state.next_from or today - timedelta(days=FIRST_WINDOW_DAYS)
        state = _new_window(origin, window, metadata, today)
    else:
        say(f"{origin}: resuming after page {state.pages} ({state.records:,} records)")
    host = urlsplit(base_url).netloc
    run_id = store.start_run(origin, oai_pmh.NAME, base_url)
    outcome = HarvestOutcome(run_id)
    try:
        while True:
            if stop is not None and stop():
                store.note_run(run_id, f"stopped after {_pages(outcome.pages)}", FAILED)
                return outcome
            params = _params(state, spec)
            page = _fetch_page(client, base_url, params, f"{host} {spec or 'all'} page")
            if "badResumptionToken" in page.listing.errors:
                if outcome.restarted or state.token is None:
                    raise SourceError(f"{base_url}: arXiv refused the resumption token twice")
                say(f"{origin}: the resumption token expired; restarting from {state.window_from}")
                outcome.restarted = True
                state = _new_window(origin, state.window_from, metadata, today)
                continue
            errors = [code for code in page.listing.errors if code != "noRecordsMatch"]
            if errors:
                raise SourceError(f"{base_url}: arXiv answered {', '.join(errors)}: {params}")
            if page.listing.token and page.listing.token == state.token:
                raise SourceError(f"{base_url}: arXiv answered the same resumption token again")
            state.pages += 1
            state.records += len(page.records)
            state.complete_size = page.listing.complete_size or state.complete_size
            state.token = page.listing.token or None
            outcome.pages += 1
            outcome.records += len(page.records)
            outcome.rejected.extend(page.rejected)
            counts = store.save_records(
                page.records, run_id, harvest=state, rejected=len(page.rejected)
            )
            outcome.rejected.extend(counts.rejected)
            detail = _progress(state)
            say(f"{origin}: {detail}")
            if state.token is None:
                store.note_run(run_id, f"complete: {detail}", OK)
                return outcome
            store.note_run(run_id, detail)
    except LitfeedError as error:  # the source failed, or the database
        store.fail_run(run_id, f"{error} (after {_pages(outcome.pages)})")
        raise


def _new_window(origin: str, window: date | None, metadata: str, today: date) -> HarvestState:
    # next_from is what the window moves to once complete: the day it began.
    return HarvestState(origin, window_from=window, metadata_format=metadata, next_from=today)


def _params(state: HarvestState, spec: str) -> dict[str, str]:
    if state.token:
        return {"verb": "ListRecords", "resumptionToken": state.token}
    params = {"verb": "ListRecords", "metadataPrefix": state.metadata_format or DEFAULT_METADATA}
    if spec:
        params["set"] = spec
    if state.window_from:
        params["from"] = state.window_from.isoformat()
    return params


def _progress(state: HarvestState) -> str:
    of = f" of {state.complete_size:,}" if state.complete_size else ""
    since = f" changed since {state.window_from}" if state.window_from else ""
    return f"{_pages(state.pages)}, {state.records:,} records{of}{since}"


def _pages(count: int) -> str:
    return f"{count} page{'s' if count != 1 else ''}"


@dataclass
class _Page:
    records: list[PaperRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    listing: oai_pmh.Listing = field(default_factory=oai_pmh.Listing)

    def read(self, parse: Parse, name: str, body: bytes) -> None:
        self.records, self.rejected = read_body(parse, name, body)


def _fetch_page(client: PoliteClient, base_url: str, params: dict[str, str], name: str) -> _Page:
    """One response, parsed whole before anything is stored: a body cut short or not
    well-formed is asked for again (`BadBody`), never half-stored."""
    page = _Page()

    def parsed(body: bytes) -> None:
        page.listing = oai_pmh.Listing()
        if not oai_pmh.looks_like(body[:4096].decode("utf-8", errors="replace")):
            raise BadBody("not an OAI-PMH response")
        page.read(lambda source: oai_pmh.parse(source, page.listing), name, body)

    client.get(base_url, params, check=parsed)  # arXiv answers OAI-PMH errors with HTTP 200
    return page


# -- single papers through the Atom API ----------------------------------------------------------


@dataclass
class IdsOutcome:
    run_id: int
    found: list[PaperRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def fetch_ids(
    store: Store,
    client: PoliteClient,
    api_url: str,
    ids: Sequence[str],
    log: Log | None = None,
) -> IdsOutcome:
    """Fetch papers by arXiv id (any version; old-style ids like hep-th/9901001; arxiv.org
    addresses) and store them. An id that is not one, or that arXiv does not know, is one
    rejection; the others are stored."""
    say = log or (lambda _message: None)
    run_id = store.start_run("arxiv-ids", arxiv_atom.NAME, api_url)
    outcome = IdsOutcome(run_id)
    wanted: list[str] = []
    for text in ids:
        parsed = arxiv_id_of(text) or parse_arxiv_id(text.strip())
        if parsed is None:
            outcome.rejected.append(Rejection(text, "not an arXiv id"))
            continue
        wanted.append(f"{parsed[0]}v{parsed[1]}" if parsed[1] else parsed[0])
    wanted = list(dict.fromkeys(wanted))
    if outcome.rejected:  # counted in the run like the records arXiv's answers reject
        store.save_records([], run_id, fetched=True, rejected=len(outcome.rejected))
    try:
        for start in range(0, len(wanted), ATOM_BATCH):
            batch = wanted[start : start + ATOM_BATCH]
            page = _Page()

            def parsed_feed(body: bytes, page: _Page = page) -> None:
                if not arxiv_atom.looks_like(body[:4096].decode("utf-8", errors="replace")):
                    raise BadBody("not an arXiv Atom feed")
                page.read(arxiv_atom.parse, "arXiv API", body)

            params = {"id_list": ",".join(batch), "start": "0", "max_results": str(len(batch))}
            client.get(api_url, params, check=parsed_feed)
            returned = {record.arxiv_id for record in page.records}
            for asked in batch:
                bare = (parse_arxiv_id(asked) or (asked, None))[0]
                if bare not in returned:
                    page.rejected.append(Rejection(asked, "arXiv knows no paper with this id"))
            counts = store.save_records(
                page.records, run_id, fetched=True, rejected=len(page.rejected)
            )
            outcome.found.extend(page.records)
            outcome.rejected.extend([*page.rejected, *counts.rejected])
            say(f"arxiv-ids: {len(outcome.found)} of {len(wanted)} papers fetched")
    except LitfeedError as error:
        store.fail_run(run_id, str(error))
        raise
    store.note_run(
        run_id, f"{len(outcome.found)} of {len(wanted)} papers fetched", OK if wanted else FAILED
    )
    return outcome
