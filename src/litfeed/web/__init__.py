"""The web app: server-rendered pages and a JSON API over the same page-data functions."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from litfeed import __version__
from litfeed.addresses import AddressError
from litfeed.community import AccountError, PeriodError, SubmissionError, VoteRefused
from litfeed.community.accounts import Unconfirmed, proven_address
from litfeed.community.auth import Auth, Throttled
from litfeed.config import Settings, load_settings
from litfeed.delivery.subscriptions import SubscriptionError
from litfeed.discussion import DiscussionError, NoSuch, NotAllowed, thread
from litfeed.hub import Hub, PaperNotFound
from litfeed.maths import render_maths
from litfeed.search import QueryError, check_query
from litfeed.search.embeddings import EmbeddingError
from litfeed.taxonomy import category_name
from litfeed.web.auth import csrf_token, set_cookies, viewer
from litfeed.web.guard import Guard, default_allowed_hosts, docs_policy
from litfeed.web.pages import (
    HomePage,
    PaperPage,
    SearchPage,
    SimilarPage,
    home_page,
    paper_page,
    search_page,
    similar_page,
)
from litfeed.web.params import (
    Author,
    Category,
    Days,
    Limit,
    PageNumber,
    PageSize,
    SearchMode,
    SearchQuery,
    Since,
    Until,
)
from litfeed.web.routes.accounts import accounts_router
from litfeed.web.routes.authors import authors_router
from litfeed.web.routes.collections import collections_router
from litfeed.web.routes.community import community_router
from litfeed.web.routes.delivery import delivery_router
from litfeed.web.routes.discussion import CommentSort, discussion_router, mark_authors
from litfeed.web.routes.hf import hf_router
from litfeed.web.routes.library import library_router
from litfeed.web.routes.topics import topics_router


class Error(BaseModel):
    """What every error response of the API holds."""

    error: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        400: "The request's parameters are not valid; the error says which and why.",
        404: "No paper has that id.",
        503: "The embedding model cannot be loaded, so nothing can be ranked by meaning.",
    }
    return {code: {"model": Error, "description": meaning[code]} for code in codes}


BAD_REQUEST = _errors(400)
NOT_FOUND = _errors(404)
SEARCH_ERRORS = _errors(400, 503)
SIMILAR_ERRORS = _errors(400, 404, 503)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment). Opens the database now, so a
    bad setting or an unreachable database fails before the server starts listening. The app
    only reads: the indexes are kept current by the background worker (`litfeed worker`, which
    `litfeed serve` starts), and a request never waits for indexing or for the model."""
    hub = Hub(settings or load_settings(), serving=True)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load the embedding model in the background: keyword pages are served meanwhile, and
        # searches answer by words (saying so) until it is loaded.
        stop = threading.Event()
        threading.Thread(target=hub.preload, args=(stop,), daemon=True).start()
        yield
        stop.set()
        hub.close()

    app = FastAPI(
        title="litfeed",
        version=__version__,
        description="A self-hosted research-paper discovery hub.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    hosts = hub.settings.allowed_hosts or default_allowed_hosts(hub.settings.host)
    secure = hub.settings.public_url.startswith("https://")
    app.state.secure = secure
    app.add_middleware(Guard, allowed_hosts=hosts, https=secure)
    package = resources.files("litfeed.web")
    templates = Jinja2Templates(directory=str(package / "templates"))
    templates.env.filters["maths"] = render_maths
    templates.env.globals["category_name"] = category_name
    app.mount("/static", StaticFiles(directory=str(package / "static")), name="static")
    # Swagger UI's and ReDoc's files, from the fastapi-offline package: the API docs load
    # nothing from another host.
    docs_files = resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(docs_files)), name="docs-assets")
    _add_error_handlers(app, templates)

    app.state.auth = Auth(hub.store, hub.settings)

    def render(request: Request, name: str, data: Any, status_code: int = 200) -> Response:
        account = viewer(request)
        reader = account if account is not None and proven_address(account) else None
        context = {
            "page": data,
            "version": __version__,
            "viewer": account,
            "voted": hub.store.community.voted_any(account.id) if account else set(),
            # the viewer's own library and ratings (their buttons), when their address is proven
            "saved": set(hub.store.library.saved(reader.id)) if reader else set(),
            "ratings": hub.store.library.ratings(reader.id) if reader else {},
            # the viewer's collections (every card offers to add its paper to one)
            "my_collections": (
                hub.store.collections.of_account(reader.id) if reader and reader.active else []
            ),
            "reader": reader,
            "csrf": csrf_token(request),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        set_cookies(request, response)
        return response

    # Before the papers' routes: "/api/papers/{id}/vote" is the community's.
    app.include_router(community_router(hub, render))
    app.include_router(hf_router(hub))
    app.include_router(accounts_router(hub, render))
    app.include_router(delivery_router(hub, render))
    app.include_router(library_router(hub, render))
    app.include_router(discussion_router(hub, render))
    app.include_router(collections_router(hub, render))
    app.include_router(authors_router(hub, render))
    app.include_router(topics_router(hub, render))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home_html(
        request: Request, page: PageNumber = 1, author: Author = None, category: Category = None
    ) -> Response:
        return render(request, "home.html", home_page(hub, page, None, author, category, lead=True))

    @app.get("/api/papers", response_model=HomePage, tags=["papers"], responses=BAD_REQUEST)
    def home_json(
        page: PageNumber = 1,
        limit: PageSize = None,
        author: Author = None,
        category: Category = None,
    ) -> HomePage:
        """Papers, newest first, a page at a time: all, one author's (by the name as the paper
        lists it) or one arXiv category's."""
        return home_page(hub, page, limit, author, category)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_html(
        request: Request,
        q: SearchQuery = "",
        mode: SearchMode = "hybrid",
        page: PageNumber = 1,
        category: Category = None,
        since: Since = None,
        until: Until = None,
        days: Days = None,
    ) -> Response:
        data = search_page(hub, q, mode, page, category, since, until, days=days)
        return render(request, "search.html", data)

    @app.get("/api/search", response_model=SearchPage, tags=["search"], responses=SEARCH_ERRORS)
    def search_json(
        q: SearchQuery,
        mode: SearchMode = "hybrid",
        page: PageNumber = 1,
        category: Category = None,
        since: Since = None,
        until: Until = None,
        days: Days = None,
        limit: PageSize = None,
    ) -> SearchPage:
        """Search by words, meaning or both, with highlighted title and abstract snippets."""
        check_query(q, mode)  # the HTML page shows its form for a blank query; the API refuses
        return search_page(hub, q, mode, page, category, since, until, limit, days)

    @app.get("/papers/{paper_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def paper_html(request: Request, paper_id: str, comments: CommentSort = "top") -> Response:
        account = viewer(request)
        moderator = bool(account and account.administrator)
        data = paper_page(hub, paper_id, show_hidden=moderator)
        if data.paper.id != paper_id:  # found by arXiv id with version, DOI, URL or former id
            return RedirectResponse(f"/papers/{data.paper.id}", status_code=301)
        data.thread = thread(hub.store, data.paper, comments, moderator)
        mark_authors(hub.store, data.paper, data.thread)
        if account is not None:
            shown = [node.comment.id for node in data.thread.flat()]
            data.comments_voted = hub.store.discussion.voted(account.id, shown)
        return render(request, "paper.html", data)

    @app.get(
        "/api/papers/{paper_id:path}/similar",
        response_model=SimilarPage,
        tags=["papers"],
        responses=SIMILAR_ERRORS,
    )
    def similar_json(paper_id: str, limit: Limit = 10, page: PageNumber = 1) -> SimilarPage:
        """The papers nearest in meaning to one paper, each with a one-line reason, a page of
        ``limit`` at a time (down to the 1,000 nearest)."""
        return similar_page(hub, paper_id, limit, page)

    @app.get(
        "/api/papers/{paper_id:path}",
        response_model=PaperPage,
        tags=["papers"],
        responses=NOT_FOUND,
    )
    def paper_json(paper_id: str) -> PaperPage:
        """One paper by litfeed id, arXiv id or DOI."""
        return paper_page(hub, paper_id)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def swagger_ui() -> Response:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="litfeed API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )
        return _docs_page(page)

    @app.get("/redoc", response_class=HTMLResponse, include_in_schema=False)
    def redoc() -> Response:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title="litfeed API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        return _docs_page(page)

    app.openapi = lambda: _openapi_without_422(app)  # type: ignore[method-assign]
    return app


DOCS_ASSETS = "/docs-assets"


def _openapi_without_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents a 422 for every route with parameters; litfeed answers bad parameters
    with a 400 and an `Error` (see `_add_error_handlers`), so the schema says that instead."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].pop("422", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema


def _docs_page(page: HTMLResponse) -> Response:
    page.headers["content-security-policy"] = docs_policy(bytes(page.body).decode())
    return page


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/hf/"))


def _allowed(request: Request) -> str:
    """The methods every route at the request's path answers (Starlette's 405 names only the
    first route's; litfeed has a route for each method of a path), HEAD with GET."""
    from starlette.routing import Match

    methods = {
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _add_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def respond(request: Request, status_code: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status_code)
        context = {"message": message, "status_code": status_code, "version": __version__}
        return templates.TemplateResponse(request, "error.html", context, status_code=status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            response = respond(request, 404, f"no page at {request.url.path}")
        else:
            response = respond(request, error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        if error.status_code == 405:
            response.headers["allow"] = _allowed(request)
        return response

    @app.exception_handler(PaperNotFound)
    async def not_found(request: Request, error: PaperNotFound) -> Response:
        return respond(request, 404, str(error))

    @app.exception_handler(EmbeddingError)
    async def no_model(request: Request, error: EmbeddingError) -> Response:
        return respond(request, 503, str(error))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, error: QueryError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(PeriodError)
    async def bad_period(request: Request, error: PeriodError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(SubmissionError)
    async def bad_submission(request: Request, error: SubmissionError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(SubscriptionError)
    async def bad_subscription(request: Request, error: SubscriptionError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(DiscussionError)
    async def bad_comment(request: Request, error: DiscussionError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, error: NotAllowed) -> Response:
        return respond(request, 403, str(error))

    @app.exception_handler(NoSuch)
    async def no_such(request: Request, error: NoSuch) -> Response:
        return respond(request, 404, str(error))

    @app.exception_handler(Throttled)
    async def throttled(request: Request, error: Throttled) -> Response:
        return respond(request, 429, str(error))

    @app.exception_handler(VoteRefused)
    async def refused(request: Request, error: VoteRefused) -> Response:
        return respond(request, 403, str(error))

    @app.exception_handler(Unconfirmed)
    async def unconfirmed(request: Request, error: Unconfirmed) -> Response:
        return respond(request, 403, str(error))

    @app.exception_handler(AddressError)
    async def bad_address(request: Request, error: AddressError) -> Response:
        return respond(request, 400, str(error))

    @app.exception_handler(AccountError)
    async def bad_account(request: Request, error: AccountError) -> Response:
        return respond(request, 400, str(error))  # an address, password or name not usable

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'][1:])}: {item['msg']}"
            for item in error.errors()
        )
        return respond(request, 400, f"bad request: {problems}")
