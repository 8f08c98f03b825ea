"""Hugging Face daily_papers JSON: the recorded real response and malformed entries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from litfeed.hub import Hub
from litfeed.ingest import ImportFormatError, detect_format, hf_daily, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import shared_path

FIXTURE = "fixtures/hf-daily-papers/daily_papers_2024-10-25.json"


@pytest.mark.shared
def test_recorded_response_keeps_votes_comments_and_submitter(hub: Hub) -> None:
    path = shared_path(FIXTURE)
    assert detect_format(SourceFile(path)).name == hf_daily.NAME
    report = import_file(hub.store, path)
    assert (report.new, report.updated, report.unchanged, report.rejected) == (29, 0, 0, [])
    paper = hub.get_paper("2410.17243")
    assert paper is not None
    assert paper.title.startswith("Breaking the Memory Barrier: Near Infinite Batch Size")
    assert (paper.upvotes, paper.comments, paper.submitted_by) == (64, 3, "Zesen Cheng")
    assert paper.published == date(2024, 10, 22)
    assert paper.submitted_at == datetime(2024, 10, 25, 0, 57, 9, 392000, UTC)
    assert paper.authors[:2] == ["Zesen Cheng", "Hang Zhang"]
    assert "https://huggingface.co/papers/2410.17243" in [link.url for link in paper.links]


def test_malformed_entries_are_rejected(tmp_path: Path) -> None:
    good = {
        "paper": {
            "id": "2410.00001",
            "title": "T",
            "summary": "S",
            "upvotes": 3,
            "authors": [{"name": "A"}],
            "publishedAt": "2024-10-22T17:59:30.000Z",
        },
        "numComments": 1,
        "submittedBy": {"fullname": "F"},
    }
    entries = [
        good,
        {"paper": {"id": "nope", "title": "T"}},
        {"title": "no paper"},
        {"paper": {**good["paper"], "upvotes": -1}},
    ]
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries))
    items = list(hf_daily.parse(SourceFile(path)))
    assert [str(i) for i in items if isinstance(i, Rejection)] == [
        "daily.json:entry 2: field 'paper.id': 'nope' is not an arXiv id",
        "daily.json:entry 3: field 'paper': missing or not an object",
        "daily.json:entry 4: field 'paper.upvotes': -1 is not a count",
    ]
    assert [i.arxiv_id for i in items if isinstance(i, PaperRecord)] == ["2410.00001"]


def test_truncated_json_is_one_clear_error(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text('[{"paper": {"id": "2410.00001", "upvotes": 1')
    with pytest.raises(ImportFormatError, match=r"daily.json:1: not JSON"):
        import_file(hub.store, path, format_name="hf-daily-papers")
