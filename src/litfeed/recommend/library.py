"""Filling a reader's library from what reference managers export (`citations`): each entry is
matched to a stored paper by arXiv id (any version, old-style ids too), then DOI, then title
(compared as `normalise_title` does); an entry that matches nothing is kept as an outside item
of the reader, with its own title and abstract, and counts in their profile all the same (its
text is embedded as a paper's is). A line of a plain id list that names no paper here, and an
entry with no title to keep, are reported with where they are. Importing twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from litfeed.identifiers import normalise_title
from litfeed.models import Paper
from litfeed.recommend.citations import Citation, Citations, read_citations
from litfeed.search.vectors import VectorIndex, embed_with_store
from litfeed.store import Store
from litfeed.store.library import OutsideItem

# Embeds texts (and keeps their vectors): outside items are embedded as they are imported.
Embed = Callable[[list[str]], object]


@dataclass
class LibraryImport:
    matched: int = 0  # entries that name a paper here
    new: int = 0  # of those, papers not in the library before
    outside: int = 0  # entries kept as outside items
    outside_new: int = 0  # of those, not kept before
    rejected: list[str] = field(default_factory=list)  # "WHERE: why"

    def summary(self) -> str:
        return (
            f"{self.matched} matched ({self.new} new), {self.outside} kept as outside items "
            f"({self.outside_new} new), {len(self.rejected)} rejected"
        )


def import_library(
    store: Store,
    account_id: int,
    path: Path,
    format_name: str | None = None,
    embed: Embed | None = None,
) -> LibraryImport:
    """Save into the account's library every entry of the file at ``path`` (BibTeX, CSL-JSON,
    RIS or a list of ids; `CitationFileError` when it cannot be read at all)."""
    return save_citations(store, account_id, read_citations(path, format_name), embed)


def save_citations(
    store: Store, account_id: int, citations: Citations, embed: Embed | None = None
) -> LibraryImport:
    report = LibraryImport(rejected=list(citations.rejected))
    found: list[int] = []
    outside: list[OutsideItem] = []
    for citation in citations.entries:
        paper = match(store, citation)
        if paper is not None:
            report.matched += 1
            found.append(paper.pk)
        elif citation.reference:
            shown = citation.reference
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            report.rejected.append(
                f"{citation.where}: {shown!r} names no paper here (an arXiv id, arXiv address "
                "or DOI of a stored paper; `litfeed fetch arxiv-ids ID` fetches one)"
            )
        elif not citation.title:
            report.rejected.append(
                f"{citation.where}: matches no paper here and has no title to keep it by"
            )
        else:
            outside.append(outside_item(citation))
    report.new = store.library.save(account_id, found)
    report.outside = len(outside)
    report.outside_new = store.library.add_outside(account_id, outside)
    if embed is not None and outside:
        embed([item.text for item in outside])
    return report


MAX_AUTHOR_PAPERS = 2_000


def save_author_papers(store: Store, account_id: int, name: str) -> tuple[int, int]:
    """ "These are my papers": save every stored paper that lists ``name`` as an author (as
    papers spell it); (papers found, of them new to the library)."""
    name = " ".join(name.split())
    if not name or len(name) > 300:
        return 0, 0
    found, _total = store.list_papers(0, MAX_AUTHOR_PAPERS, author=name)
    return len(found), store.library.save(account_id, [paper.pk for paper in found])


def match(store: Store, citation: Citation) -> Paper | None:
    """The stored, shown paper a citation names: by what it was written as (an id list's
    line), arXiv id, DOI, then title."""
    keys = [citation.reference, citation.arxiv_id or "", citation.doi or ""]
    for key in keys:
        if key and len(key) <= 300:
            paper = store.get_paper(key)
            if paper is not None and not paper.hidden:
                return paper
    if citation.title and not citation.reference:
        return store.get_paper_by_title(citation.title)
    return None


def outside_item(citation: Citation) -> OutsideItem:
    if citation.doi:
        key = f"doi:{citation.doi}"
    elif citation.arxiv_id:
        key = f"arxiv:{citation.arxiv_id}"
    else:
        key = f"title:{normalise_title(citation.title)}"
    return OutsideItem(
        key=key,
        title=citation.title,
        abstract=citation.abstract,
        authors=citation.authors,
        year=citation.year,
        doi=citation.doi,
        arxiv_id=citation.arxiv_id,
        url=citation.url,
    )


# -- reading the library back ------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryEntry:
    """One entry of a reader's library: a stored paper (``paper``) or an outside item
    (``outside_id``), with the reader's note, tags and rating."""

    id: str  # the paper's litfeed id, or "outside:N"
    title: str
    abstract: str
    authors: list[str]
    year: int | None
    doi: str | None
    arxiv_id: str | None
    url: str | None
    note: str
    tags: list[str]
    rating: int | None = None
    paper: Paper | None = None
    outside_id: int | None = None

    @property
    def text(self) -> str:
        """What is embedded: as a paper's title and abstract are."""
        return f"{self.title}. {self.abstract}".strip()

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "doi": self.doi,
            "arxiv_id": self.arxiv_id,
            "url": self.url,
            "note": self.note,
            "tags": self.tags,
            "rating": self.rating,
            "outside": self.outside_id is not None,
        }


