"""Author pages: the papers of one person, found under every spelling papers give their name.

Spellings are compared as `identifiers.name_tokens` makes them (accents, case, hyphens and
dots aside), by their family name (the last token) and their given names: two spellings are
the same person's when their given names agree token by token where both have one, an initial
agreeing with a name it begins ("J. Smith", "John Smith"; "J.-P. Müller", "Jean-Pierre
Muller"), and what only one has is middle initials ("John A. Smith") or the other is initials
alone; a further given name in full makes another person ("Trung Le", "Trung-Nghia Le"). A
short form that two different people share ("J. Smith" beside "John Smith" and "Jane Smith")
is merged with neither: the page says so and links both. The page says which spellings it
grouped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from litfeed.discussion import DiscussionError, NoSuch, NotAllowed, may_write
from litfeed.identifiers import family_key, name_tokens
from litfeed.models import Paper
from litfeed.store import Account, Store
from litfeed.store.collections import Collection
from litfeed.store.discussion import Claim

MAX_AUTHOR_PAPERS = 5_000
CO_AUTHORS = 12  # frequent co-authors shown


def _given(name: str) -> list[str]:
    return name_tokens(name)[:-1]


def _full(name: str) -> bool:
    """Whether a spelling gives at least one given name in full (not only initials)."""
    return any(len(token) > 1 for token in _given(name))


def compatible(first: str, second: str) -> bool:
    """Whether two spellings (of one family name) can be one person's."""
    one, other = name_tokens(first), name_tokens(second)
    if not one or not other or one[-1] != other[-1]:
        return False
    given, given_other = one[:-1], other[:-1]
    if not given or not given_other:
        return True  # a family name alone says nothing against
    for mine, theirs in zip(given, given_other, strict=False):
        if len(mine) == 1 or len(theirs) == 1:
            if mine[0] != theirs[0]:
                return False
        elif mine != theirs:
            return False
    shorter, longer = sorted((given, given_other), key=len)
    # What only the longer spelling has: middle initials ("John A. Smith" is "John Smith"),
    # or anything when the shorter is initials alone ("J. Smith"); never another given name
    # in full ("Trung Le" is not "Trung-Nghia Le").
    extra = longer[len(shorter) :]
    return all(len(token) == 1 for token in extra) or all(len(t) == 1 for t in shorter)


@dataclass(frozen=True)
class Spellings:
    """The spellings grouped as one person's, and those a short form could also be."""

    grouped: list[str]
    ambiguous: list[str] = field(default_factory=list)  # other people the name may mean


def group(name: str, spellings: list[str]) -> Spellings:
    """The spellings among ``spellings`` (of ``name``'s family name) that are ``name``'s
    person's: those that fit it and no other person's full name. When ``name`` itself fits
    several people's (a short form they share), only its own spellings, and those people.
    ``name`` itself is among them only when no paper's spelling is."""
    name = " ".join(name.split())
    fulls = [s for s in spellings if _full(s)]
    people = _people([s for s in fulls if compatible(s, name)])
    if len(people) > 1:
        same = {s for s in spellings if name_tokens(s) == name_tokens(name)}
        return Spellings(sorted(same or {name}), sorted(person[0] for person in people))

    def fits(spelling: str) -> bool:
        """Every full name the spelling could be is one ``name`` could be too."""
        return all(compatible(full, name) for full in fulls if compatible(spelling, full))

    grouped = {s for s in spellings if compatible(s, name) and fits(s)}
    # the papers' spellings: the name asked for only when none is (not "ye chen" beside "Ye Chen")
    return Spellings(sorted(grouped or {name}))


def _people(fulls: list[str]) -> list[list[str]]:
    """Full forms split into groups that are not compatible with each other."""
    people: list[list[str]] = []
    for spelling in sorted(fulls, key=lambda s: (-len(s), s)):
        for person in people:
            if all(compatible(spelling, other) for other in person):
                person.append(spelling)
                break
        else:
            people.append([spelling])
    return people


@dataclass(frozen=True)
class AuthorPage:
    name: str
    spellings: list[str]  # grouped as this person's
    ambiguous: list[str]  # other people a short form may mean
    papers: list[Paper]
    by_year: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    co_authors: list[tuple[str, int]]
    claims: list[Claim] = field(default_factory=list)  # the verified first
    collections: list[Collection] = field(default_factory=list)  # the claimants' public ones


def author_page(store: Store, name: str) -> AuthorPage:
    """The papers of the person ``name`` names, newest first, with counts by year and
    category and frequent co-authors."""
    name = " ".join(name.split())[:300]
    spellings = store.spellings_of(name) if name else []
    found = group(name, spellings) if spellings else Spellings([name] if name else [])
    papers = store.papers_by_authors(found.grouped, MAX_AUTHOR_PAPERS) if spellings else []
    years: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    co_authors: Counter[str] = Counter()
    mine = set(found.grouped)
    for paper in papers:
        dated = paper.published or paper.announced or paper.day
        years[str(dated.year) if dated else "undated"] += 1
        categories.update(dict.fromkeys(paper.categories, 1))
        co_authors.update(other for other in dict.fromkeys(paper.authors) if other not in mine)
    claims = [c for c in store.discussion.claims([family_key(name)]) if c.name in mine]
    shelves = [
        collection
        for claimant in dict.fromkeys(c.account_id for c in claims)
        for collection in store.collections.of_account(claimant, public_only=True)
    ]
    return AuthorPage(
        name=name,
        spellings=found.grouped,
        ambiguous=found.ambiguous,
        papers=papers,
        by_year=sorted(years.items(), reverse=True),
        by_category=categories.most_common(),
        co_authors=co_authors.most_common(CO_AUTHORS),
        claims=claims,
        collections=shelves,
    )


def claim(store: Store, account: Account, name: str) -> bool:
    """A reader claims to be the author ``name`` names (shown as not verified until an
    administrator verifies it); False when they had claimed it."""
    may_write(account)
    name = " ".join(name.split())
    if not family_key(name) or len(name) > 300:
        raise DiscussionError("claim an author's name as papers spell it")
    if name not in store.spellings_of(name):
        raise NoSuch(f"no paper here lists {name[:100]!r} as an author")
    return store.discussion.claim(account.id, name, family_key(name))


def verify(store: Store, moderator: Account, claim_id: int, verified: bool = True) -> Claim:
    """An administrator verifies a claim (or takes it back); logged."""
    if not moderator.administrator:
        raise NotAllowed("only an administrator can verify claims")
    done = store.discussion.verify_claim(claim_id, moderator.id, verified)
    if done is None:
        raise NoSuch(f"no claim {claim_id}")
    return done


AUTHOR, UNVERIFIED = "author", "author, not verified"


def badges(store: Store, paper: Paper, account_ids: set[int]) -> dict[int, str]:
    """For the accounts among ``account_ids`` that claimed to be one of ``paper``'s authors:
    "author" (verified) or "author, not verified"."""
    by_family: dict[str, list[str]] = {}
    for author in paper.authors:
        by_family.setdefault(family_key(author), []).append(author)
    found: dict[int, str] = {}
    for owned in store.discussion.claims(list(by_family)):
        if owned.account_id not in account_ids or found.get(owned.account_id) == AUTHOR:
            continue
        spellings = by_family.get(owned.family, [])
        if set(group(owned.name, [*spellings, owned.name]).grouped) & set(spellings):
            found[owned.account_id] = AUTHOR if owned.verified_at else UNVERIFIED
    return found
