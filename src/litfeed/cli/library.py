"""A reader's library and ratings from the shell, and their personal ranking: library import
and list, rate, for-you."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from litfeed.cli.common import app, fail, opened_hub
from litfeed.cli.users import account_named

library_app = typer.Typer(help="A reader's library: import, list.", no_args_is_help=True)
app.add_typer(library_app, name="library")
User = Annotated[str, typer.Option("--user", help="The reader's account (e-mail address).")]


@library_app.command("import")
def library_import(
    user: User,
    paths: Annotated[
        list[Path], typer.Argument(help="Files of arXiv ids, arXiv addresses or DOIs, one a line.")
    ],
) -> None:
    """Save the papers the files name into the reader's library; a line that names no paper
    here is reported (file:line) and skipped. Importing twice changes nothing."""
    from litfeed.recommend.library import import_library

    rejected = 0
    with opened_hub() as hub:
        account = account_named(hub, user)
        for path in paths:
            report = import_library(hub.store, account.id, path)
            typer.echo(
                f"{path}: {report.matched} matched ({report.new} new), "
                f"{len(report.rejected)} rejected"
            )
            for line in report.rejected:
                typer.echo(f"  rejected {line}", err=True)
            rejected += len(report.rejected)
    if rejected:
        raise typer.Exit(3)


@library_app.command("list")
def library_list(
    user: User,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The reader's library, the newest first, and their ratings."""
    with opened_hub(create=False) as hub:
        account = account_named(hub, user)
        papers = hub.store.get_papers_by_pk(hub.store.library.saved(account.id))
        ratings = hub.store.library.ratings(account.id)
    rows = [{"id": p.id, "title": p.title, "rating": ratings.get(p.pk)} for p in papers]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for paper in papers:
        mark = {1: " (+)", -1: " (−)"}.get(ratings.get(paper.pk, 0), "")
        typer.echo(f"{paper.id}  {paper.title}{mark}")
    if not rows:
        typer.echo(f"{account.email} has saved nothing yet: `litfeed library import` saves papers")


@app.command()
def rate(
    user: User,
    paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")],
    rating: Annotated[str, typer.Argument(help="+ (more like this) or - (less like this).")],
) -> None:
    """Rate a paper for a reader: + more like this, - less like this. Their next ranking
    follows it at once."""
    value = {"+": 1, "-": -1}.get(rating.strip())
    if value is None:
        fail(f"a rating is + or -, not {rating[:20]!r}", code=2)
    with opened_hub() as hub:
        account = account_named(hub, user)
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            fail(f"no paper with id {paper_id!r}")
            return
        hub.store.library.rate(account.id, paper.pk, value)
    typer.echo(f"rated {paper.id} {rating.strip()} for {account.email}")


@app.command("for-you")
def for_you(
    user: User,
    day: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="The day (default: the newest)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many papers.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A day's papers ranked for a reader by their library and ratings, each with why."""
    with opened_hub(create=False) as hub:
        account = account_named(hub, user)
        ranked = hub.for_you(account.id, day.date() if day else None, limit)
    hits = [
        {"id": p.paper.id, "title": p.paper.title, "score": round(p.score, 4), "reasons": p.reasons}
        for p in ranked.picks
    ]
    if as_json:
        typer.echo(json.dumps({"date": str(ranked.day), "hits": hits}, indent=2))
        return
    if not ranked.library:
        typer.echo("nothing to learn from yet: save papers (`litfeed library import`) or rate some")
        return
    typer.echo(
        f"{ranked.day}: the best {len(hits)} of {ranked.candidates} papers for {account.email}"
    )
    for number, pick in enumerate(ranked.picks, 1):
        typer.echo(f"{number}. {pick.paper.title}  [{pick.paper.id}]  {pick.score:.3f}")
        for reason in pick.reasons:
            typer.echo(f"   {reason}")
