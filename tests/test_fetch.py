"""Fetching from arXiv and Hugging Face against a local server replaying the recorded real
responses (tests/replay.py), faults included: exact paper counts after each harvest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from litfeed.config import Settings, load_settings
from litfeed.hub import Hub
from litfeed.sources import FetchBusy, FetchError, configured_sources
from litfeed.sources.arxiv import set_spec
from litfeed.sources.http import Pacer, PoliteClient, user_agent
from litfeed.store import HarvestState
from litfeed.store.schema import papers
from tests.conftest import ROOT, fetch_environment
from tests.replay import Fault, Replay

ALL_RECORDS = 2265  # the three recorded ListRecords pages: 1,000 + 1,000 + 265 papers


def _paper_count(hub: Hub) -> int:
    return hub.store.count_papers()


def test_a_harvest_with_a_503_and_a_cut_body_stores_every_paper_once(
    fetch_settings: Settings, replay: Replay
) -> None:
    replay.add_fault("oai:1", Fault(status=503, retry_after="1"))
    replay.add_fault("oai:2", Fault(cut=0.5))  # the connection closes half-way through
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        started = time.monotonic()
        [outcome] = fetcher.arxiv(["cs"], date(2023, 3, 7), "oai_dc")
        elapsed = time.monotonic() - started
        assert _paper_count(hub) == ALL_RECORDS
        run = hub.store.get_run(outcome.run_id)
        assert (run.status, run.new, run.updated, run.rejected) == ("ok", ALL_RECORDS, 0, 0)
        assert "complete: 3 pages, 2,265 records of 2,265" in run.detail
    assert [replay.count(f"oai:{n}") for n in range(3)] == [1, 2, 2]
    assert elapsed >= 1.0  # the Retry-After was waited for
    first = replay.requests[0][1]
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "set": "cs",
        "from": "2023-03-07",
    }
    assert replay.requests[1][1] == {"verb": "ListRecords", "resumptionToken": "6511260|1001"}


def test_a_body_that_is_not_well_formed_is_asked_again_never_half_stored(
    fetch_settings: Settings, replay: Replay
) -> None:
    replay.add_fault("oai:0", Fault(garble=True))  # complete for HTTP, cut short as XML
    replay.add_fault("oai:0", Fault(garble=True))
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        fetcher.arxiv(["cs"], date(2023, 3, 7), "oai_dc")
        assert _paper_count(hub) == ALL_RECORDS
    assert replay.count("oai:0") == 3


def test_a_second_harvest_changes_nothing_and_continues_from_the_first(
    fetch_settings: Settings, replay: Replay
) -> None:
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        fetcher.arxiv(["cs"], date(2023, 3, 7), "oai_dc")
        change = hub.store.latest_change()
        [again] = fetcher.arxiv(["cs"], metadata="oai_dc")
        run = hub.store.get_run(again.run_id)
        assert (run.new, run.updated, run.unchanged) == (0, 0, ALL_RECORDS)
        assert hub.store.latest_change() == change
        assert _paper_count(hub) == ALL_RECORDS
    # Without --from, the second harvest starts on the day the first one began.
    second = [query for _path, query, key in replay.requests if "metadataPrefix" in query][1]
    assert second["from"] == datetime.now(UTC).date().isoformat()


def test_an_expired_resumption_token_restarts_the_window(
    fetch_settings: Settings, replay: Replay
) -> None:
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        stale = HarvestState(
            "arxiv:cs", window_from=date(2023, 3, 7), metadata_format="oai_dc", token="old|1"
        )
        hub.store.save_harvest_state(stale)
        [outcome] = fetcher.arxiv(["cs"], metadata="oai_dc")
        assert outcome.restarted and _paper_count(hub) == ALL_RECORDS
    assert replay.count("oai:bad") == 1
    restart = [query for _path, query, _key in replay.requests if "metadataPrefix" in query]
    assert restart[0]["from"] == "2023-03-07"


def test_no_records_match_is_an_empty_harvest_and_other_errors_fail(
    fetch_settings: Settings, replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = replay.answer

    def quiet(path: str, query: dict[str, str]) -> tuple[str, int, bytes, str]:
        if query.get("set") in ("math", "cs:nonsense"):
            code = "noRecordsMatch" if query["set"] == "math" else "badArgument"
            body = (
                '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                f'<error code="{code}">none</error></OAI-PMH>'
            )
            return f"oai:{code}", 200, body.encode(), "text/xml"
        return answer(path, query)

    monkeypatch.setattr(replay, "answer", quiet)
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        [outcome] = fetcher.arxiv(["math"], metadata="oai_dc")
        run = hub.store.get_run(outcome.run_id)
        assert (run.status, run.new, outcome.records) == ("ok", 0, 0)
        with pytest.raises(FetchError, match="badArgument"):
            fetcher.arxiv(["cs:nonsense"], metadata="oai_dc")
        [failed] = hub.store.last_runs("arxiv:cs:nonsense")
        assert failed.status == "failed" and "badArgument" in failed.detail


def test_tries_are_bounded_and_a_failed_harvest_keeps_its_pages(
    fetch_settings: Settings, replay: Replay
) -> None:
    for _ in range(fetch_settings.fetch_tries):
        replay.add_fault("oai:1", Fault(status=500))
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        with pytest.raises(FetchError, match="HTTP 500 \\(6 tries\\)"):
            fetcher.arxiv(["cs"], date(2023, 3, 7), "oai_dc")
        assert _paper_count(hub) == 1000
        [run] = hub.store.last_runs("arxiv:cs")
        assert run.status == "failed" and run.new == 1000
        fetcher.arxiv(["cs"], metadata="oai_dc")  # resumes at the page that failed
        assert _paper_count(hub) == ALL_RECORDS
    assert replay.count("oai:0") == 1 and replay.count("oai:1") == 7


def test_a_status_that_is_not_retried_fails_at_once(example_replay: Replay) -> None:
    replay = example_replay
    with PoliteClient(tries=5, backoff=0) as client, pytest.raises(FetchError, match="404"):
        client.get(f"{replay.url}/nothing-here")
    assert replay.count("missing") == 1


def test_the_delay_between_requests_and_the_user_agent(example_replay: Replay) -> None:
    replay = example_replay
    seen: list[float] = []
    arxiv_host = replay.url.removeprefix("http://")
    client = PoliteClient(contact="me@example.org", delays={arxiv_host: 0.5})
    with client:
        for _ in range(3):
            client.get(f"{replay.url}/oai", {"verb": "ListRecords"})
            seen.append(time.monotonic())
    assert seen[1] - seen[0] >= 0.5 and seen[2] - seen[1] >= 0.5
    assert replay.agents == [user_agent("me@example.org")] * 3
    assert user_agent("me@example.org") == (
        "litfeed/0.1.0 (self-hosted paper feed; contact: me@example.org)"
    )


def test_the_delay_holds_across_the_clients_of_a_process(example_replay: Replay) -> None:
    """The worker's threads each have a client; arXiv's pause is per process: six requests by
    two clients on two threads take at least five pauses, one at a time."""
    replay = example_replay
    host = replay.url.removeprefix("http://")
    pacer = Pacer()
    delay = 0.3
    clients = [
        PoliteClient(delays={host: delay}, groups={host: "arxiv"}, pacer=pacer) for _ in range(2)
    ]

    def fetch(client: PoliteClient) -> None:
        for _ in range(3):
            client.get(f"{replay.url}/oai", {"verb": "ListRecords"})

    started = time.monotonic()
    threads = [threading.Thread(target=fetch, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert time.monotonic() - started >= 5 * delay
    assert sum(client.requests for client in clients) == 6
    # A stopped client waiting for its turn gives up at once, asking nothing.
    stop = threading.Event()
    stop.set()
    with pytest.raises(FetchError, match="stopped"):
        PoliteClient(delays={host: delay}, groups={host: "arxiv"}, pacer=pacer, stop=stop).get(
            f"{replay.url}/oai"
        )
    for client in clients:
        client.close()


# (replay fixture, papers in all, papers of the first two pages, the third page's token)
KILL_CASES = {
    "recorded": ("replay", ALL_RECORDS, 2000, "6511260|2001"),
    "example": ("example_replay", 471, 400, "day|2"),
}


@pytest.mark.parametrize("case", list(KILL_CASES))
def test_the_kill_of_a_harvest_between_pages_and_its_resume(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The process is killed (SIGKILL) while it waits for page 3: pages 1 and 2 are committed;
    the next run resumes with page 3's token and ends with exactly the uninterrupted count.
    On the three recorded pages, and (without ../shared) on pages made from the examples."""
    name, total, two_pages, token = KILL_CASES[case]
    replay: Replay = request.getfixturevalue(name)
    hang = threading.Event()
    replay.add_fault("oai:2", Fault(hang=hang))
    environment = {**os.environ, **fetch_environment(replay, tmp_path / "data")}
    command = [sys.executable, "-m", "litfeed", "fetch", "arxiv", "--set", "cs"]
    command += ["--metadata", "oai_dc", "--from", "2023-03-07"]
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        assert replay.arrived["oai:2"].wait(60)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        hang.set()
        if process.poll() is None:
            process.kill()
    settings = Settings(data_dir=tmp_path / "data")
    with Hub(settings) as hub:
        assert _paper_count(hub) == two_pages
        state = hub.store.harvest_state("arxiv:cs")
        assert state is not None and state.token == token and state.pages == 2
    again = subprocess.run(
        [sys.executable, "-m", "litfeed", "fetch", "arxiv", "--set", "cs", "--metadata", "oai_dc"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "resuming after page 2" in again.stderr
    with Hub(settings) as hub:
        assert _paper_count(hub) == total
        state = hub.store.harvest_state("arxiv:cs")
        assert state is not None and state.token is None
    resumed = replay.requests[-1][1]
    assert resumed == {"verb": "ListRecords", "resumptionToken": token}


def test_a_second_fetch_while_one_runs_exits_saying_so(
    example_replay: Replay, tmp_path: Path
) -> None:
    replay = example_replay
    environment = {**os.environ, **fetch_environment(replay, tmp_path / "data")}
    settings = Settings(data_dir=tmp_path / "data")
    with Hub(settings) as hub, hub.fetcher() as fetcher, fetcher.locked():
        busy = subprocess.run(
            [sys.executable, "-m", "litfeed", "fetch", "hf-daily"],
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        with pytest.raises(FetchBusy), hub.fetcher() as other, other.locked():
            pass
    assert busy.returncode == 75
    assert "another fetch runs on this database" in busy.stderr
    assert replay.requests == []


def test_single_papers_through_the_atom_api(fetch_settings: Settings, replay: Replay) -> None:
    ids = ["1605.08386", "astro-ph/0601001", "https://arxiv.org/abs/quant-ph/0201082v1"]
    asked = "atom:1605.08386,astro-ph/0601001,quant-ph/0201082v1,0808.05394"
    replay.add_fault(asked, Fault(status=503, retry_after="0"))
    replay.add_fault(asked, Fault(garble=True))
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        outcome = fetcher.arxiv_ids([*ids, "abc", "0808.05394"])
        assert sorted(record.arxiv_id or "" for record in outcome.found) == [
            "1605.08386",
            "astro-ph/0601001",
            "quant-ph/0201082",
        ]
        assert [(r.location, r.reason) for r in outcome.rejected] == [
            ("abc", "not an arXiv id"),
            ("0808.05394", "arXiv knows no paper with this id"),
        ]
        assert _paper_count(hub) == 3
        paper = hub.get_paper("hep-th/9901001") or hub.get_paper("astro-ph/0601001")
        assert paper is not None and paper.title.startswith("Frequency of Hot Jupiters")
        run = hub.store.get_run(outcome.run_id)
        assert (run.new, run.rejected, run.status) == (3, 2, "ok")
        again = fetcher.arxiv_ids(ids)
        assert hub.store.get_run(again.run_id).unchanged == 3
    # one request for all the ids (arXiv's terms ask for few requests), tried three times
    assert replay.count(asked) == 3
    assert sum(1 for path, _query, _key in replay.requests if path == "/api/query") == 4


def test_hugging_face_daily_papers_with_a_503(fetch_settings: Settings, replay: Replay) -> None:
    replay.add_fault("hf:2024-10-25", Fault(status=503, retry_after="0"))
    replay.add_fault("hf:2024-10-25", Fault(cut=0.3))
    replay.add_fault("hf:2024-10-25", Fault(garble=True))  # complete for HTTP, not as JSON
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        outcome = fetcher.hf_daily(day=date(2024, 10, 25))
        assert outcome.records == 29 and _paper_count(hub) == 29
        paper = hub.get_paper("2410.17243")
        assert paper is not None and paper.upvotes == 64 and paper.comments == 3
        again = fetcher.hf_daily(day=date(2024, 10, 25))
        assert hub.store.get_run(again.run_id).unchanged == 29
    assert replay.count("hf:2024-10-25") == 5
    query = replay.requests[0][1]
    assert query == {"date": "2024-10-25", "limit": "100", "p": "0"}


def test_hugging_face_without_a_date_takes_the_days_since_the_last_fetch(
    fetch_settings: Settings, replay: Replay
) -> None:
    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        hub.store.save_harvest_state(HarvestState("hf-daily", next_from=date(2024, 10, 24)))
        outcome = fetcher.hf_daily()
    # at most 14 days back: the state's day is long past
    assert len(outcome.periods) == 14
    assert outcome.periods[-1] == datetime.now(UTC).date().isoformat()


def test_configured_sources_and_set_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set_spec("cs.LG") == "cs:cs:LG"
    assert set_spec("cs") == "cs"
    assert set_spec("stat.ML") == "stat:stat:ML"
    assert set_spec("astro-ph.CO") == "physics:astro-ph:CO"
    assert set_spec("hep-th") == "physics:hep-th"
    assert set_spec("cs:cs:AI") == "cs:cs:AI"
    monkeypatch.setenv("LITFEED_SOURCES", "arxiv:cs.LG,cs.CL,stat.ML hf-daily")
    sources = configured_sources(load_settings())
    assert [source.origin for source in sources] == [
        "arxiv:cs:cs:LG",
        "arxiv:cs:cs:CL",
        "arxiv:stat:stat:ML",
        "hf-daily",
    ]


def test_versions_update_a_paper_and_withdrawn_papers_are_marked(hub: Hub, tmp_path: Path) -> None:
    def raw(version: int, comment: str) -> str:
        versions = "".join(
            f'<version version="v{n}"><date>Mon, {n} Jan 2024 10:00:00 GMT</date></version>'
            for n in range(1, version + 1)
        )
        return (
            '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<ListRecords><record><header><identifier>oai:arXiv.org:2401.00001</identifier>"
            '</header><metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
            f"<id>2401.00001</id>{versions}<title>Title v{version}</title>"
            f"<authors>A. Author</authors><categories>cs.LG</categories>"
            f"<comments>{comment}</comments><abstract>Abstract v{version}.</abstract>"
            "</arXivRaw></metadata></record></ListRecords></OAI-PMH>"
        )

    first, second = tmp_path / "v1.xml", tmp_path / "v2.xml"
    first.write_text(raw(1, "10 pages"))
    second.write_text(raw(2, "This paper has been withdrawn by the author"))
    hub.import_paths([first])
    before = hub.get_paper("2401.00001")
    assert before is not None and not before.withdrawn
    hub.import_paths([second])
    after = hub.get_paper("2401.00001")
    assert after is not None and after.pk == before.pk and after.id == before.id
    assert (after.title, after.arxiv_version, after.withdrawn) == ("Title v2", 2, True)
    assert [(v.number, v.submitted) for v in after.versions] == [
        (1, date(2024, 1, 1)),
        (2, date(2024, 1, 2)),
    ]
    hub.import_paths([first])  # an older version arriving late changes nothing
    late = hub.get_paper("2401.00001")
    assert late is not None and late.title == "Title v2" and late.withdrawn
    with hub.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar() == 1


def test_a_harvest_of_the_example_corpus_with_faults(
    example_replay: Replay, tmp_path: Path, database_url: str
) -> None:
    never = threading.Event()
    example_replay.add_fault("oai:0", Fault(hang=never))  # answers nothing: the timeout
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    example_replay.add_fault("oai:0", Fault(status=429, retry_after=soon))  # as an HTTP date
    example_replay.add_fault("oai:1", Fault(status=503, retry_after="1"))
    example_replay.add_fault("oai:2", Fault(cut=0.4))
    example_replay.add_fault("oai:2", Fault(garble=True))
    environment = fetch_environment(example_replay, tmp_path / "data")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        arxiv_oai_url=environment["LITFEED_ARXIV_OAI_URL"],
        arxiv_delay=0.1,
        fetch_backoff=0.1,
        fetch_timeout=1.0,
        embed_on_import=False,
    )
    with Hub(settings) as hub, hub.fetcher() as fetcher:
        [outcome] = fetcher.arxiv(["cs.LG"], date(2025, 1, 1))
        never.set()
        assert (outcome.pages, outcome.records, _paper_count(hub)) == (3, 471, 471)
        paper = hub.get_paper("2501.00001")
        assert paper is not None and [v.number for v in paper.versions] == [1]
        [again] = fetcher.arxiv(["cs.LG"])
        run = hub.store.get_run(again.run_id)
        assert (run.new, run.updated, run.unchanged, run.status) == (0, 0, 471, "ok")
    assert [example_replay.count(f"oai:{n}") for n in range(3)] == [4, 3, 4]
    assert example_replay.requests[0][1]["set"] == "cs:cs:LG"


def test_submissions_are_fetched_credited_and_put_on_todays_page(
    fetch_settings: Settings, replay: Replay
) -> None:
    from fastapi.testclient import TestClient

    from litfeed.announcements import announcement_day
    from litfeed.community.accounts import add_account, new_token
    from litfeed.jobs.submissions import fetch_submissions
    from litfeed.models import PaperRecord, SourceRef
    from litfeed.web import create_app

    with Hub(fetch_settings) as hub, hub.fetcher() as fetcher:
        account = add_account(
            hub.store, "ada@example.org", "a long password", verified=True, name="ada_l"
        )
        token, _ = new_token(hub.store, account)
        record = PaperRecord(
            title="Arrived without dates", arxiv_id="2501.99999", source=SourceRef("t", "t:1")
        )
        hub.store.save_records([record], hub.store.start_import("t", "t", ""))
        today = announcement_day(datetime.now(UTC))
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(fetch_settings), base_url="http://localhost") as client:
            asked = client.post("/api/submissions", json={"paper": "1605.08386"}, headers=headers)
            assert asked.status_code == 201 and asked.json()["status"] == "pending"
            unknown = client.post(
                "/api/submissions",
                json={"paper": "https://arxiv.org/abs/0808.05394"},
                headers=headers,
            ).json()
            here = client.post("/api/submissions", json={"paper": "2501.99999v2"}, headers=headers)
            assert (
                here.json()["status"] == "exists" and "joins today's page" in here.json()["message"]
            )
            bad = client.post("/api/submissions", json={"paper": "not a paper"}, headers=headers)
            assert bad.status_code == 400 and "not an arXiv id" in bad.json()["error"]
            assert fetch_submissions(hub, fetcher, lambda _line: None) == 2
            done = client.get(f"/api/submissions/{asked.json()['id']}", headers=headers).json()
            assert done == {
                "id": asked.json()["id"],
                "arxiv_id": "1605.08386",
                "status": "done",
                "paper": "1605.08386",
                "detail": None,
            }
            failed = client.get(f"/api/submissions/{unknown['id']}", headers=headers).json()
            assert failed["status"] == "failed" and "knows no paper" in failed["detail"]
            page = client.get("/papers/1605.08386").text
            assert f"<dt>Submitted here</dt><dd>{today}, by ada_l</dd>" in page
            credited = client.get("/hf/api/daily_papers", params={"submitter": "ADA_L"}).json()
            assert {entry["paper"]["id"] for entry in credited} == {"1605.08386", "2501.99999"}
            assert {entry["submittedBy"]["name"] for entry in credited} == {"ada_l"}
            listed = client.get("/api/daily", params={"date": today.isoformat()}).json()
            assert {paper["id"] for paper in listed["papers"]} >= {"1605.08386", "2501.99999"}
        paper = hub.get_paper("1605.08386")
        assert paper is not None and paper.submitted_here == today and paper.day == today
        assert fetch_submissions(hub, fetcher, lambda _line: None) == 0  # nothing pending
