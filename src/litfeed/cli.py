"""The ``litfeed`` command: thin wrappers that parse options, call one `Hub` method, print."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as ProgressBars

from litfeed import __version__
from litfeed.addresses import parse_address
from litfeed.announcements import EASTERN
from litfeed.community.accounts import add_account, new_token
from litfeed.config import Settings, load_settings
from litfeed.delivery.imports import import_subscribers
from litfeed.delivery.subscriptions import check_choices, parse_section, section_text
from litfeed.errors import LitfeedError
from litfeed.hub import Hub, ImportOutcome, PapersNotEmbedded
from litfeed.ingest import FORMATS
from litfeed.mail import deliver_due
from litfeed.models import Paper, Progress, Rejection
from litfeed.search import Filters, SearchResults, TextPart
from litfeed.search.embeddings import EmbeddingError
from litfeed.search.reviewer_eval import DEFAULT_METHOD, METHODS
from litfeed.search.similar import NONE_YET
from litfeed.sources import FetchBusy, Fetcher, FetchError, source_statuses
from litfeed.store import Account, NoDatabase, Run


def _plain_help() -> None:
    """Typer 0.29 prints Python types in help (``--json <bool>``, ``{paths}... <list[Path]>``);
    litfeed's help names parameters the way manual pages do (``QUERY``, ``PATHS...``, ``--json``)
    and keeps the types that say something (``<int range> [1<=x<=1000]``, dates, paths)."""
    from typer.core import TyperArgument, TyperOption

    option_type = TyperOption.display_type_rich

    def usage_name(argument: TyperArgument) -> str:
        name = (argument.metavar or argument.name or "").upper()
        name = name if argument.required else f"[{name}]"
        return name + ("..." if argument.nargs != 1 else "")

    def column_name(argument: TyperArgument) -> str:
        name = (argument.metavar or argument.name or "").upper()
        return name + ("..." if argument.metavar is None and argument.nargs != 1 else "")

    def flag_type(option: TyperOption, ctx: Any) -> str | None:
        return None if option.is_flag else option_type(option, ctx)

    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign,assignment]
    TyperArgument._rich_display_name = column_name  # type: ignore[method-assign,assignment]
    TyperArgument.display_type_rich = lambda argument, ctx: None  # type: ignore[method-assign,assignment]
    TyperOption.display_type_rich = flag_type  # type: ignore[method-assign,assignment]


_plain_help()

app = typer.Typer(
    help="litfeed: a self-hosted research-paper discovery hub.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_overrides: dict[str, Any] = {}
stderr = Console(stderr=True)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"litfeed {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (default: $LITFEED_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (default: $LITFEED_DATABASE_URL).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print litfeed's version and exit.",
            metavar="",
        ),
    ] = False,
) -> None:
    _overrides.update(data_dir=data_dir, database_url=database_url)


def _settings() -> Settings:
    return load_settings(**_overrides)


@contextmanager
def _hub(create: bool = True) -> Iterator[Hub]:
    """Open litfeed; turn any `LitfeedError` into one ``error:`` line and exit status 1.
    Commands that only read pass ``create=False``: on a database that does not exist they say
    where they looked and what to run, and create nothing."""
    try:
        with Hub(_settings(), create=create) as hub:
            yield hub
    except NoDatabase as error:
        settings = _settings()
        where = (
            "LITFEED_DATABASE_URL"
            if settings.database_url
            else f"the data directory {settings.data_dir} (--data-dir or LITFEED_DATA_DIR)"
        )
        _fail(
            f'{error}; looked in {where}. "litfeed load-examples" loads the example papers, '
            '"litfeed import FILE…" imports yours'
        )
    except LitfeedError as error:
        _fail(str(error))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to import.")],
    format_name: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Force a format instead of detecting it: " + ", ".join(FORMATS) + ".",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar per file.")] = True,
    embed: Annotated[
        bool | None,
        typer.Option(help="Embed the new papers now (default: $LITFEED_EMBED_ON_IMPORT)."),
    ] = None,
) -> None:
    """Import papers from files: format detected, duplicates merged, re-imports change nothing.

    Exit status: 0 when every record was stored; 3 when some records were rejected (each is
    listed as file:line: reason, the others are stored); 1 when a file could not be imported
    at all or the papers could not be embedded."""
    with _hub() as hub, _progress_bars(progress) as progress_for:
        outcomes, not_embedded = _imported(
            lambda: hub.import_paths(paths, format_name, progress_for, embed=embed)
        )
        worker = hub.worker_running()
    _report_import(outcomes, not_embedded, worker)


@app.command("load-examples")
def load_examples_command(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when the database has no papers.")
    ] = False,
) -> None:
    """Import the bundled example corpus (five saved Hugging Face Papers pages)."""
    with _hub() as hub, _progress_bars(True) as progress_for:
        outcomes, not_embedded = _imported(
            lambda: hub.load_examples(only_if_empty=if_empty, progress_for=progress_for)
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
    try:
        return run(), None
    except PapersNotEmbedded as error:
        return error.outcomes, error


# `litfeed import`'s exit status when every file was imported but some records were rejected
# (1 is a file that could not be imported at all, 2 a usage error).
EXIT_REJECTED = 3


def _report_import(
    outcomes: list[ImportOutcome], not_embedded: PapersNotEmbedded | None, worker: bool
) -> None:
    """Print the report; exit with status 1 when a file or the embedding failed, 3 when some
    records were rejected."""
    _print_import(outcomes)
    if worker:
        typer.echo("the running background worker indexes the new papers for search")
    if not_embedded is not None:
        typer.echo(f"error: {not_embedded}", err=True)
    if not_embedded is not None or any(outcome.error for outcome in outcomes):
        raise typer.Exit(1)
    if any(outcome.report and outcome.report.rejected for outcome in outcomes):
        raise typer.Exit(EXIT_REJECTED)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", title:word, -excluded.')],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Results to show.")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Results to skip.")] = 0,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only papers published from this date."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only papers published up to this date."),
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="Only this arXiv category, e.g. cs.LG.")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="hybrid (words and meaning), keyword or semantic.")
    ] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search papers by words, by meaning, or both fused (the default).

    Words: BM25 over title, abstract and authors. Meaning: sentence embeddings."""
    filters = Filters(
        category=category,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    with _hub(create=False) as hub:
        results = hub.search(query, mode=mode, limit=limit, offset=offset, filters=filters)
    if results.notice and not as_json:
        typer.echo(f"note: {results.notice}", err=True)
    if as_json:
        typer.echo(results.model_dump_json(indent=2))
    else:
        _print_results(results)


@app.command()
def show(
    paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one paper: metadata, abstract, links and where it was imported from."""
    with _hub(create=False) as hub:
        paper = hub.get_paper(paper_id)
    if paper is None:
        _fail(f"no paper with id {paper_id!r} (try `litfeed search`)")
        return
    typer.echo(paper.model_dump_json(indent=2) if as_json else _describe_paper(paper))


@app.command()
def similar(
    paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many papers.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Papers nearest in meaning to one paper, each with a one-line reason."""
    with _hub(create=False) as hub:
        found = hub.similar(paper_id, limit)
    if not found:
        typer.echo(f"note: {NONE_YET}", err=True)
    if as_json:
        typer.echo(json.dumps([item.model_dump(mode="json") for item in found], indent=2))
        return
    for number, item in enumerate(found, start=1):
        typer.echo(f"{number}. {item.paper.title}  [{item.paper.id}]")
        typer.echo(f"   {item.similarity:.2f} · {item.reason}")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Counts of papers: in all, by source, by category, by month; accounts, subscribers and
    digests."""
    with _hub(create=False) as hub:
        numbers = hub.stats()
    if as_json:
        typer.echo(json.dumps(numbers, indent=2))
        return
    typer.echo(f"papers: {numbers['papers']}  (imports: {numbers['imports']})")
    for title, key in (("by source", "by_source"), ("by month", "by_month")):
        typer.echo(f"{title}:")
        for name, count in numbers[key].items():
            typer.echo(f"  {name:<24} {count:>8}")
    typer.echo("by category (top 20):")
    for name, count in list(numbers["by_category"].items())[:20]:
        typer.echo(f"  {name:<24} {count:>8}")
    index = numbers["keyword_index"]
    typer.echo(f"keyword index: {index['documents']} documents, at change {index['change']}")
    vectors = numbers["vector_index"]
    typer.echo(
        f"vector index: {vectors['papers']} papers, at change {vectors['change']}"
        f" ({vectors['model'] or 'no model yet'})"
    )
    _print_arrivals(numbers["arrivals"])
    subscribers = ", ".join(f"{n} {status}" for status, n in numbers["subscribers"].items())
    digests = ", ".join(f"{n} {status}" for status, n in numbers["digests"].items())
    typer.echo(f"accounts: {numbers['accounts']}; subscribers: {subscribers or 'none'}")
    typer.echo(f"digests: {digests or 'none sent yet'}")
    for title, key in (("mail", "mail"), ("submissions", "submissions")):
        counts = {k: v for k, v in numbers[key].items() if k != "latest_failures"}
        typer.echo(
            f"{title}: " + (", ".join(f"{n} {state}" for state, n in counts.items()) or "none")
        )
        for failure in numbers[key]["latest_failures"]:
            what = failure.get("recipient", failure.get("paper"))
            typer.echo(f"  failed: {failure['id']} {what!r}: {failure['reason']}")


def _print_arrivals(arrivals: dict[str, Any]) -> None:
    """New papers per arXiv announcement day, the quiet days said as such."""
    zone = _settings().zone
    typer.echo("new papers by arXiv announcement day (20:00 US Eastern):")
    for day in arrivals["days"]:
        weekday = datetime.fromisoformat(day["day"]).strftime("%a %Y-%m-%d")
        if day["quiet"]:
            typer.echo(f"  {weekday}  {'—':>8}  {day['quiet']}")
        else:
            typer.echo(f"  {weekday}  {day['papers']:>8,}")
    for name in ("latest", "next"):
        moment = datetime.fromisoformat(arrivals[f"{name}_announcement"]).astimezone(EASTERN)
        local = moment.astimezone(zone)
        yours = "" if local.utcoffset() == moment.utcoffset() else f" ({local:%a %H:%M %Z})"
        typer.echo(f"{name} announcement: {moment:%a %Y-%m-%d %H:%M %Z}{yours}")


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option(help="Recreate the indexes from the database.")] = False,
    embed: Annotated[bool, typer.Option(help="Also embed papers for search by meaning.")] = True,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Bring the search indexes up to date: index new papers' words, embed their meaning.

    Safe to kill; the next run resumes."""
    with _hub() as hub, _progress_bars(progress) as progress_for:
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
    settings = _settings()
    if not settings.sources:
        _fail('no sources configured: set LITFEED_SOURCES, e.g. "arxiv:cs.LG,cs.CL hf-daily"')
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
        _fail(f"unknown metadata format {metadata!r} (arXivRaw, arXiv, oai_dc)", code=2)
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
        _fail("give one of --date, --week, --month", code=2)
    if week is not None and not re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", week):
        _fail(f"--week {week!r}: write an ISO week, e.g. 2024-W43", code=2)
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        _fail(f"--month {month!r}: write a month, e.g. 2024-10", code=2)
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

    options = options or _FetchOptions()
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())

    def log(message: str) -> None:
        if not options.quiet:
            typer.echo(message, err=True)

    with _hub() as hub:
        try:
            with hub.fetcher(log, stop) as fetcher, fetcher.locked(wait=options.wait):
                yield fetcher
        except FetchBusy as error:
            _fail(str(error), code=EXIT_BUSY)
        except FetchError as error:
            _index_fetched(hub)
            _fail(str(error))
        _index_fetched(hub)


def _index_fetched(hub: Hub) -> None:
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
    try:
        settings = _settings()
        try:
            with Hub(settings, create=False) as hub:
                statuses = source_statuses(settings, hub.store)
        except NoDatabase:
            statuses = source_statuses(settings, None)  # nothing has run yet
    except LitfeedError as error:
        _fail(str(error))
        return
    zone = settings.zone
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


users_app = typer.Typer(help="Accounts: add, list, disable; API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    admin: Annotated[bool, typer.Option("--admin", help="An administrator.")] = False,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (first line); else the account has "
            "none, and logs in with an API token or sets one by a reset link.",
        ),
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="A public name, shown with the papers it submits.")
    ] = None,
) -> None:
    """Add an account, verified (the first account of a database is an administrator)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _hub() as hub:
        account = add_account(hub.store, email, password, admin=admin, verified=True, name=name)
    role = "administrator" if account.is_admin else "account"
    typer.echo(f"added {role} {account.email} (id {account.id})")


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Make a new API token for an account; prints it on the last line (it is shown once:
    litfeed keeps only its hash). Use it as `Authorization: Bearer TOKEN`."""
    with _hub() as hub:
        account = _account(hub, email)
        token, record = new_token(hub.store, account, name)
    typer.echo(f"token {record.id} ({record.name}) for {account.email}; it is shown once:")
    typer.echo(token)


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every account: address, verified, administrator, disabled."""
    with _hub(create=False) as hub:
        accounts = hub.store.community.list_accounts()
    rows = [
        {
            "id": account.id,
            "email": account.email,
            "name": account.name,
            "verified": account.verified,
            "admin": account.is_admin,
            "disabled": not account.active,
            "votes_hidden": account.votes_hidden,
            "created_at": account.created_at.isoformat(timespec="seconds"),
        }
        for account in accounts
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        marks = [
            name
            for name, on in (
                ("admin", row["admin"]),
                ("unverified", not row["verified"]),
                ("disabled", row["disabled"]),
                ("votes hidden", row["votes_hidden"]),
            )
            if on
        ]
        shown = f"{row['email']} ({row['name']})" if row["name"] else row["email"]
        typer.echo(f"{row['id']:>5}  {shown}  {', '.join(marks)}".rstrip())
    if not rows:
        typer.echo('no accounts yet: "litfeed users add EMAIL --admin" adds one')


@users_app.command("admin")
def users_admin(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the rights back.")] = False,
) -> None:
    """Make an account an administrator (or, with --revoke, no longer one). Its rights hold
    once its address is confirmed."""
    with _hub() as hub:
        account = _account(hub, email)
        hub.store.community.set_admin(account.id, not revoke)
    if revoke:
        typer.echo(f"{account.email} is no longer an administrator")
    elif account.verified:
        typer.echo(f"{account.email} is an administrator")
    else:
        typer.echo(
            f"{account.email} is an administrator once it confirms its address (the link "
            "mailed at sign-up; `litfeed users add` makes accounts confirmed)"
        )


def _account(hub: Hub, email: str) -> Account:
    """The account of an address (as typed: it is normalised first); fails with one line."""
    account = hub.store.community.account_by_email(parse_address(email))
    if account is None:
        _fail(f"no account for {email}")
    assert account is not None
    return account


@users_app.command("disable")
def users_disable(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    hide_votes: Annotated[
        bool, typer.Option("--hide-votes", help="Also hide all its votes from every count.")
    ] = False,
) -> None:
    """Disable an account: it can no longer log in, vote or use its tokens."""
    with _hub() as hub:
        account = _account(hub, email)
        hub.store.community.disable_account(account.id)
        if hide_votes:
            hub.store.community.hide_votes(account.id, True)
    typer.echo(f"disabled {account.email}" + (" and hid its votes" if hide_votes else ""))


@app.command()
def hide(paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")]) -> None:
    """Hide a paper from every list, count and feed (`litfeed unhide` restores it)."""
    _set_hidden(paper_id, True)


@app.command()
def unhide(paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")]) -> None:
    """Restore a hidden paper."""
    _set_hidden(paper_id, False)


def _set_hidden(paper_id: str, hidden: bool) -> None:
    with _hub() as hub:
        paper = hub.store.set_hidden(paper_id, hidden)
        if paper is not None:
            hub.index_new_papers()  # search drops (or takes back) the paper now
    if paper is None:
        _fail(f"no paper with id {paper_id!r}")
        return
    typer.echo(f"{'hid' if hidden else 'restored'} {paper.id}: {paper.title}")


subscribers_app = typer.Typer(help="Digest subscribers: add, list.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")


@subscribers_app.command("add")
def subscribers_add(
    email: Annotated[str, typer.Argument(help="The address to send the digest to.")],
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="Subscribed at once; else the address gets a link to confirm (double opt-in).",
        ),
    ] = False,
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            help="What the digest holds (repeat): trending, daily, search:QUERY, author:NAME, "
            "category:CAT. Default: trending.",
        ),
    ] = None,
    mute: Annotated[
        list[str] | None,
        typer.Option("--mute", help="A word that leaves a paper out (repeat)."),
    ] = None,
    cadence: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
    max_papers: Annotated[int, typer.Option("--max", help="At most this many papers.")] = 10,
    hour: Annotated[int, typer.Option(help="The hour to send at (0-23), in --timezone.")] = 7,
    timezone: Annotated[str, typer.Option(help="An IANA time zone: Europe/Berlin.")] = "UTC",
) -> None:
    """Subscribe an address to the digest (or change what an existing subscriber gets)."""
    with _hub() as hub:
        choices = check_choices(
            [parse_section(text) for text in section or ["trending"]],
            mute or [],
            max_papers,
            cadence,
            hour,
            timezone,
        )
        subscriber = hub.subscriptions.subscribe(email, choices, confirmed=confirmed, trusted=True)
        deliver_due(hub.store, hub.settings)  # the confirmation link, when there is one
    sections = ", ".join(section_text(s) for s in subscriber.sections)
    typer.echo(f"{subscriber.email}: {subscriber.status}, {subscriber.cadence}: {sections}")


@subscribers_app.command("import")
def subscribers_import(
    path: Annotated[Path, typer.Argument(help="One address a line, or CSV with an email column.")],
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="Subscribed at once (they opted in elsewhere); else each address gets a link "
            "to confirm.",
        ),
    ] = False,
) -> None:
    """Subscribe a list of addresses: a line that is not a subscriber is reported (file, line,
    field) and skipped, the rest are subscribed. CSV columns: email, sections (a;b), mutes,
    cadence, max_papers, send_hour, timezone."""
    with _hub() as hub:
        report = import_subscribers(hub.subscriptions, path, confirmed=confirmed)
        deliver_due(hub.store, hub.settings)  # the confirmation links
    for line in report.rejected:
        typer.echo(f"rejected {line}", err=True)
    typer.echo(f"subscribed {report.subscribed}; rejected {len(report.rejected)}")
    if report.rejected and not report.subscribed:
        raise typer.Exit(1)


@subscribers_app.command("list")
def subscribers_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every subscriber: address, status, cadence and hour, sections, muted words."""
    with _hub(create=False) as hub:
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "email": s.email,
                "status": s.status,
                "cadence": s.cadence,
                "send_at": f"{s.send_hour:02d}:00 {s.timezone}",
                "max_papers": s.max_papers,
                "sections": [section_text(section) for section in s.sections],
                "mutes": s.mutes,
                "bounces": s.bounces,
            }
            for s in hub.store.delivery.subscribers()
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(
            f"{row['id']:>5}  {row['email']}  {row['status']}  {row['cadence']} at "
            f"{row['send_at']}  {'; '.join(row['sections'])}"
            + (f"  muted: {', '.join(row['mutes'])}" if row["mutes"] else "")
        )
    if not rows:
        typer.echo('no subscribers yet: "litfeed subscribers add EMAIL" adds one')


