"""Muted words: the one rule by which a digest and a reader's ranking leave a paper out. A word
(or phrase) mutes a paper when it stands as a whole word in its title or abstract, in any case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from litfeed.models import Paper


def muted_by(words: Sequence[str]) -> Callable[[Paper], bool]:
    """Whether a paper holds one of ``words`` (none: nothing is muted)."""
    if not words:
        return lambda _paper: False
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE
    )
    return lambda paper: bool(pattern.search(paper.title) or pattern.search(paper.abstract))
