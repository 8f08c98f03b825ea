"""arXiv .abs files: the recorded archive of them, one file, and damaged ones."""

from __future__ import annotations

import io
import tarfile
from datetime import date
from pathlib import Path

import pytest

from litfeed.hub import Hub
from litfeed.ingest import arxiv_abs, detect_format, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import shared_path

ABS = """------------------------------------------------------------------------------
\\\\
arXiv:funct-an/9301001
From: Alexander Turbiner <someone@example.org>
Date: Sat, 16 Jan 1993 11:49:26 GMT   (0kb,I)
Date (revised v2): Tue, 8 Sep 1998 18:01:31 GMT   (38kb)

Title: Lie-algebras and linear operators with
  invariant subspaces
Authors: Alexander Turbiner (IHES), Ada Lovelace and Charles Babbage
Categories: funct-an math.OA
Comments: 47pp, AMS-LaTeX
MSC-class: 81C05 (Primary) 81C40, 17B15 (Secondary)
Journal-ref: G\xe9om\xe9trie
\\\\
  A general classification of linear differential
operators is given.
\\\\
"""


@pytest.mark.shared
def test_the_recorded_archive_imports_without_unpacking(hub: Hub) -> None:
    path = shared_path("fixtures/arxiv-abs/abs_files.tar.gz")
    assert detect_format(SourceFile(path)).name == arxiv_abs.NAME
    report = import_file(hub.store, path)
    # 1,192 .abs files: 1,130 papers, 61 copies of papers already read, one empty file.
    assert (report.new, report.updated + report.unchanged) == (1130, 61)
    assert [rejection.reason for rejection in report.rejected] == ["an empty file"]
    paper = hub.get_paper("1607.08199")  # a Latin-1 file
    assert paper is not None and paper.arxiv_version == 5
    assert (paper.published, paper.updated) == (date(2016, 7, 27), date(2017, 4, 5))


def test_one_file_with_its_versions_authors_and_categories(tmp_path: Path) -> None:
    path = tmp_path / "9301001.abs"
    path.write_bytes(ABS.encode("latin-1"))
    assert detect_format(SourceFile(path)).name == arxiv_abs.NAME
    (record,) = list(arxiv_abs.parse(SourceFile(path)))
    assert isinstance(record, PaperRecord)
    assert record.title == "Lie-algebras and linear operators with invariant subspaces"
    assert record.authors == ["Alexander Turbiner", "Ada Lovelace", "Charles Babbage"]
    assert record.categories == ["funct-an", "math.OA"]
    assert (record.arxiv_id, record.arxiv_version) == ("funct-an/9301001", 2)
    assert (record.published, record.updated) == (date(1993, 1, 16), date(1998, 9, 8))
    assert record.abstract == "A general classification of linear differential operators is given."


def test_in_an_archive_a_bad_file_is_rejected_alone(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in (
            ("a/1.abs", ABS),
            ("a/2.abs", ABS.replace("arXiv:funct-an/9301001", "arXiv:nonsense")),
            ("a/notes.txt", "not an abs file"),
            ("a/3.abs", ABS.replace("funct-an/9301001", "2401.00001")),
        ):
            data = text.encode("utf-8")
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    path = tmp_path / "abs.tar.gz"
    path.write_bytes(buffer.getvalue())
    items = list(arxiv_abs.parse(SourceFile(path)))
    assert [type(item).__name__ for item in items] == ["PaperRecord", "Rejection", "PaperRecord"]
    assert items[1] == Rejection(
        "abs.tar.gz:a/2.abs", "field 'arXiv': 'nonsense' is not an arXiv id"
    )


def test_a_date_past_any_calendar_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "far.abs"
    path.write_text(ABS.replace("Jan 1993", "Jan 99999999999999999999"), encoding="utf-8")
    (item,) = list(arxiv_abs.parse(SourceFile(path)))
    assert isinstance(item, Rejection) and item.reason.startswith("field 'Date': ")
