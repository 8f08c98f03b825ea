"""The community: accounts and API tokens, votes, the daily / weekly / monthly pages, trending,
hidden papers; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from litfeed.cli import app as cli
from litfeed.community.accounts import add_account, new_token
from litfeed.community.periods import PeriodError, parse_period
from litfeed.community.trending import TrendingParameters, trend
from litfeed.hub import Hub
from litfeed.models import CommunityStats, Paper, PaperRecord, SourceRef
from litfeed.store.schema import papers, votes
from tests.conftest import make_paper, shared_path

runner = CliRunner()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(site_hub: Hub, email: str, verified: bool = True) -> str:
    account = add_account(site_hub.store, email, "a long password", verified=verified)
    return new_token(site_hub.store, account)[0]


def test_periods_are_read_and_refused_with_the_right_way_to_write_them() -> None:
    week = parse_period("week", "2024-W43")
    assert (week.first, week.last) == (date(2024, 10, 21), date(2024, 10, 27))
    assert week.previous().key == "2024-W42" and week.next().key == "2024-W44"
    month = parse_period("month", "2024-12")
    assert (month.first, month.last, month.next().key) == (
        date(2024, 12, 1),
        date(2024, 12, 31),
        "2025-01",
    )
    assert parse_period("day", "2024-10-25").previous().key == "2024-10-24"
    for kind, text in (("week", "2024-43"), ("month", "2024-13"), ("day", "yesterday")):
        with pytest.raises(PeriodError, match="write it like"):
            parse_period(kind, text)


def test_the_example_corpus_is_on_the_newest_day(site_client: TestClient) -> None:
    """The example pages carry no dates: their papers belong to the announcement day they
    arrived in, which the daily page without a date shows."""
    data = site_client.get("/api/daily").json()
    assert data["pagination"]["total"] == 471 and data["kind"] == "day"
    assert data["next"] is None and data["previous"]["url"].startswith("/daily/")
    page = site_client.get("/daily")
    assert page.status_code == 200 and page.text.count('class="paper-card"') == 25
    assert site_client.get("/api/weekly").json()["pagination"]["total"] == 471
    assert site_client.get("/api/monthly").json()["pagination"]["total"] >= 471 - 0


@pytest.mark.shared
def test_hugging_face_papers_are_on_their_day_with_their_upvotes(
    site_hub: Hub, site_client: TestClient
) -> None:
    site_hub.import_paths([shared_path("fixtures/hf-daily-papers/daily_papers_2024-10-25.json")])
    data = site_client.get("/api/daily", params={"date": "2024-10-25"}).json()
    assert data["pagination"]["total"] == 29 and data["label"] == "Friday 25 October 2024"
    upvotes = [paper["upvotes"] for paper in data["papers"]]
    assert upvotes == sorted(upvotes, reverse=True) and upvotes[0] >= 64
    html = site_client.get("/daily/2024-10-25").text
    assert ">▲ 0</button></form>" in html  # no votes here yet
    assert '<span class="hf-votes" title="upvotes on Hugging Face">· 64 on Hugging Face' in html
    assert (
        site_client.get("/api/weekly", params={"week": "2024-W43"}).json()["pagination"]["total"]
        == 29
    )
    assert (
        site_client.get("/api/monthly", params={"month": "2024-10"}).json()["pagination"]["total"]
        == 29
    )
    saturday = site_client.get("/api/daily", params={"date": "2024-10-26"}).json()
    assert saturday["papers"] == []
    assert saturday["quiet"].startswith("arXiv announces nothing on Saturdays")
    assert "arXiv announces nothing on Saturdays" in site_client.get("/daily/2024-10-26").text


def test_a_bad_period_is_a_400_naming_the_right_way(site_client: TestClient) -> None:
    answer = site_client.get("/api/weekly", params={"week": "2024-43"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "'2024-43' is not a week: write it like 2024-W43"}
    assert site_client.get("/daily/2024-02-30").status_code == 400
    assert site_client.get("/monthly/'%20OR%201=1--").status_code == 400


@pytest.mark.parametrize("first", [True, False], ids=["year-1", "year-9999"])
def test_days_at_the_ends_of_the_calendar_are_a_400_not_a_crash(
    site_hub: Hub, site_client: TestClient, first: bool
) -> None:
    """Dates Python holds but whose neighbours it does not (the day before 0001-01-01, the week
    after 9999-W52) are refused as out of range by every page, list, feed and ranking."""
    day, week, month = (
        ("0001-01-01", "0001-W01", "0001-01") if first else ("9999-12-31", "9999-W52", "9999-12")
    )
    token = _token(site_hub, "ranked@example.org")
    for url in (
        f"/daily/{day}",
        f"/weekly/{week}",
        f"/monthly/{month}",
        f"/api/daily?date={day}",
        f"/api/weekly?week={week}",
        f"/api/monthly?month={month}",
        f"/feeds/daily.atom?date={day}",
        f"/feeds/weekly.atom?week={week}",
        f"/feeds/monthly.atom?month={month}",
        f"/hf/api/daily_papers?date={day}",
        f"/hf/api/daily_papers?week={week}",
        f"/hf/api/daily_papers?month={month}",
        f"/api/for-you?date={day}",
        f"/api/for-you?date={day}&week=true",
    ):
        answer = site_client.get(url, headers=_bearer(token))
        assert answer.status_code == 400, url
        if "/api/" in url:
            assert "out of range" in answer.json()["error"], url


def test_votes_through_the_api_count_once_and_need_a_verified_account(
    site_hub: Hub, site_client: TestClient
) -> None:
    paper = "t-8ec3a34c72e9"
    token = _token(site_hub, "ada@example.org")
    assert site_client.post(f"/api/papers/{paper}/vote").status_code == 401
    assert (
        site_client.post(f"/api/papers/{paper}/vote", headers=_bearer("lf_nonsense")).status_code
        == 401
    )
    first = site_client.post(f"/api/papers/{paper}/vote", headers=_bearer(token))
    assert first.status_code == 200 and first.json() == {"upvotes": 1, "voted": True}
    again = site_client.post(f"/api/papers/{paper}/vote", headers=_bearer(token))
    assert again.json() == {"upvotes": 1, "voted": True}
    other = _token(site_hub, "bob@example.org")
    assert (
        site_client.post(f"/api/papers/{paper}/vote", headers=_bearer(other)).json()["upvotes"] == 2
    )
    withdrawn = site_client.delete(f"/api/papers/{paper}/vote", headers=_bearer(token))
    assert withdrawn.json() == {"upvotes": 1, "voted": False}
    # an unconfirmed account makes no tokens; through its session, its vote is refused
    add_account(site_hub.store, "eve@example.org", "a long password")
    login = {"email": "eve@example.org", "password": "a long password"}
    assert site_client.post("/api/auth/login", json=login).status_code == 200
    csrf = {"X-CSRF-Token": site_client.get("/api/auth/csrf").json()["token"]}
    assert site_client.post("/api/tokens", headers=csrf).status_code == 403
    refused = site_client.post(f"/api/papers/{paper}/vote", headers=csrf)
    assert refused.status_code == 403 and "verify your e-mail" in refused.json()["error"]
    missing = site_client.post("/api/papers/nothing-here/vote", headers=_bearer(token))
    assert missing.status_code == 404
    assert site_hub.get_paper(paper).votes == 1  # type: ignore[union-attr]


def test_twenty_concurrent_votes_of_one_account_count_once(site_hub: Hub) -> None:
    account = add_account(site_hub.store, "ada@example.org", "a long password", verified=True)
    paper = site_hub.get_paper("t-8ec3a34c72e9")
    assert paper is not None
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def click() -> None:
        start.wait()
        try:
            site_hub.community.vote(account, paper, True)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert site_hub.get_paper(paper.id).votes == 1  # type: ignore[union-attr]
    with site_hub.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(votes)).scalar() == 1


def test_tokens_belong_to_their_account(site_hub: Hub, site_client: TestClient) -> None:
    mine = _token(site_hub, "ada@example.org")
    theirs = _token(site_hub, "bob@example.org")
    me = site_client.get("/api/me", headers=_bearer(mine)).json()
    assert me["email"] == "ada@example.org" and me["admin"] is True  # the first account
    made = site_client.post("/api/tokens", params={"name": "script"}, headers=_bearer(mine))
    assert made.status_code == 201 and made.json()["token"].startswith("lf_")
    token_id = made.json()["id"]
    # another account cannot delete it
    assert site_client.delete(f"/api/tokens/{token_id}", headers=_bearer(theirs)).status_code == 404
    assert site_client.get("/api/me", headers=_bearer(made.json()["token"])).status_code == 200
    assert site_client.delete(f"/api/tokens/{token_id}", headers=_bearer(mine)).status_code == 204
    assert site_client.get("/api/me", headers=_bearer(made.json()["token"])).status_code == 401
    # a disabled account's tokens stop working
    bob = site_hub.store.community.account_by_email("BOB@example.org")
    assert bob is not None
    site_hub.store.community.disable_account(bob.id)
    assert site_client.get("/api/me", headers=_bearer(theirs)).status_code == 401


def test_hidden_papers_and_hidden_votes_leave_lists_and_counts(
    site_hub: Hub, site_client: TestClient
) -> None:
    paper = "t-8ec3a34c72e9"
    token = _token(site_hub, "ada@example.org")
    spam = add_account(site_hub.store, "spam@example.org", "a long password", verified=True)
    site_client.post(f"/api/papers/{paper}/vote", headers=_bearer(token))
    site_hub.community.vote(spam, site_hub.get_paper(paper), True)  # type: ignore[arg-type]
    assert site_hub.get_paper(paper).votes == 2  # type: ignore[union-attr]
    site_hub.store.community.hide_votes(spam.id, True)
    assert site_hub.get_paper(paper).votes == 1  # type: ignore[union-attr]
    site_hub.store.set_hidden(paper, True)
    ids = [p["id"] for p in site_client.get("/api/daily", params={"limit": 100}).json()["papers"]]
    total = site_client.get("/api/daily").json()["pagination"]["total"]
    assert paper not in ids and total == 470
    assert site_client.get("/api/papers").json()["pagination"]["total"] == 470
    assert site_client.post(f"/api/papers/{paper}/vote", headers=_bearer(token)).status_code == 404
    site_hub.store.set_hidden(paper, False)
    assert site_client.get("/api/daily").json()["pagination"]["total"] == 471


def test_trending_follows_the_formula_and_says_why(site_hub: Hub, site_client: TestClient) -> None:
    assert site_client.get("/api/trending").json()["papers"] == []
    assert "No paper of the last 7 days has a vote yet" in site_client.get("/trending").text
    first, second = "t-8ec3a34c72e9", site_hub.list_papers(0, 2)[0][1].id
    for email in ("a@example.org", "b@example.org"):
        site_client.post(f"/api/papers/{first}/vote", headers=_bearer(_token(site_hub, email)))
    site_client.post(
        f"/api/papers/{second}/vote", headers=_bearer(_token(site_hub, "c@example.org"))
    )
    data = site_client.get("/api/trending").json()
    assert [item["paper"]["id"] for item in data["papers"]] == [first, second]
    assert data["papers"][0]["recent_votes"] == 2
    assert data["papers"][0]["why"].startswith("2 votes here in 48 h;")
    assert "Why trending: 2 votes here in 48 h" in site_client.get("/trending").text


def test_the_trending_formula() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    parameters = TrendingParameters(hours=48, days=7, gravity=1.8)

    def paper(day: date, upvotes: int | None = None, comments: int | None = None) -> Paper:
        return make_paper(first_seen=now, upvotes=upvotes, comments=comments, day=day)

    fresh = trend(paper(date(2026, 12, 1), upvotes=10, comments=4), 3, now, parameters)
    # Tuesday 20:00 Eastern is 01:00 UTC on Wednesday: 11 hours before noon
    assert fresh.age_hours == pytest.approx(11.0)
    assert fresh.score == pytest.approx((3 + 10 + 2) / (11 + 2) ** 1.8)
    assert fresh.why == (
        "3 votes here in 48 h, 10 on Hugging Face, 4 comments; 11 h old: 15 / (11 + 2)^1.8"
    )
    older = trend(paper(date(2026, 11, 29), upvotes=30), 0, now, parameters)
    assert older.score < fresh.score  # three times the points, but three days older
    discussed = make_paper(first_seen=now, comments=4, comments_here=2, day=date(2026, 12, 1))
    assert trend(discussed, 0, now, parameters).why.startswith("0 votes here in 48 h, 6 comments")


def test_users_from_the_shell(site_hub: Hub) -> None:
    # the CLI opens the same database (its settings are in the environment)
    result = runner.invoke(
        cli, ["users", "add", "ada@example.org", "--password-stdin"], input="pw long enough\n"
    )
    assert result.exit_code == 0 and "added administrator ada@example.org" in result.stdout
    result = runner.invoke(cli, ["users", "add", "ADA@example.org"])
    assert result.exit_code == 1 and "exists already" in result.stderr
    result = runner.invoke(cli, ["users", "token", "ada@example.org"])
    token = result.stdout.strip().splitlines()[-1]
    assert result.exit_code == 0 and token.startswith("lf_")
    assert site_hub.community.account_of_token(token) is not None
    result = runner.invoke(cli, ["users", "list"])
    assert "ada@example.org  admin" in result.stdout
    assert runner.invoke(cli, ["users", "disable", "ada@example.org"]).exit_code == 0
    assert site_hub.community.account_of_token(token) is None
    result = runner.invoke(cli, ["hide", "t-8ec3a34c72e9"])
    assert result.exit_code == 0 and result.stdout.startswith("hid t-8ec3a34c72e9")
    assert runner.invoke(cli, ["unhide", "nothing"]).exit_code == 1


def test_recent_votes_only_count_within_the_window(site_hub: Hub) -> None:
    account = add_account(site_hub.store, "ada@example.org", "a long password", verified=True)
    paper = site_hub.get_paper("t-8ec3a34c72e9")
    assert paper is not None
    site_hub.community.vote(account, paper, True)
    now = datetime.now(UTC)
    assert site_hub.store.community.recent_votes(now - timedelta(hours=1), [paper.pk]) == {
        paper.pk: 1
    }
    assert site_hub.store.community.recent_votes(now + timedelta(seconds=1), [paper.pk]) == {}


def test_hidden_papers_leave_search_and_similar_papers(
    site_hub: Hub, site_client: TestClient
) -> None:
    title = "MINE: Mutual Information Neural Estimation"
    found = site_client.get("/api/search", params={"q": "mutual information", "mode": "keyword"})
    paper_id = next(
        hit["paper"]["id"] for hit in found.json()["hits"] if hit["paper"]["title"] == title
    )
    site_hub.store.set_hidden(paper_id, True)
    again = site_client.get("/api/search", params={"q": "mutual information", "mode": "keyword"})
    assert title not in [hit["paper"]["title"] for hit in again.json()["hits"]]
    site_hub.store.set_hidden(paper_id, False)


@pytest.mark.parametrize(
    "value",
    ["'; DROP TABLE papers; --", 'title:"x', "a OR (b", "*", "\\", "%_", "\u202e", "<script>"],
)
def test_metacharacters_in_every_new_parameter(site_client: TestClient, value: str) -> None:
    for path, params in (
        ("/api/daily", {"date": value}),
        ("/api/weekly", {"week": value}),
        ("/api/monthly", {"month": value}),
        ("/hf/api/daily_papers", {"submitter": value}),
        ("/hf/api/daily_papers", {"date": value}),
        ("/hf/api/papers/search", {"q": value}),
    ):
        answer = site_client.get(path, params=params)
        assert answer.status_code in (200, 400), (path, value, answer.text)
        assert answer.headers["content-type"].startswith("application/json")
    assert site_client.get(f"/hf/api/papers/{value}").status_code == 404
    headers = {"Authorization": b"Bearer " + value.encode("utf-8")}  # a header carries bytes
    assert site_client.get("/api/me", headers=headers).status_code in (401, 403)
    assert site_client.post(f"/api/papers/{value}/vote").status_code in (401, 404)


def test_a_hostile_title_is_inert_on_the_new_pages(site_hub: Hub, site_client: TestClient) -> None:
    from litfeed.models import PaperRecord, SourceRef

    record = PaperRecord(
        title="<script>alert(1)</script> $\\frac{<img src=x onerror=alert(2)>}{2}$",
        abstract="<b>bold</b>",
        arxiv_id="2501.88888",
        source=SourceRef("t", "t:1"),
    )
    site_hub.store.save_records([record], site_hub.store.start_import("t", "t", ""))
    for path in ("/daily", "/weekly", "/monthly", "/"):
        html = site_client.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    paper = site_client.get("/hf/api/papers/2501.88888").json()
    assert paper["title"].startswith("<script>")  # JSON keeps the text; it is never HTML


def test_the_bundled_examples_make_a_living_hub(settings: object) -> None:
    """`litfeed load-examples` (and `make run`): the saved pages and two announcement weeks
    of real arXiv metadata, so that the lists, authors, categories, dates and code links a
    newcomer opens first show something; the day links skip the quiet days."""
    from litfeed.config import Settings
    from litfeed.web import create_app

    assert isinstance(settings, Settings)
    with Hub(settings) as hub:
        outcomes = hub.load_examples()
        assert sum(o.report.new for o in outcomes if o.report) == 471 + 2_518
        days = hub.store.days_with_papers(date(2026, 6, 1), date(2026, 7, 31))
        # arXiv's listings of 18 June to 1 July: the announcement evenings before them
        assert len(days) == 9 and min(days) == date(2026, 6, 17) and max(days) == date(2026, 6, 30)
        assert all(day.strftime("%a") not in ("Fri", "Sat") for day in days)
        assert hub.load_examples() == []  # only into an empty database
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        newest = client.get("/api/daily", params={"date": "2026-06-30"}).json()
        assert newest["pagination"]["total"] == 300
        papers = newest["papers"]
        assert all(p["authors"] and p["categories"] and p["arxiv_id"] for p in papers)
        assert any(link["kind"] == "code" for p in papers for link in p["links"])
        # the saved pages arrived today; the day before them with papers is the arXiv slice's
        today = client.get("/api/daily").json()
        assert today["pagination"]["total"] == 471
        assert today["previous"]["key"] == "2026-06-30" and today["next"] is None
        quiet = client.get("/api/daily", params={"date": "2026-06-20"}).json()  # a Saturday
        assert (quiet["previous"]["key"], quiet["next"]["key"]) == ("2026-06-18", "2026-06-22")
        week = client.get("/api/weekly", params={"week": "2026-W26"}).json()
        assert week["pagination"]["total"] > 1_000 and week["previous"]["key"] == "2026-W25"
        author = papers[0]["authors"][0]
        listed = client.get("/api/papers", params={"author": author}).json()
        assert listed["pagination"]["total"] >= 1
        category = client.get("/", params={"category": "cs.CV"})
        assert category.status_code == 200 and "Latest in cs.CV" in category.text


def test_trending_on_an_instance_that_fetched_nothing_for_a_while(site_hub: Hub) -> None:
    """The trend as of the newest papers, said so, rather than an empty page."""
    from litfeed.web.community_pages import trending_page

    record = PaperRecord(
        title="An old favourite",
        abstract="Much upvoted, long ago.",
        arxiv_id="2501.00042",
        announced=date(2025, 1, 20),
        community=CommunityStats(upvotes=40),
        source=SourceRef("t", "t"),
    )
    site_hub.store.save_records([record], site_hub.store.start_import("test", "t", "0" * 64))
    with site_hub.store.engine.begin() as connection:  # nothing fetched since that day
        connection.execute(sa.update(papers).values(day=date(2025, 1, 20)))
    page = trending_page(site_hub)
    assert page.as_of is not None and page.as_of.date() == date(2025, 1, 21)
    assert [t.paper.arxiv_id for t in page.papers] == ["2501.00042"]
