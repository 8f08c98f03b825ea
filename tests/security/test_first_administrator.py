"""Attack 3: on a new instance, the first web sign-up used to become an administrator without
confirming its address. Web sign-ups never become administrators now, and administrator
rights need a confirmed address; the first administrator is made from the shell."""

from __future__ import annotations

from tests.security.conftest import Site, csrf_in, link_in, log_in, log_in_by_form


def test_the_first_sign_up_of_a_new_instance_is_no_administrator(site: Site) -> None:
    with site.hub() as hub:
        assert hub.store.community.count_accounts() == 0  # the first account of the instance
    with site.browser() as stranger:
        page = stranger.get("/signup")
        signed = stranger.post(
            "/signup",
            data={"email": "first@example.org", "password": "correct horse", "csrf": csrf_in(page)},
        )
        assert signed.status_code == 200
        assert log_in(stranger, "first@example.org") == 200
        assert stranger.get("/admin/accounts").status_code == 403
        assert stranger.get("/api/me").json()["admin"] is False
        # confirming the address does not make it one either
        link = link_in(site.mail("first@example.org", "Confirm your litfeed account"), "/verify/")
        confirm = stranger.get(link)
        assert stranger.post(link, data={"csrf": csrf_in(confirm)}).status_code == 200
        assert stranger.get("/admin/accounts").status_code == 403
        page = stranger.get("/papers/t-8ec3a34c72e9")
        assert "Hide this paper" not in page.text
        hidden = stranger.post("/papers/t-8ec3a34c72e9/hide", data={"csrf": csrf_in(page)})
        assert hidden.status_code == 403

    # An administrator made from the shell, whose address is not confirmed, has no rights ...
    made = site.litfeed("users", "admin", "first@example.org")
    assert made.returncode == 0 and "is an administrator" in made.stdout
    with site.hub() as hub:
        unconfirmed = hub.store.community.create_account(
            "boss@example.org", None, verified=False, admin=True
        )
        assert unconfirmed.is_admin and not unconfirmed.administrator
    # ... and the shell's `users add --admin` makes a confirmed one.
    added = site.litfeed(
        "users", "add", "root@example.org", "--admin", "--password-stdin", stdin="correct horse\n"
    )
    assert added.returncode == 0 and "added administrator root@example.org" in added.stdout
    with site.browser() as root:
        assert log_in_by_form(root, "root@example.org") == 303
        accounts = root.get("/admin/accounts")
        assert accounts.status_code == 200 and "first@example.org" in accounts.text
    with site.browser() as stranger:
        assert log_in_by_form(stranger, "first@example.org") == 303
        assert stranger.get("/admin/accounts").status_code == 200  # confirmed and made one
