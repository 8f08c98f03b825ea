"""arXiv OAI-PMH responses: the recorded ListRecords pages (oai_dc), the arXiv and arXivRaw
formats, and damaged documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from litfeed.hub import Hub
from litfeed.ingest import ImportFormatError, detect_format, import_file, oai_pmh
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import shared_path

PAGES = [f"fixtures/arxiv-oai-pmh/ListRecords_data_{number}.xml" for number in range(3)]


def _document(*records: str, prefix: str = "arXivRaw") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        f'<request verb="ListRecords" metadataPrefix="{prefix}">https://oaipmh.arxiv.org/oai'
        "</request>\n<ListRecords>\n" + "\n".join(records) + "\n</ListRecords>\n</OAI-PMH>\n"
    )


def _record(metadata: str, identifier: str = "oai:arXiv.org:2410.17243") -> str:
    return (
        f"<record><header><identifier>{identifier}</identifier><datestamp>2024-10-25"
        f"</datestamp><setSpec>cs</setSpec></header><metadata>{metadata}</metadata></record>"
    )


RAW = _record(
    '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2410.17243</id>'
    "<submitter>Zesen Cheng</submitter>"
    '<version version="v1"><date>Tue, 22 Oct 2024 17:42:52 GMT</date><size>3093kb</size></version>'
    '<version version="v2"><date>Thu, 24 Oct 2024 09:00:01 GMT</date><size>3093kb</size></version>'
    "<title>Breaking the Memory Barrier:\n   Near Infinite Batch Size Scaling</title>"
    "<authors>Zesen Cheng, Hang Zhang and Kehan Li</authors>"
    "<categories>cs.CV cs.LG</categories><comments>15 pages, code at\n"
    "  https://github.com/DAMO-NLP-SG/Inf-CLIP</comments><doi>10.1000/xyz</doi>"
    "<abstract>  Contrastive loss is a powerful approach\n  for representation learning.</abstract>"
    "</arXivRaw>"
)
ARXIV = _record(
    '<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00001</id><created>2024-01-01</created>'
    "<updated>2024-03-05</updated><authors><author><keyname>Lovelace</keyname><forenames>Ada"
    "</forenames></author><author><keyname>Babbage</keyname><forenames>Charles</forenames>"
    "<suffix>Jr</suffix></author></authors><title>Engines</title>"
    "<categories>cs.LG stat.ML</categories><msc-class>68T05</msc-class><acm-class>I.2.6"
    "</acm-class><abstract>Analytical engines.</abstract></arXiv>",
    "oai:arXiv.org:2401.00001",
)


def _write(tmp_path: Path, text: str, name: str = "page.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _parsed(path: Path) -> list[PaperRecord | Rejection]:
    return list(oai_pmh.parse(SourceFile(path)))


@pytest.mark.shared
def test_the_recorded_pages_import_every_record_once(hub: Hub) -> None:
    paths = [shared_path(page) for page in PAGES]
    assert {detect_format(SourceFile(path)).name for path in paths} == {oai_pmh.NAME}
    reports = [import_file(hub.store, path) for path in paths]
    assert [report.new for report in reports] == [1000, 1000, 265]
    assert all(report.rejected == [] for report in reports)
    assert hub.store.count_papers() == 2265
    paper = hub.get_paper("0806.4410")
    assert paper is not None
    assert paper.title == "Summing the curious series of Kempner and Irwin"
    assert paper.authors == ["Robert Baillie"]
    assert paper.abstract.startswith("In 1914, Kempner proved that the series")
    assert paper.comment is not None and paper.comment.startswith("29 pages, 2 figures")
    assert (paper.published, paper.updated) == (date(2008, 6, 27), date(2023, 3, 4))
    again = [import_file(hub.store, path) for path in paths]
    assert [(report.new, report.updated) for report in again] == [(0, 0)] * 3
    assert hub.store.count_papers() == 2265


def test_arxiv_raw_keeps_categories_versions_and_dates(tmp_path: Path) -> None:
    (record,) = _parsed(_write(tmp_path, _document(RAW)))
    assert isinstance(record, PaperRecord)
    assert record.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling"
    assert record.authors == ["Zesen Cheng", "Hang Zhang", "Kehan Li"]
    assert record.categories == ["cs.CV", "cs.LG"]
    assert (record.arxiv_id, record.arxiv_version) == ("2410.17243", 2)
    assert (record.published, record.updated) == (date(2024, 10, 22), date(2024, 10, 24))
    assert record.doi == "10.1000/xyz"
    assert record.abstract == "Contrastive loss is a powerful approach for representation learning."
    assert any(link.url == "https://github.com/DAMO-NLP-SG/Inf-CLIP" for link in record.links)
    assert record.source.location == "page.xml:record 1"


def test_the_arxiv_format_names_authors_and_leaves_acm_and_msc_classes_out(
    tmp_path: Path,
) -> None:
    (record,) = _parsed(_write(tmp_path, _document(ARXIV, prefix="arXiv")))
    assert isinstance(record, PaperRecord)
    assert record.authors == ["Ada Lovelace", "Charles Babbage Jr"]
    assert record.categories == ["cs.LG", "stat.ML"]
    assert (record.published, record.updated) == (date(2024, 1, 1), date(2024, 3, 5))


def test_a_bad_record_is_rejected_alone_and_deleted_ones_are_skipped(tmp_path: Path) -> None:
    untitled = RAW.replace("<title>", "<x>").replace("</title>", "</x>")
    bad_date = RAW.replace("Tue, 22 Oct 2024 17:42:52 GMT", "yesterday")
    deleted = (
        '<record><header status="deleted"><identifier>oai:arXiv.org:1</identifier>'
        "</header></record>"
    )
    items = _parsed(_write(tmp_path, _document(untitled, deleted, ARXIV, bad_date)))
    assert [type(item).__name__ for item in items] == ["Rejection", "PaperRecord", "Rejection"]
    assert items[0] == Rejection("page.xml:record 1", "field 'title' is missing or empty")
    assert isinstance(items[2], Rejection) and items[2].location == "page.xml:record 4"
    assert "field 'version.date'" in items[2].reason


def test_a_page_cut_short_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    text = _document(ARXIV, RAW, RAW.replace("2410.17243", "2410.17244"))
    cut = text[: text.rindex("<arXivRaw") + 40]
    items = _parsed(_write(tmp_path, cut))
    assert [type(item).__name__ for item in items] == ["PaperRecord", "PaperRecord", "CutShort"]
    assert isinstance(items[2], Rejection)
    assert "cut short or damaged" in items[2].reason and items[2].location.startswith("page.xml:")


def test_xml_with_a_document_type_is_refused_and_an_empty_harvest_has_no_records(
    hub: Hub, tmp_path: Path
) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        + _document(RAW).split("\n", 1)[1]
    )
    with pytest.raises(ImportFormatError, match="document type declaration"):
        import_file(hub.store, _write(tmp_path, laughs), format_name=oai_pmh.NAME)
    empty = _document().replace(
        "<ListRecords>\n\n</ListRecords>", '<error code="noRecordsMatch">none</error>'
    )
    assert _parsed(_write(tmp_path, empty, "empty.xml")) == []
    refused = _document().replace(
        "<ListRecords>\n\n</ListRecords>", '<error code="badResumptionToken">expired</error>'
    )
    (item,) = _parsed(_write(tmp_path, refused, "refused.xml"))
    assert item == Rejection(
        "refused.xml", "the OAI-PMH response is an error: badResumptionToken: expired"
    )


def test_a_version_date_past_any_calendar_is_one_rejection(tmp_path: Path) -> None:
    far = RAW.replace(
        "Tue, 22 Oct 2024 17:42:52 GMT", "Tue, 22 Oct 99999999999999999999 17:42:52 GMT"
    )
    items = _parsed(_write(tmp_path, _document(far, ARXIV)))
    assert isinstance(items[0], Rejection) and "field 'version.date'" in items[0].reason
    assert isinstance(items[1], PaperRecord)


@pytest.mark.shared
def test_a_newer_version_keeps_the_votes_links_and_id_of_the_paper(
    hub: Hub, tmp_path: Path
) -> None:
    daily = shared_path("fixtures/hf-daily-papers/daily_papers_2024-10-25.json")
    hub.import_paths([daily])
    before = hub.get_paper("2410.17243")
    assert before is not None and before.upvotes == 64 and before.versions == []
    hub.import_paths([_write(tmp_path, _document(RAW))])
    after = hub.get_paper("2410.17243")
    assert after is not None and (after.pk, after.id) == (before.pk, before.id)
    assert (after.upvotes, after.comments, after.submitted_by) == (64, 3, before.submitted_by)
    assert after.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling"
    assert [version.number for version in after.versions] == [1, 2]
    assert {link.url for link in before.links} <= {link.url for link in after.links}
