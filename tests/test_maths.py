"""Maths in titles and abstracts as MathML, and nothing unsafe through it."""

from __future__ import annotations

import pytest

from litfeed.maths import render_maths


def test_formulas_become_mathml_and_the_rest_is_escaped() -> None:
    html = str(render_maths(r"Bounds for $\frac{\eta_E}{\eta_W}$ & \(O(n^2)\) when x < y"))
    assert html.startswith("Bounds for <math ") and html.count("<math ") == 2
    assert "<mfrac>" in html and "<msup>" in html
    assert html.endswith(" &amp; " + html.split(" &amp; ")[1]) and "x &lt; y" in html
    block = str(render_maths(r"$$\sum_i x_i$$"))
    assert 'display="block"' in block


@pytest.mark.parametrize(
    "text",
    [
        r"$\text{<script>alert(1)</script>}$",
        r"$\href{javascript:alert(1)}{x}$",
        r"$\unclosed{",
        "$" + "x" * 3_000 + "$",
    ],
)
def test_what_cannot_be_made_safe_mathml_stays_escaped_text(text: str) -> None:
    html = str(render_maths(text))
    assert (
        "<math" not in html and "<script" not in html and "href" not in html.replace("\\href", "")
    )


def test_money_is_not_maths() -> None:
    assert str(render_maths("It costs $5 and $10 a month")) == "It costs $5 and $10 a month"


@pytest.mark.parametrize("source", ["$AcdotS$", "$O(nlogn)$", "$alphabeta$", "$xtimes y$"])
def test_a_formula_that_lost_its_backslashes_stays_text(source: str) -> None:
    assert str(render_maths(f"We find {source} here.")) == f"We find {source} here."


def test_a_formula_with_its_backslashes_is_drawn() -> None:
    assert "<math" in str(render_maths(r"We find $A \cdot S$ here."))
    assert "<math" in str(render_maths("We find $x^2 + y$ here."))


def test_text_macros_stand_for_what_they_mean() -> None:
    html = str(render_maths(r"a {\em novel} way, 50\% better, \emph{really}, \textbf{bold}, R\&D"))
    assert html == (
        "a <em>novel</em> way, 50% better, <em>really</em>, <strong>bold</strong>, R&amp;D"
    )
    hostile = str(render_maths(r"{\em <img src=x onerror=alert(1)>} \textbf{<b>}"))
    assert "<img" not in hostile and "<b>" not in hostile and "&lt;img" in hostile
