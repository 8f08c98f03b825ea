"""Collections and readers' public profiles: pages (forms that work without JavaScript), Atom
feeds, BibTeX and the JSON API, thin over `litfeed.discussion.collections`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.delivery.feeds import MEDIA_TYPE, Entry, atom_feed
from litfeed.discussion import NoSuch, collections
from litfeed.discussion.collections import MAX_DESCRIPTION, MAX_NAME, MAX_NOTE
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import Paper
from litfeed.recommend.library import entry_of, to_bibtex
from litfeed.store.collections import Collection
from litfeed.web.auth import Caller, form_viewer, viewer

Render = Callable[[Request, str, Any], Response]
Csrf = Annotated[str, Form(max_length=200)]


class CollectionRequest(BaseModel):
    name: str = Field(max_length=MAX_NAME)
    description: str = Field(default="", max_length=MAX_DESCRIPTION, description="Markdown.")
    public: bool = Field(default=True, description="Listed on your profile; else unlisted.")


class CollectionChange(BaseModel):
    name: str | None = Field(default=None, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    public: bool | None = None


class PaperToAdd(BaseModel):
    id: str = Field(max_length=300, description="A paper's litfeed id, arXiv id or DOI.")
    note: str = Field(default="", max_length=MAX_NOTE, description="Markdown.")


class HeldOut(BaseModel):
    id: str
    title: str
    note: str
    note_html: str
    added_at: str


class CollectionOut(BaseModel):
    """A collection: ``key`` is its address (/collections/KEY), the only way to an unlisted
    one."""

    key: str
    name: str
    description: str
    description_html: str
    public: bool
    owner: str | None
    papers: int
    followers: int
    url: str
    updated_at: str
    items: list[HeldOut] | None = None


def collections_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["collections"])
    store = hub.store
    site = hub.settings.public_url

    def paper_of(paper_id: str) -> Paper:
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            raise PaperNotFound(f"no paper with id {paper_id[:100]!r}")
        return paper

    def out(found: Collection, items: bool = False) -> CollectionOut:
        held = (
            [
                HeldOut(
                    id=paper.id,
                    title=paper.title,
                    note=entry.note,
                    note_html=entry.note_html,
                    added_at=entry.added_at.isoformat(),
                )
                for paper, entry in collections.papers_of(store, found)
            ]
            if items
            else None
        )
        return CollectionOut(
            key=found.key,
            name=found.name,
            description=found.description,
            description_html=found.description_html,
            public=found.public,
            owner=found.owner,
            papers=found.papers,
            followers=found.followers,
            url=f"{site}/collections/{found.key}",
            updated_at=found.updated_at.isoformat(),
            items=held,
        )

    # -- pages ---------------------------------------------------------------------------------

    @router.get("/collections", response_class=HTMLResponse, include_in_schema=False)
    def my_collections(request: Request) -> Response:
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login?next=/collections", status_code=303)
        return render(
            request, "collections.html", {"mine": store.collections.of_account(account.id)}
        )

    @router.post("/collections", include_in_schema=False)
    def create_form(
        request: Request,
        name: Annotated[str, Form(max_length=MAX_NAME + 100)],
        description: Annotated[str, Form(max_length=MAX_DESCRIPTION + 100)] = "",
        public: Annotated[str, Form(max_length=10)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, "/collections")
        if isinstance(account, Response):
            return account
        made = collections.create(store, account, name, description, bool(public))
        return RedirectResponse(f"/collections/{made.key}", status_code=303)

    @router.post("/collections/add", include_in_schema=False)
    def add_form(
        request: Request,
        collection: Annotated[str, Form(max_length=40)],
        paper: Annotated[str, Form(max_length=300)],
        note: Annotated[str, Form(max_length=MAX_NOTE + 100)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, "/collections")
        if isinstance(account, Response):
            return account
        collections.add_paper(store, account, collection, paper_of(paper), note)
        return RedirectResponse(f"/collections/{collection}", status_code=303)

    @router.get("/collections/{key}.atom", include_in_schema=False)
    def collection_feed(key: str) -> Response:
        """A collection's papers, the last added first, each with its note."""
        found = collections.get(store, key)
        entries = [
            Entry(paper, held.note or None) for paper, held in collections.papers_of(store, found)
        ]
        body = atom_feed(
            f"litfeed collection: {found.name}",
            f"{site}/collections/{found.key}.atom",
            f"{site}/collections/{found.key}",
            site,
            entries[:200],
            subtitle=found.description or None,
        )
        return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8")

    @router.get("/collections/{key}.bib", include_in_schema=False)
    def collection_bibtex(key: str) -> Response:
        found = collections.get(store, key)
        entries = [
            entry_of(paper, held.note) for paper, held in collections.papers_of(store, found)
        ]
        return Response(
            to_bibtex(entries),
            media_type="application/x-bibtex; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{found.key}.bib"'},
        )

    @router.get("/collections/{key}", response_class=HTMLResponse, include_in_schema=False)
    def collection_page(request: Request, key: str) -> Response:
        found = collections.get(store, key)
        account = viewer(request)
        data = {
            "collection": found,
            "held": collections.papers_of(store, found),
            "mine": account is not None and account.id == found.account_id,
            "following": account is not None and store.collections.follows(account.id, found.id),
        }
        return render(request, "collection.html", data)

    @router.post("/collections/{key}/edit", include_in_schema=False)
    def edit_form(
        request: Request,
        key: str,
        name: Annotated[str, Form(max_length=MAX_NAME + 100)],
        description: Annotated[str, Form(max_length=MAX_DESCRIPTION + 100)] = "",
        public: Annotated[str, Form(max_length=10)] = "",
        csrf: Csrf = "",
    ) -> Response:
        account = form_viewer(request, csrf, f"/collections/{key}")
        if isinstance(account, Response):
            return account
        collections.change(store, account, key, name, description, bool(public))
        return RedirectResponse(f"/collections/{key}", status_code=303)

    @router.post("/collections/{key}/delete", include_in_schema=False)
    def delete_form(request: Request, key: str, csrf: Csrf = "") -> Response:
        account = form_viewer(request, csrf, f"/collections/{key}")
        if isinstance(account, Response):
            return account
        collections.delete(store, account, key)
        return RedirectResponse("/collections", status_code=303)

    @router.post("/collections/{key}/remove", include_in_schema=False)
    def remove_form(
        request: Request, key: str, paper: Annotated[str, Form(max_length=300)], csrf: Csrf = ""
    ) -> Response:
        account = form_viewer(request, csrf, f"/collections/{key}")
        if isinstance(account, Response):
            return account
        collections.remove_paper(store, account, key, paper_of(paper))
        return RedirectResponse(f"/collections/{key}", status_code=303)

    @router.post("/collections/{key}/follow", include_in_schema=False)
    def follow_form(request: Request, key: str, csrf: Csrf = "") -> Response:
        account = form_viewer(request, csrf, f"/collections/{key}")
        if isinstance(account, Response):
            return account
        found = collections.get(store, key)
        collections.follow(store, account, key, not store.collections.follows(account.id, found.id))
        return RedirectResponse(f"/collections/{key}", status_code=303)

    @router.get("/users/{name}", response_class=HTMLResponse, include_in_schema=False)
    def profile_page(request: Request, name: str) -> Response:
        """A reader's public profile: their public collections and latest comments (only an
        account with a public name has one)."""
        account = store.community.account_by_name(name[:40]) if name else None
        if account is None or not account.active:
            raise NoSuch(f"no reader named {name[:40]!r}")
        comments = [c for c in store.discussion.by_account(account.id, 50) if c.shown]
        shown = {p.pk: p for p in store.get_papers_by_pk(list({c.paper_pk for c in comments}))}
        data = {
            "person": account,
            "collections": store.collections.of_account(account.id, public_only=True),
            "comments": [(c, shown[c.paper_pk]) for c in comments if c.paper_pk in shown][:20],
        }
        return render(request, "profile.html", data)

    # -- the API -------------------------------------------------------------------------------

    @router.get("/api/collections", response_model=list[CollectionOut])
    def mine_json(caller: Caller) -> list[CollectionOut]:
        """Your collections, the last changed first."""
        return [out(found) for found in store.collections.of_account(caller.id)]

    @router.post("/api/collections", response_model=CollectionOut, status_code=201)
    def create_json(request: CollectionRequest, caller: Caller) -> CollectionOut:
        """Make a collection."""
        made = collections.create(store, caller, request.name, request.description, request.public)
        return out(made)

    @router.get("/api/collections/{key}", response_model=CollectionOut)
    def get_json(key: str) -> CollectionOut:
        """A collection with its papers (anyone with its address: unlisted ones too)."""
        return out(collections.get(store, key), items=True)

    @router.patch("/api/collections/{key}", response_model=CollectionOut)
    def change_json(key: str, change: CollectionChange, caller: Caller) -> CollectionOut:
        """Rename your collection, change its description, list or unlist it."""
        changed = collections.change(
            store, caller, key, change.name, change.description, change.public
        )
        return out(changed, items=True)

    @router.delete("/api/collections/{key}", status_code=204)
    def delete_json(key: str, caller: Caller) -> Response:
        """Delete your collection (its papers stay where they are)."""
        collections.delete(store, caller, key)
        return Response(status_code=204)

    @router.post("/api/collections/{key}/papers", response_model=CollectionOut)
    def add_json(key: str, paper: PaperToAdd, caller: Caller) -> CollectionOut:
        """Put a paper in your collection (again: change its note)."""
        collections.add_paper(store, caller, key, paper_of(paper.id), paper.note)
        return out(collections.get(store, key), items=True)

    @router.delete("/api/collections/{key}/papers/{paper_id:path}", response_model=CollectionOut)
    def remove_json(key: str, paper_id: str, caller: Caller) -> CollectionOut:
        """Take a paper out of your collection."""
        if not collections.remove_paper(store, caller, key, paper_of(paper_id)):
            raise HTTPException(404, "the collection does not hold that paper")
        return out(collections.get(store, key), items=True)

    @router.put("/api/collections/{key}/follow", response_model=CollectionOut)
    def follow_json(key: str, caller: Caller) -> CollectionOut:
        """Follow a collection: its new papers come in your digest."""
        return out(collections.follow(store, caller, key, True))

    @router.delete("/api/collections/{key}/follow", response_model=CollectionOut)
    def unfollow_json(key: str, caller: Caller) -> CollectionOut:
        """Stop following a collection."""
        return out(collections.follow(store, caller, key, False))

    return router
