"""Signing up, verifying an address, logging in and out, resetting a password: the flows the
web pages and the JSON API share. Answers never tell whether an address has an account (no
enumeration): sign-up and reset say the same in both cases and mail the address instead.

Links in mail carry tokens signed with the database's key (itsdangerous), which expire; a reset
link also names the password it replaces, so it works once. Session cookies carry a random
token, signed; the database keeps its SHA-256 and when it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from litfeed.community.accounts import (
    AccountError,
    AccountTaken,
    add_account,
    hash_password,
    password_matches,
)
from litfeed.config import Settings
from litfeed.delivery.mail import queue_mail
from litfeed.store import Account, Store

VERIFY_DAYS = 3
RESET_HOURS = 2


class Throttled(AccountError):
    """Too many attempts from one address or for one account; try again later."""


@dataclass(frozen=True)
class Limit:
    events: int
    window: timedelta


# Per account (or e-mail address) and per network address.
LIMITS = {
    "signup": Limit(5, timedelta(hours=1)),
    "login": Limit(10, timedelta(minutes=15)),
    "reset": Limit(5, timedelta(hours=1)),
    # per account; per network address, many readers may share one (a campus, a proxy)
    "vote": Limit(120, timedelta(minutes=1)),
    "submit": Limit(30, timedelta(hours=1)),
    "subscribe": Limit(5, timedelta(hours=1)),
}


class Auth:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        key = store.community.signing_key()
        self._links = URLSafeTimedSerializer(key, salt="litfeed-links")
        self._cookies = URLSafeTimedSerializer(key, salt="litfeed-session")

    # -- limits --------------------------------------------------------------------------------

    def limit(self, action: str, *keys: str) -> None:
        """Count one ``action`` for each key (an address, an account); `Throttled` past the
        limit of any."""
        rule = LIMITS[action]
        allowed = [
            self.store.community.hit(f"{action}:{key}"[:255], rule.window, rule.events)
            for key in keys
        ]
        if not all(allowed):
            minutes = max(1, int(rule.window.total_seconds() // 60))
            raise Throttled(f"too many attempts; try again in {minutes} minutes")

    # -- sign-up and verification --------------------------------------------------------------

    def sign_up(self, email: str, password: str, name: str | None = None) -> None:
        """Make an unverified account (with an optional public name) and mail its
        verification link; for an address that has an account already, mail it a note
        instead. The caller answers the same. A name taken is said (`NameTaken`): names are
        public."""
        try:
            account = add_account(self.store, email, password, name=name)
        except AccountTaken:
            self._mail(
                email,
                "Your litfeed account",
                "Someone (you?) tried to sign up for litfeed with this address, which has an "
                f"account already. Log in at {self._url('/login')}, or set a new password at "
                f"{self._url('/reset')}.\n",
            )
            return
        self.send_verification(account)

    def send_verification(self, account: Account) -> None:
        token = self._links.dumps({"verify": account.id})
        self._mail(
            account.email,
            "Confirm your litfeed account",
            f"Open this link to confirm your address and start voting:\n\n"
            f"{self._url('/verify/' + token)}\n\nIt works for {VERIFY_DAYS} days. If you did "
            "not sign up, ignore this message.\n",
        )

    def verify(self, token: str) -> Account | None:
        data = self._read(token, timedelta(days=VERIFY_DAYS))
        if not isinstance(data, dict) or not isinstance(data.get("verify"), int):
            return None
        account = self.store.community.account(data["verify"])
        if account is None or not account.active:
            return None
        self.store.community.set_verified(account.id)
        return self.store.community.account(account.id)

    # -- logging in ----------------------------------------------------------------------------

    def log_in(self, email: str, password: str) -> Account | None:
        """The account, when the address and password match an active one."""
        account = self.store.community.account_by_email(email)
        if account is None or not account.active or not password_matches(account, password):
            return None
        return account

    def start_session(self, account: Account) -> str:
        """A new session; the value of its cookie."""
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(days=self.settings.session_days)
        self.store.community.start_session(_hash(token), account.id, expires)
        return self._cookies.dumps(token)

    def account_of_cookie(self, cookie: str | None) -> Account | None:
        token = self._token_of(cookie)
        if token is None:
            return None
        account = self.store.community.account_of_session(_hash(token))
        return account if account is not None and account.active else None

    def end_session(self, cookie: str | None) -> None:
        token = self._token_of(cookie)
        if token is not None:
            self.store.community.end_session(_hash(token))

    # -- resetting a password ------------------------------------------------------------------

    def request_reset(self, email: str) -> None:
        """Mail a reset link when the address has an active account; nothing otherwise (the
        caller answers the same)."""
        account = self.store.community.account_by_email(email)
        if account is None or not account.active:
            return
        token = self._links.dumps({"reset": account.id, "was": _fingerprint(account)})
        self._mail(
            account.email,
            "Set a new litfeed password",
            f"Open this link to set a new password:\n\n{self._url('/reset/' + token)}\n\n"
            f"It works for {RESET_HOURS} hours, once. If you did not ask for it, ignore this "
            "message: your password stays as it is.\n",
        )

    def account_of_reset(self, token: str) -> Account | None:
        data = self._read(token, timedelta(hours=RESET_HOURS))
        if not isinstance(data, dict) or not isinstance(data.get("reset"), int):
            return None
        account = self.store.community.account(data["reset"])
        if account is None or not account.active or data.get("was") != _fingerprint(account):
            return None  # used already (the password changed), or never valid
        return account

    def reset(self, token: str, password: str) -> Account | None:
        """Set the new password (ending every session); None for a link that does not work."""
        account = self.account_of_reset(token)
        if account is None:
            return None
        self.store.community.set_password_hash(account.id, hash_password(password))
        # Opening the link proved the address.
        self.store.community.set_verified(account.id)
        return self.store.community.account(account.id)

    # -- helpers -------------------------------------------------------------------------------

    def _read(self, token: str, max_age: timedelta) -> object:
        try:
            return self._links.loads(token, max_age=int(max_age.total_seconds()))
        except (BadSignature, SignatureExpired):
            return None

    def _token_of(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 500:
            return None
        try:
            token = self._cookies.loads(cookie, max_age=self.settings.session_days * 86400)
        except (BadSignature, SignatureExpired):
            return None
        return token if isinstance(token, str) else None

    def _url(self, path: str) -> str:
        return self.settings.public_url + path

    def _mail(self, to: str, subject: str, text: str) -> None:
        queue_mail(self.store, self.settings, to, subject, text)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint(account: Account) -> str:
    return hashlib.sha256((account.password_hash or "none").encode()).hexdigest()[:16]