digest_app = typer.Typer(help="The e-mail digest: send, preview.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")
DayOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="The period: that announcement day (daily digests) or the week containing it "
        "(weekly). Default: the newest day with papers, and the last whole week.",
    ),
]


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--date {text!r}: expected YYYY-MM-DD")
        raise typer.Exit(1) from None


@digest_app.command("send")
def digest_send(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Render each digest into --out; send and record nothing."),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Where --dry-run writes (default: DATA_DIR/digests-dry-run)."),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Only this subscriber.")] = None,
    day: DayOption = None,
) -> None:
    """Send the digests of the period to every confirmed subscriber who has not had it (from
    cron; the background worker sends at each subscriber's hour instead), and the other mail
    waiting in the outbox (confirmations, password resets). Each digest is recorded before it
    is handed over and marked after; a run killed and started again sends what is left, and
    nobody gets two digests for one period."""
    wanted = _day(day)
    with _hub() as hub:
        digests = hub.digests(log=lambda line: typer.echo(line, err=True))
        if dry_run:
            directory = out or hub.settings.data_dir / "digests-dry-run"
            report = digests.dry_run(directory, wanted, to)
            typer.echo(
                f"rendered {len(report.files)} digests into {directory} "
                f"({report.empty} with nothing new); nothing sent"
            )
            return
        report = digests.send(wanted, to)
        mailed = deliver_due(hub.store, hub.settings, lambda line: typer.echo(line, err=True))
    typer.echo(str(report) + (f"; {mailed} other messages from the outbox" if mailed else ""))
    if report.failed or report.retried:
        raise typer.Exit(1)


