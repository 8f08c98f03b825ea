"""Hugging Face Papers compatibility: the official `huggingface_hub` client against a served
litfeed (`HfApi(endpoint=".../hf")`). `paper_info` and `list_papers` with the client litfeed's
own environment has (0.36, pinned below 1.0 by transformers); `list_daily_papers`, which came in
1.2, with the newest client in a venv of its own (`.venv-hfclient`, made by `make test`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import huggingface_hub.constants
import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import reset_sessions

from litfeed.config import Settings
from litfeed.hub import Hub
from tests import hostile
from tests.conftest import EXAMPLES, ROOT
from tests.postgres import free_port

HF_CLIENT = ROOT / ".venv-hfclient" / "bin" / "python"
DAY = "2025-02-04"  # the day hostile.hf_daily_entries' papers entered Daily Papers


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[str]:
    """litfeed serving the example corpus as Hugging Face daily papers of one day (471
    entries with upvotes 1 to 471 and a submitter)."""
    data_dir = tmp_path_factory.mktemp("hf") / "data"
    daily = data_dir.parent / "daily.json"
    entries = list(hostile.hf_daily_entries(hostile.example_pairs(EXAMPLES)))
    daily.write_text(json.dumps(entries))
    with Hub(Settings(data_dir=data_dir, models_dir=models_dir, embed_on_import=False)) as hub:
        hub.import_paths([daily], embed=False)
    port = free_port()
    environment = {**os.environ, "LITFEED_DATA_DIR": str(data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(models_dir)
    environment.pop("LITFEED_DATABASE_URL", None)
    command = [sys.executable, "-m", "litfeed", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--no-worker"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/papers", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tests run with HF_HUB_OFFLINE=1 (nothing may be downloaded); these clients talk to
    the local server only."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    # A session made earlier in this process (offline) keeps refusing every request.
    reset_sessions()
    yield
    reset_sessions()


def _without_offline() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "HF_HUB_OFFLINE"}


@pytest.mark.usefixtures("online")
def test_paper_info_and_list_papers_with_the_installed_client(server: str) -> None:
    api = HfApi(endpoint=f"{server}/hf")
    info = api.paper_info("2502.00001")
    assert info.id == "2502.00001"
    assert info.title == "On Mutual Information Maximization for Representation Learning"
    assert info.upvotes == 1 and info.authors == ["A. Author", "B. Author"]
    assert info.submitted_by is not None and info.submitted_by.fullname == "A. Submitter"
    assert info.published_at is not None and info.published_at.year == 2025
    found = list(api.list_papers(query="mutual information"))
    assert found and found[0].id.startswith("2502.")
    assert "2502.00001" in [paper.id for paper in found]
    with pytest.raises(Exception, match="404"):
        api.paper_info("9999.99999")


def test_list_daily_papers_with_the_newest_client(server: str) -> None:
    if not HF_CLIENT.exists():
        pytest.skip(f"{HF_CLIENT} is absent: `make test` makes it (huggingface_hub 2.4.0)")
    script = f"""
import json
from huggingface_hub import HfApi
api = HfApi(endpoint="{server}/hf")
day = list(api.list_daily_papers(date="{DAY}", limit=100))
top = list(api.list_daily_papers(date="{DAY}", sort="trending", limit=3))
second_page = list(api.list_daily_papers(date="{DAY}", p=1, limit=100))
week = list(api.list_daily_papers(week="2025-W06", limit=100, p=4))
none = list(api.list_daily_papers(date="2025-02-08"))
mine = list(api.list_daily_papers(submitter="Submitter", limit=5))
print(json.dumps({{
    "day": len(day), "first": day[0].id, "title": day[0].title,
    "submitted_at": day[0].submitted_at.isoformat(), "upvotes": [p.upvotes for p in top],
    "second_page": len(second_page), "week_last_page": len(week), "none": len(none),
    "mine": len(mine),
}}))
"""
    result = subprocess.run(
        [str(HF_CLIENT), "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=_without_offline(),
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["day"] == 100 and seen["second_page"] == 100
    assert seen["week_last_page"] == 71  # 471 papers, pages of 100: the fifth has 71
    assert seen["submitted_at"].startswith("2025-02-04T00:57:09")
    assert seen["upvotes"] == [471, 470, 469]  # no votes here: Hugging Face's order
    assert seen["none"] == 0 and seen["mine"] == 5


def test_the_shapes_follow_the_recorded_response(server: str) -> None:
    entry = httpx.get(f"{server}/hf/api/daily_papers", params={"date": DAY, "limit": 1}).json()[0]
    assert set(entry) >= {"paper", "publishedAt", "title", "numComments", "submittedBy"}
    assert set(entry["paper"]) >= {
        "id",
        "authors",
        "publishedAt",
        "title",
        "summary",
        "upvotes",
        "discussionId",
    }
    assert entry["paper"]["authors"][0] == {
        "_id": f"{entry['paper']['id']}-0",
        "name": "A. Author",
        "hidden": False,
    }
    bad = httpx.get(f"{server}/hf/api/daily_papers", params={"week": "2025-6"})
    assert bad.status_code == 400 and "write it like 2024-W43" in bad.json()["error"]
    assert httpx.get(f"{server}/hf/api/daily_papers", params={"limit": 101}).status_code == 400
