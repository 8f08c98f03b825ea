"""Attacks on what readers write (issue 27), as an attacker works: raw HTTP against a running
server and worker, rotating network addresses, forged forms, hostile bytes in every field a
stranger can fill, and an account suspended while its session, token and mail links live."""

from __future__ import annotations

import uuid

import httpx2 as httpx
import pytest

from litfeed.community.accounts import new_token
from tests.security.conftest import Site, csrf_in, link_in, log_in, new_network_address

PAPER = "t-8ec3a34c72e9"


def _token(site: Site, address: str) -> str:
    with site.hub() as hub:
        account = hub.store.community.account_by_email(address)
        assert account is not None
        return new_token(hub.store, account)[0]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Forwarded-For": new_network_address()}


def test_every_form_refuses_a_forged_request(site: Site) -> None:
    writer = site.add_account("writer")
    with site.browser() as browser:
        assert log_in(browser, writer) == 200
        token = csrf_in(browser.get(f"/papers/{PAPER}"))
        made = browser.post(f"/papers/{PAPER}/comments", data={"body": "mine", "csrf": token})
        assert made.status_code == 303, made.text
        comment = made.headers["location"].rsplit("#c", 1)[1]
        shelf = browser.post("/collections", data={"name": "mine", "public": "1", "csrf": token})
        key = shelf.headers["location"].rsplit("/", 1)[1]
        forms = [
            (f"/papers/{PAPER}/comments", {"body": "forged"}),
            (f"/comments/{comment}/edit", {"body": "forged"}),
            (f"/comments/{comment}/delete", {}),
            (f"/comments/{comment}/vote", {}),
            (f"/comments/{comment}/report", {"reason": "forged"}),
            (f"/comments/{comment}/hide", {}),
            ("/collections", {"name": "forged"}),
            ("/collections/add", {"collection": key, "paper": PAPER}),
            (f"/collections/{key}/edit", {"name": "forged"}),
            (f"/collections/{key}/remove", {"paper": PAPER}),
            (f"/collections/{key}/follow", {}),
            (f"/collections/{key}/delete", {}),
            ("/notifications/feed", {}),
            ("/authors-claim", {"name": "Ben Poole"}),
            ("/admin/comments/1/dismiss", {}),
            ("/admin/accounts/1/suspend", {}),
            ("/admin/claims/1/verify", {}),
            ("/topics/follow", {"topic": "1"}),
            ("/topics/1/follow", {}),
        ]
        for path, fields in forms:
            for csrf in ("", "forged", token + "x"):
                answer = browser.post(path, data={**fields, "csrf": csrf})
                assert answer.status_code == 403, (path, csrf, answer.status_code)
            # the right token from another site's page
            other = browser.post(
                path, data={**fields, "csrf": token}, headers={"Origin": "https://evil.example"}
            )
            assert other.status_code == 403, path
        assert "forged" not in browser.get(f"/api/papers/{PAPER}/comments").text


