"""Discussion from the shell: export every comment, suspend an account."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from litfeed.cli.common import app, fail, opened_hub
from litfeed.cli.users import account_named, users_app

comments_app = typer.Typer(help="Comments under papers: export.", no_args_is_help=True)

app.add_typer(comments_app, name="comments")


@comments_app.command("export")
def comments_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
) -> None:
    """Write every comment as JSON Lines, oldest first: deleted ones (without their text) and
    hidden ones too, each saying which it is."""
    with opened_hub() as hub:
        papers: dict[int, str] = {}
        try:
            target = out.open("w", encoding="utf-8") if out else sys.stdout
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror}")
        written = 0
        try:
            after = 0
            while chunk := hub.store.discussion.all_comments(after):
                wanted = sorted({c.paper_pk for c in chunk} - set(papers))
                papers.update((pk, i) for pk, (i, _title) in hub.store.titles_of(wanted).items())
                for comment in chunk:
                    record = {
                        "id": comment.id,
                        "paper": papers.get(comment.paper_pk),
                        "parent": comment.parent_id,
                        "account": comment.account_id,
                        "author": comment.author,
                        "body": comment.body,
                        "score": comment.score,
                        "created_at": comment.created_at.isoformat(),
                        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
                        "deleted": comment.deleted_at is not None,
                        "hidden": comment.hidden_at is not None,
                    }
                    target.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
                after = chunk[-1].id
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror}")
        finally:
            if out:
                target.close()
    if out:
        typer.echo(f"wrote {written} comment{'s' if written != 1 else ''} to {out}")


@users_app.command("suspend")
def users_suspend(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    lift: Annotated[bool, typer.Option("--lift", help="Lift the suspension.")] = False,
    why: Annotated[str, typer.Option("--why", help="The reason, kept in the log.")] = "",
) -> None:
    """Suspend an account: it can no longer log in, write, vote or use its tokens, and its
    votes stop counting (--lift gives all of it back). Logged as done from the shell."""
    with opened_hub() as hub:
        account = account_named(hub, email)
        hub.store.community.set_suspended(account.id, not lift)
        action = "unsuspend" if lift else "suspend"
        hub.store.discussion.log(None, action, None, account.id, f"from the shell: {why}".strip())
    typer.echo(f"{'lifted the suspension of' if lift else 'suspended'} {account.email}")