@digest_app.command("preview")
def digest_preview(
    email: Annotated[str, typer.Argument(help="A subscriber's address.")],
    day: DayOption = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part.")] = False,
) -> None:
    """Print a subscriber's next digest (its plain-text part): what a send would hold now."""
    with _hub(create=False) as hub:
        subscriber = hub.store.delivery.subscriber_by_email(email)
        if subscriber is None:
            _fail(f"{email} is not a subscriber")
            return
        digests = hub.digests()
        selection = digests.preview(subscriber, _day(day))
        if selection is None or not selection.items:
            typer.echo("nothing new for this subscriber: no digest would be sent")
            return
        composer = digests.composer
        typer.echo(composer.html(selection) if html else composer.text(selection), nl=False)


eval_app = typer.Typer(
    help="Measure ranking quality on relevance benchmarks.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


@eval_app.command("reviewer-expertise")
def eval_reviewer_expertise(
    path: Annotated[Path, typer.Argument(help="reviewer-expertise.jsonl (Stelmakh et al.)")],
    method: Annotated[
        list[str] | None, typer.Option(help=f"Only this method: {', '.join(METHODS)}.")
    ] = None,
    researchers: Annotated[
        int | None, typer.Option(min=1, help="Only the first N researchers.")
    ] = None,
) -> None:
    """Rank researchers' rated papers against their profiles; print the loss per method.

    The loss is the weighted Kendall-tau loss (lower is better): its mean over the profile
    draws ± their standard deviation; the last line is `loss <value>` for the default method."""
    methods = method or list(METHODS)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        _fail(f"unknown method {unknown[0]!r} (known: {', '.join(METHODS)})", code=2)
    with _hub() as hub:
        losses = hub.evaluate_reviewer_expertise(path, methods, researchers)
    for name, loss in losses.items():
        marker = "  (default)" if name == DEFAULT_METHOD else ""
        typer.echo(f"{name:<14} {loss.mean:.4f} ± {loss.spread:.4f}{marker}")
    shown = losses[DEFAULT_METHOD if DEFAULT_METHOD in losses else methods[0]]
    typer.echo(f"loss {shown.mean:.4f}")
    typer.echo(
        f"± is the standard deviation over the {shown.draws} profile draws: a difference "
        "between settings smaller than it is noise",
        err=True,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (default: $LITFEED_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: $LITFEED_PORT).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Web server processes (default: $LITFEED_WORKERS)."),
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Start the background worker beside the server (--no-worker: it runs "
            "elsewhere, as `litfeed worker`).",
        ),
    ] = True,
) -> None:
    """Serve the web UI and the JSON API (OpenAPI at /docs) with N processes, and start the
    background worker that keeps the search indexes current."""
    from litfeed.web.server import check_port
    from litfeed.web.server import serve as run_server

    try:
        settings = load_settings(**_overrides, host=host, port=port, workers=workers)
        check_port(settings.host, settings.port)
        Hub(settings, serving=True).close()  # opens (and migrates) the database once, first
    except LitfeedError as error:
        _fail(str(error))
        return
    run_server(settings, settings.workers, background_worker=background)


