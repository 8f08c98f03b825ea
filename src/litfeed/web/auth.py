"""Who is asking, and whether a state-changing request really comes from litfeed's own pages:
the session cookie (HttpOnly, SameSite=Lax, signed), API tokens (`Authorization: Bearer`), and
CSRF tokens (a random value in an HttpOnly cookie that every form carries back in a hidden
field, and that a script using the session cookie sends as `X-CSRF-Token`)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from litfeed.community.auth import Auth
from litfeed.hub import Hub
from litfeed.store import Account

SESSION_COOKIE = "litfeed_session"
CSRF_COOKIE = "litfeed_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
_bearer = HTTPBearer(auto_error=False, description="An API token: `litfeed users token EMAIL`.")


def client_address(request: Request) -> str:
    """The network address a request came from (a reverse proxy's, behind one)."""
    return request.client.host if request.client else "unknown"


def auth_of(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


def viewer(request: Request) -> Account | None:
    """The logged-in account of a page request (its session cookie), once per request."""
    if not hasattr(request.state, "viewer"):
        request.state.viewer = auth_of(request).account_of_cookie(
            request.cookies.get(SESSION_COOKIE)
        )
    found: Account | None = request.state.viewer
    return found


def csrf_token(request: Request) -> str:
    """This visitor's CSRF token: the cookie's, or a new one `set_cookies` will set."""
    if not hasattr(request.state, "csrf"):
        cookie = request.cookies.get(CSRF_COOKIE, "")
        request.state.csrf = cookie if 20 <= len(cookie) <= 100 else secrets.token_urlsafe(32)
    token: str = request.state.csrf
    return token


def set_cookies(request: Request, response: Response, secure: bool) -> None:
    token = csrf_token(request)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/"
        )


def check_csrf(request: Request, sent: str | None) -> None:
    """403 unless ``sent`` (a form's field or the header) is the visitor's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise HTTPException(403, "this form has expired or did not come from this site: reload it")


def set_session(response: Response, cookie: str, days: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=days * 86400,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def api_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account of an API request: its token, else its session cookie (then a request that
    changes something must carry the CSRF token in `X-CSRF-Token`); 401 without either."""
    hub: Hub = request.app.state.hub
    if credentials is not None:
        found = hub.community.account_of_token(credentials.credentials)
        if found is not None:
            return found
    else:
        found = viewer(request)
        if found is not None:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_csrf(request, request.headers.get(CSRF_HEADER))
            return found
    raise HTTPException(
        401,
        "log in, or send an API token: Authorization: Bearer TOKEN",
        headers={"WWW-Authenticate": "Bearer"},
    )


Caller = Annotated[Account, Depends(api_caller)]
