"""What the map's pages give beyond the build (tests/test_topics.py): the columns `/topics`
draws and their picture, rising topics by an open formula, and following a topic (For you,
the digest, its Atom feed), kept across a rebuild."""

from __future__ import annotations

import hashlib
import re
import struct
import time
import zlib
from datetime import date, timedelta
from pathlib import Path

import feedparser
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.models import PaperRecord, SourceRef
from litfeed.recommend import profile_of, rank
from litfeed.store.topics import FOLLOW_TOPIC, Place
from litfeed.topics import build_topics
from litfeed.topics.build import BROAD, FINE
from litfeed.topics.points import STEPS, map_columns
from litfeed.topics.rising import MIN_RECENT, growth_bounds, rising
from litfeed.web import create_app
from tests.conftest import csrf_of, log_in, proven_reader

ROOT = Path(__file__).resolve().parent.parent


def test_the_served_script_is_built_from_the_sources_in_js() -> None:
    """The bundle names the SHA-256 of the sources it was built from (js/build.mjs): a change
    to js/topicmap.js or to the locked libraries without `make js` fails here."""
    digest = hashlib.sha256()
    for name in ("topicmap.js", "package-lock.json"):
        digest.update((ROOT / "js" / name).read_bytes())
    bundle = ROOT / "src" / "litfeed" / "web" / "static" / "topicmap.js"
    first = bundle.read_text(encoding="utf-8").splitlines()[0]
    assert first.endswith(f"sha256:{digest.hexdigest()}"), "run `make js` and commit the bundle"
    assert "regl-scatterplot" in (ROOT / "js" / "package-lock.json").read_text()


def _png_size_and_pixels(body: bytes) -> tuple[int, int, np.ndarray]:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", body[16:24])
    data, at = b"", 8
    while at < len(body):
        (length,) = struct.unpack(">I", body[at : at + 4])
        kind = body[at + 4 : at + 8]
        if kind == b"IDAT":
            data += body[at + 8 : at + 8 + length]
        at += 12 + length
    rows = np.frombuffer(zlib.decompress(data), dtype=np.uint8).reshape(height, 1 + width * 3)
    return width, height, rows[:, 1:].reshape(height, width, 3)


def test_the_map_in_columns_and_as_a_picture(copied_settings: Settings) -> None:
    with Hub(copied_settings) as hub:
        client = TestClient(create_app(copied_settings), base_url="http://localhost")
        assert client.get("/api/topics/map").json()["count"] == 0  # no map yet
        build_topics(hub.store, hub.vector_index)
        columns = map_columns(hub.store)
        places = {p.paper_pk: p for p in hub.store.topics.places()}
        assert columns["count"] == len(places) == len(columns["ids"]) == 471
        assert len(set(columns["ids"])) == 471
        for name in ("x", "y", "broad", "fine", "day", "category"):
            assert len(columns[name]) == 471
        assert min(columns["x"]) >= 0 and max(columns["x"]) <= STEPS
        assert max(max(columns["x"]), max(columns["y"])) == STEPS  # the map fills its square
        known = {t["id"] for t in columns["topics"]}
        assert {b for b in columns["broad"] if b} <= known
        # each paper's topics are the ones the store holds for it
        by_id = {p.id: p for p in hub.store.get_papers_by_pk(list(places))}
        for n, paper_id in enumerate(columns["ids"][:50]):
            place = places[by_id[paper_id].pk]
            assert columns["broad"][n] == (place.broad_id or 0)
            assert columns["fine"][n] == (place.fine_id or 0)
        plain = client.get("/api/topics/map", headers={"Accept-Encoding": "identity"})
        assert plain.headers.get("content-encoding") is None and plain.json() == columns
        raw = client.get("/api/topics/map", headers={"Accept-Encoding": "gzip"})
        assert raw.headers["content-encoding"] == "gzip" and raw.json() == columns
        assert "Accept-Encoding" in raw.headers["vary"]
        picture = client.get("/topics/map.png")
        width, height, pixels = _png_size_and_pixels(picture.content)
        assert (width, height) == (1000, 600)
        coloured = (pixels != 255).any(axis=2).sum()
        assert coloured > 471  # each paper a dot of 2 × 2 pixels, some overlapping
        page = client.get("/topics")
        assert "unsafe-eval" in page.headers["content-security-policy"]
        assert 'src="/static/topicmap.js"' in page.text and "/topics/map.png" in page.text
        other = client.get("/daily").headers["content-security-policy"]
        assert "unsafe-eval" not in other  # the map's page alone


