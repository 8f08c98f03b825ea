"""Attack 2: one request used to stop all outgoing mail. An address with line breaks for an
address that has an account was queued as typed; the worker failed on it every round and sent
nothing after it, nor fetched any submission. Now every address is parsed once where it enters
(every form, API, command and import refuses the hostile ones, naming the field), and the
outbox gives each message its own fate."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import sqlalchemy as sa

from litfeed.community.accounts import add_account, new_token
from litfeed.store.schema import mail_outbox
from tests.security.conftest import Site, csrf_in, log_in, sign_up

# What an attacker types where an address goes, and what a reviewer tries next.
HOSTILE = [
    "\r\n\tmallory@example.net\r\n\r\n",
    "mallory@example.net\r\n",
    "mallory@example.net\nBcc: eve@evil.example",
    "mallory@example.net\rBcc: eve@evil.example",
    "mallory@example.net\u2028Bcc: eve@evil.example",
    "mallory@example.net\u2029",
    "mallory@example.net\u0085",
    "mall\x00ory@example.net",
    "mallory@exa\u202emple.net",
    "mallory@example.net\u200b",
    "\tmallory@example.net",
    "Mallory <mallory@example.net>",
    "mallory@example.net, eve@evil.example",
    '"mallory\r\nBcc: eve"@example.net',
    "m" * 65 + "@example.net",
    "mallory@" + "e" * 250 + ".net",
    "a" * 300 + "@example.net",
    "mallory@[127.0.0.1]",
]


def _refused_naming_the_field(status: int, text: str) -> None:
    assert status == 400, text[:300]
    assert "is not an e-mail address" in text and "email" in text, text[:300]
    assert "Traceback" not in text


@pytest.fixture(scope="module")
def mallory(site: Site) -> str:
    """An address that has an account (the attack's target)."""
    done = site.litfeed("users", "add", "mallory@example.net")
    assert done.returncode == 0, done.stderr
    return "mallory@example.net"


def test_the_reported_request_is_refused_and_mail_goes_on(site: Site, mallory: str) -> None:
    with site.browser() as attacker:
        answer = attacker.post(
            "/api/auth/signup",
            json={"email": "\r\n\tmallory@example.net\r\n\r\n", "password": "whatever123"},
        )
    _refused_naming_the_field(answer.status_code, answer.text)
    assert answer.json()["error"].startswith("email: ")
    good = f"ada-{uuid.uuid4().hex[:8]}@example.org"
    with site.browser() as reader:
        assert sign_up(reader, good) == 202
    site.mail(good, "Confirm your litfeed account")
    with site.hub() as hub, hub.store.engine.connect() as connection:
        recipients = connection.execute(sa.select(mail_outbox.c.recipient)).scalars().all()
    assert all("\r" not in r and "\n" not in r for r in recipients)


@pytest.mark.parametrize("address", HOSTILE)
def test_every_web_entry_refuses_a_hostile_address(site: Site, mallory: str, address: str) -> None:
    with site.browser() as attacker:
        for path, body in (
            ("/api/auth/signup", {"email": address, "password": "whatever123"}),
            ("/api/subscriptions", {"email": address}),
        ):
            answer = attacker.post(path, json=body)
            _refused_naming_the_field(answer.status_code, answer.text)
        for path, fields in (
            ("/signup", {"email": address, "password": "whatever123"}),
            ("/reset", {"email": address}),
            ("/subscribe", {"email": address, "sections": "trending", "timezone": "UTC"}),
        ):
            page = attacker.get(path)
            answer = attacker.post(path, data={**fields, "csrf": csrf_in(page)})
            _refused_naming_the_field(answer.status_code, answer.text)
        # a log-in with it is simply a wrong one
        login = attacker.post("/api/auth/login", json={"email": address, "password": "pw pw pw pw"})
        assert login.status_code == 401


def test_the_shell_and_an_import_refuse_it_and_keep_the_good_lines(
    site: Site, mallory: str, tmp_path: object
) -> None:
    hostile = "\r\n\tmallory@example.net\r\n\r\n"
    for command in (["users", "add", hostile], ["subscribers", "add", hostile]):
        done = site.litfeed(*command)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert (
            done.stderr.startswith("error: email: ") and "line feed" in done.stderr.lower()
        ) or ("carriage return" in done.stderr), done.stderr
    good = [f"reader{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(3)]
    listing = site.data_dir.parent / "list.txt"
    listing.write_text(
        f"# readers who asked\n{good[0]}\nmallory@example.net\u2028Bcc: eve@evil.example\n"
        f"{good[1]}\n\tmallory@example.net\n{good[2]}\n",
        encoding="utf-8",
    )
    done = site.litfeed("subscribers", "import", str(listing))
    assert done.returncode == 0, done.stderr
    assert "subscribed 3; rejected 2" in done.stdout
    assert f"{listing}:3: email: " in done.stderr and f"{listing}:5: email: " in done.stderr
    table = site.data_dir.parent / "list.csv"
    table.write_text(
        f"email,sections,cadence\n{good[0]},trending;daily,weekly\nnobody,trending,daily\n"
        f"{good[1]},author:,daily\n{good[2]},trending,hourly\n",
        encoding="utf-8",
    )
    done = site.litfeed("subscribers", "import", str(table), "--confirmed")
    assert "subscribed 1; rejected 3" in done.stdout, done.stdout + done.stderr
    assert f"{table}:3: email: 'nobody'" in done.stderr and f"{table}:4: sections: " in done.stderr
    assert f"{table}:5: cadence: cadence 'hourly': daily or weekly" in done.stderr  # its column
    with site.hub() as hub:
        assert hub.store.delivery.subscriber_by_email(good[0]).cadence == "weekly"  # type: ignore[union-attr]


def _plant(site: Site, recipient: str, subject: str = "Hello") -> int:
    """A row such as an older litfeed (or a hand edit) could leave in the outbox."""
    with site.hub() as hub:
        return hub.store.mail.enqueue(recipient, subject, "Text.", None, f"<{uuid.uuid4()}@t>")


def test_a_message_that_cannot_be_built_fails_alone(site: Site, mallory: str) -> None:
    poisoned = [
        _plant(site, "\r\n\tmallory@example.net\r\n\r\n"),
        _plant(site, "ada@example.org\r\nBcc: eve@evil.example"),
        _plant(site, "ada@example.org", subject="Hello\r\nBcc: eve@evil.example"),
    ]
    # a submission waits in the same worker loop
    with site.hub() as hub:
        address = f"sub-{uuid.uuid4().hex[:6]}@example.org"
        token = new_token(hub.store, add_account(hub.store, address, None, verified=True))[0]
    with site.browser() as reader:
        bearer = {"Authorization": f"Bearer {token}"}
        submitted = reader.post("/api/submissions", json={"paper": "2501.99998"}, headers=bearer)
        assert submitted.status_code == 201 and submitted.json()["status"] == "pending"
        good = f"after-{uuid.uuid4().hex[:8]}@example.org"
        assert sign_up(reader, good) == 202
        site.mail(good, "Confirm your litfeed account")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            state = reader.get(f"/api/submissions/{submitted.json()['id']}", headers=bearer).json()
            if state["status"] != "pending":
                break
            time.sleep(0.2)
        assert state["status"] == "failed" and "arXiv knows no paper" in state["detail"]
    assert not site.smtp.to("eve@evil.example")
    with site.hub() as hub, hub.store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(mail_outbox.c.id, mail_outbox.c.failed_at, mail_outbox.c.last_error).where(
                mail_outbox.c.id.in_(poisoned)
            )
        ).all()
    assert len(rows) == 3 and all(failed is not None for _id, failed, _error in rows)
    assert all(error.startswith("cannot be built: ") for _id, _failed, error in rows)
    stats = json.loads(site.litfeed("stats", "--json").stdout)
    assert stats["mail"]["failed"] >= 3
    assert {f["id"] for f in stats["mail"]["latest_failures"]} >= set(poisoned)
    shown = site.litfeed("stats").stdout
    assert re.search(r"mail: .*\d+ failed", shown) and "cannot be built: recipient: " in shown


@pytest.mark.parametrize(
    "name",
    ["ada\r\nBcc: eve", "ada\u2028x", "ada\x00", "ad\u202ea", "<b>ada</b>", "a" * 41, "ädä", "a b"],
)
def test_a_hostile_public_name_is_refused_everywhere_it_is_typed(site: Site, name: str) -> None:
    address = site.add_account("named")
    with site.browser() as attacker:
        body = {
            "email": f"n-{uuid.uuid4().hex[:8]}@example.org",
            "password": "pw" * 5,
            "name": name,
        }
        answer = attacker.post("/api/auth/signup", json=body)
        assert answer.status_code == 400 and "cannot be a name" in answer.json()["error"]
        assert log_in(attacker, address) == 200
        csrf = {"X-CSRF-Token": attacker.get("/api/auth/csrf").json()["token"]}
        renamed = attacker.patch("/api/me", json={"name": name}, headers=csrf)
        assert renamed.status_code == 400 and "cannot be a name" in renamed.json()["error"]
    if name in ("ada\r\nBcc: eve", "ad\u202ea"):  # from the shell too (a NUL cannot be an argument)
        address = f"n-{uuid.uuid4().hex[:8]}@example.org"
        done = site.litfeed("users", "add", address, "--name", name)
        assert done.returncode == 1 and "cannot be a name" in done.stderr
