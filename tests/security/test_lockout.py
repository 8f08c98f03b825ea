"""Attack 5: anyone could lock a reader out: about 11 wrong passwords every 15 minutes, from
rotating network addresses, kept the limit closed against the right password too. Now a
device that has logged in to the account before keeps a signed device cookie and is judged on
its own failures only; unknown devices share the account's limit."""

from __future__ import annotations

import uuid

from tests.security.conftest import Site, log_in, log_in_by_form, new_network_address, sign_up


def _owner(site: Site) -> tuple[str, str]:
    password = "the owner's password"
    return site.add_account("owner", password), password


def test_rotating_addresses_cannot_lock_the_owner_out(site: Site) -> None:
    address, password = _owner(site)
    with site.browser() as owner:
        assert log_in(owner, address, password) == 200
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
                codes.append(log_in(attacker, address, f"guess number {n}"))
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}

        # An unknown device, even with the right password, shares the account's limit ...
        with site.browser() as stranger:
            answer = stranger.post("/api/auth/login", json={"email": address, "password": password})
            assert answer.status_code == 429 and "/reset" in answer.json()["error"]
        # ... a forged device cookie is an unknown device ...
        with site.browser() as forger:
            forger.cookies.set("litfeed_device", "W1sxLCJ4Il1d.forged.signature")
            assert log_in(forger, address, password) == 429
        # ... and so is a device known to another account (the attacker's own).
        mine, my_password = _owner(site)
        with site.browser() as attacker:
            assert log_in(attacker, mine, my_password) == 200
            assert log_in(attacker, address, password) == 429

        # The owner's device is judged on its own failures: the owner logs in.
        assert log_in(owner, address, password) == 200
        assert owner.get("/api/me").json()["email"] == address

        # A device has a limit of its own too: ten failures close it.
        owner.cookies.delete("litfeed_session")
        assert [log_in(owner, address, f"typo {n}") for n in range(10)] == [401] * 10
        assert log_in(owner, address, password) == 429


def test_the_form_log_in_keeps_the_device_and_the_limits_count_forwarded_addresses(
    site: Site,
) -> None:
    address, password = _owner(site)
    with site.browser() as owner:
        assert log_in_by_form(owner, address, password) == 303
        assert "litfeed_device" in owner.cookies
    # Five sign-ups an hour from one forwarded address; another address is another reader.
    shared = new_network_address()

    def signed_up(network: str) -> int:
        with site.browser(network) as client:
            return sign_up(client, f"reader-{uuid.uuid4().hex[:8]}@example.org")

    assert [signed_up(shared) for _ in range(6)] == [202] * 5 + [429]
    assert signed_up(new_network_address()) == 202

    # A mistyped form costs no attempt: only one that would send mail counts.
    with site.browser(new_network_address()) as typist:
        mistyped = [sign_up(typist, f"typist-{n}@example.org", "short") for n in range(6)]
        assert mistyped == [400] * 6
        bad = {"email": "typist@example.org", "sections": ["nonsense"]}
        assert [typist.post("/api/subscriptions", json=bad).status_code for _ in range(6)] == [
            400
        ] * 6
        assert sign_up(typist, "typist@example.org") == 202
        good = {**bad, "sections": ["daily"]}
        assert typist.post("/api/subscriptions", json=good).status_code == 202
