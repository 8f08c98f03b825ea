"""arXiv Atom API responses: the recorded real responses and damaged ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from litfeed.hub import Hub
from litfeed.ingest import arxiv_atom, detect_format, import_file
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import shared_path

FIXTURES = "fixtures/arxiv-api-atom/xml"

ENTRY = """<entry>
    <id>http://arxiv.org/abs/hep-th/9901001v2</id>
    <updated>1999-02-01T10:00:00Z</updated>
    <published>1999-01-04T10:00:00Z</published>
    <title>An Old-Style
  Identifier</title>
    <summary>  A summary
  on two lines.</summary>
    <author><name>A. Author</name></author>
    <arxiv:primary_category term="hep-th" scheme="http://arxiv.org/schemas/atom"/>
    <category term="hep-th" scheme="http://arxiv.org/schemas/atom"/>
    <category term="81T30" scheme="http://arxiv.org/schemas/atom"/>
    <category term="gr-qc" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""
ERROR = """<entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
  </entry>"""


def _feed(*entries: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n  <title>arXiv Query</title>\n  '
        + "\n  ".join(entries)
        + "\n</feed>\n"
    )


def _parsed(tmp_path: Path, text: str) -> list[PaperRecord | Rejection]:
    path = tmp_path / "query.xml"
    path.write_text(text, encoding="utf-8")
    assert detect_format(SourceFile(path)).name == arxiv_atom.NAME
    return list(arxiv_atom.parse(SourceFile(path)))


@pytest.mark.shared
def test_the_recorded_responses_import(hub: Hub) -> None:
    directory = shared_path(FIXTURES)
    reports = [import_file(hub.store, path) for path in sorted(directory.iterdir())]
    assert sum(report.new for report in reports) == 12 == hub.store.count_papers()
    assert all(report.rejected == [] for report in reports)
    paper = hub.get_paper("1111.2011")
    assert paper is not None and paper.arxiv_version == 2
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert (paper.published, paper.updated) == (date(2011, 11, 8), date(2012, 4, 2))
    assert paper.doi == "10.1103/physrevb.85.115117"
    assert paper.comment == "8 pages, 3 figures. Published version"


def test_an_entry_keeps_its_old_style_id_version_and_arxiv_categories(tmp_path: Path) -> None:
    (record,) = _parsed(tmp_path, _feed(ENTRY))
    assert isinstance(record, PaperRecord)
    assert (record.arxiv_id, record.arxiv_version) == ("hep-th/9901001", 2)
    assert (
        record.title == "An Old-Style Identifier" and record.abstract == "A summary on two lines."
    )
    assert record.categories == ["hep-th", "gr-qc"]  # the MSC class 81T30 is not one
    assert record.authors == ["A. Author"]


def test_an_error_entry_is_rejected_and_a_cut_body_keeps_what_came(tmp_path: Path) -> None:
    items = _parsed(tmp_path, _feed(ERROR, ENTRY))
    assert isinstance(items[0], Rejection) and items[0].location == "query.xml:entry 1"
    assert "incorrect id format" in items[0].reason
    assert isinstance(items[1], PaperRecord)
    text = _feed(ENTRY, ENTRY.replace("9901001", "9901002"))
    cut = _parsed(tmp_path, text[: text.rindex("<summary>")])
    assert [type(item).__name__ for item in cut] == ["PaperRecord", "CutShort"]
