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

library_app = typer.Typer(help="A reader's library: import, list, export.", no_args_is_help=True)
app.add_typer(library_app, name="library")
User = Annotated[str, typer.Option("--user", help="The reader's account (e-mail address).")]
# The library file formats, for --help without importing the parsers (a test checks them).
CITATION_FORMATS = ("bibtex", "csl-json", "ris", "ids")


@library_app.command("import")
def library_import(
    user: User,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="BibTeX (.bib), CSL-JSON (.json), RIS (.ris) files, or lists of arXiv ids, "
            "arXiv addresses or DOIs (one a line)."
        ),
    ],
    format_name: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"The files' format: {', '.join(CITATION_FORMATS)} "
            "(default: from each file's name and first lines).",
        ),
    ] = None,
) -> None:
    """Save the entries of the files into the reader's library. Each is matched to a stored
    paper by arXiv id, DOI, then title; one that matches nothing is kept as an outside item
    (its title and abstract count in the reader's ranking all the same). An entry that cannot
    be read, or an id that names no paper here, is reported (file:line) and skipped. Importing
    twice changes nothing. Exit status 3 when something was rejected."""
    from litfeed.errors import LitfeedError
    from litfeed.recommend.citations import read_citations

    if format_name is not None and format_name not in CITATION_FORMATS:
        fail(f"unknown format {format_name!r} (known: {', '.join(CITATION_FORMATS)})", code=2)
    rejected = 0
    with opened_hub() as hub:
        account = account_named(hub, user)
        for path in paths:
            try:
                citations = read_citations(path, format_name)
            except LitfeedError as error:
                typer.echo(f"error: {error}", err=True)
                rejected += 1
                continue
            report = hub.save_to_library(account.id, citations)
            typer.echo(f"{path}: {report.summary()}")
            for line in report.rejected:
                typer.echo(f"  rejected {line}", err=True)
            rejected += len(report.rejected)
    if rejected:
        raise typer.Exit(3)


@library_app.command("author")
def library_author(
    user: User,
    name: Annotated[str, typer.Argument(help="The name as the papers spell it.")],
) -> None:
    """ "These are my papers": save every stored paper that lists NAME as an author."""
    from litfeed.recommend.library import save_author_papers

    with opened_hub() as hub:
        account = account_named(hub, user)
        found, new = save_author_papers(hub.store, account.id, name)
    if not found:
        fail(f"no stored paper lists {name[:100]!r} as an author (write it as papers spell it)")
    typer.echo(f"saved {found} papers by {name} for {account.email} ({new} new)")


@library_app.command("list")
def library_list(
    user: User,
    tag: Annotated[str | None, typer.Option(help="Only the entries with this tag.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The reader's library, the newest first: stored papers (with their ratings), then
    outside items; with notes and tags."""
    from litfeed.recommend.library import library_of

    with opened_hub(create=False) as hub:
        account = account_named(hub, user)
        entries = library_of(hub.store, account.id, tag)
    rows = [entry.as_json() for entry in entries]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for entry in entries:
        mark = {1: " (+)", -1: " (−)"}.get(entry.rating or 0, "")
        tags = f"  [{', '.join(entry.tags)}]" if entry.tags else ""
        typer.echo(f"{entry.id}  {entry.title}{mark}{tags}")
        if entry.note:
            typer.echo(f"    note: {entry.note}")
    if not rows:
        typer.echo(f"{account.email} has saved nothing yet: `litfeed library import` saves papers")


@library_app.command("export")
def library_export(
    user: User,
    tag: Annotated[str | None, typer.Option(help="Only the entries with this tag.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: standard output).")
    ] = None,
) -> None:
    """The reader's library (or one tag of it) as BibTeX, which `library import` reads back."""
    from litfeed.recommend.library import library_of, to_bibtex

    with opened_hub(create=False) as hub:
        account = account_named(hub, user)
        text = to_bibtex(library_of(hub.store, account.id, tag))
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror}")
        typer.echo(f"wrote {text.count('@')} entries to {out}", err=True)


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


def _interest(user: str, kind: str, value: str, stop: bool) -> None:
    from litfeed.recommend import InterestError, set_interest

    with opened_hub() as hub:
        account = account_named(hub, user)
        try:
            changed = set_interest(hub.store, account.id, kind, value, on=not stop)
        except InterestError as error:
            fail(str(error), code=2)
    verb, what = kind.split("-")
    if what == "category":
        from litfeed.taxonomy import canonical_category

        value = canonical_category(value) or value  # as arXiv spells it, and as it was kept
    done = f"no longer {verb}s" if stop else f"{verb}s"
    unchanged = "" if changed else " (as before)"
    typer.echo(f"{account.email} {done} the {what} {value!r}{unchanged}")


@app.command()
def follow(
    user: User,
    kind: Annotated[str, typer.Argument(help="author or category.")],
    value: Annotated[str, typer.Argument(help="The author's name, or the category (cs.LG).")],
    stop: Annotated[bool, typer.Option("--stop", help="Stop following it.")] = False,
) -> None:
    """Follow an author or a category for a reader: their papers rank higher in the reader's
    for-you (and say so)."""
    if kind not in ("author", "category"):
        fail(f"follow an author or a category, not {kind[:40]!r}", code=2)
    _interest(user, f"follow-{kind}", value, stop)


@app.command()
def mute(
    user: User,
    kind: Annotated[str, typer.Argument(help="word, author or category.")],
    value: Annotated[str, typer.Argument(help="The word (or phrase), name or category.")],
    stop: Annotated[bool, typer.Option("--stop", help="Stop muting it.")] = False,
) -> None:
    """Mute a word (whole word, any case, in the title or abstract), an author or a category
    for a reader: such papers are left out of their for-you."""
    if kind not in ("word", "author", "category"):
        fail(f"mute a word, an author or a category, not {kind[:40]!r}", code=2)
    _interest(user, f"mute-{kind}", value, stop)


@app.command("for-you")
def for_you(
    user: User,
    day: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="The day (default: the newest)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many papers.")] = 10,
    week: Annotated[bool, typer.Option("--week", help="The day's ISO week, not the day.")] = False,
    category: Annotated[str | None, typer.Option(help="Only papers in this category.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A day's (or its week's) papers ranked for a reader by their library and ratings, each
    with why."""
    with opened_hub(create=False) as hub:
        account = account_named(hub, user)
        ranked = hub.for_you(account.id, day.date() if day else None, limit, week, category)
    hits = [
        {"id": p.paper.id, "title": p.paper.title, "score": round(p.score, 4), "reasons": p.reasons}
        for p in ranked.picks
    ]
    if as_json:
        typer.echo(json.dumps({"date": str(ranked.day), "hits": hits}, indent=2))
        return
    if ranked.empty:
        typer.echo("nothing to learn from yet: save papers (`litfeed library import`) or rate some")
        return
    typer.echo(
        f"{ranked.day}: the best {len(hits)} of {ranked.candidates} papers for {account.email}"
    )
    for number, pick in enumerate(ranked.picks, 1):
        typer.echo(f"{number}. {pick.paper.title}  [{pick.paper.id}]  {pick.score:.3f}")
        for reason in pick.reasons:
            typer.echo(f"   {reason}")
