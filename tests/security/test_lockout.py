"""Attack 5: anyone could lock a reader out: about 11 wrong passwords every 15 minutes, from
rotating network addresses, kept the limit closed against the right password too. Now a
device that has logged in to the account before keeps a signed device cookie and is judged on
its own failures only; unknown devices share the account's limit."""

from __future__ import annotations

import uuid

import httpx2 as httpx

from tests.security.conftest import Site, csrf_in, new_network_address


def _owner(site: Site) -> tuple[str, str]:
    address, password = f"owner-{uuid.uuid4().hex[:8]}@example.org", "the owner's password"
    added = site.litfeed("users", "add", address, "--password-stdin", stdin=password + "\n")
    assert added.returncode == 0, added.stderr
    return address, password


def _log_in(client: httpx.Client, address: str, password: str) -> int:
    answer = client.post("/api/auth/login", json={"email": address, "password": password})
    return int(answer.status_code)


def test_rotating_addresses_cannot_lock_the_owner_out(site: Site) -> None:
    address, password = _owner(site)
    with site.browser() as owner:
        assert _log_in(owner, address, password) == 200
        device = {name: value for name, value in owner.cookies.items() if "device" in name}
        assert list(device) == ["litfeed_device"]
        owner.post(
            "/api/auth/logout",
            headers={"X-CSRF-Token": owner.get("/api/auth/csrf").json()["token"]},
        )
        assert owner.get("/api/me").status_code == 401

        # The attacker guesses from a new network address each time.
        codes = []
        for n in range(25):
            with site.browser(new_network_address()) as attacker:
                codes.append(_log_in(attacker, address, f"guess number {n}"))
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}

        # An unknown device, even with the right password, shares the account's limit ...
        with site.browser() as stranger:
            answer = stranger.post("/api/auth/login", json={"email": address, "password": password})
            assert answer.status_code == 429 and "/reset" in answer.json()["error"]
        # ... a forged device cookie is an unknown device ...
        with site.browser() as forger:
            forger.cookies.set("litfeed_device", "W1sxLCJ4Il1d.forged.signature")
            assert _log_in(forger, address, password) == 429
        # ... and so is a device known to another account (the attacker's own).
        mine, my_password = _owner(site)
        with site.browser() as attacker:
            assert _log_in(attacker, mine, my_password) == 200
            assert _log_in(attacker, address, password) == 429

        # The owner's device is judged on its own failures: the owner logs in.
        assert _log_in(owner, address, password) == 200
        assert owner.get("/api/me").json()["email"] == address

        # A device has a limit of its own too: ten failures close it.
        owner.cookies.delete("litfeed_session")
        assert [_log_in(owner, address, f"typo {n}") for n in range(10)] == [401] * 10
        assert _log_in(owner, address, password) == 429


def test_the_form_log_in_keeps_the_device_and_the_limits_count_forwarded_addresses(
    site: Site,
) -> None:
    address, password = _owner(site)
    with site.browser() as owner:
        page = owner.get("/login")
        done = owner.post(
            "/login", data={"email": address, "password": password, "csrf": csrf_in(page)}
        )
        assert done.status_code == 303 and "litfeed_device" in owner.cookies
    # Five sign-ups an hour from one forwarded address; another address is another reader.
    shared = new_network_address()

    def sign_up(n: int, network: str) -> int:
        with site.browser(network) as client:
            body = {"email": f"reader{n}-{uuid.uuid4().hex[:6]}@example.org", "password": "pw" * 5}
            return int(client.post("/api/auth/signup", json=body).status_code)

    assert [sign_up(n, shared) for n in range(6)] == [202] * 5 + [429]
    assert sign_up(6, new_network_address()) == 202
