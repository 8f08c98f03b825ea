"""Getting papers in: importing files, the examples, fetching from arXiv and Hugging Face, the
configured sources, and the search indexes that follow them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from litfeed.cli.common import EXIT_REJECTED, app, fail, opened_hub, progress_bars, settings

if TYPE_CHECKING:
    from litfeed.hub import Hub, ImportOutcome, PapersNotEmbedded
    from litfeed.models import Rejection
    from litfeed.sources import Fetcher
    from litfeed.store import Run

# The import formats' names, for --help without importing the parsers (a test checks that they
# are `litfeed.ingest.FORMATS`').
FORMAT_NAMES = (
    "arxiv-oai-pmh",
    "arxiv-atom",
    "arxiv-abs",
    "hf-daily-papers",
    "arxiv-jsonl",
    "hf-papers-page",
)


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to import.")],
    format_name: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Force a format instead of detecting it: " + ", ".join(FORMAT_NAMES) + ".",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar per file.")] = True,
    embed: Annotated[
        bool | None,
        typer.Option(help="Embed the new papers now (default: $LITFEED_EMBED_ON_IMPORT)."),
    ] = None,
    categories: Annotated[
        list[str] | None,
        typer.Option(
            "--categories",
            metavar="CATS",
            help="Keep only papers in these arXiv archives or categories (cs, stat.ML; "
            "comma-separated or repeated); the others are counted as skipped.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Go on with an unfinished import of the same file (killed, say) after the "
            "last batch it committed, instead of reading it from the start (arxiv-jsonl)."
        ),
    ] = False,
) -> None:
    """Import papers from files: format detected, duplicates merged, re-imports change nothing.
    Files are read as a stream (the arXiv metadata snapshot, several GB, gzip or plain), each
    batch committed with how far the file is read.

    Exit status: 0 when every record was stored; 3 when some records were rejected (each is
    listed as file:line: reason, the others are stored); 1 when a file could not be imported
    at all or the papers could not be embedded."""
    wanted = [name for value in categories or [] for name in re.split(r"[,\s]+", value) if name]
    with opened_hub() as hub, progress_bars(progress) as progress_for:
        outcomes, not_embedded = _imported(
            lambda: hub.import_paths(
                paths, format_name, progress_for, embed=embed, categories=wanted, resume=resume
            )
        )
        worker = hub.worker_running()
    _report_import(outcomes, not_embedded, worker)


@app.command("load-examples")
def load_examples_command(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the database has no papers.")
    ] = False,
    embed: Annotated[
        bool | None,
        typer.Option(
            help="Embed the papers now (default: $LITFEED_EMBED_ON_IMPORT); --no-embed leaves "
            "them to the background worker."
        ),
    ] = None,
) -> None:
    """Import the bundled example corpus: five saved Hugging Face Papers pages and two weeks of
    arXiv cs metadata."""
    with opened_hub() as hub, progress_bars(True) as progress_for:
        outcomes, not_embedded = _imported(
            lambda: hub.load_examples(
                only_if_empty=if_empty, progress_for=progress_for, embed=embed
            )
        )
        worker = hub.worker_running()
    if not outcomes:
        typer.echo("the database already has papers; examples not loaded")
        return
    _report_import(outcomes, not_embedded, worker)


def _imported(
    run: Callable[[], list[ImportOutcome]],
) -> tuple[list[ImportOutcome], PapersNotEmbedded | None]:
    """The outcomes of an import, and why its papers were not embedded, if they were not."""
    from litfeed.hub import PapersNotEmbedded

    try:
        return run(), None
    except PapersNotEmbedded as error:
        return error.outcomes, error


def _report_import(
    outcomes: list[ImportOutcome], not_embedded: PapersNotEmbedded | None, worker: bool
) -> None:
    """Print the report; exit with status 1 when a file or the embedding failed, 3 when some
    records were rejected."""
    _print_import(outcomes)
    changed = sum((o.report.new + o.report.updated) if o.report else 0 for o in outcomes)
    if worker and changed:  # nothing for it to index after files that could not be read
        typer.echo("the running background worker indexes the new papers for search")
    if not_embedded is not None:
        typer.echo(f"error: {not_embedded}", err=True)
    if not_embedded is not None or any(outcome.error for outcome in outcomes):
        raise typer.Exit(1)
    if any(outcome.report and outcome.report.rejected for outcome in outcomes):
        raise typer.Exit(EXIT_REJECTED)


def _print_import(outcomes: list[ImportOutcome]) -> None:
    totals = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for outcome in outcomes:
        if outcome.error:
            typer.echo(f"error: {outcome.error}", err=True)
            continue
        report = outcome.report
        assert report is not None
        counts = {
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected) + report.rejected_before,
        }
        for key, value in counts.items():
            totals[key] += value
        summary = ", ".join(f"{value} {key}" for key, value in counts.items())
        if report.skipped:
            summary += f", {report.skipped} skipped (not in the categories asked for)"
        if report.resumed_at:
            summary += f"; resumed after line {report.resumed_at:,}"
        typer.echo(f"{outcome.path} ({report.source}): {summary}")
        for rejection in report.rejected:
            typer.echo(f"  rejected {rejection}", err=True)
    imported = [outcome for outcome in outcomes if outcome.report]
    if len(imported) > 1:
        typer.echo("total: " + ", ".join(f"{value} {key}" for key, value in totals.items()))
    if imported and totals["new"] == 0 and totals["updated"] == 0:
        typer.echo("nothing changed: every record was already stored")


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option(help="Recreate the indexes from the database.")] = False,
    embed: Annotated[bool, typer.Option(help="Also embed papers for search by meaning.")] = True,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    engine: Annotated[
        str,
        typer.Option(
            metavar="local|ray",
            help="Where papers are embedded: local (this process) or ray (Ray Data actors: "
            "a local Ray on this machine, or the cluster at --address).",
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="A Ray cluster (ray://HOST:10001); --engine ray."),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=10_000, metavar="N", help="Texts an actor embeds at once."),
    ] = 256,
    gpus: Annotated[
        float,
        typer.Option(
            min=0,
            max=64,
            metavar="G",
            help="GPUs each Ray actor takes (1: an actor a GPU; 0.5: two); the model then runs "
            "there with the torch backend, which the instance must use. 0: actors on CPU cores.",
        ),
    ] = 0,
) -> None:
    """Bring the search indexes up to date: index new papers' words, embed their meaning.

    Safe to kill; the next run resumes."""
    if engine not in ("local", "ray"):
        fail(f"--engine is local or ray, not {engine[:40]!r}")
    if gpus and engine != "ray":
        fail("--gpus places Ray's actors: it needs --engine ray")
    if engine == "ray" and embed:
        from litfeed.search.distributed import RayEmbeddingError, embed_with_ray

        with progress_bars(progress) as progress_for:
            try:
                computed = embed_with_ray(
                    settings(),
                    address,
                    batch_size,
                    progress_for("ray: ranges of papers"),
                    gpus=gpus,
                )
            except RayEmbeddingError as error:
                fail(str(error))
        typer.echo(f"ray: embedded {computed} papers")
    with opened_hub() as hub, progress_bars(progress) as progress_for:
        counts = hub.update_index(rebuild=rebuild, embed=embed, progress_for=progress_for)
    done = ", ".join(f"{name} index: {count} papers" for name, count in counts.items())
    typer.echo(done + (" (rebuilt)" if rebuild else ""))


fetch_app = typer.Typer(
    help="Fetch papers from arXiv and Hugging Face (politely, resumably).",
    invoke_without_command=True,
)

app.add_typer(fetch_app, name="fetch")

# `litfeed fetch`'s exit status when another fetch holds the database's fetch lock (EX_TEMPFAIL).
EXIT_BUSY = 75


@dataclass
class _FetchOptions:
    wait: bool = False
    quiet: bool = False


@fetch_app.callback()
def fetch_main(
    ctx: typer.Context,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Fetch every source in $LITFEED_SOURCES.")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(help="When another fetch runs on this database, wait for it (else exit 75)."),
    ] = False,
    quiet: Annotated[bool, typer.Option(help="Print only the summary, not each page.")] = False,
) -> None:
    """Fetch papers: `litfeed fetch --all` (safe from cron), or one source below.

    Exit status: 0 when everything asked for was stored; 3 when some records were rejected
    (listed; the others are stored); 1 when a source failed (what came before is kept, and the
    next run resumes); 75 when another fetch runs (use --wait)."""
    ctx.obj = _FetchOptions(wait, quiet)
    if ctx.invoked_subcommand is not None:
        return
    if not all_sources:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    if not settings().sources:
        fail('no sources configured: set LITFEED_SOURCES, e.g. "arxiv:cs.LG,cs.CL hf-daily"')
    with _fetching(ctx.obj) as fetcher:
        done = fetcher.run_all()
    for source, outcome in done:
        typer.echo(f"{source.origin}: {outcome}")
    if any(outcome.startswith("failed") for _source, outcome in done):
        raise typer.Exit(1)


@fetch_app.command("arxiv")
def fetch_arxiv(
    ctx: typer.Context,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="An arXiv category or archive (cs.LG, cs, astro-ph.CO) or an OAI-PMH set spec "
            "(cs:cs:LG); repeat for several; none: all of arXiv.",
        ),
    ] = None,
    from_day: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            help="Harvest records changed since this day (default: continue from the last "
            "complete harvest of the set; the first time, the last 7 days).",
        ),
    ] = None,
    metadata: Annotated[
        str, typer.Option(help="OAI-PMH metadata format: arXivRaw, arXiv or oai_dc.")
    ] = "arXivRaw",
) -> None:
    """Harvest arXiv through OAI-PMH, following resumption tokens; resumes where a stopped
    harvest left off."""
    if metadata not in ("arXivRaw", "arXiv", "oai_dc"):
        fail(f"unknown metadata format {metadata!r} (arXivRaw, arXiv, oai_dc)", code=2)
    day = from_day.date() if from_day else None
    with _fetching(ctx.obj) as fetcher:
        outcomes = fetcher.arxiv(sets or [], day, metadata)
        runs = [fetcher.store.get_run(outcome.run_id) for outcome in outcomes]
        rejected = [rejection for outcome in outcomes for rejection in outcome.rejected]
    _report_fetch(runs, rejected)


@fetch_app.command("arxiv-ids")
def fetch_arxiv_ids(
    ctx: typer.Context,
    ids: Annotated[
        list[str], typer.Argument(help="arXiv ids (2410.17243, 2410.17243v2, hep-th/9901001).")
    ],
) -> None:
    """Fetch single papers through arXiv's Atom API (any version; old-style ids too)."""
    with _fetching(ctx.obj) as fetcher:
        outcome = fetcher.arxiv_ids(ids)
        run = fetcher.store.get_run(outcome.run_id)
    _report_fetch([run], outcome.rejected)


