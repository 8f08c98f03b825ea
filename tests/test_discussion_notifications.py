"""Replies and mentions told to readers: written with the comment, mailed in batches (one mail
per reader, the mail queued in the transaction that marks them, once even when the worker is
killed with SIGKILL mid-send), read as a page, an Atom feed (feedparser) and the API;
moderation from the pages (the reports queue, suspending an account and lifting it, the log)
and the commands (`litfeed users suspend`, `litfeed comments export`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from litfeed import discussion
from litfeed.cli import app as cli
from litfeed.community.accounts import new_feed_key, new_token
from litfeed.config import Settings
from litfeed.discussion.notifications import mail_waiting, mentioned
from litfeed.hub import Hub
from litfeed.store.schema import notifications
from tests.conftest import ROOT, csrf_of, log_in, mailed, proven_reader
from tests.smtp import Recorder, smtp_server

PAPER = "t-8ec3a34c72e9"
runner = CliRunner()


def _later(minutes: int = 11) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_mentions_are_names_outside_code() -> None:
    body = "Thanks @ada and @bo-2! Not `@carol`, not ada@example.org, not\n```\n@dan\n```\n@ada"
    assert mentioned(body) == ["ada", "bo-2"]


def test_replies_and_mentions_are_mailed_together_once(
    site_hub: Hub, site_settings: Settings
) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org", "bo"),
    )
    quiet = proven_reader(site_hub, "quiet@example.org", "quiet")
    store.community.set_comment_mail(quiet.id, False)
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    first = discussion.post(store, ada, paper, "A question about the bound.")
    discussion.post(store, bo, paper, "An answer, @ada; and @quiet, @nobody.", first.id)
    discussion.post(store, bo, paper, "And a second thought, @ada.")
    discussion.post(store, ada, paper, "Noting it myself, @ada.")  # never told of one's own
    assert [n.kind for n in store.discussion.notifications(ada.id)] == ["mention", "reply"]
    assert mail_waiting(store, site_settings) == 0  # the batch waits ten minutes
    assert mail_waiting(store, site_settings, now=_later()) == 1  # ada; quiet is marked only
    assert mail_waiting(store, site_settings, now=_later()) == 0  # once
    [message] = mailed(store, site_settings)
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "2 new replies and mentions on litfeed"
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "bo replied to your comment on" in text and "bo mentioned you on" in text
    assert f"/papers/{PAPER}#c" in text and "/account" in text
    with store.engine.connect() as connection:
        unmailed = connection.execute(
            sa.select(sa.func.count())
            .select_from(notifications)
            .where(notifications.c.mailed_at.is_(None))
        ).scalar()
    assert unmailed == 0


def test_a_mail_quotes_the_first_hundred_and_counts_the_rest(
    site_hub: Hub, site_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More notifications than a mail quotes: the mail says how many more there are (they
    were marked mailed with it: the page lists them); one written after the mail was
    made waits for the next mail."""
    from litfeed.discussion import notifications as notes

    monkeypatch.setattr(notes, "MAIL_LISTS", 3)
    store = site_hub.store
    ada = proven_reader(site_hub, "ada@example.org", "ada")
    bo = proven_reader(site_hub, "bo@example.org", "bo")
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    for number in range(4):  # and a fifth below: five comments a minute is the limit
        discussion.post(store, bo, paper, f"Point {number}, @ada.")
    kind = type(store.discussion)
    real_unmailed = kind.unmailed

    def then_one_more(self: object, account_id: int) -> tuple[int, int]:
        found = real_unmailed(self, account_id)  # type: ignore[arg-type]
        discussion.post(store, bo, paper, "A late one, @ada.")  # between reading and marking
        return found

    monkeypatch.setattr(kind, "unmailed", then_one_more)
    assert mail_waiting(store, site_settings, now=_later()) == 1
    monkeypatch.setattr(kind, "unmailed", real_unmailed)
    [message] = mailed(store, site_settings)
    assert message["Subject"] == "4 new replies and mentions on litfeed"
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert text.count("bo mentioned you on") == 3 and "… and 1 more." in text
    assert "A late one" not in text
    assert store.discussion.unmailed(ada.id)[0] == 1  # the late one waits for its own mail
    assert mail_waiting(store, site_settings, now=_later()) == 1


def test_the_page_the_feed_and_the_api_are_the_readers_own(
    site_hub: Hub, site_client: TestClient
) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org", "bo"),
    )
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    mine = discussion.post(store, ada, paper, "Mine")
    discussion.post(store, bo, paper, "Yours, **@ada**: $x$", mine.id)
    key = new_feed_key(store, ada)
    feed = feedparser.parse(site_client.get(f"/feeds/notifications/{key}.atom").content)
    assert not feed.bozo and feed.feed.title == "litfeed: replies and mentions"
    [entry] = feed.entries
    assert entry.title.startswith("bo replied to you on")
    assert "<strong>" in entry.content[0].value and "<math" in entry.content[0].value
    assert site_client.get("/feeds/notifications/not-a-key.atom").status_code == 404
    token = new_token(store, ada)[0]
    listed = site_client.get("/api/notifications", headers={"Authorization": f"Bearer {token}"})
    assert [n["kind"] for n in listed.json()] == ["reply"]
    theirs = new_token(store, bo)[0]
    other = site_client.get("/api/notifications", headers={"Authorization": f"Bearer {theirs}"})
    assert other.json() == []
    log_in(site_client, "ada@example.org")
    page = site_client.get("/notifications").text
    assert "bo replied to you" in page and "<math" in page


