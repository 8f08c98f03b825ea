"""Records that cross module boundaries: what importers produce and what the store returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, Field

# A progress callback: (units done, units in all), e.g. bytes of a file or papers to index.
Progress = Callable[[int, int], None]

# The dates a paper may carry, and a search filter is clamped to: the search index keeps
# nanoseconds since 1970 in 64 bits (1677 to 2262); nothing litfeed imports is older or newer.
EARLIEST_DATE = date(1700, 1, 1)
LATEST_DATE = date(2200, 12, 31)
# The largest count (votes, comments, a version) a record may carry: the widest integer column
# is a 32-bit one on PostgreSQL.
MAX_COUNT = 2**31 - 1


class Link(BaseModel):
    """A link shown on a paper page. ``kind`` is one of arxiv-abs, arxiv-pdf, doi, code,
    huggingface, project."""

    kind: str
    url: str


class Version(BaseModel):
    """One arXiv version of a paper: its number and the day it was submitted (when known)."""

    number: int
    submitted: date | None = None


@dataclass(frozen=True)
class SourceRef:
    """Where a record came from: the import format and a ``file:line`` (or URL) location."""

    source: str
    location: str


@dataclass(frozen=True)
class CommunityStats:
    """What Hugging Face's daily papers add to a paper: votes, discussion, who submitted it."""

    upvotes: int | None = None
    comments: int | None = None
    submitted_by: str | None = None  # the full name shown
    submitter_user: str | None = None  # the Hugging Face user name
    submitted_at: datetime | None = None


@dataclass
class PaperRecord:
    """One paper as an importer parsed it, before it is matched against the store."""

    title: str
    source: SourceRef
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    # The versions this record knows of (arXivRaw and .abs files list them all).
    versions: list[Version] = field(default_factory=list)
    doi: str | None = None
    hf_id: str | None = None
    comment: str | None = None
    published: date | None = None
    updated: date | None = None
    # The day arXiv announced it, from arXiv's own metadata (not from a page that cites it).
    announced: date | None = None
    links: list[Link] = field(default_factory=list)
    community: CommunityStats | None = None


@dataclass(frozen=True)
class Rejection:
    """A record an importer could not use, with where it was and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class Provenance(BaseModel):
    """One source a stored paper was seen in."""

    source: str
    location: str
    import_id: int
    seen_at: datetime


class Paper(BaseModel):
    """A stored paper. ``id`` is litfeed's stable id: the arXiv id when the paper arrived with
    one, otherwise ``t-`` and a hash of the normalised title."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    arxiv_id: str | None
    arxiv_version: int | None
    # Every version litfeed has seen, oldest first.
    versions: list[Version] = []
    # The authors withdrew it (arXiv keeps a withdrawn paper's page, with that comment).
    withdrawn: bool = False
    doi: str | None
    hf_id: str | None
    comment: str | None
    published: date | None
    updated: date | None
    announced: date | None = None
    # Its daily page: announced by arXiv, entered Hugging Face Daily Papers or submitted here,
    # whichever came first (else the announcement day it arrived in).
    day: date | None = None
    # litfeed's own votes (``upvotes`` are Hugging Face's).
    votes: int = 0
    # Comments under it here (``comments`` are Hugging Face's).
    comments_here: int = 0
    # Hidden by an administrator: in no list, count or feed.
    hidden: bool = False
    # The day a reader submitted it here.
    submitted_here: date | None = None
    submitter_id: int | None = None  # the account that submitted it here
    first_seen: datetime
    links: list[Link]
    upvotes: int | None = None
    comments: int | None = None
    submitted_by: str | None = None
    submitter_user: str | None = None
    submitted_at: datetime | None = None
    sources: list[Provenance] = []
    # The database's row number: the vector index's label. Not part of the API.
    pk: int = Field(default=0, exclude=True)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the search indexes read of a paper (`Store.iter_changed_papers`): the fields they
    index and no more, read without `Paper`'s validation (its links and versions unread), which
    was some 40% of building the keyword index."""

    pk: int
    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: date | None
    hidden: bool


@dataclass(frozen=True)
class Checkpoint:
    """Where a file's import is: the line and byte (of the inflated file) after its last
    committed batch, and the import's counts then."""

    line: int
    byte: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    import_id: int | None = None


@dataclass
class ImportReport:
    """What one import run did. ``counts`` of new / updated / unchanged records."""

    path: str
    source: str
    import_id: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    skipped: int = 0  # records left out for their categories
    resumed_at: int = 0  # the line an import resumed after (0: from the start)
    rejected_before: int = 0  # records rejected before the import resumed (listed then)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + len(self.rejected)

    @property
    def changed_nothing(self) -> bool:
        return self.new == 0 and self.updated == 0
