"""Accounts from the shell: add, token, list, admin, disable."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from litfeed.cli.common import app, fail, opened_hub

if TYPE_CHECKING:
    from litfeed.hub import Hub
    from litfeed.store import Account


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
    from litfeed.community.accounts import add_account

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with opened_hub() as hub:
        account = add_account(hub.store, email, password, admin=admin, verified=True, name=name)
    role = "administrator" if account.is_admin else "account"
    typer.echo(f"added {role} {account.email} (id {account.id})")
    if password is None:
        typer.echo(
            "it has no password: it logs in with an API token (litfeed users token) or sets "
            "one by a reset link (/reset on the site)"
        )


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Make a new API token for an account; prints it on the last line (it is shown once:
    litfeed keeps only its hash). Use it as `Authorization: Bearer TOKEN`."""
    from litfeed.community.accounts import new_token

    with opened_hub() as hub:
        account = account_named(hub, email)
        token, record = new_token(hub.store, account, name)
    typer.echo(f"token {record.id} ({record.name}) for {account.email}; it is shown once:")
    typer.echo(token)


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every account: address, verified, administrator, disabled."""
    with opened_hub(create=False) as hub:
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
    with opened_hub() as hub:
        account = account_named(hub, email)
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


def account_named(hub: Hub, email: str) -> Account:
    """The account of an address (as typed: it is normalised first); fails with one line."""
    from litfeed.addresses import parse_address

    account = hub.store.community.account_by_email(parse_address(email))
    if account is None:
        fail(f"no account for {email}")
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
    with opened_hub() as hub:
        account = account_named(hub, email)
        hub.store.community.disable_account(account.id)
        if hide_votes:
            hub.store.community.hide_votes(account.id, True)
    typer.echo(f"disabled {account.email}" + (" and hid its votes" if hide_votes else ""))
