"""Running and looking after an instance: stats, serve, worker, eval."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from litfeed.cli.common import app, fail, opened_hub, settings

# The evaluation's methods, for --help without importing search (a test checks that they are
# `litfeed.search.reviewer_eval`'s, and the personal ranker's).
METHODS = ("keyword", "semantic", "hybrid-rrf", "hybrid-score")
DEFAULT_METHOD = "semantic"
FOR_YOU = "for-you"


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Counts of papers: in all, by source, by category, by month; accounts, subscribers and
    digests."""
    with opened_hub(create=False) as hub:
        numbers = hub.stats()
    if as_json:
        typer.echo(json.dumps(numbers, indent=2))
        return
    typer.echo(f"papers: {numbers['papers']}  (imports: {numbers['imports']})")
    for title, key, shown in (
        ("by source", "by_source", None),
        ("by month", "by_month", None),
        ("by category (top 20)", "by_category", 20),
    ):
        counted = list(numbers[key].items())[:shown]
        typer.echo(f"{title}:" if counted else f"{title}: none")  # the examples have no categories
        for name, count in counted:
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
    from litfeed.announcements import EASTERN

    zone = settings().zone
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


eval_app = typer.Typer(
    help="Measure ranking quality on relevance benchmarks.", no_args_is_help=True
)

app.add_typer(eval_app, name="eval")


@eval_app.command("reviewer-expertise")
def eval_reviewer_expertise(
    path: Annotated[Path, typer.Argument(help="reviewer-expertise.jsonl (Stelmakh et al.)")],
    method: Annotated[
        list[str] | None,
        typer.Option(help=f"Only this method: {', '.join((*METHODS, FOR_YOU))}."),
    ] = None,
    researchers: Annotated[
        int | None, typer.Option(min=1, help="Only the first N researchers.")
    ] = None,
    rated_half: Annotated[
        bool,
        typer.Option(
            "--rated-half",
            help=f"With --method {FOR_YOU}: the reader rated a random half of the candidates "
            "(expertise ≥ 4 +, ≤ 2 -); rank the other half; 5 halvings per profile draw.",
        ),
    ] = False,
) -> None:
    """Rank researchers' rated papers against their profiles; print the loss per method.

    The loss is the weighted Kendall-tau loss (lower is better): its mean over the profile
    draws ± their standard deviation; the last line is `loss <value>` for the default method
    (`semantic`), or for the personal ranker with `--method for-you`; with `--rated-half`, a
    last line `library-only <value>` gives the same ranker without the ratings, on the same
    halves."""
    methods = method or list(METHODS)
    unknown = sorted(set(methods) - {*METHODS, FOR_YOU})
    if unknown:
        fail(f"unknown method {unknown[0]!r} (known: {', '.join((*METHODS, FOR_YOU))})", code=2)
    if rated_half and methods != [FOR_YOU]:
        fail(f"--rated-half goes with --method {FOR_YOU} alone", code=2)
    with opened_hub() as hub:
        losses = hub.evaluate_reviewer_expertise(path, methods, researchers, rated_half)
    for name, loss in losses.items():
        marker = "  (default)" if name == DEFAULT_METHOD else ""
        typer.echo(f"{name:<14} {loss.mean:.4f} ± {loss.spread:.4f}{marker}")
    chosen = FOR_YOU if FOR_YOU in losses else DEFAULT_METHOD
    shown = losses[chosen if chosen in losses else methods[0]]
    typer.echo(f"loss {shown.mean:.4f}")
    if rated_half:
        typer.echo(f"library-only {losses['library-only'].mean:.4f}")
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
    from litfeed.errors import LitfeedError
    from litfeed.hub import Hub
    from litfeed.web.server import check_port
    from litfeed.web.server import serve as run_server

    try:
        chosen = settings(host=host, port=port, workers=workers)
        check_port(chosen.host, chosen.port)
        Hub(chosen, serving=True).close()  # opens (and migrates) the database once, first
    except LitfeedError as error:
        fail(str(error))
        return
    run_server(chosen, chosen.workers, background_worker=background)


@app.command()
def worker(
    embed: Annotated[bool, typer.Option(help="Also embed papers for search by meaning.")] = True,
) -> None:
    """Run the background worker: keeps the search indexes current (words within about a
    second of each import, meaning as fast as papers are embedded). One per database: a second
    one stands by and takes over when the first stops."""
    import threading

    from litfeed.jobs.worker import be_nice, run_worker, stop_on_signals, stop_with_parent

    stop = threading.Event()

    def log(message: str) -> None:
        typer.echo(f"litfeed worker [{os.getpid()}]: {message}", err=True)

    stop_on_signals(stop, log)
    be_nice()
    stop_with_parent(stop)

    with opened_hub() as hub:
        run_worker(hub, stop, log, embed=embed)
