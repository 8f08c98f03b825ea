"""Digest subscribers and the digest: add, import, list; send, preview."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from litfeed.cli.common import app, fail, opened_hub

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
    from litfeed.delivery.subscriptions import check_choices, parse_section, section_text
    from litfeed.mail import deliver_due

    with opened_hub() as hub:
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
    from litfeed.delivery.imports import import_subscribers
    from litfeed.mail import deliver_due

    with opened_hub() as hub:
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
    from litfeed.delivery.subscriptions import section_text

    with opened_hub(create=False) as hub:
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
        fail(f"--date {text!r}: expected YYYY-MM-DD")
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
    from litfeed.mail import deliver_due

    wanted = _day(day)
    with opened_hub() as hub:
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
    from litfeed.addresses import parse_address

    with opened_hub(create=False) as hub:
        subscriber = hub.store.delivery.subscriber_by_email(parse_address(email))
        if subscriber is None:
            fail(f"{email} is not a subscriber")
            return
        digests = hub.digests()
        selection = digests.preview(subscriber, _day(day))
        if selection is None or not selection.items:
            typer.echo("nothing new for this subscriber: no digest would be sent")
            return
        composer = digests.composer
        typer.echo(composer.html(selection) if html else composer.text(selection), nl=False)
