"""A reader's library, ratings and for-you ranking through the JSON API. Each is read and
written only by its reader (their API token, or their session with its CSRF token), and only
once their address is confirmed: no other account, and no public list, sees any of it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from litfeed.community.accounts import (
    account_of_feed_key,
    new_feed_key,
    proven_address,
    require_proven,
)
from litfeed.delivery.feeds import MEDIA_TYPE, Entry, atom_feed
from litfeed.hub import Hub, PaperNotFound
from litfeed.models import Paper
from litfeed.recommend import INTEREST_KINDS, SAVED_SEARCH, InterestError, set_interest
from litfeed.recommend.citations import (
    FORMATS,
    MAX_BYTES,
    Citation,
    CitationFileError,
    Citations,
    parse_citation_bytes,
)
from litfeed.recommend.library import (
    LibraryImport,
    library_of,
    save_author_papers,
    to_bibtex,
)
from litfeed.search import MODES
from litfeed.store import Account
from litfeed.store.topics import FOLLOW_TOPIC
from litfeed.web.auth import Caller, check_csrf, viewer, wants_json
from litfeed.web.params import Category, RowId
from litfeed.web.routes.accounts import Csrf, Next, Render, local_path


class LibraryPaper(BaseModel):
    id: str = Field(description='The paper\'s litfeed id, or "outside:N" for an outside item.')
    title: str
    authors: list[str]
    year: int | None
    doi: str | None
    arxiv_id: str | None
    url: str | None
    note: str
    tags: list[str]
    rating: int | None
    outside: bool = Field(description="An entry no stored paper matched, kept as imported.")


class Library(BaseModel):
    papers: list[LibraryPaper] = Field(description="Saved papers, then outside items.")


class SaveRequest(BaseModel):
    ids: list[str] = Field(
        max_length=1000, description="arXiv ids, arXiv addresses or DOIs of stored papers."
    )


class Saved(BaseModel):
    matched: int
    new: int
    outside: int = Field(description="Entries kept as outside items (a file upload).")
    outside_new: int
    rejected: list[str]


Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f,]+$")]


class EntryChange(BaseModel):
    note: str | None = Field(default=None, max_length=10_000, description="A private note.")
    tags: list[Tag] | None = Field(default=None, max_length=50, description="The entry's tags.")


class RatingRequest(BaseModel):
    rating: int = Field(description="1: more like this; -1: less like this.")


class Pick(BaseModel):
    id: str
    title: str
    score: float
    reasons: list[str]


class PaperBrief(BaseModel):
    id: str
    title: str


class AuthorRequest(BaseModel):
    name: str = Field(min_length=1, max_length=300, description="As the papers spell it.")


class AuthorSaved(BaseModel):
    found: int
    new: int


class FeedAddress(BaseModel):
    url: str = Field(description="The private feed's address: a secret, shown once.")


class ForYouPage(BaseModel):
    date: date | None
    candidates: int
    library: int
    hits: list[Pick]


FEED_SIZE = 30  # papers in a private feed
SEARCH_DAYS = 7  # a saved search's page and feed: the matches of the last week
STARTED = 5  # library entries and ratings from which a reader is no longer offered papers to rate

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SaveRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string", "enum": list(FORMATS)},
                    },
                }
            },
        },
    }
}


async def _uploaded(request: Request) -> Citations:
    """The citations of an uploaded library file; 400 (or 413) saying why when there are
    none to read."""
    form = await request.form(max_files=1, max_fields=4)
    upload, format_name = form.get("file"), form.get("format")
    if not isinstance(upload, UploadFile):
        raise HTTPException(400, "file: a BibTeX, CSL-JSON, RIS or id-list file to upload")
    if format_name is not None and format_name not in FORMATS:
        raise HTTPException(400, f"format: one of {', '.join(FORMATS)}")
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, f"file: larger than {MAX_BYTES // 1_000_000} MB")
    name = "".join(c for c in Path(upload.filename or "upload").name if c.isprintable())[:100]
    try:
        return await run_in_threadpool(
            parse_citation_bytes,
            data,
            name or "upload",
            str(format_name) if format_name else None,
        )
    except CitationFileError as error:
        raise HTTPException(400, str(error)) from None


def _reader(account: Account) -> Account:
    """The caller, when their address is confirmed: a library is tied to the address."""
    return require_proven(account, "using a library")


def library_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter(tags=["library"])

    def paper_of(paper_id: str) -> Paper:
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            raise PaperNotFound(f"no paper with id {paper_id[:100]!r}")
        return paper

    # -- the pages -----------------------------------------------------------------------------

    def page_reader(request: Request, target: str) -> Account | Response:
        """The logged-in reader whose address is confirmed; else where to send the visitor."""
        account = viewer(request)
        if account is None:
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if proven_address(account) is None:
            data = {
                "title": "Confirm your address first",
                "message": "Your library, ratings and papers for you start once your address "
                "is confirmed: open the link mailed to it, or send a new one from the banner.",
            }
            return render(request, "notice.html", data, 403)
        return account

    def form_reader(request: Request, csrf: str, target: str) -> Account | Response:
        """A form's reader: its CSRF token checked, then as `page_reader`."""
        check_csrf(request, csrf)
        return page_reader(request, target)

    @router.get("/for-you", response_class=HTMLResponse, include_in_schema=False)
    def for_you_page(
        request: Request,
        day: Annotated[date | None, Query(alias="date")] = None,
        week: bool = False,
        category: Category = None,
    ) -> Response:
        reader = page_reader(request, "/for-you")
        if isinstance(reader, Response):
            return reader
        return for_you_view(request, reader, day, week=week, category=category)

    def for_you_view(
        request: Request,
        reader: Account,
        day: date | None = None,
        week: bool = False,
        category: str | None = None,
        **extra: Any,
    ) -> Response:
        ranked = hub.for_you(reader.id, day, 25, week, category)
        starting = ranked.library + len(hub.store.library.ratings(reader.id)) < STARTED
        interests = hub.store.library.interests(reader.id)
        followed = interests.get(FOLLOW_TOPIC)  # their labels read only for one who follows
        data: dict[str, Any] = {
            "ranked": ranked,
            "to_rate": hub.papers_to_rate(reader.id, day) if starting else [],
            "interests": interests,
            "kinds": [kind for kind in INTEREST_KINDS if kind != SAVED_SEARCH],
            "has_feed": hub.store.library.has_feed(reader.id),
            "topic_labels": {str(t.id): t.label for t in hub.store.topics.all()}
            if followed
            else {},
            "category": category,
            **extra,
        }
        return render(request, "for_you.html", data)

    @router.post("/for-you/interests", include_in_schema=False)
    def interest_form(
        request: Request,
        kind: Annotated[str, Form(max_length=40)],
        value: Annotated[str, Form(max_length=400)],
        action: Annotated[str, Form(max_length=10)] = "add",
        csrf: Csrf = "",
    ) -> Response:
        """Follow or mute something, or stop."""
        reader = form_reader(request, csrf, "/for-you")
        if isinstance(reader, Response):
            return reader
        try:
            set_interest(hub.store, reader.id, kind, value, on=action != "remove")
        except InterestError as error:
            return render(request, "notice.html", {"title": "Not kept", "message": str(error)}, 400)
        return RedirectResponse("/for-you", status_code=303)

    @router.post("/for-you/mine", include_in_schema=False)
    def mine_form(
        request: Request, name: Annotated[str, Form(max_length=300)], csrf: Csrf = ""
    ) -> Response:
        """ "These are my papers": save every paper by an author name in one step."""
        reader = form_reader(request, csrf, "/for-you")
        if isinstance(reader, Response):
            return reader
        found, new = save_author_papers(hub.store, reader.id, name)
        return for_you_view(request, reader, mine=(name.strip(), found, new))

    @router.post("/for-you/feed", include_in_schema=False)
    def feed_form(
        request: Request,
        action: Annotated[str, Form(max_length=10)],
        csrf: Csrf = "",
    ) -> Response:
        """Make the reader's private feed a new secret address (shown once), or stop it."""
        reader = form_reader(request, csrf, "/for-you")
        if isinstance(reader, Response):
            return reader
        if action == "stop":
            hub.store.library.set_feed_key(reader.id, None)
            return for_you_view(request, reader, feed_stopped=True)
        return for_you_view(request, reader, feed_url=_feed_url(new_feed_key(hub.store, reader)))

    def _feed_url(key: str) -> str:
        return f"{hub.settings.public_url}/feeds/for-you/{key}.atom"

    @router.get("/feeds/for-you/{key}.atom", include_in_schema=False)
    def for_you_feed(key: str) -> Response:
        """A reader's private feed: the newest day's papers ranked for them, each with why.
        Its address is its secret; an unknown or replaced one is 404."""
        reader = account_of_feed_key(hub.store, key)
        if reader is None:
            raise HTTPException(404, "no such feed (its address may have been replaced)")
        ranked = hub.for_you(reader.id, None, FEED_SIZE)
        entries = [Entry(pick.paper, "; ".join(pick.reasons)) for pick in ranked.picks]
        site = hub.settings.public_url
        body = atom_feed(
            "litfeed: for you" + (f" — {ranked.day:%d %B %Y}" if ranked.day else ""),
            _feed_url(key),
            f"{site}/for-you",
            site,
            entries,
            subtitle="The newest day's papers ranked by your library and ratings (private).",
        )
        headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
        return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)

    @router.get("/library", response_class=HTMLResponse, include_in_schema=False)
    def library_page(
        request: Request,
        tag: Annotated[str | None, Query(max_length=64)] = None,
        q: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Response:
        reader = page_reader(request, "/library")
        if isinstance(reader, Response):
            return reader
        return render(request, "library.html", _library_data(reader, tag, q))

    def _library_data(
        reader: Account, tag: str | None, q: str | None, report: LibraryImport | None = None
    ) -> dict[str, Any]:
        everything = library_of(hub.store, reader.id)
        query = (q or "").strip()
        shown = (
            hub.search_library(reader.id, query, tag, 100)
            if query
            else [e for e in everything if tag is None or tag in e.tags]
        )
        tags = sorted({name for entry in everything for name in entry.tags}, key=str.casefold)
        searches = [
            {
                "fields": dict(parse_qsl(value)),
                "page": f"/search?{value}&days={SEARCH_DAYS}",
                "feed": f"/feeds/search.atom?{value}&days={SEARCH_DAYS}",
                "mail": "/subscribe?" + urlencode({"section": f"search:{value}"}),
            }
            for value in hub.store.library.interests(reader.id).get(SAVED_SEARCH, [])
        ]
        return {
            "searches": searches,
            "search_days": SEARCH_DAYS,
            "entries": shown,
            "total": len(everything),
            "outside": sum(entry.outside_id is not None for entry in everything),
            "tags": tags,
            "tag": tag,
            "query": query,
            "report": report,
            "formats": FORMATS,
        }

    @router.post("/searches/save", include_in_schema=False)
    def save_search(
        request: Request,
        q: Annotated[str, Form(max_length=500)],
        mode: Annotated[str, Form(max_length=20)] = "hybrid",
        category: Annotated[str, Form(max_length=64)] = "",
        action: Annotated[str, Form(max_length=10)] = "save",
        csrf: Csrf = "",
        next: Next = "/library",
    ) -> Response:
        """Save a search (or take it back): listed on /library with its page, feed and mail."""
        target = local_path(next)
        reader = form_reader(request, csrf, target)
        if isinstance(reader, Response):
            return reader
        fields = {"q": " ".join(q.split()), "mode": mode, "category": category.strip()}
        value = urlencode({key: text for key, text in fields.items() if text})
        try:
            if fields["q"] and mode in MODES:
                set_interest(hub.store, reader.id, SAVED_SEARCH, value, on=action != "remove")
            else:
                raise InterestError("a saved search has words to search for and a known mode")
        except InterestError as error:
            return render(
                request, "notice.html", {"title": "Not saved", "message": str(error)}, 400
            )
        return RedirectResponse(target, status_code=303)

    @router.post("/library/import", include_in_schema=False)
    async def import_form(request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=4)
        check_csrf(request, str(form.get("csrf") or ""))
        reader = page_reader(request, "/library")
        if isinstance(reader, Response):
            return reader
        try:
            citations = await _uploaded(request)
        except HTTPException as error:
            data = {"title": "Nothing imported", "message": str(error.detail)}
            return render(request, "notice.html", data, error.status_code)
        report = await run_in_threadpool(hub.save_to_library, reader.id, citations)
        data = await run_in_threadpool(_library_data, reader, None, None, report)
        return render(request, "library.html", data)

    @router.post("/library/entry", include_in_schema=False)
    def entry_form(
        request: Request,
        entry: Annotated[str, Form(max_length=300)],
        action: Annotated[str, Form(max_length=20)],
        note: Annotated[str, Form(max_length=10_000)] = "",
        tags: Annotated[str, Form(max_length=3_000)] = "",
        csrf: Csrf = "",
        next: Next = "/library",
    ) -> Response:
        """Change one entry of the reader's library: its note and tags, or take it out."""
        target = local_path(next)
        reader = form_reader(request, csrf, target)
        if isinstance(reader, Response):
            return reader
        outside = (
            int(entry.split(":", 1)[1])
            if entry.startswith("outside:") and entry[8:].isdigit()
            else None
        )
        paper_pk = None if outside is not None else paper_of(entry).pk
        library = hub.store.library
        if action == "remove":
            done = (
                library.remove_outside(reader.id, outside)
                if outside is not None
                else library.remove(reader.id, paper_pk or 0)
            )
        else:
            names = [name.strip() for name in tags.split(",")]
            kept = [n for n in dict.fromkeys(names) if n and n.isprintable()][:50]
            done = library.annotate(
                reader.id,
                paper_pk=paper_pk,
                outside_id=outside,
                note=note.strip(),
                tags=[n[:64] for n in kept],
            )
        if not done:
            raise HTTPException(404, "no such entry in your library")
        return RedirectResponse(target, status_code=303)

    @router.post("/papers/{paper_id:path}/save", include_in_schema=False)
    def save_form(request: Request, paper_id: str, csrf: Csrf = "", next: Next = "/") -> Response:
        target = local_path(next)
        reader = form_reader(request, csrf, target)
        if isinstance(reader, Response):
            return reader
        paper = paper_of(paper_id)
        saved = not hub.store.library.remove(reader.id, paper.pk)  # a second click takes it out
        if saved:
            hub.store.library.save(reader.id, [paper.pk])
        if wants_json(request):  # the page's script: no reload
            return JSONResponse({"saved": saved})
        return RedirectResponse(target, status_code=303)

    @router.post("/papers/{paper_id:path}/rate", include_in_schema=False)
    def rate_form(
        request: Request,
        paper_id: str,
        rating: Annotated[int, Form(ge=-1, le=1)],
        csrf: Csrf = "",
        next: Next = "/",
    ) -> Response:
        target = local_path(next)
        reader = form_reader(request, csrf, target)
        if isinstance(reader, Response):
            return reader
        hub.store.library.rate(reader.id, paper_of(paper_id).pk, rating or None)
        if wants_json(request):
            return JSONResponse({"rating": rating or None})
        return RedirectResponse(target, status_code=303)

    # -- the API -------------------------------------------------------------------------------

    @router.get("/api/library", response_model=Library)
    def library(caller: Caller, tag: Annotated[str | None, Query(max_length=64)] = None) -> Library:
        """The caller's library, the newest first (saved papers, then outside items), with
        their notes, tags and ratings; only the entries tagged ``tag`` when given."""
        entries = library_of(hub.store, _reader(caller).id, tag)
        return Library(papers=[LibraryPaper.model_validate(entry.as_json()) for entry in entries])

    @router.get("/api/library/search", response_model=Library)
    def search_library(
        caller: Caller,
        q: Annotated[str, Query(min_length=1, max_length=500, description="Words or a topic.")],
        tag: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Library:
        """The caller's library entries that answer ``q``, by words and by meaning."""
        entries = hub.search_library(_reader(caller).id, q, tag, limit)
        return Library(papers=[LibraryPaper.model_validate(entry.as_json()) for entry in entries])

    @router.get(
        "/api/library/export.bib",
        response_class=PlainTextResponse,
        responses={200: {"content": {"application/x-bibtex": {}}}},
    )
    def export(caller: Caller, tag: Annotated[str | None, Query(max_length=64)] = None) -> Response:
        """The caller's library (or one tag of it) as BibTeX, which the import reads back."""
        entries = library_of(hub.store, _reader(caller).id, tag)
        return Response(
            to_bibtex(entries),
            media_type="application/x-bibtex; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="library.bib"'},
        )

    @router.post("/api/library", response_model=Saved, openapi_extra=UPLOAD_BODY)
    async def save(request: Request, caller: Caller) -> Saved:
        """Save papers into the caller's library: ``{"ids": [...]}`` (an id that names no
        paper here is reported), or a file upload (``file``: BibTeX, CSL-JSON, RIS or a list
        of ids; ``format`` when its name does not say): each entry matched by arXiv id, DOI,
        then title, the rest kept as outside items. Saving twice changes nothing."""
        reader = _reader(caller)
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            citations = await _uploaded(request)
        else:
            try:
                asked = SaveRequest.model_validate_json(await request.body())
            except ValidationError as error:
                raise RequestValidationError(error.errors()) from None
            citations = Citations(
                [Citation(f"ids[{n}]", reference=t.strip()[:1000]) for n, t in enumerate(asked.ids)]
            )
        report = await run_in_threadpool(hub.save_to_library, reader.id, citations)
        return Saved(
            matched=report.matched,
            new=report.new,
            outside=report.outside,
            outside_new=report.outside_new,
            rejected=report.rejected,
        )

    @router.patch("/api/library/outside/{item_id}", status_code=204)
    def change_outside(item_id: RowId, change: EntryChange, caller: Caller) -> Response:
        """Set the note and/or tags of one of the caller's outside items."""
        reader = _reader(caller)
        if not hub.store.library.annotate(
            reader.id, outside_id=item_id, note=change.note, tags=change.tags
        ):
            raise HTTPException(404, "no such entry in your library")
        return Response(status_code=204)

    @router.delete("/api/library/outside/{item_id}", status_code=204)
    def remove_outside(item_id: RowId, caller: Caller) -> Response:
        """Take an outside item out of the caller's library."""
        if not hub.store.library.remove_outside(_reader(caller).id, item_id):
            raise HTTPException(404, "no such entry in your library")
        return Response(status_code=204)

    @router.patch("/api/library/{paper_id:path}", status_code=204)
    def change(paper_id: str, change: EntryChange, caller: Caller) -> Response:
        """Set the note and/or tags of a paper in the caller's library."""
        reader = _reader(caller)
        if not hub.store.library.annotate(
            reader.id, paper_pk=paper_of(paper_id).pk, note=change.note, tags=change.tags
        ):
            raise HTTPException(404, "that paper is not in your library")
        return Response(status_code=204)

    @router.delete("/api/library/{paper_id:path}", status_code=204)
    def remove(paper_id: str, caller: Caller) -> Response:
        """Take a paper out of the caller's library."""
        reader = _reader(caller)
        if not hub.store.library.remove(reader.id, paper_of(paper_id).pk):
            raise HTTPException(404, "that paper is not in your library")
        return Response(status_code=204)

    @router.put("/api/ratings/{paper_id:path}", status_code=204)
    def rate(paper_id: str, request: RatingRequest, caller: Caller) -> Response:
        """Rate a paper for the caller: 1 more like this, -1 less like this."""
        if request.rating not in (1, -1):
            raise HTTPException(400, "rating: 1 (more like this) or -1 (less like this)")
        hub.store.library.rate(_reader(caller).id, paper_of(paper_id).pk, request.rating)
        return Response(status_code=204)

    @router.delete("/api/ratings/{paper_id:path}", status_code=204)
    def unrate(paper_id: str, caller: Caller) -> Response:
        """Take back the caller's rating of a paper."""
        hub.store.library.rate(_reader(caller).id, paper_of(paper_id).pk, None)
        return Response(status_code=204)

    @router.get("/api/interests", response_model=dict[str, list[str]])
    def interests(caller: Caller) -> dict[str, list[str]]:
        """What the caller follows (follow-author, follow-category, follow-topic: their papers
        rank higher) and mutes (mute-word, mute-author, mute-category: left out of their
        ranking)."""
        found = hub.store.library.interests(_reader(caller).id)
        return {kind: found.get(kind, []) for kind in INTEREST_KINDS}

    @router.put("/api/interests/{kind}/{value:path}", status_code=204)
    def add_interest(kind: str, value: str, caller: Caller) -> Response:
        """Follow or mute: ``kind`` is one of follow-author, follow-category, follow-topic (a
        topic's number, as `/api/topics` gives it), mute-word, mute-author, mute-category (a
        category one of arXiv's, kept as arXiv spells it)."""
        try:
            set_interest(hub.store, _reader(caller).id, kind, value)
        except InterestError as error:
            raise HTTPException(400, str(error)) from None
        return Response(status_code=204)

    @router.delete("/api/interests/{kind}/{value:path}", status_code=204)
    def remove_interest(kind: str, value: str, caller: Caller) -> Response:
        """Stop following or muting."""
        try:
            if not set_interest(hub.store, _reader(caller).id, kind, value, on=False):
                raise HTTPException(404, f"you do not {kind.replace('-', ' ')} that")
        except InterestError as error:
            raise HTTPException(400, str(error)) from None
        return Response(status_code=204)

    @router.post("/api/for-you/feed", response_model=FeedAddress)
    def new_feed(caller: Caller) -> FeedAddress:
        """A new secret address for the caller's private Atom feed of papers for them (shown
        once; the address it had before stops working)."""
        return FeedAddress(url=_feed_url(new_feed_key(hub.store, _reader(caller))))

    @router.delete("/api/for-you/feed", status_code=204)
    def stop_feed(caller: Caller) -> Response:
        """Stop the caller's private feed: its address answers 404 from now on."""
        hub.store.library.set_feed_key(_reader(caller).id, None)
        return Response(status_code=204)

    @router.get("/api/for-you/to-rate", response_model=list[PaperBrief])
    def to_rate(
        caller: Caller,
        day: Annotated[date | None, Query(alias="date", description="The day.")] = None,
    ) -> list[PaperBrief]:
        """Papers for the caller to rate: the day's most voted, and once they have rated, the
        papers their model is least sure of."""
        papers = hub.papers_to_rate(_reader(caller).id, day)
        return [PaperBrief(id=paper.id, title=paper.title) for paper in papers]

    @router.post("/api/library/author", response_model=AuthorSaved)
    def save_author(request: AuthorRequest, caller: Caller) -> AuthorSaved:
        """ "These are my papers": save every stored paper that lists ``name`` as an author."""
        found, new = save_author_papers(hub.store, _reader(caller).id, request.name)
        return AuthorSaved(found=found, new=new)

    @router.get("/api/for-you", response_model=ForYouPage)
    def for_you(
        caller: Caller,
        day: Annotated[date | None, Query(alias="date", description="The day.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        week: Annotated[bool, Query(description="The day's ISO week, not the day.")] = False,
        category: Category = None,
    ) -> ForYouPage:
        """A day's papers (default: the newest day), or its week's, in a category when given,
        ranked for the caller by their library and ratings, each with why."""
        ranked = hub.for_you(_reader(caller).id, day, limit, week, category)
        return ForYouPage(
            date=ranked.day,
            candidates=ranked.candidates,
            library=ranked.library,
            hits=[
                Pick(id=p.paper.id, title=p.paper.title, score=round(p.score, 4), reasons=p.reasons)
                for p in ranked.picks
            ],
        )

    return router
