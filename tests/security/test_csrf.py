"""Attack 6: the CSRF token was not tied to the session: a `litfeed_csrf` cookie planted from a
sibling subdomain or over plain HTTP, with the same value in the form or `X-CSRF-Token`, was
accepted. Now the token is an HMAC of the session (or, logged out, of the pre-session cookie),
and a cookie-authenticated request that changes something is refused when `Origin` (or, without
one, `Sec-Fetch-Site`) names another site. Also: HEAD is answered wherever GET is."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import httpx2 as httpx

from litfeed.community.accounts import new_token
from tests.security.conftest import Site, csrf_in, log_in

PAPER = "t-8ec3a34c72e9"


@contextlib.contextmanager
def _logged_in(site: Site, address: str) -> Iterator[httpx.Client]:
    with site.browser() as client:
        assert log_in(client, address) == 200
        yield client


def test_a_planted_cookie_and_its_token_do_not_pass_for_the_victims_session(site: Site) -> None:
    victim = site.add_account()
    with site.browser() as attacker:
        # The attacker's own pre-session cookie and the token bound to it: a matching pair.
        page = attacker.get("/login")
        planted, token = attacker.cookies["litfeed_csrf"], csrf_in(page)
    with _logged_in(site, victim) as browser:
        browser.cookies.set("litfeed_csrf", planted)  # from a sibling subdomain, say
        forged = browser.post(f"/papers/{PAPER}/vote", data={"csrf": token, "next": "/"})
        assert forged.status_code == 403
        api = browser.post(f"/api/papers/{PAPER}/vote", headers={"X-CSRF-Token": token})
        assert api.status_code == 403
        # any value of the victim's own pre-session cookie fails the same way
        own = browser.post(
            f"/papers/{PAPER}/vote", data={"csrf": browser.cookies["litfeed_csrf"], "next": "/"}
        )
        assert own.status_code == 403
        # the session's own token, from litfeed's page, passes
        good = csrf_in(browser.get("/daily"))
        assert (
            browser.post(f"/papers/{PAPER}/vote", data={"csrf": good, "next": "/"}).status_code
            == 303
        )
        assert browser.get(f"/api/papers/{PAPER}").json()["paper"]["votes"] >= 1


def test_another_sites_request_is_refused_even_with_the_right_token(site: Site) -> None:
    reader = site.add_account()
    with _logged_in(site, reader) as browser:
        token = csrf_in(browser.get("/daily"))
        for headers in (
            {"Origin": "http://evil.example"},
            {"Origin": "http://sub.127.0.0.1.nip.io"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain
        ):
            form = browser.post(
                f"/papers/{PAPER}/vote", data={"csrf": token, "next": "/"}, headers=headers
            )
            assert form.status_code == 403 and "another site" in form.text, headers
            api = browser.post(
                f"/api/papers/{PAPER}/vote", headers={"X-CSRF-Token": token, **headers}
            )
            assert api.status_code == 403, headers
        same = browser.post(
            f"/papers/{PAPER}/vote",
            data={"csrf": token, "next": "/"},
            headers={"Origin": site.url, "Sec-Fetch-Site": "same-origin"},
        )
        assert same.status_code == 303
    # Logged out: the log-in form cannot be posted from elsewhere either (log-in CSRF).
    with site.browser() as visitor:
        page = visitor.get("/login")
        login = visitor.post(
            "/login",
            data={"email": reader, "password": "correct horse", "csrf": csrf_in(page)},
            headers={"Origin": "http://evil.example"},
        )
        assert login.status_code == 403 and "litfeed_session" not in visitor.cookies
    # An API token is not a cookie: another site's page cannot send it, so Origin is no matter.
    with site.hub() as hub:
        account = hub.store.community.account_by_email(reader)
        assert account is not None
        bearer = new_token(hub.store, account)[0]
    with site.browser() as script:
        voted = script.post(
            f"/api/papers/{PAPER}/vote",
            headers={"Authorization": f"Bearer {bearer}", "Origin": "http://tool.example"},
        )
        assert voted.status_code == 200


def _raw(site: Site, request: bytes) -> tuple[str, bytes]:
    host, port = site.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65_536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_head_is_answered_wherever_get_is(site: Site) -> None:
    paths = [
        "/",
        "/daily",
        "/trending",
        "/search?q=diffusion",
        f"/papers/{PAPER}",
        "/login",
        "/signup",
        "/subscribe",
        "/api/papers?limit=2",
        f"/api/papers/{PAPER}",
        "/api/trending",
        "/hf/api/daily_papers",
        "/feeds/daily.atom",
        "/opensearch.xml",
        "/openapi.json",
        "/docs",
        "/static/style.css",
        "/no/such/page",
    ]
    with site.browser() as client:
        for path in paths:
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code, path
            assert head.headers["content-type"] == got.headers["content-type"], path
            assert head.content == b"", path
            assert "x-content-type-options" in head.headers
    status, body = _raw(
        site, b"HEAD /daily HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert status.startswith("HTTP/1.1 200") and body == b""


def test_a_method_a_path_does_not_answer_is_a_405_naming_all_it_does(site: Site) -> None:
    """RFC 9110: a 405's Allow lists every method the path answers (HEAD with GET), not only
    the first route's."""
    with site.browser() as client:
        vote = client.request("OPTIONS", f"/api/papers/{PAPER}/vote")
        assert vote.status_code == 405
        assert {"POST", "DELETE"} <= set(vote.headers["allow"].split(", "))
        page = client.put("/daily")
        assert page.status_code == 405 and page.headers["allow"] == "GET, HEAD"
