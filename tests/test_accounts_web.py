"""Accounts on the web pages: sign-up → verify → log in → vote, password reset, CSRF, no
account enumeration, throttled log-in; mail through the outbox directory and a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

import email
import re
import threading
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from litfeed.community.accounts import add_account, new_token
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.mail import deliver_due, queue_mail
from litfeed.web import create_app
from tests.conftest import csrf_of, log_in, mailed
from tests.postgres import free_port

PAPER = "t-8ec3a34c72e9"


def _link(message: Message, path: str) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rf"http://localhost({path}/\S+)", body.decode())
    assert found is not None, body
    return found.group(1)


def test_sign_up_verify_log_in_and_vote(
    site_hub: Hub, site_client: TestClient, site_settings: Settings
) -> None:
    csrf = csrf_of(site_client, "/signup")
    answer = site_client.post(
        "/signup", data={"email": "ada@example.org", "password": "correct horse", "csrf": csrf}
    )
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    [verification] = mailed(site_hub.store, site_settings)
    assert verification["To"] == "ada@example.org"
    assert verification["Subject"] == "Confirm your litfeed account"
    link = _link(verification, "/verify")
    # log in before verifying: a vote is refused until the address is confirmed
    csrf = log_in(site_client, "ADA@example.org")
    assert "Confirm your address" in site_client.get("/daily").text
    refused = site_client.post(f"/papers/{PAPER}/vote", data={"csrf": csrf, "next": "/daily"})
    assert refused.status_code == 403 and "verify your e-mail address" in refused.text
    # the link opens a page whose button confirms (a mail scanner opening it confirms nothing)
    assert "Confirm ada@example.org" in site_client.get(link).text
    assert site_hub.store.community.account_by_email("ada@example.org").verified is False  # type: ignore[union-attr]
    assert "is confirmed: you can vote" in site_client.post(link, data={"csrf": csrf}).text
    voted = site_client.post(
        f"/papers/{PAPER}/vote", data={"csrf": csrf, "next": "/daily"}, follow_redirects=False
    )
    assert voted.status_code == 303 and voted.headers["location"] == "/daily"
    assert site_hub.get_paper(PAPER).votes == 1  # type: ignore[union-attr]
    page = site_client.get("/daily").text
    assert 'class="vote voted" aria-pressed="true"' in page
    site_client.post(f"/papers/{PAPER}/vote", data={"csrf": csrf, "next": "/daily"})  # toggles off
    assert site_hub.get_paper(PAPER).votes == 0  # type: ignore[union-attr]
    # log out: the session ends on the server, not only in the browser
    session = site_client.cookies.get("litfeed_session")
    site_client.post("/logout", data={"csrf": csrf})
    assert "Log in" in site_client.get("/").text
    site_client.cookies.set("litfeed_session", session or "")
    assert "ada@example.org" not in site_client.get("/").text


def test_a_form_without_its_csrf_token_is_refused(site_hub: Hub, site_client: TestClient) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    csrf = log_in(site_client, "ada@example.org")
    for data in ({"next": "/"}, {"csrf": "forged-token-of-the-right-length", "next": "/"}):
        refused = site_client.post(f"/papers/{PAPER}/vote", data=data)
        assert refused.status_code == 403
    assert site_hub.get_paper(PAPER).votes == 0  # type: ignore[union-attr]
    # the session cookie alone does not let a script change anything through the API either
    assert site_client.post(f"/api/papers/{PAPER}/vote").status_code == 403
    headers = {"X-CSRF-Token": csrf}
    assert site_client.post(f"/api/papers/{PAPER}/vote", headers=headers).json()["upvotes"] == 1
    # an open redirect is not one
    answer = site_client.post(
        f"/papers/{PAPER}/vote",
        data={"csrf": csrf, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_no_answer_tells_whether_an_address_has_an_account(
    site_hub: Hub, site_client: TestClient, site_settings: Settings
) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    csrf = csrf_of(site_client, "/signup")

    def text_of(path: str, **data: str) -> tuple[int, str]:
        answer = site_client.post(path, data={**data, "csrf": csrf})
        return answer.status_code, answer.text.replace(data.get("email", ""), "EMAIL")

    assert text_of("/signup", email="ada@example.org", password="another one") == text_of(
        "/signup", email="new@example.org", password="another one"
    )
    assert text_of("/login", email="ada@example.org", password="wrong one!") == text_of(
        "/login", email="nobody@example.org", password="wrong one!"
    )
    assert text_of("/reset", email="ada@example.org") == text_of(
        "/reset", email="nobody@example.org"
    )
    mails = mailed(site_hub.store, site_settings)
    # the address with an account got a note, the new one a link, the unknown one nothing
    assert sorted((m["To"], m["Subject"]) for m in mails) == [
        ("ada@example.org", "Set a new litfeed password"),
        ("ada@example.org", "Your litfeed account"),
        ("new@example.org", "Confirm your litfeed account"),
    ]


def test_log_in_is_throttled(site_hub: Hub, site_client: TestClient) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    csrf = csrf_of(site_client)
    codes = [
        site_client.post(
            "/login", data={"email": "ada@example.org", "password": f"guess {n}", "csrf": csrf}
        ).status_code
        for n in range(12)
    ]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429]
    # even the right password waits now
    right = site_client.post(
        "/login", data={"email": "ada@example.org", "password": "correct horse", "csrf": csrf}
    )
    assert right.status_code == 429 and "too many failed log-ins" in right.text


def test_password_reset_works_once(
    site_hub: Hub, site_client: TestClient, site_settings: Settings
) -> None:
    ada = add_account(site_hub.store, "ada@example.org", "old password", verified=True)
    new_token(site_hub.store, ada, "kept?")
    csrf = csrf_of(site_client, "/reset")
    site_client.post("/reset", data={"email": "ada@example.org", "csrf": csrf})
    [message] = mailed(site_hub.store, site_settings)
    link = _link(message, "/reset")
    assert "Set a new password" in site_client.get(link).text
    done = site_client.post(
        link, data={"password": "new password", "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert site_hub.store.community.tokens(ada.id) == []  # unless the box is ticked
    csrf = csrf_of(site_client, "/")  # logged in now: the session's token
    assert (
        site_client.post(link, data={"password": "third password", "csrf": csrf}).status_code == 400
    )
    assert site_hub.community.store.community.account_by_email("ada@example.org") is not None
    site_client.cookies.clear()
    csrf = csrf_of(site_client)
    old = site_client.post(
        "/login", data={"email": "ada@example.org", "password": "old password", "csrf": csrf}
    )
    assert old.status_code == 400
    new = site_client.post(
        "/login",
        data={"email": "ada@example.org", "password": "new password", "csrf": csrf},
        follow_redirects=False,
    )
    assert new.status_code == 303


def test_the_json_api_signs_up_and_logs_in(
    site_hub: Hub, site_client: TestClient, site_settings: Settings
) -> None:
    answer = site_client.post(
        "/api/auth/signup", json={"email": "ada@example.org", "password": "correct horse"}
    )
    assert answer.status_code == 202 and "Check your inbox" in answer.json()["message"]
    wrong = site_client.post(
        "/api/auth/login", json={"email": "ada@example.org", "password": "nope nope"}
    )
    assert wrong.status_code == 401 and wrong.json() == {
        "error": "wrong e-mail address or password"
    }
    right = site_client.post(
        "/api/auth/login", json={"email": "ada@example.org", "password": "correct horse"}
    )
    assert right.status_code == 200 and right.json()["verified"] is False
    assert site_client.get("/api/me").json()["email"] == "ada@example.org"
    csrf = site_client.get("/api/auth/csrf").json()["token"]
    made = site_client.post("/api/tokens", headers={"X-CSRF-Token": csrf})
    assert made.status_code == 403 and "confirm your e-mail address" in made.json()["error"]
    assert site_client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert site_client.get("/api/me").status_code == 401


class _Recorder:
    def __init__(self, answer: str | None = None) -> None:
        self.messages: list[bytes] = []
        self.answer = answer

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.answer is not None:
            return self.answer
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@pytest.mark.parametrize(
    ("answer", "sent", "given_up"),
    [(None, 1, False), ("550 no such user", 0, True), ("451 try later", 0, False)],
)
def test_mail_through_a_real_smtp_server(
    site_hub: Hub, site_settings: Settings, answer: str | None, sent: int, given_up: bool
) -> None:
    recorder = _Recorder(answer)
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = site_settings.model_copy(
            update={"smtp_url": f"smtp://127.0.0.1:{controller.port}"}
        )
        queue_mail(
            site_hub.store, settings, "ada@example.org", "Hello", "Plain text.", "<p>HTML</p>"
        )
        lines: list[str] = []
        assert deliver_due(site_hub.store, settings, lines.append) == sent
    finally:
        controller.stop()
    if sent:
        message = email.message_from_bytes(recorder.messages[0])
        assert message["Subject"] == "Hello" and message.is_multipart()
        assert [part.get_content_type() for part in message.walk()][1:] == [
            "text/plain",
            "text/html",
        ]
    else:
        assert lines and ("given up" in lines[0]) == given_up
        # a temporary refusal is tried again later, a permanent one never
        assert site_hub.store.mail.due() == []


def test_mail_without_a_server_goes_to_the_outbox(site_hub: Hub, site_settings: Settings) -> None:
    queue_mail(site_hub.store, site_settings, "ada@example.org", "Hello", "Plain text.")
    assert deliver_due(site_hub.store, site_settings) == 1
    assert deliver_due(site_hub.store, site_settings) == 0  # sent once
    files = list(Path(site_settings.data_dir / "outbox").glob("*.eml"))
    assert len(files) == 1 and b"Subject: Hello" in files[0].read_bytes()


def test_concurrent_form_votes_of_one_account_count_once(
    site_hub: Hub, site_client: TestClient
) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    headers = {"X-CSRF-Token": log_in(site_client, "ada@example.org")}
    start = threading.Barrier(20)
    codes: list[int] = []

    def click() -> None:
        start.wait()
        codes.append(site_client.post(f"/api/papers/{PAPER}/vote", headers=headers).status_code)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 20
    assert site_hub.get_paper(PAPER).votes == 1  # type: ignore[union-attr]


def test_administrators_hide_papers_and_votes_from_the_pages(
    site_hub: Hub, site_settings: Settings
) -> None:
    admin = add_account(site_hub.store, "admin@example.org", "correct horse", verified=True)
    spammer = add_account(site_hub.store, "spam@example.org", "correct horse", verified=True)
    assert admin.is_admin and not spammer.is_admin
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    site_hub.community.vote(spammer, paper, True)
    app = create_app(site_settings)
    with (
        TestClient(app, base_url="http://localhost") as reader,
        TestClient(app, base_url="http://localhost") as boss,
    ):
        csrf = log_in(reader, "spam@example.org")
        assert reader.post(f"/papers/{PAPER}/hide", data={"csrf": csrf}).status_code == 403
        assert reader.get("/admin/accounts").status_code == 403
        boss_csrf = log_in(boss, "admin@example.org")
        assert "Hide this paper from every list" in boss.get(f"/papers/{PAPER}").text
        boss.post(f"/papers/{PAPER}/hide", data={"csrf": boss_csrf})
        assert reader.get(f"/papers/{PAPER}").status_code == 404
        assert reader.get(f"/api/papers/{PAPER}").status_code == 404
        assert "Hidden from every list" in boss.get(f"/papers/{PAPER}").text
        assert PAPER not in reader.get("/api/daily", params={"limit": 100}).text
        boss.post(f"/papers/{PAPER}/hide", data={"csrf": boss_csrf, "restore": "1"})
        assert reader.get(f"/papers/{PAPER}").status_code == 200
        assert site_hub.get_paper(PAPER).votes == 1  # type: ignore[union-attr]
        assert "spam@example.org" in boss.get("/admin/accounts").text
        boss.post(f"/admin/accounts/{spammer.id}/votes", data={"csrf": boss_csrf})
        assert site_hub.get_paper(PAPER).votes == 0  # type: ignore[union-attr]
        assert (
            reader.post(
                f"/admin/accounts/{spammer.id}/votes", data={"csrf": csrf, "restore": "1"}
            ).status_code
            == 403
        )
        boss.post(f"/admin/accounts/{spammer.id}/votes", data={"csrf": boss_csrf, "restore": "1"})
        assert site_hub.get_paper(PAPER).votes == 1  # type: ignore[union-attr]


def test_a_public_name_is_chosen_at_sign_up_checked_and_unique_in_any_case(
    site_hub: Hub, site_client: TestClient
) -> None:
    csrf = csrf_of(site_client, "/signup")
    form = {"email": "ada@example.org", "password": "correct horse", "csrf": csrf}
    bad = site_client.post("/signup", data={**form, "name": "<b>ada</b>"})
    assert bad.status_code == 400 and "cannot be a name" in bad.text and "<b>ada" not in bad.text
    assert site_hub.store.community.account_by_email("ada@example.org") is None
    assert site_client.post("/signup", data={**form, "name": "Ada_L"}).status_code == 200
    taken = site_client.post(
        "/api/auth/signup",
        json={"email": "bob@example.org", "password": "correct horse", "name": "ada_l"},
        headers={"X-CSRF-Token": csrf},
    )
    assert taken.status_code == 400 and "is taken" in taken.json()["error"]
    assert site_hub.store.community.account_by_email("bob@example.org") is None
    assert (
        site_client.post(
            "/api/auth/signup", json={"email": "bob@example.org", "password": "correct horse"}
        ).status_code
        == 202
    )
    ada = site_hub.store.community.account_by_email("ada@example.org")
    bob = site_hub.store.community.account_by_email("bob@example.org")
    assert ada is not None and bob is not None
    assert (ada.name, bob.name, ada.shown_name, bob.shown_name) == (
        "Ada_L",
        None,
        "Ada_L",
        "a reader",
    )
    assert site_hub.store.community.names([ada.id, bob.id]) == {ada.id: "Ada_L"}


def test_the_account_page_sets_a_name_and_makes_and_revokes_tokens(
    site_hub: Hub, site_client: TestClient
) -> None:
    assert site_client.get("/account", follow_redirects=False).headers["location"] == (
        "/login?next=/account"
    )
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    add_account(site_hub.store, "bob@example.org", "correct horse", verified=True, name="bob")
    csrf = log_in(site_client, "ada@example.org")
    page = site_client.get("/account")
    assert page.status_code == 200 and "No tokens yet." in page.text
    assert site_client.post("/account", data={"action": "name", "name": "ada"}).status_code == 403
    taken = site_client.post("/account", data={"action": "name", "name": "BOB", "csrf": csrf})
    assert taken.status_code == 400 and "is taken" in taken.text
    saved = site_client.post("/account", data={"action": "name", "name": "ada_l", "csrf": csrf})
    assert "Saved your public name." in saved.text and 'value="ada_l"' in saved.text
    made = site_client.post(
        "/account", data={"action": "new-token", "token_name": "my script", "csrf": csrf}
    )
    token = re.search(r'<code class="token">(lf_[^<]+)</code>', made.text)
    assert token is not None and "my script" in made.text
    me = site_client.get("/api/me", headers={"Authorization": f"Bearer {token.group(1)}"}).json()
    assert me["name"] == "ada_l" and [t["name"] for t in me["tokens"]] == ["my script"]
    assert token.group(1) not in site_client.get("/account").text  # shown once
    # the JSON API renames too, with the same checks
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert site_client.patch("/api/me", json={"name": "bob"}, headers=bearer).status_code == 400
    assert (
        site_client.patch("/api/me", json={"name": "Ada"}, headers=bearer).json()["name"] == "Ada"
    )
    other = new_token(site_hub.store, site_hub.store.community.account_by_email("bob@example.org"))[
        1
    ]  # type: ignore[arg-type]
    refused = site_client.post(
        "/account", data={"action": "revoke-token", "token_id": str(other.id), "csrf": csrf}
    )
    assert refused.status_code == 404  # not one of ada's
    revoked = site_client.post(
        "/account",
        data={"action": "revoke-token", "token_id": str(me["tokens"][0]["id"]), "csrf": csrf},
    )
    assert "Revoked token" in revoked.text
    assert site_client.get("/api/me", headers=bearer).status_code == 401
