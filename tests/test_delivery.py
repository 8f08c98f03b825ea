"""Delivery: subscriptions with double opt-in, the digest's selection and message, the send
ledger (a killed send resumed, 4xx and 5xx), one-click unsubscribe, feedback links, Atom feeds
read by feedparser, OpenSearch and citation meta tags; mail through a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from litfeed.cli import app as cli
from litfeed.community.accounts import add_account
from litfeed.config import Settings
from litfeed.delivery.digest import BOUNCE_LIMIT, due_period, period_for
from litfeed.delivery.subscriptions import (
    SubscriptionError,
    check_choices,
    parse_section,
    section_text,
)
from litfeed.hub import Hub
from litfeed.store.schema import digests
from litfeed.web import create_app
from tests.conftest import ROOT, csrf_of, log_in, mailed, running_worker
from tests.smtp import Recorder, smtp_server

runner = CliRunner()
ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://litfeed.example"


@pytest.fixture
def site_url() -> str:
    return SITE


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as running:
        yield running


def _subscribe(site_hub: Hub, address: str, *sections: str, **choices: Any) -> Any:
    checked = check_choices([parse_section(s) for s in sections or ("daily",)], **choices)
    return site_hub.subscriptions.subscribe(address, checked, confirmed=True)


def _link(message: Message, path: str) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            body = part.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(rf"{re.escape(SITE)}({path}\S+)", body.decode())
            if found:
                return found.group(1)
    raise AssertionError(f"no {path} link in the message")


def _parts(message: Message) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return parts


# -- sections and choices --------------------------------------------------------------------


def test_sections_are_read_and_written_back_and_bad_ones_named() -> None:
    for text in (
        "trending",
        "daily",
        "search:mutual information",
        "search:" + "category=cs.LG&mode=semantic&q=graph+networks",
        "author:Ben Poole",
        "category:cs.LG",
    ):
        section = parse_section(text)
        assert parse_section(section_text(section)) == section
    assert parse_section("search:q=x&mode=keyword&since=2024-01-01") == {
        "kind": "search",
        "query": "x",
        "mode": "keyword",
        "since": "2024-01-01",
    }
    for bad, said in (
        ("weather", "is not a section"),
        ("search:", "is not a section"),
        ("search:q=x&mode=fast", "unknown search mode"),
        ("search:q=x&since=yesterday", "is not a date"),
        ("search:q=%00", "not text"),
        ("category:zz.bogus", "'zz.bogus' is not an arXiv category"),
        ("search:q=x&category=cs.XX", "saved search: 'cs.XX' is not an arXiv category"),
    ):
        with pytest.raises(SubscriptionError, match=said):
            parse_section(bad)
    # a category as arXiv spells it, whatever the case it was typed in
    assert parse_section("category:STAT.ml") == {"kind": "category", "name": "stat.ML"}
    assert parse_section("search:q=x&category=cond-mat.MES-HALL")["category"] == (
        "cond-mat.mes-hall"
    )
    with pytest.raises(SubscriptionError, match="time zone"):
        check_choices(timezone="Mars/Olympus")
    with pytest.raises(SubscriptionError, match="1 to 50"):
        check_choices(max_papers=0)
    choices = check_choices(mutes=["Survey, BENCHMARK", "survey"])
    assert choices.mutes == ["survey", "benchmark"] and choices.sections == [{"kind": "trending"}]


def test_the_send_hour_and_time_zone_decide_when_a_digest_is_due(site_hub: Hub) -> None:
    day = site_hub.store.latest_day()
    assert day is not None
    tokyo = _subscribe(site_hub, "tokyo@example.org", send_hour=7, timezone="Asia/Tokyo")
    weekly = _subscribe(site_hub, "weekly@example.org", cadence="weekly", send_hour=9)
    latest = site_hub.store.latest_day
    # 00:00 UTC is 09:00 in Tokyo: due, for the newest day with papers up to Tokyo's date.
    morning = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    assert due_period(latest, tokyo, morning) == period_for("daily", day)
    # Before the hour it is still the day before there: nothing newer is due.
    before = datetime.combine(day, datetime.min.time(), UTC) - timedelta(hours=3)  # 06:00
    assert due_period(latest, tokyo, before) is None  # no papers before `day`
    assert due_period(latest, tokyo, before + timedelta(hours=1)) == period_for("daily", day)
    # Weekly: the week before, due from Monday at the hour, still due later in the week.
    monday = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
        days=7 - day.weekday(), hours=9
    )
    last_week = period_for("weekly", monday.date() - timedelta(days=7))
    assert due_period(latest, weekly, monday) == last_week
    assert due_period(latest, weekly, monday + timedelta(days=3)) == last_week
    assert due_period(latest, weekly, monday - timedelta(hours=1)) == period_for(
        "weekly", monday.date() - timedelta(days=14)
    )


# -- selection -----------------------------------------------------------------------------


def test_selection_shares_the_room_mutes_words_and_says_why(site_hub: Hub) -> None:
    subscriber = _subscribe(
        site_hub,
        "ada@example.org",
        "daily",
        "search:q=mutual information&mode=keyword",
        "author:Ben Poole",
        max_papers=6,
        mutes=["distillation"],
    )
    digests = site_hub.digests()
    selection = digests.preview(subscriber)
    assert selection is not None and len(selection.items) == 6
    labels = [item.why[0] for item in selection.items]
    search = 'Saved search "mutual information" (by words)'
    assert labels.count("The day's papers") >= 2 and labels.count(search) >= 2
    for item in selection.items:
        text = (item.paper.title + item.paper.abstract).lower()
        assert "distillation" not in text
        if search in item.why:
            assert "mutual" in text and "information" in text
    # The order follows the sections: the day's papers, then the saved search.
    assert labels == sorted(labels, key=["The day's papers", search].index)


def test_a_paper_is_never_sent_twice_and_an_empty_digest_is_never_sent(
    site_hub: Hub, site_settings: Settings
) -> None:
    _subscribe(site_hub, "ada@example.org", "daily", max_papers=5)
    _subscribe(site_hub, "bob@example.org", "search:q=zzzzunmatched&mode=keyword")
    day = site_hub.store.latest_day()
    assert day is not None
    first = site_hub.digests().send(day)
    assert (first.planned, first.sent, first.empty) == (2, 1, 1)
    again = site_hub.digests().send(day)  # the same period: nothing more
    assert (again.planned, again.sent) == (0, 0)
    # Another period (the next day) holding the same papers: the five sent are skipped.
    site_hub.store.engine.dispose()
    with site_hub.store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE papers SET day = :day"), {"day": day + timedelta(1)})
    later = site_hub.digests().send(day + timedelta(days=1))
    assert later.sent == 1
    sent = [
        {pk for pk, _why in digest.papers}
        for digest in site_hub.store.delivery.digests_of(
            site_hub.store.delivery.subscribers()[0].id
        )
    ]
    assert len(sent) == 2 and len(sent[0]) == len(sent[1]) == 5 and not sent[0] & sent[1]
    messages = mailed(site_hub.store, site_settings)
    assert sorted(m["To"] for m in messages) == ["ada@example.org", "ada@example.org"]


# -- the message, through a real SMTP server -----------------------------------------------


def test_the_digest_message_its_parts_headers_and_one_click_unsubscribe(
    site_hub: Hub, site_settings: Settings, smtp: tuple[Recorder, str], site_client: TestClient
) -> None:
    recorder, url = smtp
    site_hub.settings = site_settings.model_copy(update={"smtp_url": url})
    subscriber = _subscribe(
        site_hub,
        "ada@example.org",
        "daily",
        "search:q=mutual information&mode=keyword",
        max_papers=4,
    )
    report = site_hub.digests().send()
    assert report.sent == 1 and report.planned == 1
    [message] = recorder.messages
    assert message["To"] == "ada@example.org" and message["From"] == site_hub.settings.mail_from
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.walk()][1:] == ["text/plain", "text/html"]
    assert message["Message-ID"] == site_hub.store.delivery.digests_of(subscriber.id)[0].message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(rf"<{re.escape(SITE)}/unsubscribe/\S+>", message["List-Unsubscribe"])
    parts = _parts(message)
    text, html = parts["text/plain"], parts["text/html"]
    assert "Why: The day's papers" in text and "Saved search" in text
    assert "<img" not in html and "<script" not in html and "<link" not in html
    assert html.count('style="') > 20 and "<style" not in html  # styles inline
    for paper_line in re.findall(r"^\d+\. ([^\r\n]+)", text, re.MULTILINE):
        assert paper_line in html.replace("&#39;", "'").replace("&amp;", "&")
    assert text.count("More like this: ") == 4 and html.count("Less like this</a>") == 4
    assert f"{SITE}/papers/" in text and "Your preferences" in html
    # One click: a POST with only List-Unsubscribe=One-Click, no cookie, no CSRF token.
    path = message["List-Unsubscribe"].strip("<>").removeprefix(SITE)
    with TestClient(create_app(site_hub.settings), base_url="https://localhost") as fresh:
        answer = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "gets no more digests" in answer.text, answer.text[-800:]
    assert site_hub.store.delivery.subscriber(subscriber.id).status == "unsubscribed"  # type: ignore[union-attr]
    assert site_hub.digests().send(site_hub.store.latest_day() + timedelta(days=1)).sent == 0  # type: ignore[operator]
    # A link that is not whole does nothing.
    assert site_client.post(path[:-3] + "abc").status_code == 404


def test_a_permanent_refusal_counts_a_bounce_and_a_temporary_one_is_tried_later(
    site_hub: Hub, site_settings: Settings, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    site_hub.settings = site_settings.model_copy(update={"smtp_url": url})
    bouncing = _subscribe(site_hub, "gone@example.org", "daily", max_papers=1)
    busy = _subscribe(site_hub, "busy@example.org", "daily", max_papers=1)
    recorder.refuse = {"gone@example.org": "550 no such user", "busy@example.org": "451 later"}
    day = site_hub.store.latest_day()
    assert day is not None
    for n in range(BOUNCE_LIMIT):
        report = site_hub.digests().send(day + timedelta(days=n))
        if n == 0:
            assert (report.failed, report.retried, report.sent) == (1, 1, 0)
        with site_hub.store.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE papers SET day = :day"), {"day": day + timedelta(n + 1)}
            )
    assert site_hub.store.delivery.subscriber(bouncing.id).status == "bouncing"  # type: ignore[union-attr]
    assert site_hub.store.delivery.subscriber(bouncing.id).bounces == BOUNCE_LIMIT  # type: ignore[union-attr]
    # The 451'd digest waits for its next attempt, then goes once the server takes it.
    pending = [d for d in site_hub.store.delivery.digests_of(busy.id) if d.status == "pending"]
    assert pending and all(d.next_attempt_at > datetime.now(UTC) for d in pending)
    assert "451" in (pending[0].last_error or "")
    recorder.refuse = {}
    assert site_hub.digests().deliver().sent == 0  # not due yet
    with site_hub.store.engine.begin() as connection:
        connection.execute(
            sa.update(digests).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert site_hub.digests().deliver().sent == len(pending)
    assert recorder.recipients() == ["busy@example.org"] * len(pending)


def _send_command(data_dir: Path, url: str, database_url: str | None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "LITFEED_DATA_DIR": str(data_dir), "LITFEED_SMTP_URL": url}
    environment.update({"LITFEED_BASE_URL": SITE, "LITFEED_EMBED_ON_IMPORT": "false"})
    if database_url:
        environment["LITFEED_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "litfeed", "digest", "send"]
    return subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.PIPE)


@pytest.mark.parametrize("window", ["before", "after"])
def test_a_send_killed_and_started_again(
    site_hub: Hub, site_settings: Settings, smtp: tuple[Recorder, str], window: str
) -> None:
    """SIGKILL while the third message is with the server, then the same command again. Killed
    before the server accepted it: every subscriber gets exactly one digest. Killed after it
    accepted but before the ledger was marked (the one window): that subscriber gets it twice,
    with the same Message-ID, and no other subscriber does."""
    recorder, url = smtp
    addresses = [f"reader{n}@example.org" for n in range(6)]
    for address in addresses:
        _subscribe(site_hub, address, "daily", max_papers=2)
    recorder.hold, recorder.hold_after_data = 3, window == "after"
    database_url = site_settings.database_url
    process = _send_command(site_settings.data_dir, url, database_url)
    try:
        assert recorder.held.wait(60), process.stderr.read() if process.stderr else ""
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    recorder.release.set()
    time.sleep(0.2)
    counts = site_hub.store.delivery.ledger_counts()
    assert counts == {"sent": 2, "pending": 4}  # recorded before sending, marked after
    recorder.hold = None
    again = _send_command(site_settings.data_dir, url, database_url)
    _out, errors = again.communicate(timeout=120)
    assert again.returncode == 0, errors
    assert site_hub.store.delivery.ledger_counts() == {"sent": 6}
    received = recorder.recipients()
    if window == "before":
        assert sorted(received) == sorted(addresses)
    else:
        assert len(received) == 7 and sorted(set(received)) == sorted(addresses)
        [twice] = [address for address in addresses if received.count(address) == 2]
        ids = {m["Message-ID"] for m in recorder.messages if m["To"] == twice}
        assert len(ids) == 1


# -- subscribing on the pages --------------------------------------------------------------


def test_double_opt_in_preferences_preview_and_feedback(
    site_hub: Hub, site_client: TestClient, site_settings: Settings
) -> None:
    assert "Get trending papers in your inbox once a day" in site_client.get("/").text
    form = site_client.get("/subscribe", params={"email": "ada@example.org", "section": "trending"})
    assert 'value="ada@example.org"' in form.text
    csrf = csrf_of(site_client, "/subscribe")
    fields = {
        "email": "ada@example.org",
        "sections": "daily\nsearch:q=mutual information&mode=keyword",
        "mutes": "survey",
        "max_papers": "5",
        "cadence": "daily",
        "send_hour": "8",
        "timezone": "Europe/Berlin",
    }
    assert site_client.post("/subscribe", data=fields).status_code == 403  # no CSRF token
    bad = site_client.post("/subscribe", data={**fields, "sections": "weather", "csrf": csrf})
    assert bad.status_code == 400 and "is not a section" in bad.text, bad.text[-600:]
    answer = site_client.post("/subscribe", data={**fields, "csrf": csrf})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    subscriber = site_hub.store.delivery.subscriber_by_email("ada@example.org")
    assert subscriber is not None and subscriber.status == "pending"
    assert site_hub.digests().send().planned == 0  # nothing before confirmation
    [confirmation] = mailed(site_hub.store, site_settings)
    assert confirmation["Subject"] == "Confirm your litfeed digest"
    link = _link(confirmation, "/subscriptions/confirm/")
    # Opening the link (as a mail scanner does) confirms nothing: its button does.
    asked = site_client.get(link)
    assert asked.status_code == 200 and "Confirm ada@example.org</button>" in asked.text
    assert site_hub.store.delivery.subscriber_by_email("ada@example.org").status == "pending"
    confirmed = site_client.post(link, follow_redirects=True)
    assert "Confirmed: ada@example.org will get the digest" in confirmed.text
    assert 'value="Europe/Berlin"' in confirmed.text and "survey" in confirmed.text
    preferences = str(confirmed.url).removeprefix("https://localhost").split("?")[0]
    # The same address again: the subscription is not changed; its owner is told.
    site_client.post("/subscribe", data={**fields, "sections": "trending", "csrf": csrf})
    note = mailed(site_hub.store, site_settings)[-1]
    assert note["Subject"] == "Your litfeed digest"
    assert site_hub.store.delivery.subscriber_by_email("ada@example.org").sections[0] == {
        "kind": "daily"
    }  # type: ignore[union-attr]
    # Preferences: saved, refused with the reason, preview.
    saved = site_client.post(preferences, data={**fields, "max_papers": "3", "csrf": csrf})
    assert "Saved." in saved.text
    refused = site_client.post(preferences, data={**fields, "timezone": "Nowhere", "csrf": csrf})
    assert refused.status_code == 400 and "unknown time zone" in refused.text
    preview_path = re.search(r'href="[^"]*(/subscriptions/[^"]+/preview)"', saved.text)
    assert preview_path is not None
    preview = site_client.get(preview_path.group(1))
    assert (
        preview.status_code == 200
        and "style-src 'unsafe-inline'" in preview.headers["content-security-policy"]
    )
    assert preview.text.count("More like this</a>") == 3
    # Feedback from a "less like this" link: the page asks, a POST records.
    found = re.search(r'href="[^"]*(/feedback/[^"]+)"[^>]*>Less like this', preview.text)
    assert found is not None
    less = html.unescape(found.group(1))
    assert "Record" in site_client.get(less).text
    assert site_client.get(less.replace("rating=less", "rating=best")).status_code == 404
    assert site_client.get(less.replace("/feedback/", "/feedback/x")).status_code == 404
    assert site_hub.store.delivery.feedback_of(subscriber.id) == {}
    with TestClient(create_app(site_hub.settings), base_url="https://localhost") as fresh:
        assert fresh.post(less).status_code == 200
    assert list(site_hub.store.delivery.feedback_of(subscriber.id).values()) == [-1]
    # New links revoke the old ones.
    renewed = site_client.post(preferences, data={"action": "new-links", "csrf": csrf})
    assert renewed.status_code == 200 and site_client.get(preferences).status_code == 404


def test_a_verified_account_subscribes_its_own_address_at_once(
    site_hub: Hub, site_client: TestClient
) -> None:
    add_account(site_hub.store, "ada@example.org", "correct horse", verified=True)
    csrf = log_in(site_client, "ada@example.org")
    answer = site_client.post(
        "/subscribe",
        data={"email": "ada@example.org", "sections": "trending", "timezone": "UTC", "csrf": csrf},
    )
    assert answer.status_code == 200 and "Your digest" in answer.text
    subscriber = site_hub.store.delivery.subscriber_by_email("ada@example.org")
    assert subscriber is not None and subscriber.status == "confirmed" and subscriber.account_id
    # Her digest's "less like this" is her rating too, which her ranking follows at once; a
    # subscriber without an account keeps the feedback alone.
    stranger = _subscribe(site_hub, "bob@example.org")
    paper = site_hub.list_papers(0, 1)[0][0]
    for who in (subscriber, stranger):
        link = site_hub.subscriptions.path(who, "feedback")
        done = site_client.post(link, params={"paper": paper.id, "rating": "less"})
        assert done.status_code == 200 and "Recorded" in done.text
    assert site_hub.store.library.ratings(subscriber.account_id) == {paper.pk: -1}
    assert site_hub.store.delivery.feedback_of(stranger.id) == {paper.id: -1}


def test_the_json_api_subscribes_with_the_same_answer_either_way(
    site_hub: Hub, site_client: TestClient
) -> None:
    _subscribe(site_hub, "ada@example.org")
    body = {"email": "ada@example.org", "sections": ["daily", "author:Ben Poole"]}
    known = site_client.post("/api/subscriptions", json=body)
    new = site_client.post("/api/subscriptions", json={**body, "email": "bob@example.org"})
    assert known.status_code == new.status_code == 202
    assert known.json()["message"].replace("ada", "bob") == new.json()["message"]
    bad = site_client.post("/api/subscriptions", json={**body, "sections": ["nonsense"]})
    assert bad.status_code == 400 and "is not a section" in bad.json()["error"]
    for _ in range(5):
        site_client.post("/api/subscriptions", json={**body, "email": "carol@example.org"})
    assert (
        site_client.post(
            "/api/subscriptions", json={**body, "email": "carol@example.org"}
        ).status_code
        == 429
    )


# -- feeds -----------------------------------------------------------------------------------


def _check_atom(body: bytes) -> ET.Element:
    """RFC 4287's required elements, read with ElementTree."""
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] and links["alternate"]
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated", "").replace("Z", "+00:00"))
    return root


