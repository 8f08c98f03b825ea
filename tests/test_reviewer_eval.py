"""The reviewer-expertise evaluation: the loss itself, and the command on a small slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litfeed.cli import app
from litfeed.config import Settings
from litfeed.search.reviewer_eval import (
    EvaluationError,
    Item,
    Researcher,
    load_researchers,
    weighted_kendall_tau_loss,
)
from tests.conftest import shared_path

BENCHMARK = "relevance/reviewer-expertise-dev/reviewer-expertise.jsonl"


def _researcher(ratings: list[float]) -> Researcher:
    items = [Item(str(n), f"t{n}", "a") for n in range(len(ratings))]
    return Researcher("r", items, ratings, [items[:1]])


def test_loss_is_zero_in_order_one_reversed_and_half_for_ties() -> None:
    researcher = _researcher([5, 3, 1])
    assert weighted_kendall_tau_loss([researcher], {"r": [3, 2, 1]}) == 0.0
    assert weighted_kendall_tau_loss([researcher], {"r": [1, 2, 3]}) == 1.0
    assert weighted_kendall_tau_loss([researcher], {"r": [0, 0, 0]}) == 0.5
    # Pairs weigh by their rating difference: (5,3) and (3,1) weigh 2, (5,1) weighs 4.
    assert weighted_kendall_tau_loss([researcher], {"r": [2, 3, 1]}) == pytest.approx(2 / 8)


def test_equal_ratings_do_not_count() -> None:
    assert weighted_kendall_tau_loss([_researcher([4, 4])], {"r": [1, 2]}) == 0.0


def test_malformed_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bench.jsonl"
    path.write_text(
        '{"participant": "1", "candidates": [], "profiles": [[]]}\n{"participant": 2}\n'
    )
    with pytest.raises(EvaluationError, match=r"bench.jsonl:2: missing field 'candidates'"):
        load_researchers(path)


@pytest.mark.shared
def test_command_on_a_slice_prints_every_method_and_the_default_last(
    settings: Settings, tmp_path: Path
) -> None:
    source = shared_path(BENCHMARK)
    lines = source.read_text(encoding="utf-8").splitlines()[:3]
    assert len({json.loads(line)["participant"] for line in lines}) == 3
    result = CliRunner().invoke(
        app, ["eval", "reviewer-expertise", str(source), "--researchers", "3"]
    )
    assert result.exit_code == 0, result.output
    rows = result.stdout.strip().splitlines()
    assert [row.split()[0] for row in rows] == [
        "keyword",
        "semantic",
        "hybrid-rrf",
        "hybrid-score",
        "loss",
    ]
    losses = [float(row.split()[1]) for row in rows]
    assert all(0.0 <= loss <= 1.0 for loss in losses)
    assert rows[-1] == f"loss {losses[1]:.4f}" and "(default)" in rows[1]
    # Vectors are kept: a second run embeds nothing new and gives the same figures.
    again = CliRunner().invoke(
        app,
        ["eval", "reviewer-expertise", str(source), "--researchers", "3", "--method", "semantic"],
    )
    assert again.stdout.strip().splitlines()[-1] == rows[-1]


@pytest.mark.shared
def test_ranking_by_words_needs_no_embedding_model(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITFEED_EMBEDDING_MODEL", "/nowhere/no-model")
    source = shared_path(BENCHMARK)
    arguments = ["eval", "reviewer-expertise", str(source), "--researchers", "2"]
    words = CliRunner().invoke(app, [*arguments, "--method", "keyword"])
    assert words.exit_code == 0, words.output
    assert words.stdout.strip().splitlines()[0].split()[0] == "keyword"
    meaning = CliRunner().invoke(app, [*arguments, "--method", "semantic"])
    assert meaning.exit_code == 1 and "cannot load embedding model" in meaning.stderr


def test_unknown_method_and_missing_file(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "reviewer-expertise", "x.jsonl", "--method", "magic"])
    assert result.exit_code == 2 and "unknown method 'magic'" in result.stderr
    result = runner.invoke(app, ["eval", "reviewer-expertise", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1 and "cannot read" in result.stderr


@pytest.mark.shared
def test_the_personal_ranker_on_a_slice_without_and_with_ratings(settings: Settings) -> None:
    """Without ratings the personal ranker is the library similarity (`semantic`) exactly;
    with the rated half it prints its loss and the library-only loss on the same halves."""
    source = str(shared_path(BENCHMARK))
    arguments = ["eval", "reviewer-expertise", source, "--researchers", "4"]
    both = CliRunner().invoke(app, [*arguments, "--method", "semantic", "--method", "for-you"])
    assert both.exit_code == 0, both.output
    rows = dict(row.split()[:2] for row in both.stdout.strip().splitlines())
    assert rows["for-you"] == rows["semantic"] and rows["loss"] == rows["for-you"]
    rated = CliRunner().invoke(app, [*arguments, "--method", "for-you", "--rated-half"])
    assert rated.exit_code == 0, rated.output
    lines = rated.stdout.strip().splitlines()
    assert lines[-2].startswith("loss ") and lines[-1].startswith("library-only ")
    loss, library_only = float(lines[-2].split()[1]), float(lines[-1].split()[1])
    assert 0.0 < loss < 1.0 and 0.0 < library_only < 1.0 and loss != library_only
    wrong = CliRunner().invoke(app, [*arguments, "--rated-half"])
    assert wrong.exit_code == 2 and "--rated-half goes with --method for-you" in wrong.stderr