def test_moderating_from_the_pages(site_hub: Hub, site_client: TestClient) -> None:
    store = site_hub.store
    admin = proven_reader(site_hub, "admin@example.org")  # the first account: an administrator
    ada = proven_reader(site_hub, "ada@example.org")
    bo = proven_reader(site_hub, "bo@example.org")
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    rude = discussion.post(store, ada, paper, "Something rude")
    discussion.vote(store, ada, discussion.post(store, bo, paper, "Fine").id, True)
    discussion.report(store, bo, rude.id, "rude")
    log_in(site_client, "bo@example.org")
    assert site_client.get("/admin").status_code == 403
    site_client.cookies.clear()
    log_in(site_client, "admin@example.org")
    token = csrf_of(site_client, "/admin")
    page = site_client.get("/admin").text
    assert "Something rude" in page and "Reported 1 time" in page
    suspended = site_client.post(
        f"/admin/accounts/{ada.id}/suspend", data={"csrf": token, "why": "rudeness"}
    )
    assert suspended.status_code == 200  # followed to /admin
    assert store.community.account(ada.id).active is False  # type: ignore[union-attr]
    assert discussion.thread(store, paper).comments[0].comment.score == 0  # its vote is gone
    with pytest.raises(discussion.NotAllowed):
        discussion.post(store, store.community.account(ada.id), paper, "again")  # type: ignore[arg-type]
    hidden = site_client.post(f"/comments/{rude.id}/hide", data={"csrf": token, "next": "/admin"})
    assert hidden.status_code == 200 and "No report waits" in hidden.text
    assert "rudeness" in hidden.text and ">suspend<" in hidden.text and ">hide<" in hidden.text
    site_client.post(f"/admin/accounts/{ada.id}/suspend", data={"csrf": token, "restore": "1"})
    assert store.community.account(ada.id).active is True  # type: ignore[union-attr]
    assert [e.action for e in store.discussion.logged()] == ["unsuspend", "hide", "suspend"]
    assert admin.id == store.discussion.logged()[0].actor_id


def test_the_commands(site_hub: Hub, tmp_path: Path) -> None:
    store = site_hub.store
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", "ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    kept = discussion.post(store, ada, paper, "Kept, with ünïcode")
    gone = discussion.post(store, bo, paper, "Gone")
    discussion.delete(store, bo, gone.id)
    out = tmp_path / "comments.jsonl"
    done = runner.invoke(cli, ["comments", "export", "--out", str(out)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["paper"], r["body"], r["deleted"]) for r in rows] == [
        (kept.id, PAPER, "Kept, with ünïcode", False),
        (gone.id, PAPER, "", True),
    ]
    assert rows[0]["author"] == "ada"
    done = runner.invoke(cli, ["users", "suspend", "bo@example.org", "--why", "spam"])
    assert done.exit_code == 0 and "suspended bo@example.org" in done.output
    assert store.community.account(bo.id).active is False  # type: ignore[union-attr]
    assert store.discussion.logged()[0].detail == "from the shell: spam"
    done = runner.invoke(cli, ["users", "suspend", "bo@example.org", "--lift"])
    assert store.community.account(bo.id).active is True  # type: ignore[union-attr]


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as running:
        yield running


def test_a_worker_killed_mid_send_tells_each_reader_once(
    site_hub: Hub, site_settings: Settings, smtp: tuple[Recorder, str]
) -> None:
    """Six readers each have a reply waiting; the worker is killed with SIGKILL while the SMTP
    server holds the third message, then started again: each reader gets exactly one mail."""
    recorder, url = smtp
    store = site_hub.store
    paper = site_hub.get_paper(PAPER)
    assert paper is not None
    repliers = [proven_reader(site_hub, f"replier{n}@example.org") for n in range(3)]
    readers = [proven_reader(site_hub, f"reader{n}@example.org") for n in range(6)]
    for number, reader in enumerate(readers):
        asked = discussion.post(store, reader, paper, f"A question from {reader.email}")
        discussion.post(store, repliers[number % 3], paper, "An answer", asked.id)
    with store.engine.begin() as connection:  # the batch's ten minutes have passed
        connection.execute(
            sa.update(notifications).values(created_at=datetime.now(UTC) - timedelta(minutes=15))
        )
    environment = {
        **os.environ,
        "LITFEED_DATA_DIR": str(site_settings.data_dir),
        "LITFEED_SMTP_URL": url,
        "LITFEED_EMBED_ON_IMPORT": "false",
    }
    if site_settings.database_url:
        environment["LITFEED_DATABASE_URL"] = site_settings.database_url
    command = [sys.executable, "-m", "litfeed", "worker", "--no-embed"]
    recorder.hold = 3
    worker = subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        assert recorder.held.wait(60), worker.stderr.read() if worker.stderr else ""
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    recorder.release.set()
    counts = store.mail.counts()
    assert (counts["sent"], counts["waiting"]) == (2, 4)  # all queued at once, two sent
    recorder.hold = None
    again = subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while store.mail.counts()["sent"] < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        again.terminate()
        again.wait(30)
    assert sorted(recorder.recipients()) == sorted(r.email for r in readers)
