"""Papers: search, show, similar, hide and unhide."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from litfeed.cli.common import app, fail, opened_hub

if TYPE_CHECKING:
    from litfeed.models import Paper
    from litfeed.search import SearchResults, TextPart


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
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=366,
            help="Only papers of the last N days here (the daily pages' days): new ones.",
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="hybrid (words and meaning), keyword or semantic.")
    ] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search papers by words, by meaning, or both fused (the default).

    Words: BM25 over title, abstract and authors. Meaning: sentence embeddings."""
    from litfeed.search import Filters

    filters = Filters(
        category=category,
        since=since.date() if since else None,
        until=until.date() if until else None,
        days=days,
    )
    with opened_hub(create=False) as hub:
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
    with opened_hub(create=False) as hub:
        paper = hub.get_paper(paper_id)
    if paper is None:
        fail(f"no paper with id {paper_id!r} (try `litfeed search`)")
        return
    typer.echo(paper.model_dump_json(indent=2) if as_json else _describe_paper(paper))


@app.command()
def similar(
    paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many papers.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Papers nearest in meaning to one paper, each with a one-line reason."""
    from litfeed.search.similar import NONE_YET

    with opened_hub(create=False) as hub:
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
def hide(paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")]) -> None:
    """Hide a paper from every list, count and feed (`litfeed unhide` restores it)."""
    _set_hidden(paper_id, True)


@app.command()
def unhide(paper_id: Annotated[str, typer.Argument(help="litfeed id, arXiv id or DOI.")]) -> None:
    """Restore a hidden paper."""
    _set_hidden(paper_id, False)


def _set_hidden(paper_id: str, hidden: bool) -> None:
    with opened_hub() as hub:
        paper = hub.store.set_hidden(paper_id, hidden)
        if paper is not None:
            hub.index_new_papers()  # search drops (or takes back) the paper now
    if paper is None:
        fail(f"no paper with id {paper_id!r}")
        return
    typer.echo(f"{'hid' if hidden else 'restored'} {paper.id}: {paper.title}")


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