@app.command()
def worker(
    embed: Annotated[bool, typer.Option(help="Also embed papers for search by meaning.")] = True,
) -> None:
    """Run the background worker: keeps the search indexes current (words within about a
    second of each import, meaning as fast as papers are embedded). One per database: a second
    one stands by and takes over when the first stops."""
    import signal
    import threading

    from litfeed.jobs.worker import be_nice, run_worker, stop_with_parent

    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    be_nice()
    stop_with_parent(stop)

    def log(message: str) -> None:
        typer.echo(f"litfeed worker [{os.getpid()}]: {message}", err=True)

    with _hub() as hub:
        run_worker(hub, stop, log, embed=embed)


# -- output --------------------------------------------------------------------------------------


@contextmanager
def _progress_bars(enabled: bool) -> Iterator[Callable[[str], Progress | None]]:
    if not enabled or not stderr.is_terminal:
        yield lambda _name: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with ProgressBars(*columns, console=stderr) as bars:

        def progress_for(name: str) -> Progress:
            task = bars.add_task(name, total=None)
            return lambda done, total: bars.update(task, completed=done, total=total)

        yield progress_for


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
            "rejected": len(report.rejected),
        }
        for key, value in counts.items():
            totals[key] += value
        summary = ", ".join(f"{value} {key}" for key, value in counts.items())
        typer.echo(f"{outcome.path} ({report.source}): {summary}")
        for rejection in report.rejected:
            typer.echo(f"  rejected {rejection}", err=True)
    imported = [outcome for outcome in outcomes if outcome.report]
    if len(imported) > 1:
        typer.echo("total: " + ", ".join(f"{value} {key}" for key, value in totals.items()))
    if imported and totals["new"] == 0 and totals["updated"] == 0:
        typer.echo("nothing changed: every record was already stored")