def entry_of(
    paper: Paper, note: str = "", tags: Sequence[str] = (), rating: int | None = None
) -> LibraryEntry:
    """A stored paper as an entry (of a library, or of a collection's BibTeX)."""
    dated = paper.published or paper.announced or paper.day
    return LibraryEntry(
        id=paper.id,
        title=paper.title,
        abstract=paper.abstract,
        authors=paper.authors,
        year=dated.year if dated else None,
        doi=paper.doi,
        arxiv_id=paper.arxiv_id,
        url=f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None,
        note=note,
        tags=list(tags),
        rating=rating,
        paper=paper,
    )


def library_of(store: Store, account_id: int, tag: str | None = None) -> list[LibraryEntry]:
    """The reader's library, the newest first: saved papers, then outside items; only those
    tagged ``tag`` when given."""
    saved = store.library.saved_items(account_id)
    ratings = store.library.ratings(account_id)
    papers = {paper.pk: paper for paper in store.get_papers_by_pk([s.paper_pk for s in saved])}
    entries = []
    for item in saved:
        paper = papers.get(item.paper_pk)
        if paper is None:
            continue  # hidden since it was saved
        entries.append(entry_of(paper, item.note, item.tags, ratings.get(paper.pk)))
    for outside in store.library.outside(account_id):
        entries.append(
            LibraryEntry(
                id=f"outside:{outside.id}",
                title=outside.title,
                abstract=outside.abstract,
                authors=outside.authors,
                year=outside.year,
                doi=outside.doi,
                arxiv_id=outside.arxiv_id,
                url=outside.url,
                note=outside.note,
                tags=outside.tags,
                outside_id=outside.id,
            )
        )
    return [entry for entry in entries if tag is None or tag in entry.tags]