def test_rotating_addresses_do_not_escape_an_accounts_limit(site: Site) -> None:
    writer = site.add_account("spammer")  # made today: two comments a minute
    token = _token(site, writer)
    answers = [
        httpx.post(
            f"{site.url}/api/papers/{PAPER}/comments",
            json={"body": f"spam {n}"},
            headers=_bearer(token),  # a new network address each time
            timeout=30,
        ).status_code
        for n in range(4)
    ]
    assert answers == [201, 201, 429, 429]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"/api/papers/{PAPER}/comments", {"body": "a\x00b"}),
        ("POST", f"/api/papers/{PAPER}/comments", {"body": "x", "parent": 2**63}),
        ("POST", f"/api/papers/{PAPER}/comments", {"body": "x", "parent": "1; DROP TABLE"}),
        ("POST", f"/api/papers/{PAPER}/comments", '{"body": "\\ud800 half a pair"}'),
        ("POST", f"/api/papers/{PAPER}/comments", '{"body": "unclosed'),
        ("POST", f"/api/papers/{PAPER}/comments", b'{"body": "\xff\xfe"}'),
        ("POST", f"/api/papers/{PAPER}/comments", {"body": ["a"]}),
        ("POST", f"/api/papers/{PAPER}/comments", {"body": "x" * 30_000}),
        ("PATCH", "/api/comments/999999999999", {"body": "x"}),
        ("POST", "/api/comments/-1/report", {"reason": "\x00"}),
        ("POST", "/api/collections", {"name": "\u202e\x00"}),
        ("POST", "/api/collections", {"name": "x" * 500}),
        ("POST", "/api/collections/%00/papers", {"id": "\x00"}),
        ("GET", "/api/papers/%00/comments?sort=evil", None),
        ("GET", "/api/authors/%00", None),
        ("GET", "/api/authors/" + "a" * 5000, None),
        ("GET", "/authors/%F0%9F%92%A9%20%E2%80%AE", None),
        ("GET", "/collections/<script>", None),
        ("GET", "/users/..%2F..%2Fetc", None),
        ("GET", "/feeds/notifications/%00.atom", None),
        # numbers past every integer column (these once reached the database: 500)
        ("DELETE", f"/api/tokens/{10**20}", None),
        ("GET", f"/api/submissions/{10**20}", None),
        ("PATCH", f"/api/library/outside/{10**20}", {"note": "x"}),
        ("GET", f"/api/comments/{10**20}", None),
        # the topic map's (issue 28)
        ("GET", f"/api/topics/{10**20}", None),
        ("GET", "/api/topics/%00", None),
        ("GET", "/api/rising?level=7&limit=100000", None),
        ("GET", f"/feeds/topics/{10**20}.atom", None),
        ("GET", "/feeds/topics/%F0%9F%92%A9.atom", None),
        ("PUT", f"/api/interests/follow-topic/{10**20}", None),
        ("PUT", "/api/interests/follow-topic/%00", None),
        ("PUT", "/api/interests/follow-topic/" + "9" * 5000, None),
    ],
)
def test_hostile_bytes_get_a_clear_answer_never_a_crash(
    site: Site, method: str, path: str, body: object
) -> None:
    token = _token(site, site.add_account("hostile"))
    headers = _bearer(token)
    if isinstance(body, (str, bytes)):  # raw bytes on the wire, as no JSON library writes them
        raw = body.encode() if isinstance(body, str) else body
        headers["Content-Type"] = "application/json"
        answer = httpx.request(
            method, f"{site.url}{path}", content=raw, headers=headers, timeout=30
        )
    else:
        answer = httpx.request(method, f"{site.url}{path}", json=body, headers=headers, timeout=30)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text
    if answer.headers.get("content-type", "").startswith("application/json"):
        assert "error" in answer.json() or "detail" in answer.json()


def test_a_suspended_account_is_locked_out_everywhere(site: Site) -> None:
    victim_password = "correct horse"
    writer = site.add_account("suspended", victim_password)
    token = _token(site, writer)
    with site.browser() as browser:
        assert log_in(browser, writer) == 200
        csrf = csrf_in(browser.get(f"/papers/{PAPER}"))
        assert (
            browser.post(
                f"/papers/{PAPER}/comments", data={"body": "before", "csrf": csrf}
            ).status_code
            == 303
        )
        # a reset link asked for before the suspension
        with site.browser() as owner:
            form = owner.get("/reset")
            owner.post("/reset", data={"email": writer, "csrf": csrf_in(form)})
        reset = link_in(site.mail(writer, "Set a new litfeed password"), "/reset/")
        done = site.litfeed("users", "suspend", writer, "--why", "test")
        assert done.returncode == 0, done.stderr
        # the live session writes nothing
        after = browser.post(f"/papers/{PAPER}/comments", data={"body": "after", "csrf": csrf})
        assert (
            after.status_code in (303, 403)
            and "after" not in browser.get(f"/api/papers/{PAPER}/comments").text
        )
        assert browser.get("/api/me").status_code == 401
    # the token writes nothing
    api = httpx.post(
        f"{site.url}/api/papers/{PAPER}/comments", json={"body": "api"}, headers=_bearer(token)
    )
    assert api.status_code == 401
    # logging in again, or through the reset link, fails
    with site.browser() as browser:
        assert log_in(browser, writer) in (400, 401, 403)
        page = browser.get(reset)
        if page.status_code == 200 and 'name="csrf"' in page.text:
            answer = browser.post(
                reset,
                data={"password": "another long one", "csrf": csrf_in(page)},
            )
            assert browser.get("/api/me").status_code == 401, answer.status_code
    # lifted: all of it comes back
    assert site.litfeed("users", "suspend", writer, "--lift").returncode == 0
    with site.browser() as browser:
        assert log_in(browser, writer) == 200


def test_a_comment_cannot_be_read_through_the_api_once_hidden(site: Site) -> None:
    writer = site.add_account(f"w{uuid.uuid4().hex[:4]}")
    token = _token(site, writer)
    made = httpx.post(
        f"{site.url}/api/papers/{PAPER}/comments", json={"body": "to hide"}, headers=_bearer(token)
    )
    assert made.status_code == 201
    comment = made.json()["id"]
    with site.hub() as hub:
        admin = hub.store.community.list_accounts()[0]
        assert admin.administrator
        hub.store.discussion.set_hidden(comment, True, admin.id, "test")
    assert httpx.get(f"{site.url}/api/comments/{comment}").status_code == 404
    thread = httpx.get(f"{site.url}/api/papers/{PAPER}/comments").text
    assert "to hide" not in thread