def test_feeds_are_valid_atom_for_a_feed_reader(site_hub: Hub, site_client: TestClient) -> None:
    subscriber = _subscribe(site_hub, "ada@example.org", "daily", max_papers=4)
    private = site_hub.subscriptions.link(subscriber, "feed").removeprefix(SITE)
    paper = site_hub.list_papers(0, 1)[0][0]
    author = paper.authors[0] if paper.authors else "Nobody"
    voter = add_account(site_hub.store, "voter@example.org", "correct horse", verified=True)
    site_hub.community.vote(voter, paper, True)  # so that something trends
    for path, at_least in (
        ("/feeds/daily.atom", 20),
        ("/feeds/weekly.atom", 20),
        ("/feeds/monthly.atom", 20),
        ("/feeds/trending.atom", 1),
        ("/feeds/search.atom?q=mutual+information&mode=keyword", 5),
        (f"/feeds/authors/{author}.atom", 1 if paper.authors else 0),
        ("/feeds/categories/cs.LG.atom", 0),
        (private, 4),
    ):
        answer = site_client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
        _check_atom(answer.content)
        feed = feedparser.parse(answer.content)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert len(feed.entries) >= at_least, path
        for entry in feed.entries:
            assert entry.link.startswith(f"{SITE}/papers/") and entry.title and entry.id
    # an empty category field (a form's) is every category, as an absent one
    searched = {"q": "mutual information", "mode": "keyword"}
    plain = feedparser.parse(site_client.get("/feeds/search.atom", params=searched).content)
    blank = site_client.get("/feeds/search.atom", params={**searched, "category": ""})
    assert [e.id for e in feedparser.parse(blank.content).entries] == [
        e.id for e in plain.entries
    ] and plain.entries
    trending = feedparser.parse(site_client.get("/feeds/trending.atom").content).entries[0]
    assert trending.link.endswith(f"/papers/{paper.id}") and trending.summary.startswith("[")
    # Each page announces its feed; a search's feed keeps the search's filters.
    page = site_client.get("/search", params={"q": "mutual information", "mode": "keyword"}).text
    announced = re.findall(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', page
    )
    assert "/feeds/search.atom?mode=keyword&amp;q=mutual+information" in announced
    day = site_hub.store.latest_day()
    assert f'href="/feeds/daily.atom?date={day}"' in site_client.get(f"/daily/{day}").text
    assert 'href="/feeds/authors/Ben%20Poole.atom"' in site_client.get("/?author=Ben Poole").text
    for page_path in ("/", "/trending", "/weekly", f"/papers/{paper.id}"):
        assert 'type="application/atom+xml"' in site_client.get(page_path).text, page_path
    # A hidden paper leaves the feeds.
    hidden = feedparser.parse(site_client.get("/feeds/daily.atom").content).entries[0]
    site_hub.store.set_hidden(hidden.link.rsplit("/", 1)[1], True)
    again = feedparser.parse(site_client.get("/feeds/daily.atom").content)
    assert hidden.id not in [entry.id for entry in again.entries]
    assert site_client.get("/feeds/subscriptions/forged.atom").status_code == 404


