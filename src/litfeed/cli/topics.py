"""The topic map from the shell: build it, list its topics."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from litfeed.cli.common import app, opened_hub

topics_app = typer.Typer(help="The topic map: build, list.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


@topics_app.command("build")
def topics_build() -> None:
    """Place every embedded paper on the map (UMAP), find its topics at two levels (HDBSCAN)
    and label them by their distinctive phrases, in place of the last map at once (a topic keeps
    its number where its papers mostly stay)."""
    from litfeed.topics import build_topics

    started = time.perf_counter()
    with opened_hub() as hub:
        built = build_topics(hub.store, hub.vector_index, lambda line: typer.echo(line, err=True))
    typer.echo(
        f"mapped {built.papers:,} papers: {built.broad} broad topics, {built.fine} fine ones; "
        f"{built.noise:.0%} of the papers in no broad topic ({time.perf_counter() - started:.0f} s)"
    )


@topics_app.command("list")
def topics_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """The topics, broad ones each followed by the fine ones inside them, largest first."""
    with opened_hub(create=False) as hub:
        every = hub.store.topics.all()
    if not every:
        typer.echo('no topic map yet: "litfeed topics build" makes one')
        return
    fine = [t for t in every if t.level == 1]
    ordered = []
    for topic in (t for t in every if t.level == 0):
        ordered.append((topic, 0))
        ordered.extend((child, 1) for child in fine if child.parent_id == topic.id)
    ordered.extend((child, 1) for child in fine if child.parent_id is None)
    for topic, depth in ordered:
        if as_json:
            record = {
                "id": topic.id,
                "level": topic.level,
                "parent": topic.parent_id,
                "label": topic.label,
                "size": topic.size,
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(f"{'    ' * depth}{topic.id:>5}  {topic.size:>6,}  {topic.label}")
