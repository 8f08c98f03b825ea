"""Saved Hugging Face Papers pages: the five real pages, furniture, repairs, bad input."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from litfeed.identifiers import normalise_title
from litfeed.ingest import detect_format, hf_pages
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord, Rejection
from tests.conftest import EXAMPLES


def _parse(path: Path) -> list[PaperRecord | Rejection]:
    return list(hf_pages.parse(SourceFile(path)))


def test_the_five_pages_hold_544_entries_of_471_papers() -> None:
    pages = sorted(EXAMPLES.glob("*.txt"))
    assert len(pages) == 5
    records = [item for page in pages for item in _parse(page)]
    assert not [item for item in records if isinstance(item, Rejection)]
    assert len(records) == 544
    assert len({normalise_title(r.title) for r in records if isinstance(r, PaperRecord)}) == 471


def test_furniture_is_ignored_and_glued_subscribe_repaired() -> None:
    first = _parse(EXAMPLES / "hf-papers-page-0.txt")[0]
    assert isinstance(first, PaperRecord)
    assert first.title == "On Mutual Information Maximization for Representation Learning"
    assert first.source.location == "hf-papers-page-0.txt:3"
    titles = {
        r.title
        for page in EXAMPLES.glob("*.txt")
        for r in _parse(page)
        if isinstance(r, PaperRecord)
    }
    assert not {t for t in titles if t.startswith("Subscribe") or t in hf_pages.FURNITURE}
    assert "Learning to Act Greedily: Polymatroid Semi-Bandits" in titles
    assert "Grokking at the Edge of Numerical Stability" in titles


def test_glued_subscribe_is_repaired_before_digits_and_lower_case_names() -> None:
    assert hf_pages._unglue_button("Subscribe3D Gaussian Splatting") == "3D Gaussian Splatting"
    assert hf_pages._unglue_button("SubscribeiVideoGPT: World Models") == "iVideoGPT: World Models"
    assert hf_pages._unglue_button("Subscribers Churn Less") == "Subscribers Churn Less"


def test_a_missing_abstract_line_loses_only_its_own_paper(tmp_path: Path) -> None:
    """A title whose abstract line is gone is rejected at its own line; the next paper keeps
    its title and abstract instead of its title becoming the abstract of the one before."""
    lines = (EXAMPLES / "hf-papers-page-4.txt").read_text(encoding="utf-8").splitlines()
    whole = [r for r in _parse(EXAMPLES / "hf-papers-page-4.txt") if isinstance(r, PaperRecord)]
    victim, after = whole[10], whole[11]
    title_line = int(victim.source.location.rsplit(":", 1)[1])
    gone = lines.index(victim.abstract, title_line)  # the abstract's line: drop it
    page = tmp_path / "page.txt"
    page.write_text("\n".join(lines[:gone] + lines[gone + 1 :]) + "\n")
    items = _parse(page)
    records = {r.title: r for r in items if isinstance(r, PaperRecord)}
    assert [str(r) for r in items if isinstance(r, Rejection)] == [
        f"page.txt:{title_line}: title {victim.title[:60]!r} has no abstract line after it"
    ]
    assert len(records) == len(whole) - 1 and victim.title not in records
    assert records[after.title].abstract == after.abstract


def test_every_example_page_is_detected() -> None:
    for page in EXAMPLES.glob("*.txt"):
        assert detect_format(SourceFile(page)).name == hf_pages.NAME


def test_an_abstract_without_title_and_a_title_without_abstract_are_rejected(
    tmp_path: Path,
) -> None:
    abstract = "An abstract that is long enough to be an abstract. " * 8
    page = tmp_path / "page.txt"
    page.write_text(
        "new\nGood Title\n"
        + abstract
        + "\n"
        + abstract
        + "\nOrphan title\nNext Title\n"
        + abstract
        + "\nLast title without abstract\n"
    )
    items = _parse(page)
    good = [item.title for item in items if isinstance(item, PaperRecord)]
    rejected = [str(item) for item in items if isinstance(item, Rejection)]
    assert good == ["Good Title", "Next Title"]
    assert rejected == [
        "page.txt:4: expected a title, found 407 characters of text",
        "page.txt:5: title 'Orphan title' has no abstract line after it",
        "page.txt:8: title 'Last title without abstract' has no abstract line after it",
    ]


def test_invalid_utf8_line_is_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    abstract = "A sufficiently long abstract about learning things well. " * 3
    page = tmp_path / "page.txt"
    page.write_bytes(b"Bad \xff title\n" + f"Fine Title\n{abstract}\n".encode())
    items = _parse(page)
    assert [str(i) for i in items if isinstance(i, Rejection)] == [
        "page.txt:1: line is not valid UTF-8 text"
    ]
    assert [i.title for i in items if isinstance(i, PaperRecord)] == ["Fine Title"]


_line = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=80,
    )
    .map(str.strip)
    .filter(
        lambda text: (
            text
            and text not in hf_pages.FURNITURE
            and not text.startswith("Subscribe")
            and not hf_pages._is_furniture(text)
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_line, _line), min_size=1, max_size=8))
def test_round_trip_of_title_abstract_pairs(
    tmp_path_factory: object, pairs: list[tuple[str, str]]
) -> None:
    directory = tmp_path_factory.mktemp("pages")  # type: ignore[attr-defined]
    # The format's contract: a title line is at most 300 characters, an abstract at least 50.
    entries = [(title, (abstract + " ") * (50 // len(abstract) + 1)) for title, abstract in pairs]
    text = "Get trending papers in your email inbox!\n\nSubscribe\n\n" + "".join(
        f"{title}\n\n{abstract.strip()}\n\n" for title, abstract in entries
    )
    page = directory / "page.txt"
    page.write_text(text, encoding="utf-8")
    records = _parse(page)
    assert [(r.title, r.abstract) for r in records if isinstance(r, PaperRecord)] == [
        (title, abstract.strip()) for title, abstract in entries
    ]


def test_code_links_in_the_abstracts_are_found() -> None:
    records = [
        record
        for path in sorted(EXAMPLES.glob("*.txt"))
        for record in _parse(path)
        if isinstance(record, PaperRecord)
    ]
    with_code = [r for r in records if any(link.kind == "code" for link in r.links)]
    assert len(with_code) >= 20
    assert all(link.url.startswith("https://") for r in with_code for link in r.links)