def test_a_hostile_title_stays_inert_in_feeds_and_mail(
    site_hub: Hub, site_client: TestClient
) -> None:
    from litfeed.models import PaperRecord, SourceRef

    title = "<script>alert(1)</script> & ]]> \x0b \ud800 <b>bold</b>"
    record = PaperRecord(title="Safe title", abstract=title, source=SourceRef("t", "t:1"))
    site_hub.store.save_records([record], site_hub.store.start_import("t", "t", ""))
    site_hub.update_index(embed=False)
    body = site_client.get(
        "/feeds/search.atom", params={"q": "safe title", "mode": "keyword"}
    ).content
    _check_atom(body)
    assert b"<script>" not in body and not feedparser.parse(body).bozo
    subscriber = _subscribe(site_hub, "ada@example.org", "search:q=safe title&mode=keyword")
    digests = site_hub.digests()
    selection = digests.preview(subscriber)
    assert selection is not None
    assert "<script>" not in digests.composer.html(selection)


def test_opensearch_and_the_citation_tags_zotero_reads(
    site_hub: Hub, site_client: TestClient
) -> None:
    home = site_client.get("/").text
    assert '<link rel="search" type="application/opensearchdescription+xml"' in home
    answer = site_client.get("/opensearch.xml")
    assert answer.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = ET.fromstring(answer.content)
    space = "{http://a9.com/-/spec/opensearch/1.1/}"
    assert root.findtext(f"{space}ShortName") == "litfeed"
    templates = [url.get("template") for url in root.findall(f"{space}Url")]
    assert f"{SITE}/search?q={{searchTerms}}" in templates
    from litfeed.models import PaperRecord, SourceRef

    record = PaperRecord(
        title="Attention Is All You Need",
        abstract="The dominant sequence transduction models…",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        arxiv_id="1706.03762",
        arxiv_version=7,
        doi="10.48550/arXiv.1706.03762",
        published=date(2017, 6, 12),
        source=SourceRef("t", "t:2"),
    )
    site_hub.store.save_records([record], site_hub.store.start_import("t", "t", ""))
    page = site_client.get("/papers/1706.03762").text
    tags = re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)">', page)
    assert ("citation_title", "Attention Is All You Need") in tags
    assert [v for k, v in tags if k == "citation_author"] == ["Ashish Vaswani", "Noam Shazeer"]
    assert ("citation_date", "2017/06/12") in tags
    assert ("citation_pdf_url", "https://arxiv.org/pdf/1706.03762") in tags  # its PDF link
    assert ("citation_arxiv_id", "1706.03762") in tags
    assert ("citation_doi", "10.48550/arxiv.1706.03762") in tags


