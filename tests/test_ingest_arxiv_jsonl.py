"""arXiv JSON lines: both layouts, gzip, malformed lines, and the real 74,728-paper corpus."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.ingest import arxiv_jsonl, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import shared_path

LISTING = {
    "id": "2503.11731",
    "title": "Industrial-Grade Sensor Simulation via Gaussian Splatting",
    "abstract": "Sensor simulation is pivotal.\nCode: https://github.com/example/gs-sim.",
    "authors": ["Xianming Zeng", "Sicong Du"],
    "categories": ["cs.CV", "cs.RO"],
    "comment": "Project page: https://example.org/gs",
    "first_listing_date": "2025-03-18",
}
SNAPSHOT = {
    "id": "0704.0001",
    "title": "Calculation of prompt diphoton production cross sections",
    "abstract": "  A fully differential calculation in perturbative QCD.\n",
    "authors": "C. Bal\u00e1zs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan",
    "categories": "hep-ph",
    "comments": "37 pages, 15 figures",
    "doi": "10.1103/PhysRevD.76.013009",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _parse(path: Path) -> list[PaperRecord | Rejection]:
    return list(arxiv_jsonl.parse(SourceFile(path)))


def test_listing_layout(tmp_path: Path) -> None:
    (record,) = _parse(_write(tmp_path / "a.jsonl", [json.dumps(LISTING)]))
    assert isinstance(record, PaperRecord)
    assert record.arxiv_id == "2503.11731" and record.arxiv_version is None
    assert record.authors == ["Xianming Zeng", "Sicong Du"]
    assert record.published == date(2025, 3, 18)
    # arXiv's listing of Tuesday 18 March holds Monday evening's announcement: the paper's day
    assert record.announced == date(2025, 3, 17)
    assert [(link.kind, link.url) for link in record.links] == [
        ("code", "https://github.com/example/gs-sim"),
        ("project", "https://example.org/gs"),
    ]


def test_snapshot_layout(tmp_path: Path) -> None:
    (record,) = _parse(_write(tmp_path / "s.jsonl", [json.dumps(SNAPSHOT)]))
    assert isinstance(record, PaperRecord)
    assert record.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert record.categories == ["hep-ph"]
    assert (record.arxiv_version, record.doi, record.comment) == (
        2,
        "10.1103/PhysRevD.76.013009",
        "37 pages, 15 figures",
    )
    assert (record.published, record.updated) == (date(2007, 4, 2), date(2008, 11, 13))


def test_malformed_lines_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    lines = [
        json.dumps(LISTING),
        "{not json",
        json.dumps({**LISTING, "id": "banana"}),
        json.dumps({**LISTING, "title": ""}),
        json.dumps({**LISTING, "first_listing_date": "yesterday"}),
        json.dumps({**LISTING, "authors": 7}),
        "[1, 2]",
        "",
        json.dumps({**LISTING, "id": "2503.11732v3"}),
    ]
    items = _parse(_write(tmp_path / "bad.jsonl", lines))
    assert [str(item) for item in items if isinstance(item, Rejection)] == [
        "bad.jsonl:2: not JSON (Expecting property name enclosed in double quotes, column 2)",
        "bad.jsonl:3: field 'id': 'banana' is not an arXiv id",
        "bad.jsonl:4: field 'title' is missing or empty",
        "bad.jsonl:5: field 'first_listing_date': 'yesterday' is not a date (YYYY-MM-DD)",
        "bad.jsonl:6: field 'authors': expected a list of names or one string",
        "bad.jsonl:7: expected a JSON object, found list",
    ]
    good = [item for item in items if isinstance(item, PaperRecord)]
    assert [(r.arxiv_id, r.arxiv_version) for r in good] == [
        ("2503.11731", None),
        ("2503.11732", 3),
    ]


def test_import_keeps_good_records_of_a_file_with_bad_ones(hub: Hub, tmp_path: Path) -> None:
    path = _write(tmp_path / "mixed.jsonl", [json.dumps(LISTING), "garbage", json.dumps(SNAPSHOT)])
    report = import_file(hub.store, path)
    assert (report.new, len(report.rejected)) == (2, 1)
    assert hub.store.count_papers() == 2


def test_gzip_is_read_and_a_truncated_gzip_keeps_what_was_read(hub: Hub, tmp_path: Path) -> None:
    records = [
        json.dumps({**LISTING, "id": f"2503.{n:05d}", "title": f"Paper {n}"}) for n in range(3000)
    ]
    data = gzip.compress(("\n".join(records) + "\n").encode())
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(data)
    assert import_file(hub.store, whole).new == 3000
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    report = import_file(hub.store, cut, batch_size=100)
    assert report.rejected and "cut short or corrupt" in report.rejected[-1].reason
    assert report.unchanged > 0 and report.new == 0


@pytest.mark.shared
def test_the_real_corpus_imports_all_74728_papers(hub: Hub) -> None:
    corpus = shared_path("corpora/arxiv-cs-2025-03_2026-07.jsonl.gz")
    progress: dict[str, list[tuple[int, int]]] = {}
    (outcome,) = hub.import_paths(
        [corpus], progress_for=lambda name: lambda *a: progress.setdefault(name, []).append(a)
    )
    assert outcome.report is not None
    assert (outcome.report.new, outcome.report.rejected) == (74728, [])
    assert progress[corpus.name][-1] == (corpus.stat().st_size, corpus.stat().st_size)
    assert progress["search index"][-1] == (74728, 74728)
    assert hub.stats()["papers"] == 74728
    assert hub.keyword_index.document_count() == 74728
    again = import_file(hub.store, corpus)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 74728)


EXAMPLE_SLICE = next((Path(__file__).parent.parent / "src/litfeed/examples/arxiv").glob("*.gz"))


def _snapshot_file(path: Path, copies: int) -> int:
    """The bundled two weeks of arXiv metadata, ``copies`` times over with new arXiv ids, as
    one gzip JSON-lines file (the snapshot's shape at a scale a kill can land in); the number
    of records."""
    with gzip.open(EXAMPLE_SLICE, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    written = 0
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for copy in range(copies):
            for number, record in enumerate(records):
                out.write(json.dumps({**record, "id": f"{2001 + copy:04d}.{number:05d}"}) + "\n")
                written += 1
    return written


@pytest.mark.parametrize("compressed", [False, True])
def test_lines_start_after_a_checkpoint(tmp_path: Path, compressed: bool) -> None:
    text = "".join(f'{{"n": {n}, "pad": "{"é" * (n % 7)}"}}\n' for n in range(1, 201))
    path = tmp_path / ("lines.jsonl.gz" if compressed else "lines.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    first = SourceFile(path)
    read = []
    for number, line in first.lines():
        read.append((number, line))
        if number == 73:
            position = first.position
            break
    assert position == (73, len("".join(text.splitlines(keepends=True)[:73]).encode()))
    rest = list(SourceFile(path, after=position).lines())
    assert rest[0] == (74, text.splitlines()[73]) and len(rest) == 127
    assert [line for _n, line in read + rest] == text.splitlines()


def test_categories_keep_only_the_archives_and_categories_asked_for(settings: Settings) -> None:
    with Hub(settings) as hub:
        report = import_file(hub.store, EXAMPLE_SLICE, categories=["cs.RO", "eess"])
        kept = hub.store.list_papers(0, 10_000)[0]
        assert kept and report.new == len(kept) and report.skipped > 0
        assert report.new + report.skipped == 2_518
        for paper in kept:
            assert any(c == "cs.RO" or c.startswith("eess.") for c in paper.categories)
        again = import_file(hub.store, EXAMPLE_SLICE, categories=["CS"])  # archive, any case
        assert again.skipped == 0 and again.new == 2_518 - len(kept)


def test_an_import_killed_mid_file_resumes_after_its_last_batch(
    settings: Settings, tmp_path: Path
) -> None:
    """`litfeed import` of a snapshot killed with SIGKILL mid-file, then `--resume`: it goes
    on after the last committed batch (not from the start), and every paper is stored once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import sqlalchemy as sa

    from litfeed.store.schema import imports, papers

    snapshot = tmp_path / "arxiv-metadata-snapshot.json.gz"
    total = _snapshot_file(snapshot, 8)
    environment = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "litfeed", "import", "--no-embed", "--no-progress"]
    with Hub(settings) as hub:  # the database made first, so polling it cannot race its start
        engine = hub.store.engine
    running = subprocess.Popen([*command, str(snapshot)], env=environment)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                line = connection.execute(sa.select(sa.func.max(imports.c.resume_line))).scalar()
            if line and line >= 3_000:
                break
            assert running.poll() is None, "the import ended before it could be killed"
            time.sleep(0.05)
        running.send_signal(signal.SIGKILL)
    finally:
        running.wait(30)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar()
        row = connection.execute(sa.select(imports)).mappings().one()
    assert row["finished_at"] is None and 0 < stored < total
    assert row["new"] == stored  # the counts committed with the papers
    done = subprocess.run(
        [*command, "--resume", str(snapshot)], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"resumed after line {row['resume_line']:,}" in done.stdout
    assert f"{total} new, 0 updated, 0 unchanged" in done.stdout  # none read twice
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar() == total
        finished = connection.execute(sa.select(imports)).mappings().all()
    assert len(finished) == 1 and finished[0]["finished_at"] is not None
    assert finished[0]["new"] == total
    engine.dispose()


def test_a_listing_date_is_the_day_after_its_announcement() -> None:
    """Monday's listing is Sunday evening's announcement, Tuesday's to Friday's the evening
    before theirs; a listing dated on a weekend (arXiv's rare exceptions) falls back to
    Thursday's: no paper's day is a Friday or a Saturday, when arXiv announces nothing."""
    from litfeed.announcements import announcement_of_listing, announces_on

    monday = date(2026, 6, 22)
    expected = ["Sun", "Mon", "Tue", "Wed", "Thu", "Thu", "Thu"]
    days = [announcement_of_listing(monday + timedelta(days=n)) for n in range(7)]
    assert [day.strftime("%a") for day in days] == expected
    assert all(announces_on(day) for day in days)