@fetch_app.command("hf-daily")
def fetch_hf_daily(
    ctx: typer.Context,
    day: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="One day of daily papers."),
    ] = None,
    week: Annotated[str | None, typer.Option(help="An ISO week, e.g. 2024-W43.")] = None,
    month: Annotated[str | None, typer.Option(help="A month, e.g. 2024-10.")] = None,
) -> None:
    """Fetch Hugging Face daily papers with their upvotes, comments and submitters (default:
    the days since the last fetch)."""
    if sum(value is not None for value in (day, week, month)) > 1:
        fail("give one of --date, --week, --month", code=2)
    if week is not None and not re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", week):
        fail(f"--week {week!r}: write an ISO week, e.g. 2024-W43", code=2)
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month {month!r}: write a month, e.g. 2024-10", code=2)
    with _fetching(ctx.obj) as fetcher:
        outcome = fetcher.hf_daily(day.date() if day else None, week, month)
        run = fetcher.store.get_run(outcome.run_id)
    _report_fetch([run], outcome.rejected)


@contextmanager
def _fetching(options: _FetchOptions | None) -> Iterator[Fetcher]:
    """A fetcher holding the database's fetch lock; Ctrl-C or SIGTERM stops it between pages
    (what is committed stays, the next run resumes). Afterwards the new papers are indexed."""
    import signal
    import threading

    from litfeed.sources import FetchBusy, FetchError

    options = options or _FetchOptions()
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())

    def log(message: str) -> None:
        if not options.quiet:
            typer.echo(message, err=True)

    with opened_hub() as hub:
        try:
            with hub.fetcher(log, stop) as fetcher, fetcher.locked(wait=options.wait):
                yield fetcher
        except FetchBusy as error:
            fail(str(error), code=EXIT_BUSY)
        except FetchError as error:
            _index_fetched(hub)
            fail(str(error))
        _index_fetched(hub)


