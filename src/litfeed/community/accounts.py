"""Accounts: passwords hashed with argon2 (argon2-cffi's defaults, RFC 9106's second
recommended profile), API tokens shown once and stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from litfeed.addresses import parse_address
from litfeed.errors import LitfeedError
from litfeed.store import Account, AccountExists, NameExists, Store, Token

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1000
TOKEN_PREFIX = "lf_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,39}")
_hasher = PasswordHasher()


class AccountError(LitfeedError, ValueError):
    """An account cannot be made or used as asked; the message says why."""


class AccountTaken(AccountError):
    """The address has an account already."""


class Unconfirmed(AccountError):
    """The account has not confirmed its address (or is disabled), and what it asked for
    needs that."""


class NameTaken(AccountError):
    """Another account has this public name (names are public: saying so reveals nothing)."""


def check_name(name: str | None) -> str | None:
    """A public name: 2 to 40 letters, digits, '-' or '_', starting with a letter or digit;
    empty means none."""
    name = (name or "").strip()
    if not name:
        return None
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"{name[:60]!r} cannot be a name: use 2 to 40 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def password_matches(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the account's. The same work is done whether or not there is an
    account (or it has a password): without one, the password is checked against a hash made
    with the same parameters, so that the time a log-in takes does not tell which addresses
    have accounts."""
    own = account.password_hash if account is not None else None
    try:
        matches: bool = _hasher.verify(own or _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):
        matches = False
    return matches and own is not None


_stand_in: list[str] = []


def _stand_in_hash() -> str:
    """A hash of a random password with the hasher's parameters, made once per process."""
    if not _stand_in:
        _stand_in.append(_hasher.hash(secrets.token_urlsafe(32)))
    return _stand_in[0]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_account(
    store: Store,
    email: str,
    password: str | None,
    admin: bool = False,
    verified: bool = False,
    name: str | None = None,
) -> Account:
    """A new account, with an optional public name. The first account made ``verified`` (from
    the shell: its address vouched for by whoever runs the command) is an administrator; an
    account made by signing up never is (administrator rights need a confirmed address, and
    the first stranger to reach a new instance must not get them)."""
    email = parse_address(email)
    name = check_name(name)
    hashed = hash_password(password) if password is not None else None
    first = verified and store.community.count_accounts() == 0
    try:
        return store.community.create_account(email, hashed, verified, admin or first, name)
    except NameExists:
        raise NameTaken(f"the name {name!r} is taken: choose another") from None
    except AccountExists:
        raise AccountTaken(f"an account for {email} exists already") from None


def rename(store: Store, account: Account, name: str | None) -> Account:
    """Give the account a new public name (empty: none); `NameTaken` when another has it."""
    name = check_name(name)
    try:
        store.community.set_name(account.id, name)
    except NameExists:
        raise NameTaken(f"the name {name!r} is taken: choose another") from None
    renamed = store.community.account(account.id)
    assert renamed is not None
    return renamed


def proven_address(account: Account) -> str | None:
    """The address an account has proven it owns (confirmed), else None. Whatever is tied to
    an address (its digest subscription; libraries, ratings and comments to come) is reached
    through an account by this address only: an account made with a stranger's address
    reaches nothing of theirs."""
    return account.email if account.verified and account.active else None


def require_proven(account: Account, doing: str) -> Account:
    """``account``, when it has proven its address; `Unconfirmed` (saying what it was
    ``doing``) otherwise."""
    if proven_address(account) is None:
        raise Unconfirmed(f"confirm your e-mail address before {doing}")
    return account


def new_token(store: Store, account: Account, name: str = "api") -> tuple[str, Token]:
    """A new API token for the account: the token (shown once) and its record. An account
    makes tokens once its address is confirmed (a token made before would outlive the proof:
    whoever signed up with a stranger's address could keep it)."""
    require_proven(account, "making API tokens")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, store.community.add_token(account.id, token_hash(token), name[:100])


FEED_KEY_PREFIX = "lff_"


def new_feed_key(store: Store, account: Account) -> str:
    """A new secret key for the account's private feed (shown once: litfeed keeps its hash);
    the key it had before stops working."""
    require_proven(account, "making a private feed")
    key = FEED_KEY_PREFIX + secrets.token_urlsafe(32)
    store.library.set_feed_key(account.id, token_hash(key))
    return key


def account_of_feed_key(store: Store, key: str) -> Account | None:
    """The active, confirmed account whose private feed has this key."""
    if not key.startswith(FEED_KEY_PREFIX) or len(key) > 200:
        return None
    owner = store.library.feed_key_owner(token_hash(key))
    account = store.community.account(owner) if owner is not None else None
    if account is None or not account.active or proven_address(account) is None:
        return None
    return account


def account_of_token(store: Store, token: str) -> Account | None:
    """The active account a token belongs to; None for an unknown token or a disabled account."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    account = store.community.account_by_token(token_hash(token))
    return account if account is not None and account.active else None