def to_bibtex(entries: Sequence[LibraryEntry]) -> str:
    """The entries as BibTeX (UTF-8; titles braced so that styles keep their case), each with
    its arXiv id as `eprint` (archivePrefix arXiv), DOI, address, abstract, and its tags as
    `keywords`: what `import_library` and reference managers read back."""
    keys: set[str] = set()
    blocks = []
    for entry in entries:
        key = _citation_key(entry, keys)
        fields: list[tuple[str, str]] = [("title", "{" + _escape(entry.title) + "}")]
        if entry.authors:
            fields.append(("author", " and ".join(_escape(a) for a in entry.authors)))
        if entry.year:
            fields.append(("year", str(entry.year)))
        if entry.arxiv_id:
            fields += [("eprint", entry.arxiv_id), ("archivePrefix", "arXiv")]
            if entry.paper is not None and entry.paper.categories:
                fields.append(("primaryClass", entry.paper.categories[0]))
        if entry.doi:
            fields.append(("doi", _escape(entry.doi)))
        if entry.url:
            fields.append(("url", entry.url.replace("{", "%7B").replace("}", "%7D")))
        if entry.abstract:
            fields.append(("abstract", _escape(entry.abstract)))
        if entry.tags:
            fields.append(("keywords", ", ".join(_escape(tag) for tag in entry.tags)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        blocks.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(blocks)


_SPECIAL = {c: "\\" + c for c in "{}%&#_$"}
_SPECIAL["\\"] = r"\textbackslash{}"
_SPECIAL["~"] = r"\textasciitilde{}"
_SPECIAL["^"] = r"\textasciicircum{}"


def _escape(text: str) -> str:
    return "".join(_SPECIAL.get(c, c) for c in " ".join(text.split()))


def _citation_key(entry: LibraryEntry, taken: set[str]) -> str:
    """``vaswani2017attention``: the first author's family name, the year, the title's first
    long word (ASCII letters only), made unique with a, b, c…"""
    import unicodedata

    def ascii_word(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(c for c in plain.lower() if c.isalnum())

    family = ascii_word(entry.authors[0].split()[-1]) if entry.authors else "anon"
    words = [ascii_word(w) for w in entry.title.split()]
    word = next((w for w in words if len(w) > 3), words[0] if words else "")
    base = f"{family or 'anon'}{entry.year or ''}{word}"
    key, suffix = base, 0
    while key in taken:
        suffix += 1
        key = base + "abcdefghijklmnopqrstuvwxyz"[(suffix - 1) % 26] * ((suffix - 1) // 26 + 1)
    taken.add(key)
    return key


# -- searching one's own library ---------------------------------------------------------------

# By meaning, the closest this many entries join the ones that share words with the query.
MEANING_CANDIDATES = 20


def meaning_of(
    store: Store, vectors: VectorIndex
) -> Callable[[str, Sequence[LibraryEntry]], list[float]]:
    """The cosine of a query to each library entry: stored papers by the index's vectors,
    outside items by their text's (kept in the store once embedded)."""

    def meaning(text: str, entries: Sequence[LibraryEntry]) -> list[float]:
        query = vectors.embedder.embed_query(text)
        stored = [entry.paper.pk for entry in entries if entry.paper is not None]
        held = dict(zip(*vectors.vectors_of(stored), strict=True))
        outside = [entry.text for entry in entries if entry.paper is None]
        others = iter(embed_with_store(store, vectors.embedder, outside) if outside else ())
        scores = []
        for entry in entries:
            vector = next(others) if entry.paper is None else held.get(entry.paper.pk)
            scores.append(float(vector @ query) if vector is not None else -1.0)
        return scores

    return meaning


def search_library(
    entries: Sequence[LibraryEntry],
    query: str,
    meaning: Callable[[str, Sequence[LibraryEntry]], list[float]] | None,
    limit: int = 20,
) -> list[LibraryEntry]:
    """The entries that answer ``query``, best first: by words (BM25 over title, abstract,
    note and tags, as the keyword index analyses them) fused by reciprocal rank with the
    ``meaning`` ranking (cosine of the query to each entry), when there is one."""
    from litfeed.search.fusion import ranked, reciprocal_rank_fusion
    from litfeed.search.lexical import TextIndex

    if not entries or not query.strip():
        return []
    documents = {
        str(number): (entry.title, " ".join([entry.abstract, entry.note, *entry.tags]))
        for number, entry in enumerate(entries)
    }
    rankings = [ranked(TextIndex(documents).scores(query))]
    if meaning is not None:
        similarity = dict(zip(documents, meaning(query, entries), strict=True))
        rankings.append(ranked(similarity)[:MEANING_CANDIDATES])
    fused = ranked(reciprocal_rank_fusion(rankings))
    return [entries[int(key)] for key in fused[:limit]]
