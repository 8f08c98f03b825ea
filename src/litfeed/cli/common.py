"""What every command shares: the `litfeed` app and its options, the settings, opening the
hub (its errors as one ``error:`` line), progress bars. Nothing heavy is imported here: each
command imports what it uses, so that `litfeed --help` and the light commands start at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from litfeed import __version__

if TYPE_CHECKING:
    from litfeed.config import Settings
    from litfeed.hub import Hub
    from litfeed.models import Progress

# `litfeed import` and `fetch`: every file or source was read, but some records were rejected
# (1 is a file that could not be imported at all, 2 a usage error).
EXIT_REJECTED = 3


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

overrides: dict[str, Any] = {}


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
    overrides.update(data_dir=data_dir, database_url=database_url)


def settings(**changes: Any) -> Settings:
    """The settings: the environment, the config file, then the command's options."""
    from litfeed.config import load_settings

    return load_settings(**overrides, **changes)


@contextmanager
def opened_hub(create: bool = True) -> Iterator[Hub]:
    """Open litfeed; turn any `LitfeedError` into one ``error:`` line and exit status 1.
    Commands that only read pass ``create=False``: on a database that does not exist they say
    where they looked and what to run, and create nothing."""
    from litfeed.errors import LitfeedError
    from litfeed.hub import Hub
    from litfeed.store import NoDatabase

    try:
        with Hub(settings(), create=create) as hub:
            yield hub
    except NoDatabase as error:
        chosen = settings()
        where = (
            "LITFEED_DATABASE_URL"
            if chosen.database_url
            else f"the data directory {chosen.data_dir} (--data-dir or LITFEED_DATA_DIR)"
        )
        fail(
            f'{error}; looked in {where}. "litfeed load-examples" loads the example papers, '
            '"litfeed import FILE…" imports yours'
        )
    except LitfeedError as error:
        fail(str(error))


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str], Progress | None]]:
    """A function that makes a progress bar on standard error for a named step (nothing when
    not ``enabled`` or not on a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as ProgressBars

    stderr = Console(stderr=True)
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
