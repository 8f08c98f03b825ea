"""Maths in titles, abstracts and comments, rendered in the browser: each ``$…$``, ``$$…$$``,
``\\(…\\)`` and ``\\[…\\]`` is converted on the server to MathML (latex2mathml), which
browsers draw without any script; the JSON keeps the source text. What latex2mathml makes is
checked before it is used: only MathML elements and presentation attributes pass (it copies
``\\text{<script>}`` and ``\\href`` through as they are), else the source is shown as text,
escaped like any other."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from latex2mathml.converter import convert
from markupsafe import Markup, escape

# $$display$$ or \[display\]; $inline$ (not starting or ending with a space, nor closed before a
# digit: "$5 and $10" is money) or \(inline\).
_MATHS = re.compile(
    r"\$\$(?P<display>[^$]+?)\$\$|\\\[(?P<display2>.+?)\\\]"
    r"|\$(?P<inline>[^\s$](?:[^$]*?[^\s$\\])?)\$(?!\d)|\\\((?P<inline2>.+?)\\\)",
    re.DOTALL,
)
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
MATHML_ELEMENTS = frozenset(
    [
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "mfrac",
        "msqrt",
        "mroot",
        "mstyle",
        "merror",
        "mpadded",
        "mphantom",
        "menclose",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mmultiscripts",
        "mprescripts",
        "none",
        "mtable",
        "mtr",
        "mtd",
        "semantics",
        "annotation",
    ]
)
MATHML_ATTRIBUTES = frozenset(
    [
        "display",
        "stretchy",
        "columnalign",
        "rowalign",
        "mathvariant",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "accent",
        "accentunder",
        "movablelimits",
        "minsize",
        "maxsize",
        "symmetric",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "width",
        "height",
        "depth",
        "linethickness",
        "scriptlevel",
        "displaystyle",
        "largeop",
        "form",
        "notation",
        "align",
    ]
)
# A formula longer than this stays text (a page cannot be made slow by one abstract).
MAX_FORMULA = 2_000
# LaTeX commands whose name, with its backslash lost ("$AcdotS$" for "$A\cdot S$"), would be
# drawn as a run of italic letters: a formula without any backslash that holds one stays text.
_LOST_COMMANDS = re.compile(
    r"cdot|cdots|ldots|times|alpha|beta|gamma|delta|epsilon|theta|lambda|sigma|omega|"
    r"mathcal|mathbb|mathbf|mathrm|frac|sqrt|infty|leq|geq|approx|partial|nabla|rightarrow|"
    r"leftarrow|mapsto|sum|prod|log|exp|sim|propto|forall|exists|subset|mid|odot|oplus|otimes"
)
# Text macros of abstracts, outside formulas: what they stand for (applied to escaped text).
_EMPHASIS = re.compile(r"\\(emph|textit|textbf|texttt)\{([^{}]*)\}|\{\\(em|it|bf|tt)\s+([^{}]*)\}")
_TAGS = {
    "emph": "em",
    "textit": "em",
    "em": "em",
    "it": "em",
    "textbf": "strong",
    "bf": "strong",
    "texttt": "code",
    "tt": "code",
}
_ESCAPED = re.compile(r"\\([%&_#])")


def render_maths(text: str) -> Markup:
    """``text`` escaped, its formulas as MathML."""
    parts: list[str] = []
    position = 0
    for match in _MATHS.finditer(text):
        source = next(group for group in match.groups() if group is not None)
        display = match.group("display") is not None or match.group("display2") is not None
        mathml = to_mathml(source, display)
        if mathml is None:
            continue
        parts.append(_text(text[position : match.start()]))
        parts.append(mathml)
        position = match.end()
    parts.append(_text(text[position:]))
    return Markup("".join(parts))


def _text(text: str) -> str:
    """Text between formulas, escaped, with LaTeX's text macros as what they stand for:
    ``{\\em …}`` and ``\\emph{…}`` emphasised, ``\\textbf{…}`` strong, ``\\%`` a percent sign."""
    escaped = str(escape(text))

    def tagged(match: re.Match[str]) -> str:
        command = match.group(1) or match.group(3)
        tag = _TAGS[command]
        return f"<{tag}>{match.group(2) if match.group(1) else match.group(4)}</{tag}>"

    return _ESCAPED.sub(r"\1", _EMPHASIS.sub(tagged, escaped))


def to_mathml(source: str, display: bool) -> str | None:
    """``source`` (LaTeX, without its dollars) as checked MathML; None when it stays text."""
    if len(source) > MAX_FORMULA:
        return None
    if "\\" not in source and _LOST_COMMANDS.search(source):
        return None  # its backslashes were lost: as text it reads better than as italics
    try:
        mathml = convert(source, display="block" if display else "inline")
        root = ElementTree.fromstring(mathml)
    except Exception:  # latex2mathml raises many kinds on what it cannot read: keep the text
        return None
    for element in root.iter():
        name = element.tag.removeprefix(_MATHML)
        if name not in MATHML_ELEMENTS or any(
            key not in MATHML_ATTRIBUTES for key in element.attrib
        ):
            return None
    return mathml