def _marked(parts: list[TextPart]) -> str:
    color = sys.stdout.isatty()
    return "".join(
        typer.style(part.text, bold=True, fg="yellow") if part.match and color else part.text
        for part in parts
    )


def _print_results(results: SearchResults) -> None:
    first = results.offset + 1
    last = results.offset + len(results.hits)
    if not results.hits:
        if results.total:
            typer.echo(f"{results.headline}; none past result {results.total:,}")
        else:
            typer.echo(results.headline)
        return
    typer.echo(f"{results.headline}; showing {first}-{last}\n")
    for number, hit in enumerate(results.hits, start=first):
        paper = hit.paper
        typer.echo(f"{number}. {_marked(hit.title)}  [{paper.id}]")
        details = [str(paper.published or ""), *paper.categories[:3], _short_authors(paper)]
        details.append("matched by " + " and ".join(hit.matched_by))
        if any(details):
            typer.echo("   " + " · ".join(d for d in details if d))
        typer.echo(f"   {_marked(hit.snippet)}\n")


def _short_authors(paper: Paper) -> str:
    if len(paper.authors) > 3:
        return ", ".join(paper.authors[:3]) + " et al."
    return ", ".join(paper.authors)


def _describe_paper(paper: Paper) -> str:
    arxiv = f"{paper.arxiv_id}v{paper.arxiv_version}" if paper.arxiv_version else paper.arxiv_id
    lines = [paper.title, "=" * min(len(paper.title), 100)]
    fields = [
        ("id", paper.id),
        ("authors", ", ".join(paper.authors)),
        ("published", paper.published),
        ("updated", paper.updated),
        ("first seen", paper.first_seen.strftime("%Y-%m-%d %H:%M")),
        ("arXiv", arxiv),
        ("DOI", paper.doi),
        ("categories", ", ".join(paper.categories)),
        ("comment", paper.comment),
        ("upvotes", paper.upvotes),
        ("comments", paper.comments),
        ("submitted by", paper.submitted_by),
    ]
    lines += [f"{name + ':':<14}{value}" for name, value in fields if value not in (None, "")]
    lines += ["", paper.abstract, ""]
    lines += [f"{link.kind + ':':<14}{link.url}" for link in paper.links]
    lines += [f"{'source:':<14}{source.location} ({source.source})" for source in paper.sources]
    return "\n".join(lines)
