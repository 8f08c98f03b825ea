"""Attack 1: an account made with a stranger's address reaches nothing tied to it. The
victim subscribes and confirms; the attacker signs up with the victim's address and a password
of their own, logs in, and tries every private route; the victim then takes the account over
with a reset link, which ends the attacker's session."""

from __future__ import annotations

import uuid

from tests.security.conftest import Site, csrf_in, link_in, log_in, sign_up

PASSWORD = "attacker's own password"


def _address(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.org"


def test_an_account_with_a_strangers_address_reaches_none_of_it(site: Site) -> None:
    victim = _address("victim")
    with site.browser() as reader:
        subscribed = reader.post(
            "/api/subscriptions",
            json={"email": victim, "sections": ["search:diffusion", "daily"], "mutes": ["secret"]},
        )
        assert subscribed.status_code == 202
        confirm = link_in(
            site.mail(victim, "Confirm your litfeed digest"), "/subscriptions/confirm/"
        )
        preferences = reader.post(confirm).headers["location"]
        assert reader.get(preferences).status_code == 200

    with site.browser() as attacker:
        assert sign_up(attacker, victim, PASSWORD) == 202
        verification = site.mail(victim, "Confirm your litfeed account")
        # A mail scanner (or the attacker, had they the link) opening it confirms nothing.
        assert attacker.get(link_in(verification, "/verify/")).status_code == 200
        login = attacker.post("/api/auth/login", json={"email": victim, "password": PASSWORD})
        assert login.status_code == 200 and login.json()["verified"] is False
        page = attacker.get("/account")
        assert page.status_code == 200
        for secret in (
            "/subscriptions/",
            "secret",
            "diffusion",
            "preferences",
            "/feeds/subscriptions/",
        ):
            assert secret not in page.text, secret
        csrf = csrf_in(page)
        header = {"X-CSRF-Token": csrf}
        refusals = {
            "token from the page": attacker.post(
                "/account", data={"action": "new-token", "csrf": csrf}
            ),
            "token from the API": attacker.post("/api/tokens", headers=header),
            "vote": attacker.post("/api/papers/t-8ec3a34c72e9/vote", headers=header),
            "vote from the page": attacker.post(
                "/papers/t-8ec3a34c72e9/vote", data={"csrf": csrf, "next": "/"}
            ),
            "submit": attacker.post(
                "/api/submissions", json={"paper": "2410.17243"}, headers=header
            ),
            "submit from the page": attacker.post(
                "/submit", data={"paper": "2410.17243", "csrf": csrf}
            ),
            "administration": attacker.get("/admin/accounts"),
            "hide a paper": attacker.post("/papers/t-8ec3a34c72e9/hide", data={"csrf": csrf}),
        }
        assert {name: answer.status_code for name, answer in refusals.items()} == dict.fromkeys(
            refusals, 403
        )
        assert "lf_" not in refusals["token from the page"].text
        # Subscribing the address from the account changes nothing of the victim's: it is a
        # stranger's request, answered as any other, and the owner is told.
        changed = attacker.post(
            "/subscribe",
            data={"email": victim, "sections": "trending", "mutes": "", "csrf": csrf},
        )
        assert changed.status_code == 200 and "Check your inbox" in changed.text
        site.mail(victim, "Your litfeed digest")
        with site.hub() as hub:
            subscriber = hub.store.delivery.subscriber_by_email(victim)
            assert subscriber is not None and subscriber.status == "confirmed"
            assert subscriber.mutes == ["secret"] and subscriber.account_id is None
            assert hub.store.community.tokens(hub.store.community.account_by_email(victim).id) == []  # type: ignore[union-attr]

    # The owner takes the account over by a reset link: the attacker's session and password end.
    with site.browser() as owner:
        page = owner.get("/reset")
        assert (
            owner.post("/reset", data={"email": victim, "csrf": csrf_in(page)}).status_code == 200
        )
        reset = link_in(site.mail(victim, "Set a new litfeed password"), "/reset/")
        form = owner.get(reset)
        done = owner.post(reset, data={"password": "the owner's password", "csrf": csrf_in(form)})
        assert done.status_code == 303
        assert "its preferences" in owner.get("/account").text  # the address is proven now
    with site.browser() as attacker_again:
        assert log_in(attacker_again, victim, PASSWORD) == 401
    assert attacker.cookies  # the old session cookie, kept by the attacker ...
    with site.browser() as replay:
        replay.cookies.update(attacker.cookies)
        assert replay.get("/api/me").status_code == 401  # ... no longer opens anything


def test_a_verification_link_confirms_only_by_its_button(site: Site) -> None:
    address = _address("ada")
    with site.browser() as browser:
        assert sign_up(browser, address) == 202
        link = link_in(site.mail(address, "Confirm your litfeed account"), "/verify/")
        for _ in range(3):
            assert browser.get(link).status_code == 200
            assert browser.head(link).status_code == 200
        with site.hub() as hub:
            assert not hub.store.community.account_by_email(address).verified  # type: ignore[union-attr]
        page = browser.get(link)
        assert f"Confirm {address}" in page.text
        assert browser.post(link, data={"csrf": csrf_in(page)}).status_code == 200
        with site.hub() as hub:
            assert hub.store.community.account_by_email(address).verified  # type: ignore[union-attr]
