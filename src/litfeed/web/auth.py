"""Who is asking, and whether a state-changing request really comes from litfeed's own pages.

- The session cookie (HttpOnly, SameSite=Lax, signed) and API tokens (`Authorization: Bearer`).
- CSRF: every form carries a token, and a script using the session cookie sends it as
  `X-CSRF-Token`. The token is an HMAC of the visitor's session (before log-in, of a random
  pre-session cookie), so a cookie planted from a sibling subdomain or over plain HTTP, with
  the same value in the form, matches no session of the victim's. A cookie-authenticated
  request that changes something is also refused when its `Origin` (or, without one,
  `Sec-Fetch-Site`) says another site sent it.
- With an https base URL the cookies are `__Host-` cookies (Secure, Path=/, no Domain: no
  other host can set them) and every answer carries HSTS.
- A device cookie remembers the accounts that logged in from this browser (see
  `litfeed.community.auth`): such a device is judged on its own failed log-ins only.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from litfeed.community.auth import DEVICE_DAYS, Auth
from litfeed.hub import Hub
from litfeed.store import Account

CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_bearer = HTTPBearer(auto_error=False, description="An API token: `litfeed users token EMAIL`.")
_FOREIGN = "this request came from another site: litfeed's forms are sent from its own pages"


def cookie_name(kind: str, secure: bool) -> str:
    """The name of litfeed's ``kind`` cookie (session, csrf, device): `__Host-` prefixed on
    https, so that only this host, over https, can set it."""
    return ("__Host-" if secure else "") + f"litfeed_{kind}"


def secure_site(request: Request) -> bool:
    secure: bool = request.app.state.secure
    return secure


def cookie(request: Request, kind: str) -> str | None:
    return request.cookies.get(cookie_name(kind, secure_site(request)))


def client_address(request: Request) -> str:
    """The network address a request came from (a trusted reverse proxy's X-Forwarded-For,
    when LITFEED_FORWARDED_ALLOW_IPS names the proxy)."""
    return request.client.host if request.client else "unknown"


def auth_of(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


def viewer(request: Request) -> Account | None:
    """The logged-in account of a page request (its session cookie), once per request."""
    if not hasattr(request.state, "viewer"):
        request.state.viewer = auth_of(request).account_of_cookie(cookie(request, "session"))
    found: Account | None = request.state.viewer
    return found


def _pre_session(request: Request) -> str:
    """The visitor's random pre-session value: its cookie's, or a new one `set_cookies` sets."""
    if not hasattr(request.state, "pre_session"):
        value = cookie(request, "csrf") or ""
        request.state.pre_session = value if 20 <= len(value) <= 100 else secrets.token_urlsafe(32)
    found: str = request.state.pre_session
    return found


def csrf_token(request: Request) -> str:
    """The CSRF token of this visitor's forms: bound to their session when logged in, else to
    their pre-session cookie."""
    session = cookie(request, "session")
    if viewer(request) is not None and session:
        return auth_of(request).csrf_token("session:" + session)
    return auth_of(request).csrf_token("visitor:" + _pre_session(request))


def set_cookies(request: Request, response: Response) -> None:
    """Set the pre-session cookie a page's forms were bound to, when the visitor lacks it."""
    value = _pre_session(request)
    if cookie(request, "csrf") != value:
        _set(response, request, "csrf", value, None)


def check_origin(request: Request) -> None:
    """403 when the browser says another site sent this request: its `Origin` is not this
    site's, or (without one) `Sec-Fetch-Site` is same-site or cross-site (a sibling subdomain
    is another site here). A request with neither (a script, an old browser) is judged by its
    CSRF token alone."""
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.rstrip("/").lower() not in _own_origins(request):
            raise HTTPException(403, _FOREIGN)
        return
    if request.headers.get("sec-fetch-site", "same-origin").lower() not in ("same-origin", "none"):
        raise HTTPException(403, _FOREIGN)


def _own_origins(request: Request) -> set[str]:
    public = urlsplit(request.app.state.hub.settings.public_url)
    own = {f"{public.scheme}://{public.netloc}".lower()}
    host = request.headers.get("host")
    if host:
        own.add(f"{request.url.scheme}://{host}".lower())
    return own


def check_csrf(request: Request, sent: str | None) -> None:
    """403 unless the request comes from this site (`check_origin`) and ``sent`` (a form's
    field or the header) is the token of this visitor's session (or pre-session)."""
    check_origin(request)
    expected = csrf_token(request)
    if not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise HTTPException(403, "this form has expired or did not come from this site: reload it")


def form_viewer(request: Request, csrf: str | None, target: str) -> Account | Response:
    """A form's sender: its CSRF token checked (403), then the logged-in account, or the way
    to log in and come back to ``target``."""
    check_csrf(request, csrf)
    account = viewer(request)
    if account is None:
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return account


def wants_json(request: Request) -> bool:
    """Whether a page's script sent this form (asking for JSON: it updates the page itself)."""
    return request.headers.get("accept", "").startswith("application/json")


def administrator(request: Request) -> Account:
    """The logged-in administrator; 403 for anyone else."""
    account = viewer(request)
    if account is None or not account.administrator:
        raise HTTPException(403, "only an administrator can do this")
    return account


def set_session(response: Response, request: Request, value: str, days: int) -> None:
    _set(response, request, "session", value, days * 86400)


def end_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        cookie_name("session", secure_site(request)),
        path="/",
        secure=secure_site(request),
        httponly=True,
        samesite="lax",
    )


def device_cookie(request: Request) -> str | None:
    return cookie(request, "device")


def set_device(response: Response, request: Request, value: str) -> None:
    _set(response, request, "device", value, DEVICE_DAYS * 86400)


def _set(response: Response, request: Request, kind: str, value: str, age: int | None) -> None:
    secure = secure_site(request)
    response.set_cookie(
        cookie_name(kind, secure),
        value,
        max_age=age,
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
    changes something must come from this site and carry the CSRF token in `X-CSRF-Token`);
    401 without either."""
    hub: Hub = request.app.state.hub
    if credentials is not None:
        found = hub.community.account_of_token(credentials.credentials)
        if found is not None:
            return found
    else:
        found = viewer(request)
        if found is not None:
            if request.method not in SAFE_METHODS:
                check_csrf(request, request.headers.get(CSRF_HEADER))
            return found
    raise HTTPException(
        401,
        "log in, or send an API token: Authorization: Bearer TOKEN",
        headers={"WWW-Authenticate": "Bearer"},
    )


Caller = Annotated[Account, Depends(api_caller)]
