"""Damaged and hostile input: every bad record is rejected alone, naming where and which field,
and every good one is stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litfeed.ingest import ImportFormatError, import_file
from litfeed.models import PaperRecord, SourceRef
from litfeed.store import Store
from tests import hostile
from tests.conftest import EXAMPLES

PAIRS = hostile.example_pairs(EXAMPLES)
ARXIV = list(hostile.arxiv_records(PAIRS))
DAILY = list(hostile.hf_daily_entries(PAIRS))
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BUILDERS = {
    "arxiv-jsonl": (lambda rng: hostile.arxiv_jsonl_file(rng.sample(ARXIV, 12), rng), "jsonl"),
    "hf-daily-papers": (lambda rng: hostile.hf_daily_file(rng.sample(DAILY, 12), rng), "json"),
    "hf-papers-page": (lambda rng: hostile.hf_pages_file(rng.sample(PAIRS, 12), rng), "txt"),
    "arxiv-oai-pmh": (lambda rng: hostile.oai_file(rng.sample(ARXIV, 12), rng), "xml"),
    "arxiv-atom": (lambda rng: hostile.atom_file(rng.sample(ARXIV, 12), rng), "xml"),
    "arxiv-abs": (lambda rng: hostile.abs_tar_file(rng.sample(ARXIV, 12), rng), "tar"),
}


@pytest.mark.parametrize("format_name", list(BUILDERS))
@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_records_lose_only_themselves(
    store: Store, tmp_path_factory: pytest.TempPathFactory, format_name: str, rng: random.Random
) -> None:
    build, suffix = BUILDERS[format_name]
    mutated = build(rng)
    path = tmp_path_factory.mktemp("fuzz") / f"papers.{suffix}"
    path.write_bytes(mutated.data)
    try:
        report = import_file(store, path, format_name=format_name)
    except ImportFormatError:
        assert not mutated.intact_ids  # only a file with nothing good in it may fail whole
        return
    missing = [key for key in mutated.intact_ids if store.get_paper(key) is None]
    assert missing == []
    for rejection in report.rejected:
        assert rejection.location.startswith("papers.")
        assert rejection.reason and "\n" not in rejection.reason and len(rejection.reason) < 300


def _write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _arxiv(number: int, **fields: object) -> str:
    record = {**ARXIV[number], **fields}
    return json.dumps(record)


def test_each_cause_seen_by_fuzzing_is_one_rejection_naming_its_field(
    store: Store, tmp_path: Path
) -> None:
    lines = [
        _arxiv(0),
        hostile.mutate_json(ARXIV[1], ("title",), "[" * 5000 + "]" * 5000),
        hostile.mutate_json(ARXIV[2], ("abstract",), "9" * 5000),
        _arxiv(3, title="Lone \ud800 surrogate"),
        _arxiv(4, id="2501.00005v99999999999999999999"),
        _arxiv(5, authors=["A", ["nested"]]),
        _arxiv(6, title="NUL \x00 byte"),
        _arxiv(7, doi="10.1/" + "x" * 300),
        _arxiv(8, update_date="9999-12-31"),
        _arxiv(9, comments="x" * 20_000),
        _arxiv(10),
    ]
    path = tmp_path / "papers.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(store, path)
    assert report.new == 2
    reasons = {r.location: r.reason for r in report.rejected}
    assert reasons == {
        "papers.jsonl:2": "not JSON that can be read: nested too deeply",
        "papers.jsonl:3": reasons["papers.jsonl:3"],
        "papers.jsonl:4": "field 'title': character 6 is half of a UTF-16 surrogate pair",
        "papers.jsonl:5": "field 'id': '2501.00005v99999999999999999999' is not an arXiv id",
        "papers.jsonl:6": "field 'authors': expected a list of names or one string",
        "papers.jsonl:7": "field 'title': contains a NUL character",
        "papers.jsonl:8": "field 'doi': 305 characters; the limit is 255",
        "papers.jsonl:9": "field 'updated': 9999-12-31 is out of range (1700 to 2200)",
        "papers.jsonl:10": "field 'comment': 20,000 characters; the limit is 10,000",
    }
    assert reasons["papers.jsonl:3"].startswith("not JSON that can be read: Exceeds the limit")
    assert store.get_paper("2501.00001") and store.get_paper("2501.00011")


def test_hugging_face_entries_out_of_bounds_are_rejected_alone(
    store: Store, tmp_path: Path
) -> None:
    def entry(number: int, **paper: object) -> dict[str, object]:
        base = DAILY[number]
        return {**base, "paper": {**base["paper"], **paper}}  # type: ignore[dict-item]

    entries = [
        entry(0),
        entry(1, upvotes=2**63),
        {**DAILY[2], "numComments": 2**64},
        {**DAILY[3], "submittedBy": {"fullname": ["a", "list"]}},
        {**DAILY[4], "publishedAt": "9999-12-31T23:59:59-05:00"},
        {**DAILY[5], "publishedAt": "2025-02-04T10:00:00"},  # no zone: taken as UTC
        entry(6, githubRepo="http:javascript:alert(1)//"),
        entry(7, id="2502.00008v99999999999999999999"),
        {**DAILY[8], "submittedBy": {"fullname": "N" * 300}},
    ]
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries))
    report = import_file(store, path, format_name="hf-daily-papers")
    assert [str(r) for r in report.rejected] == [
        "daily.json:entry 2: field 'paper.upvotes': 9223372036854775808 is out of range "
        "(0 to 2147483647)",
        "daily.json:entry 3: field 'numComments': 18446744073709551616 is out of range "
        "(0 to 2147483647)",
        "daily.json:entry 4: field 'submittedBy.fullname': expected text, found ['a', 'list']",
        "daily.json:entry 5: field 'submitted_at': 9999-12-31T23:59:59-05:00 is out of range",
        "daily.json:entry 8: field 'paper.id': '2502.00008v99999999999999999999' is not an "
        "arXiv id",
        "daily.json:entry 9: field 'submitted_by': 300 characters; the limit is 255",
    ]
    assert report.new == 3
    no_zone = store.get_paper("2502.00006")
    assert no_zone is not None and no_zone.submitted_at is not None
    assert no_zone.submitted_at.isoformat() == "2025-02-04T10:00:00+00:00"
    unsafe = store.get_paper("2502.00007")
    assert unsafe is not None
    assert [link.kind for link in unsafe.links] == ["arxiv-abs", "arxiv-pdf", "huggingface"]


def test_json_nested_too_deeply_is_not_a_format_and_not_a_crash(
    store: Store, tmp_path: Path
) -> None:
    path = _write_lines(tmp_path / "deep.jsonl", "[" * 5000 + "]" * 5000)
    with pytest.raises(ImportFormatError, match="not a format litfeed can import"):
        import_file(store, path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" + "[" * 5000 + "]" * 5000 + ', {"paper": 1}]')
    with pytest.raises(ImportFormatError, match="no hf-daily-papers records"):
        import_file(store, deep, format_name="hf-daily-papers")


def test_a_record_the_database_refuses_is_rejected_alone(store: Store) -> None:
    """Past the checks (here called directly), the store still isolates each record: one
    Python cannot encode, and one with a value longer than its column (PostgreSQL refuses it,
    while COPY streams the batch; SQLite does not bound a string's length)."""
    import_id = store.start_import("test", "direct", "0" * 64)
    records = [
        PaperRecord(
            title=title, abstract="A", arxiv_id=f"2503.0000{n}", source=SourceRef("t", f"f:{n}")
        )
        for n, title in enumerate(["Good one", "Bad \ud800 title", "Good two"], start=1)
    ]
    records.append(
        PaperRecord(title="Long", abstract="A", hf_id="x" * 65, source=SourceRef("t", "f:4"))
    )
    counts = store.save_records(records, import_id)
    refused = ["f:2", "f:4"] if store.engine.dialect.name == "postgresql" else ["f:2"]
    assert (counts.new, [r.location for r in counts.rejected]) == (4 - len(refused), refused)
    assert all(r.reason.startswith("the database refused it:") for r in counts.rejected)
    assert store.get_paper("2503.00001") and store.get_paper("2503.00003")


def test_two_arxiv_papers_with_one_doi_stay_two(store: Store, tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path / "papers.jsonl",
        _arxiv(0, doi="10.1000/shared"),
        _arxiv(1, doi="10.1000/SHARED"),
    )
    report = import_file(store, path)
    assert (report.new, report.rejected) == (2, [])
    first, second = store.get_paper("2501.00001"), store.get_paper("2501.00002")
    assert first is not None and second is not None
    assert (first.title, second.title) == (PAIRS[0][0], PAIRS[1][0])
    assert first.doi == second.doi == "10.1000/shared"
    assert import_file(store, path).unchanged == 2