def _index_fetched(hub: Hub) -> None:
    from litfeed.search.embeddings import EmbeddingError

    try:
        hub.index_new_papers()
    except EmbeddingError as error:
        typer.echo(f"warning: the papers are stored, but not embedded: {error}", err=True)
    if hub.worker_running():
        typer.echo("the running background worker indexes the new papers for search")


def _report_fetch(runs: list[Run], rejected: list[Rejection]) -> None:
    for run in runs:
        typer.echo(f"{run.origin}: {run.counts}; {run.detail}")
    for rejection in rejected[:MAX_REJECTIONS_SHOWN]:
        typer.echo(f"  rejected {rejection}", err=True)
    if len(rejected) > MAX_REJECTIONS_SHOWN:
        typer.echo(f"  … and {len(rejected) - MAX_REJECTIONS_SHOWN} more", err=True)
    if any(run.status != "ok" for run in runs):  # stopped (Ctrl-C, SIGTERM) before the end
        raise typer.Exit(1)
    if rejected:
        raise typer.Exit(EXIT_REJECTED)


MAX_REJECTIONS_SHOWN = 50


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The configured sources ($LITFEED_SOURCES): each one's last run (when, what came, how
    far it got) and its next run."""
    from litfeed.errors import LitfeedError
    from litfeed.hub import Hub
    from litfeed.sources import source_statuses
    from litfeed.store import NoDatabase

    try:
        chosen = settings()
        try:
            with Hub(chosen, create=False) as hub:
                statuses = source_statuses(chosen, hub.store)
        except NoDatabase:
            statuses = source_statuses(chosen, None)  # nothing has run yet
    except LitfeedError as error:
        fail(str(error))
        return
    zone = chosen.zone
    rows: list[dict[str, Any]] = [
        {
            "source": status.source.origin,
            "next_run": status.next_run.astimezone(zone).isoformat(timespec="minutes"),
            "last_run": None
            if status.last is None
            else {
                "started_at": status.last.started_at.astimezone(zone).isoformat(timespec="seconds"),
                "status": status.last.status,
                "new": status.last.new,
                "updated": status.last.updated,
                "unchanged": status.last.unchanged,
                "rejected": status.last.rejected,
                "detail": status.last.detail,
            },
        }
        for status in statuses
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo('no sources configured: set LITFEED_SOURCES, e.g. "arxiv:cs.LG hf-daily"')
        return
    now = datetime.now(zone)
    for status, row in zip(statuses, rows, strict=True):
        typer.echo(row["source"])
        last = status.last
        if last is None:
            typer.echo("  last run: never")
        else:
            started = row["last_run"]["started_at"]
            typer.echo(f"  last run: {started} {last.status}: {last.counts}; {last.detail}")
        typer.echo(f"  next run: {'now (due)' if status.next_run <= now else row['next_run']}")
