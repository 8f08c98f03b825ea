"""Signing up, verifying an address, logging in and out, resetting a password: the flows the
web pages and the JSON API share. Answers never tell whether an address has an account (no
enumeration): sign-up and reset say the same in both cases and mail the address instead.

Links in mail carry tokens signed with the database's key (itsdangerous), which expire; a reset
link also names the password it replaces, so it works once. Session cookies carry a random
token, signed; the database keeps its SHA-256 and when it expires.

Guessing passwords is limited without letting a stranger lock the owner out (OWASP's "device
cookies"): a device that has logged in to an account keeps a signed cookie naming it, and is
judged on its own failed attempts only; every other device shares the account's limit (and
its network address's). Only failures count: an attempt takes its place under the limits
before the password is checked and gives it back when the password was right.

CSRF tokens are HMACs of the session they serve (or, before log-in, of a random pre-session
cookie), so a token planted with a cookie from elsewhere matches nobody else's session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from litfeed.addresses import AddressError, key_of, parse_address
from litfeed.community.accounts import (
    AccountError,
    AccountTaken,
    add_account,
    check_name,
    check_password,
    hash_password,
    password_matches,
)
from litfeed.config import Settings
from litfeed.mail import queue_mail
from litfeed.store import Account, Store

VERIFY_DAYS = 3
RESET_HOURS = 2
DEVICE_DAYS = 365
DEVICES_KEPT = 5  # accounts a device cookie remembers (a shared computer)


class Throttled(AccountError):
    """Too many attempts from one address or for one account; try again later."""


@dataclass(frozen=True)
class Limit:
    events: int
    window: timedelta


# Per account (or e-mail address) and per network address.
LIMITS = {
    "signup": Limit(5, timedelta(hours=1)),
    # failed log-ins: per account from devices it was never used on, and per network address
    "login": Limit(10, timedelta(minutes=15)),
    # failed log-ins of one device that has logged in to the account before
    "login-device": Limit(10, timedelta(minutes=15)),
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
        self._devices = URLSafeTimedSerializer(key, salt="litfeed-device")
        self._csrf_key = hashlib.sha256(("litfeed-csrf:" + key).encode()).digest()

    # -- limits --------------------------------------------------------------------------------

    def limit(self, action: str, *keys: str) -> None:
        """Count one ``action`` for each key (an address, an account); `Throttled` past the
        limit of any."""
        rule = LIMITS[action]
        allowed = [
            self.store.community.hit(_limit_key(action, key), rule.window, rule.events)
            for key in keys
        ]
        if not all(allowed):
            raise Throttled(f"too many attempts; try again in {_minutes(rule)} minutes")

    # -- sign-up and verification --------------------------------------------------------------

    def sign_up(self, email: str, password: str, name: str | None, network_address: str) -> None:
        """Make an unverified account (with an optional public name) and mail its
        verification link; for an address that has an account already, mail it a note
        instead. The caller answers the same. A name taken is said (`NameTaken`): names are
        public. `AddressError` for what is not an address. What was typed is checked before
        the attempt counts against the sign-up limits (the address's and ``network_address``'s):
        a mistyped form costs none, only one that would send mail does."""
        email = parse_address(email)
        check_password(password)
        check_name(name)
        self.limit("signup", network_address, key_of(email))
        try:
            account = add_account(self.store, email, password, name=name)
        except AccountTaken:
            existing = self.store.community.account_by_email(email)
            self._mail(
                existing.email if existing else email,
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

    def account_of_verification(self, token: str) -> Account | None:
        """The active account a verification link names, when the link works."""
        data = self._read(token, timedelta(days=VERIFY_DAYS))
        if not isinstance(data, dict) or not isinstance(data.get("verify"), int):
            return None
        account = self.store.community.account(data["verify"])
        return account if account is not None and account.active else None

    def verify(self, token: str) -> Account | None:
        """Confirm the address a verification link names (by a button on the page the link
        opens: a mail scanner that opens every link confirms nothing, and whoever signed up
        with a stranger's address does not get it confirmed that way)."""
        account = self.account_of_verification(token)
        if account is None:
            return None
        self.store.community.set_verified(account.id)
        return self.store.community.account(account.id)

    # -- logging in ----------------------------------------------------------------------------

    def log_in(
        self, email: str, password: str, network_address: str, device: str | None = None
    ) -> LoggedIn | None:
        """The account and its new device cookie when the address and password match an active
        account; None otherwise. `Throttled` past the limits: a device whose cookie names the
        account counts its own failures; any other shares the account's and its network
        address's. The same work is done for an address without an account."""
        try:
            key = key_of(email)
            account = self.store.community.account_by_email(key)
        except AddressError:
            # Nobody's address: counted as typed, then the same work as for an unknown one.
            key, account = " ".join(email.split()).lower()[:200], None
        remembered = self._remembered(device)
        nonce = remembered.get(account.id) if account is not None else None
        rule = LIMITS["login-device" if nonce else "login"]
        keys = (
            [_limit_key("login-device", nonce)]
            if nonce
            else [_limit_key("login", key), _limit_key("login", f"address {network_address}")]
        )
        allowed = [self.store.community.hit(k, rule.window, rule.events) for k in keys]
        if not all(allowed):
            raise Throttled(
                f"too many failed log-ins; try again in {_minutes(rule)} minutes"
                + (
                    ""
                    if nonce
                    else ", from a device you have logged in from before, or set a "
                    "new password at /reset"
                )
            )
        if not password_matches(account, password) or account is None or not account.active:
            return None
        for counted in keys:
            self.store.community.forgive(counted)
        return LoggedIn(account, self.device_cookie(account, device))

    def device_cookie(self, account: Account, device: str | None = None) -> str:
        """The value of a device cookie that names ``account`` (with a new nonce) beside the
        accounts ``device`` named, the newest DEVICES_KEPT."""
        kept = [
            [account_id, nonce]
            for account_id, nonce in self._remembered(device).items()
            if account_id != account.id
        ]
        return self._devices.dumps([[account.id, secrets.token_urlsafe(16)], *kept][:DEVICES_KEPT])

    def _remembered(self, device: str | None) -> dict[int, str]:
        """The accounts (and their nonces) a whole, unexpired device cookie names."""
        if not device or len(device) > 2000:
            return {}
        try:
            data = self._devices.loads(device, max_age=DEVICE_DAYS * 86400)
        except (BadSignature, SignatureExpired):
            return {}
        if not isinstance(data, list):
            return {}
        return {
            entry[0]: entry[1]
            for entry in data
            if isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], int)
            and isinstance(entry[1], str)
        }

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

    # -- CSRF tokens -----------------------------------------------------------------------------

    def csrf_token(self, binding: str) -> str:
        """The CSRF token of ``binding``: the session cookie of a logged-in visitor, else the
        visitor's random pre-session value (the web layer chooses)."""
        return hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).hexdigest()

    # -- resetting a password ------------------------------------------------------------------

    def request_reset(self, email: str) -> None:
        """Mail a reset link when the address has an active account; nothing otherwise (the
        caller answers the same). `AddressError` for what is not an address."""
        account = self.store.community.account_by_email(parse_address(email))
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

    def reset(self, token: str, password: str, keep_tokens: bool = False) -> Account | None:
        """Set the new password, ending every session and, unless ``keep_tokens``, every API
        token (always those of an account whose address was not confirmed: whoever made them
        had not proven it). None for a link that does not work."""
        account = self.account_of_reset(token)
        if account is None:
            return None
        self.store.community.set_password_hash(account.id, hash_password(password))
        if not (keep_tokens and account.verified):
            self.store.community.delete_tokens(account.id)
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


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    device: str  # the device cookie's new value


def _limit_key(action: str, key: str) -> str:
    return f"{action}:{key}"[:255]


def _minutes(rule: Limit) -> int:
    return max(1, int(rule.window.total_seconds() // 60))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint(account: Account) -> str:
    return hashlib.sha256((account.password_hash or "none").encode()).hexdigest()[:16]