def test_growth_counts_only_when_its_numbers_bear_it_out() -> None:
    growth, low = growth_bounds(3, 1_000, 1, 1_000)  # 3 papers against 1: growth 3, a chance
    assert growth == pytest.approx(3.0) and low < 0.5
    growth, low = growth_bounds(3, 1_000, 1, 3_000)  # the same in a third of the time: the
    assert growth == pytest.approx(9.0) and low < 1.1  # bound barely passes; MIN_RECENT stops it
    assert MIN_RECENT > 3
    growth, low = growth_bounds(60, 1_000, 60, 3_000)  # share 6 % from 2 %: a trend
    assert growth == pytest.approx(3.0) and 2.0 < low < 3.0
    growth, low = growth_bounds(20, 1_000, 0, 3_000)  # new this month
    assert growth == float("inf") and low > 1
    assert growth_bounds(5, 0, 5, 100) == (0.0, 0.0)


def _dated_papers(hub: Hub, day: date, per_day: dict[str, int], start: int) -> list[int]:
    records = []
    for field, count in per_day.items():
        for _n in range(count):
            number = start + len(records)
            records.append(
                PaperRecord(
                    title=f"{field} paper {number}",
                    abstract=f"About {field}.",
                    arxiv_id=f"2601.{number:05d}",
                    categories=["cs.LG"],
                    announced=day,
                    source=SourceRef("test", f"t:{number}"),
                )
            )
    hub.store.save_records(records, hub.store.start_import("test", "t", ""))
    return [hub.store.get_paper(f"2601.{start + n:05d}").pk for n in range(len(records))]  # type: ignore[union-attr]


def test_a_topic_rises_when_its_share_grows_beyond_chance(settings: Settings) -> None:
    """Sixteen weeks of papers: "growing" takes 2 % of each day's papers for twelve weeks,
    then 10 %; "steady" keeps 30 %; "tiny" goes from none to 2 papers. Only "growing" rises,
    with its sample sizes; the trend is as of the newest paper's day."""
    with Hub(settings) as hub:
        last = date(2026, 5, 29)  # a Friday
        fields: dict[int, str] = {}
        start = 0
        for back in range(16 * 7):
            day = last - timedelta(days=back)
            if day.weekday() >= 5:
                continue
            recent = back < 28
            counts = {"growing": 5 if recent else 1, "steady": 15, "other": 30 if recent else 34}
            if recent and back in (0, 1):
                counts["tiny"] = 1
            pks = _dated_papers(hub, day, counts, start)
            start += len(pks)
            at = 0
            for field, count in counts.items():
                for pk in pks[at : at + count]:
                    fields[pk] = field
                at += count
        number = {"growing": 1, "steady": 2, "tiny": 3}
        rows = [
            {
                "id": n,
                "level": BROAD,
                "parent_id": None,
                "label": name,
                "size": 0,
                "x": 0.0,
                "y": 0.0,
            }
            for name, n in number.items()
        ]
        places = [
            Place(pk, 0.0, 0.0, number.get(field), None) for pk, field in sorted(fields.items())
        ]
        hub.store.topics.replace(rows, places)
        found = rising(hub.store)
        assert found.day == last and found.recent_from == last - timedelta(days=27)
        assert [item.topic.label for item in found.topics] == ["growing"]
        growing = found.topics[0]
        assert growing.recent == 100 and growing.before == 60  # 20 weekdays × 5, 60 × 1
        assert growing.recent_total == 20 * 50 + 2 and growing.before_total == 60 * 50
        assert growing.growth == pytest.approx((100 / 1002) / (60 / 3000))
        assert len(growing.weeks) == 16 and sum(w[1] for w in growing.weeks) == 160
        assert MIN_RECENT > 2  # "tiny" (2 papers, none before) is below the least sample
        client = TestClient(create_app(settings), base_url="http://localhost")
        served = client.get("/api/rising").json()
        assert [t["topic"]["label"] for t in served["topics"]] == ["growing"]
        assert served["topics"][0]["recent"] == 100 and "1.96" in served["formula"]
        page = client.get("/rising").text
        assert "growing" in page and "100 of 1,002" in page and "steady" not in page


