"""A comment as its reader wrote it (Markdown with maths) made into HTML that is safe to show to
everyone. Markdown by markdown-it-py (CommonMark, tables and strikethrough; raw HTML shown as
text, images left out: a picture is a request to another host), maths (``$…$``, ``$$…$$``) by
the MathML path of titles and abstracts (`litfeed.maths`), and then the whole through one
allow-list sanitiser (nh3): only the tags below, links http(s) and mailto only, each marked
``rel="nofollow ugc noopener"``, no event handler, no style, no class. The HTML is kept beside
the source; RENDERER says which rules made it, and a comment made by older rules is rendered
again when it is read."""

from __future__ import annotations

from functools import cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import escape
from mdit_py_plugins.dollarmath import dollarmath_plugin

from litfeed.maths import MATHML_ATTRIBUTES, MATHML_ELEMENTS, to_mathml

RENDERER = 1  # the rules' version: raise it whenever what `render` makes changes

_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "a",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "span", "div",
    }
)  # fmt: skip
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    **{element: set(MATHML_ATTRIBUTES) for element in MATHML_ELEMENTS},
}
LINK_REL = "nofollow ugc noopener"


def _maths(source: str, options: dict[str, Any]) -> str:
    display = bool(options.get("display_mode"))
    mathml = to_mathml(source, display)
    if mathml is not None:
        return mathml
    dollars = "$$" if display else "$"
    return str(escape(f"{dollars}{source}{dollars}"))  # what cannot be drawn stays as written


@cache
def _markdown() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})
    markdown.enable(["table", "strikethrough"])
    markdown.disable("image")
    markdown.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,  # "$ 5 and $ 10" is money, not maths
        allow_digits=False,
        double_inline=True,
        renderer=_maths,
    )
    return markdown


def render(source: str) -> str:
    """``source`` (Markdown with maths) as sanitised HTML."""
    html = _markdown().render(source)
    return nh3.clean(
        html,
        tags=set(_TAGS | MATHML_ELEMENTS),
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )
