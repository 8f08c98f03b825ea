"""Round trips with generated data: a record written as arXiv JSON, imported and read back
from the store (and found by search) keeps what it said."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.identifiers import clean_text, normalise_title

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120
).filter(lambda text: clean_text(text) != "")
_name = st.text(alphabet=st.characters(whitelist_categories=("L",)), min_size=1, max_size=20)
_paper = st.fixed_dictionaries(
    {
        "title": _text,
        "abstract": _text,
        "authors": st.lists(_name, max_size=5),
        "categories": st.lists(
            st.sampled_from(["cs.LG", "cs.CL", "math.ST", "q-bio.NC"]), max_size=3, unique=True
        ),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(papers=st.lists(_paper, min_size=1, max_size=6))
def test_import_then_read_back(tmp_path_factory: object, papers: list[dict[str, object]]) -> None:
    directory: Path = tmp_path_factory.mktemp("round-trip")  # type: ignore[attr-defined]
    lines = [json.dumps({"id": f"2501.{n:05d}", **paper}) for n, paper in enumerate(papers)]
    path = directory / "papers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Hub(Settings(data_dir=directory / "data", embed_on_import=False)) as hub:
        (outcome,) = hub.import_paths([path])
        assert outcome.report is not None and outcome.report.new == len(papers)
        for number, paper in enumerate(papers):
            stored = hub.get_paper(f"2501.{number:05d}")
            assert stored is not None
            assert stored.title == clean_text(str(paper["title"]))
            assert stored.abstract == clean_text(str(paper["abstract"]))
            assert stored.authors == [name for name in paper["authors"]]  # type: ignore[attr-defined]
            assert stored.categories == paper["categories"]
        (again,) = hub.import_paths([path])
        assert again.report is not None and again.report.unchanged == len(papers)
        assert hub.stats()["papers"] == len(papers)
        assert hub.keyword_index.document_count() == len(papers)


@given(st.text(max_size=60))
def test_normalised_titles_are_stable(title: str) -> None:
    once = normalise_title(title)
    assert normalise_title(once) == once
    assert normalise_title(title.upper()) == normalise_title(title.lower()) or not title.isascii()


def test_blank_space_is_collapsed_wherever_a_regular_expression_sees_it() -> None:
    """`clean_text` splits at the code points ``\\s`` matches, every one of them (`str.split`
    replaced a regex substitution, four times slower), and keeps every other."""
    import re

    spaces = re.compile(r"\s")
    for code in range(0x110000):
        character = chr(code)
        written = f" a{character}{character}b{character}"
        expected = "a b" if spaces.fullmatch(character) else written[1:]
        assert clean_text(written) == expected, hex(code)