def test_following_a_topic_in_for_you_the_digest_and_its_feed(
    copied_settings: Settings,
) -> None:
    """A reader with an empty library circles areas of the map ("these areas are mine"): the
    topics they follow rank first in For you, saying why; their digest has a section of them;
    the topic's Atom feed lists its papers; a rebuild keeps the follow."""
    with Hub(copied_settings) as hub:
        build_topics(hub.store, hub.vector_index)
        broad = hub.store.topics.all(BROAD)
        chosen = broad[1]
        client = TestClient(create_app(copied_settings), base_url="http://localhost")
        client.__enter__()  # its start-up loads the model (For you needs it)
        account = proven_reader(hub, "reader@example.org")
        token = log_in(client, "reader@example.org")
        page = client.get("/topics").text
        assert 'action="/topics/follow"' in page
        assert (
            client.post(
                "/topics/follow", data={"csrf": "forged", "topic": str(chosen.id)}
            ).status_code
            == 403
        )
        answer = client.post(
            "/topics/follow",
            data={"csrf": csrf_of(client, "/topics"), "topic": [str(chosen.id)]},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/for-you"
        assert hub.store.library.interests(account.id)[FOLLOW_TOPIC] == [str(chosen.id)]
        bad = client.post(
            "/topics/follow", data={"csrf": csrf_of(client, "/topics"), "topic": "999999"}
        )
        assert bad.status_code == 400 and "no topic" in bad.text
        huge = client.post("/topics/follow", data={"csrf": token, "topic": "9" * 40})
        assert huge.status_code in (400, 403, 422)

        members = {p.paper_pk for p in hub.store.topics.places() if p.broad_id == chosen.id}
        papers = hub.store.get_papers_by_pk(list({p.paper_pk for p in hub.store.topics.places()}))
        picks = rank(hub.store, hub.vector_index, profile_of(hub.store, account.id), papers, 30)
        assert picks and all(pick.paper.pk in members for pick in picks[: min(30, len(members))])
        assert any(f"“{chosen.label}”" in reason for reason in picks[0].reasons)
        for_you = _answered(client, "/for-you").text
        assert "Following the topic" in for_you and chosen.label in for_you

        feed = feedparser.parse(client.get(f"/feeds/topics/{chosen.id}.atom").content)
        assert not feed.bozo and feed.entries
        ids = {p.id for p in hub.store.get_papers_by_pk(list(members))}
        assert all(entry.link.rsplit("/papers/", 1)[1] in ids for entry in feed.entries)

        # the topic's page says it is followed, and the button stops it
        topic_page = client.get(f"/topics/{chosen.id}").text
        assert "Stop following" in topic_page and f"/feeds/topics/{chosen.id}.atom" in topic_page
        assert "Nearby:" in topic_page

        # the digest: a section of the followed topic's papers of the period
        from litfeed.delivery.digest import TOPICS
        from litfeed.delivery.subscriptions import Choices

        choices = Choices([{"kind": "daily"}], [])
        subscriber = hub.subscriptions.subscribe(account.email, choices, account=account)
        selection = hub.digests().preview(subscriber, skip_sent=False)
        assert selection is not None
        assert any(TOPICS in item.why for item in selection.items)
        assert all(item.paper.pk in members for item in selection.items if item.why[0] == TOPICS)

        before = hub.store.topics.get(chosen.id)
        build_topics(hub.store, hub.vector_index)  # a rebuild of the same papers
        after = hub.store.topics.get(chosen.id)
        assert after is not None and before is not None and after.label == before.label
        again = rank(hub.store, hub.vector_index, profile_of(hub.store, account.id), papers, 5)
        assert any(f"“{chosen.label}”" in reason for reason in again[0].reasons)

        stop = client.post(
            f"/topics/{chosen.id}/follow", data={"csrf": csrf_of(client, f"/topics/{chosen.id}")}
        )
        assert stop.status_code == 200
        assert FOLLOW_TOPIC not in hub.store.library.interests(account.id)
        client.__exit__(None, None, None)


def _answered(client: TestClient, path: str) -> httpx.Response:
    """The first answer that is not "the model is still loading" (up to a minute)."""
    for _ in range(600):
        answer = client.get(path)
        if answer.status_code != 503:
            return answer
        time.sleep(0.1)
    return answer


def test_the_map_page_without_a_map_and_fine_labels(copied_settings: Settings) -> None:
    client = TestClient(create_app(copied_settings), base_url="http://localhost")
    assert "No topic map yet" in client.get("/topics").text
    assert "No topic map yet" in client.get("/rising").text
    assert client.get("/api/rising").json()["topics"] == []
    assert client.get("/feeds/topics/1.atom").status_code == 404
    with Hub(copied_settings) as hub:
        build_topics(hub.store, hub.vector_index)
        fine = hub.store.topics.all(FINE)
    assert fine and any(t.parent_id is not None for t in fine)  # inside broad topics
    detail = client.get(f"/api/topics/{fine[0].id}?order=central").json()
    assert detail["papers"] and "neighbours" in detail
    assert re.search(r"closest to its centre", client.get(f"/topics/{fine[0].id}").text)
