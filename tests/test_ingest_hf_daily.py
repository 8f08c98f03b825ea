"""Hugging Face daily_papers JSON: the recorded real response and malformed entries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert paper.submitter_user == "ClownRat"  # what Hugging Face's `submitter=` filter takes
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


def _entry(number: int) -> dict[str, object]:
    return {
        "paper": {
            "id": f"2410.{number:05d}",
            "title": f"Paper {number}",
            "summary": 'An abstract with a "quote", a ] and a }.',
            "upvotes": number,
        },
        "numComments": 0,
    }


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_file_cut_short_keeps_every_whole_entry_before_the_cut(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    entries = [_entry(number) for number in range(1, 6)]
    text = json.dumps(entries, indent=data.draw(st.sampled_from([None, 2])))
    cut = data.draw(st.integers(min_value=2, max_value=len(text)))
    path = tmp_path_factory.mktemp("daily") / "daily.json"
    path.write_text(text[:cut])
    items = list(hf_daily.parse(SourceFile(path)))
    whole = sum(1 for entry in entries if _end_of(text, entry) <= cut)
    kept = [item.arxiv_id for item in items if isinstance(item, PaperRecord)]
    assert kept == [f"2410.{number:05d}" for number in range(1, whole + 1)]
    rejections = [str(item) for item in items if isinstance(item, Rejection)]
    if cut == len(text):
        assert rejections == []
    else:
        assert len(rejections) == 1
        assert rejections[0].startswith(f"daily.json:entry {whole + 1}: the file is cut short")


def _end_of(text: str, entry: dict[str, object]) -> int:
    """Where the JSON of ``entry`` ends in ``text``: at the first brace after its last key."""
    paper = entry["paper"]
    assert isinstance(paper, dict)
    start = text.index(paper["id"])
    return text.index("}", text.index('"numComments"', start)) + 1


def test_a_broken_entry_loses_only_itself(hub: Hub, tmp_path: Path) -> None:
    good = json.dumps([_entry(1), _entry(2)])
    path = tmp_path / "daily.json"
    text = good[:-1] + ', {"paper": oops}, ' + json.dumps(_entry(3)) + "]"
    path.write_text(text)
    report = import_file(hub.store, path, format_name="hf-daily-papers")
    assert report.new == 3
    assert hub.get_paper("2410.00003") is not None
    column = text.index("oops") + 1
    assert [str(r) for r in report.rejected] == [
        f"daily.json:entry 3: not JSON (Expecting value), at line 1, column {column}"
    ]


def test_a_file_that_is_not_json_is_one_clear_error(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text("{oops")
    with pytest.raises(ImportFormatError, match=r"daily.json:1: not JSON"):
        import_file(hub.store, path, format_name="hf-daily-papers")
