"""Collections: named lists of papers a reader makes ("papers for our reading group"), public
(listed on their profile) or unlisted (reached by their address alone), with a description in
Markdown and a note per paper, both through the one sanitiser (`render`); others follow a
collection, and its new papers come in their digest. Only its maker changes a collection."""

from __future__ import annotations

import secrets

from litfeed.discussion import DiscussionError, NoSuch, NotAllowed, may_write
from litfeed.discussion.render import RENDERER, render
from litfeed.identifiers import is_storable_text
from litfeed.models import Paper
from litfeed.store import Account, Store
from litfeed.store.collections import Collection, Held

MAX_NAME = 100
MAX_DESCRIPTION = 5_000
MAX_NOTE = 1_000
MAX_COLLECTIONS = 200  # of one account
MAX_PAPERS = 2_000  # in one collection


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise DiscussionError("a collection needs a name")
    if len(name) > MAX_NAME or not is_storable_text(name) or not name.isprintable():
        raise DiscussionError(f"a collection's name is one line of at most {MAX_NAME} characters")
    return name


def _markdown(text: str, most: int, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > most or not is_storable_text(text):
        raise DiscussionError(f"{what} holds at most {most:,} characters of text")
    return text


def create(
    store: Store, account: Account, name: str, description: str = "", public: bool = True
) -> Collection:
    """A new collection of ``account``'s."""
    may_write(account)
    name = _name(name)
    description = _markdown(description, MAX_DESCRIPTION, "a description")
    if len(store.collections.of_account(account.id)) >= MAX_COLLECTIONS:
        raise DiscussionError(f"an account holds at most {MAX_COLLECTIONS} collections")
    key = secrets.token_urlsafe(9)  # 12 characters: an unlisted collection's only way in
    store.collections.create(
        key, account.id, name, description, render(description), RENDERER, public
    )
    made = store.collections.get(key)
    assert made is not None
    return made


def get(store: Store, key: str) -> Collection:
    """The collection whose address holds ``key`` (public or unlisted: the address is
    enough); `NoSuch` otherwise."""
    found = store.collections.get(key[:40]) if key else None
    if found is None:
        raise NoSuch("no such collection")
    return found


def _own(store: Store, account: Account, key: str) -> Collection:
    may_write(account)
    found = get(store, key)
    if found.account_id != account.id:
        raise NotAllowed("only its maker can change a collection")
    return found


def change(
    store: Store,
    account: Account,
    key: str,
    name: str | None = None,
    description: str | None = None,
    public: bool | None = None,
) -> Collection:
    found = _own(store, account, key)
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = _name(name)
    if description is not None:
        text = _markdown(description, MAX_DESCRIPTION, "a description")
        values.update(description=text, description_html=render(text), renderer=RENDERER)
    if public is not None:
        values["public"] = public
    if values:
        store.collections.update(found.id, **values)
    return get(store, key)


def delete(store: Store, account: Account, key: str) -> None:
    store.collections.delete(_own(store, account, key).id)


def add_paper(store: Store, account: Account, key: str, paper: Paper, note: str = "") -> bool:
    """Put ``paper`` in the collection (or change its note); whether it is new there."""
    found = _own(store, account, key)
    if paper.hidden:
        raise NoSuch("no such paper")
    note = _markdown(note, MAX_NOTE, "a note")
    if found.papers >= MAX_PAPERS:
        raise DiscussionError(f"a collection holds at most {MAX_PAPERS:,} papers")
    return store.collections.add(found.id, paper.pk, note, render(note) if note else "")


def remove_paper(store: Store, account: Account, key: str, paper: Paper) -> bool:
    return store.collections.remove(_own(store, account, key).id, paper.pk)


def follow(store: Store, account: Account, key: str, on: bool = True) -> Collection:
    """Follow a collection (its new papers come in one's digest), or stop."""
    may_write(account)
    found = get(store, key)
    if found.account_id == account.id and on:
        raise DiscussionError("your own collection's papers are yours already")
    store.collections.follow(found.id, account.id, on)
    return get(store, key)


def papers_of(store: Store, collection: Collection) -> list[tuple[Paper, Held]]:
    """The collection's shown papers with their notes, the last added first."""
    held = store.collections.held(collection.id)
    by_pk = {paper.pk: paper for paper in store.get_papers_by_pk([h.paper_pk for h in held])}
    return [(by_pk[h.paper_pk], h) for h in held if h.paper_pk in by_pk]