# -- the command line ------------------------------------------------------------------------


def test_subscribers_and_digests_from_the_shell(site_hub: Hub, site_settings: Settings) -> None:
    added = runner.invoke(
        cli,
        [
            "subscribers",
            "add",
            "ada@example.org",
            "--confirmed",
            "--section",
            "daily",
            "--section",
            "search:mutual information",
            "--mute",
            "survey",
            "--max",
            "3",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "ada@example.org: confirmed, daily: daily, search:mutual information" in added.output
    pending = runner.invoke(cli, ["subscribers", "add", "bob@example.org"])
    assert "bob@example.org: pending" in pending.output
    bad = runner.invoke(cli, ["subscribers", "add", "carol@example.org", "--section", "nope"])
    assert bad.exit_code == 1 and "is not a section" in bad.output and "Traceback" not in bad.output
    listed = runner.invoke(cli, ["subscribers", "list"])
    assert "ada@example.org  confirmed  daily at 07:00 UTC" in listed.output
    preview = runner.invoke(cli, ["digest", "preview", "ada@example.org"])
    assert preview.exit_code == 0 and preview.output.count("More like this: ") == 3
    out = site_settings.data_dir / "dry"
    dry = runner.invoke(cli, ["digest", "send", "--dry-run", "--out", str(out)])
    assert dry.exit_code == 0 and "rendered 1 digests" in dry.output
    assert len(list(out.glob("*.eml"))) == 1 and site_hub.store.delivery.ledger_counts() == {}
    wrong = runner.invoke(cli, ["digest", "send", "--to", "nobody@example.org"])
    assert wrong.exit_code == 1 and "not a confirmed subscriber" in wrong.output
    sent = runner.invoke(cli, ["digest", "send", "--to", "ada@example.org"])
    assert sent.exit_code == 0 and "1 sent" in sent.output, sent.output
    from litfeed.mail import queue_mail

    queue_mail(site_hub.store, site_settings, "carol@example.org", "Reset", "A link.")
    again = runner.invoke(cli, ["digest", "send"]).output
    assert "0 sent" in again and "1 other messages from the outbox" in again
    assert runner.invoke(cli, ["digest", "send", "--date", "soon"]).exit_code == 1


def test_the_worker_sends_each_digest_once_when_its_hour_has_come(
    site_hub: Hub, site_settings: Settings
) -> None:
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Europe/Berlin"))
    # The papers are of today in Berlin: due at the hour of each reader there, not before.
    with site_hub.store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE papers SET day = :day"), {"day": local.date()})
    _subscribe(site_hub, "early@example.org", "daily", send_hour=0, timezone="Europe/Berlin")
    later = local.hour + (1 if local.minute < 58 else 2)
    if later <= 23:  # else no hour later today is left to test with
        _subscribe(
            site_hub, "later@example.org", "daily", send_hour=later, timezone="Europe/Berlin"
        )
    lines: list[str] = []
    with running_worker(site_hub, lines):
        deadline = time.monotonic() + 60
        while site_hub.store.delivery.ledger_counts().get("sent", 0) < 1:
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        time.sleep(1.0)  # ten more looks: nothing more is due
    assert site_hub.store.delivery.ledger_counts() == {"sent": 1}
    messages = mailed(site_hub.store, site_settings)
    assert [m["To"] for m in messages] == ["early@example.org"]


def test_an_administrator_changes_a_confirmed_subscriber_from_the_shell(site_hub: Hub) -> None:
    _subscribe(site_hub, "ada@example.org", "daily")
    changed = runner.invoke(
        cli, ["subscribers", "add", "ada@example.org", "--section", "category:cs.LG"]
    )
    assert changed.exit_code == 0 and "confirmed, daily: category:cs.LG" in changed.output


@pytest.mark.parametrize(
    "value",
    ["'; DROP TABLE papers; --", 'title:"x', "a OR (b", "*", "\\", "%_", "\u202e", "<script>"],
)
def test_metacharacters_in_every_delivery_parameter(site_client: TestClient, value: str) -> None:
    from urllib.parse import quote

    quoted = quote(value, safe="")
    for path, params in (
        ("/feeds/search.atom", {"q": value}),
        ("/feeds/search.atom", {"q": "x", "category": value}),
        ("/feeds/daily.atom", {"date": value}),
        ("/feeds/weekly.atom", {"week": value}),
        (f"/feeds/authors/{quoted}.atom", {}),
        (f"/feeds/categories/{quoted}.atom", {}),
        (f"/feeds/subscriptions/{quoted}.atom", {}),
        ("/subscribe", {"email": value, "section": value}),
        (f"/unsubscribe/{quoted}", {}),
        (f"/feedback/{quoted}", {}),
        (f"/subscriptions/{quoted}", {}),
        (f"/subscriptions/confirm/{quoted}", {}),
    ):
        answer = site_client.get(path, params=params)
        assert answer.status_code in (200, 400, 404), (path, value, answer.status_code)
        assert "<script>" not in answer.text, (path, value)
    refused = site_client.post(
        "/api/subscriptions", json={"email": "a@example.org", "sections": [f"search:{value}"]}
    )
    assert refused.status_code in (202, 400)
    assert site_client.post(f"/unsubscribe/{quoted}").status_code == 404


def test_one_send_at_a_time(site_hub: Hub) -> None:
    from litfeed.delivery.digest import DigestBusy

    _subscribe(site_hub, "ada@example.org")
    other = site_hub.store.send_lock()  # another process's send, as far as this one can tell
    assert other.acquire()
    try:
        with pytest.raises(DigestBusy):
            site_hub.digests().send(wait=False)
        assert site_hub.store.delivery.ledger_counts() == {}
    finally:
        other.release()
    assert site_hub.digests().send(wait=False).sent == 1
