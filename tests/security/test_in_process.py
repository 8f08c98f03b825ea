"""What is checked inside the process rather than over the network: the work a log-in does for
an unknown address (attack 4: the time it took told which addresses have accounts), cookies and
HSTS on an https site, and what a password reset ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message

import pytest
from fastapi.testclient import TestClient

from litfeed.community import accounts
from litfeed.community.accounts import add_account, new_token
from litfeed.community.auth import Auth
from litfeed.config import Settings
from litfeed.hub import Hub
from tests.conftest import csrf_of, mailed


class _Spy:
    """litfeed's password hasher, recording each hash a password is checked against (and
    checking it for real)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checked: list[str] = []
        self.real = accounts._hasher
        monkeypatch.setattr(accounts, "_hasher", self)

    def verify(self, hashed: str, password: str) -> bool:
        self.checked.append(hashed)
        return self.real.verify(hashed, password)

    def hash(self, password: str) -> str:
        return self.real.hash(password)


def _parameters(hashed: str) -> str:
    """The algorithm and its cost of an argon2 hash: ``$argon2id$v=19$m=65536,t=3,p=4``."""
    return "$".join(hashed.split("$")[:4])


def test_a_log_in_does_the_same_work_whether_or_not_the_address_has_an_account(
    site_hub: Hub, site_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    add_account(site_hub.store, "nopassword@example.org", None, verified=True)
    auth = Auth(site_hub.store, site_settings)
    spy = _Spy(monkeypatch)
    cases = {
        "known address, wrong password": "ada@example.org",
        "unknown address": "nobody@example.org",
        "account without a password": "nopassword@example.org",
        "not an address at all": "\r\nada@example.org",
    }
    for n, (case, address) in enumerate(cases.items()):
        before = len(spy.checked)
        assert auth.log_in(address, "wrong password", f"192.0.2.{n}") is None, case
        assert len(spy.checked) == before + 1, case  # one argon2 verification each
    known = spy.checked[0]
    assert {_parameters(hashed) for hashed in spy.checked} == {_parameters(known)}
    assert _parameters(known).startswith("$argon2id$")
    # the right password still works, through the same single check
    assert auth.log_in("ada@example.org", "correct horse", "192.0.2.9") is not None
    assert len(spy.checked) == len(cases) + 1


@pytest.fixture
def site_url() -> str:
    return "https://litfeed.example"


@pytest.fixture
def https_client(site_hub: Hub, site_client: TestClient) -> Iterator[TestClient]:
    yield site_client


def test_an_https_site_sets_host_cookies_and_hsts(https_client: TestClient, site_hub: Hub) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    page = https_client.get("/login")
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-litfeed_csrf=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    done = https_client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": "correct horse",
            "csrf": csrf_of(https_client),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    set_cookies = done.headers.get_list("set-cookie")
    names = sorted(value.split("=", 1)[0] for value in set_cookies)
    assert names == ["__Host-litfeed_device", "__Host-litfeed_session"]
    assert all("Secure" in value and "HttpOnly" in value for value in set_cookies)
    # the plain-named cookies an http page (or a sibling) could set are not read
    https_client.cookies.set("litfeed_session", https_client.cookies["__Host-litfeed_session"])
    del https_client.cookies["__Host-litfeed_session"]
    assert https_client.get("/api/me").status_code == 401
    # a refused host's answer carries HSTS too
    assert (
        "strict-transport-security"
        in https_client.get("/", headers={"Host": "elsewhere.example"}).headers
    )


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_reset_ends_the_tokens_unless_kept_and_always_an_unconfirmed_accounts(
    https_client: TestClient, site_hub: Hub, site_settings: Settings
) -> None:
    community = site_hub.store.community
    ada = add_account(site_hub.store, "ada@example.org", "old password", verified=True)
    eve = add_account(site_hub.store, "eve@example.org", "old password")
    new_token(site_hub.store, ada, "script")
    community.add_token(eve.id, "0" * 64, "made before it was proven")  # as an older litfeed could
    for address in ("ada@example.org", "eve@example.org"):
        https_client.post(
            "/reset", data={"email": address, "csrf": csrf_of(https_client, "/reset")}
        )
    links = {
        str(m["To"]): re.search(r"https://litfeed\.example(/reset/\S+)", _body(m))
        for m in mailed(site_hub.store, site_settings)
    }
    for address, account in (("ada@example.org", ada), ("eve@example.org", eve)):
        found = links[address]
        assert found is not None
        https_client.cookies.clear()
        form = csrf_of(https_client, found.group(1))
        answer = https_client.post(
            found.group(1),
            data={"password": "a new password", "csrf": form, "keep_tokens": "1"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        kept = [token.name for token in community.tokens(account.id)]
        assert kept == (["script"] if account is ada else [])
    assert community.account(eve.id).verified  # type: ignore[union-attr]  # the link proved it
