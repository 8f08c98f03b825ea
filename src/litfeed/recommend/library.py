"""Filling a reader's library from a file: one arXiv id, arXiv address or DOI a line (what a
reader pastes; `#` starts a comment). One line, one fate: an entry that names no paper here is
reported with its file and line, the others are saved; saving a paper twice changes nothing.
(BibTeX, CSL-JSON and RIS exports, and entries kept as outside items, come next.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from litfeed.errors import LitfeedError
from litfeed.store import Store


class LibraryFileError(LitfeedError):
    """The file cannot be read at all; the message says why."""


@dataclass
class LibraryImport:
    matched: int = 0  # entries that name a paper here
    new: int = 0  # of those, papers not in the library before
    rejected: list[str] = field(default_factory=list)  # "FILE:LINE: why"


def import_library(store: Store, account_id: int, path: Path) -> LibraryImport:
    """Save into the account's library every paper ``path`` names."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LibraryFileError(f"{path}: cannot be read as UTF-8 text ({error})") from None
    entries = [
        (f"{path}:{number}", line.split("#", 1)[0].strip())
        for number, line in enumerate(text.split("\n"), 1)
    ]
    return save_entries(store, account_id, [(where, e) for where, e in entries if e])


def save_entries(
    store: Store, account_id: int, entries: Sequence[tuple[str, str]]
) -> LibraryImport:
    """Save the papers ``entries`` name, each ``(where it came from, arXiv id, arXiv address
    or DOI)``; an entry that names no paper here is reported with where it came from."""
    report = LibraryImport()
    found: list[int] = []
    for where, entry in entries:
        paper = store.get_paper(entry) if 0 < len(entry) <= 300 else None
        if paper is None or paper.hidden:
            shown = entry if len(entry) <= 80 else entry[:77] + "..."
            report.rejected.append(
                f"{where}: {shown!r} names no paper here (an arXiv id, arXiv address or DOI of "
                "a stored paper; `litfeed fetch arxiv-ids ID` fetches one)"
            )
            continue
        report.matched += 1
        found.append(paper.pk)
    report.new = store.library.save(account_id, found)
    return report
