"""Sign-up, address verification, log-in, log-out, password reset (HTML forms and the JSON API
under /api/auth), and voting from the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from litfeed.addresses import AddressError, key_of
from litfeed.community import SubmissionError, VoteRefused
from litfeed.community.accounts import AccountError, new_token, proven_address, rename
from litfeed.community.auth import LoggedIn, Throttled
from litfeed.hub import Hub, PaperNotFound
from litfeed.store import Account
from litfeed.web.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    administrator,
    auth_of,
    check_csrf,
    client_address,
    cookie,
    csrf_token,
    device_cookie,
    end_session_cookie,
    set_cookies,
    set_device,
    set_session,
    viewer,
)
from litfeed.web.params import FormRowId, RowId

Render = Callable[..., Response]
Text = Annotated[str, Form(max_length=1000)]
Csrf = Annotated[str, Form(alias=CSRF_FIELD, max_length=200)]
Next = Annotated[str, Form(alias="next", max_length=2000)]

SIGNED_UP = (
    "Check your inbox: if {email} can have an account here, a message is on its way to it "
    "(a link to confirm the address, or a note that it has an account already)."
)
RESET_SENT = (
    "If an account exists for {email}, a message with a link to set a new password is on its "
    "way to it."
)
WRONG = "wrong e-mail address or password"


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class SignUp(Credentials):
    name: str | None = Field(
        default=None, max_length=100, description="A public name shown with your submissions."
    )


class Message(BaseModel):
    message: str


class LoggedInAnswer(BaseModel):
    id: int
    email: str
    name: str | None
    verified: bool


class CsrfToken(BaseModel):
    token: str


def local_path(target: str | None) -> str:
    """Where to go back to: a path on this site, else the home page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def accounts_router(hub: Hub, render: Render) -> APIRouter:
    router = APIRouter()
    days = hub.settings.session_days

    def notice(request: Request, title: str, message: str, status_code: int = 200) -> Response:
        return render(request, "notice.html", {"title": title, "message": message}, status_code)

    def form(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
        return render(request, template, values, status_code)

    # -- sign-up -------------------------------------------------------------------------------

    @router.get("/signup", response_class=HTMLResponse, include_in_schema=False)
    def signup_form(request: Request) -> Response:
        return form(request, "signup.html", email="", name="", error=None)

    @router.post("/signup", response_class=HTMLResponse, include_in_schema=False)
    def signup(
        request: Request, email: Text, password: Text, name: Text = "", csrf: Csrf = ""
    ) -> Response:
        check_csrf(request, csrf)
        try:
            auth_of(request).sign_up(email, password, name, client_address(request))
        except Throttled as error:
            return form(request, "signup.html", 429, email=email, name=name, error=str(error))
        except (AccountError, AddressError) as error:
            return form(request, "signup.html", 400, email=email, name=name, error=str(error))
        return notice(request, "Almost there", SIGNED_UP.format(email=email.strip()))

    @router.post("/api/auth/signup", response_model=Message, status_code=202, tags=["accounts"])
    def signup_json(request: Request, credentials: SignUp) -> Message:
        """Sign up, with an optional public name; the answer is the same whether or not the
        address has an account (the address gets a confirmation link, or a note)."""
        auth_of(request).sign_up(
            credentials.email, credentials.password, credentials.name, client_address(request)
        )
        return Message(message=SIGNED_UP.format(email=credentials.email.strip()))

    @router.get("/verify/{token}", response_class=HTMLResponse, include_in_schema=False)
    def verify_page(request: Request, token: str) -> Response:
        account = auth_of(request).account_of_verification(token)
        if account is None:
            return notice(request, "This link does not work", _DEAD_VERIFY, 400)
        return form(request, "verify.html", account=account, done=False)

    @router.post("/verify/{token}", response_class=HTMLResponse, include_in_schema=False)
    def verify(request: Request, token: str, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        account = auth_of(request).verify(token)
        if account is None:
            return notice(request, "This link does not work", _DEAD_VERIFY, 400)
        return notice(request, "Address confirmed", f"{account.email} is confirmed: you can vote.")

    @router.post("/verify", response_class=HTMLResponse, include_in_schema=False)
    def resend(request: Request, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        if not account.verified:
            auth_of(request).limit("signup", client_address(request), key_of(account.email))
            auth_of(request).send_verification(account)
        return notice(request, "Sent", f"A new confirmation link is on its way to {account.email}.")

    # -- log-in and log-out --------------------------------------------------------------------

    @router.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:
        return form(request, "login.html", email="", error=None, next=local_path(next))

    def log_in(request: Request, email: str, password: str) -> LoggedIn | None:
        return auth_of(request).log_in(
            email, password, client_address(request), device_cookie(request)
        )

    def logged_in(request: Request, response: Response, done: LoggedIn) -> Response:
        set_session(response, request, auth_of(request).start_session(done.account), days)
        set_device(response, request, done.device)
        return response

    @router.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request, email: Text, password: Text, csrf: Csrf = "", next: Next = "/"
    ) -> Response:
        check_csrf(request, csrf)
        target = local_path(next)
        try:
            done = log_in(request, email, password)
        except Throttled as error:
            return form(request, "login.html", 429, email=email, error=str(error), next=target)
        if done is None:
            return form(request, "login.html", 400, email=email, error=WRONG, next=target)
        return logged_in(request, RedirectResponse(target, status_code=303), done)

    @router.post("/api/auth/login", response_model=LoggedInAnswer, tags=["accounts"])
    def login_json(request: Request, credentials: Credentials) -> Response:
        """Log in: the answer sets the session cookie (send the CSRF token, from `GET
        /api/auth/csrf`, as X-CSRF-Token with requests that change something) and the device
        cookie that lets this client log in while others are locked out."""
        done = log_in(request, credentials.email, credentials.password)
        if done is None:
            raise HTTPException(401, WRONG)
        account = done.account
        answer = LoggedInAnswer(
            id=account.id, email=account.email, name=account.name, verified=account.verified
        )
        return logged_in(request, JSONResponse(answer.model_dump()), done)

    @router.get("/api/auth/csrf", response_model=CsrfToken, tags=["accounts"])
    def csrf_json(request: Request) -> Response:
        """The CSRF token of this client's session (or, logged out, of its pre-session
        cookie, which the answer sets): send it as X-CSRF-Token with requests that change
        something and carry the session cookie."""
        response = JSONResponse(CsrfToken(token=csrf_token(request)).model_dump())
        set_cookies(request, response)
        return response

    @router.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        auth_of(request).end_session(cookie(request, "session"))
        response = RedirectResponse("/", status_code=303)
        end_session_cookie(response, request)
        return response

    @router.post("/api/auth/logout", status_code=204, tags=["accounts"])
    def logout_json(request: Request) -> Response:
        """End the session of the request's cookie (with X-CSRF-Token)."""
        if cookie(request, "session"):
            check_csrf(request, request.headers.get(CSRF_HEADER))
            auth_of(request).end_session(cookie(request, "session"))
        response = Response(status_code=204)
        end_session_cookie(response, request)
        return response

    # -- password reset ------------------------------------------------------------------------

    @router.get("/reset", response_class=HTMLResponse, include_in_schema=False)
    def reset_form(request: Request) -> Response:
        return form(request, "reset.html", email="", error=None)

    @router.post("/reset", response_class=HTMLResponse, include_in_schema=False)
    def reset_request(request: Request, email: Text, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        try:
            auth_of(request).limit("reset", client_address(request), key_of(email))
            auth_of(request).request_reset(email)
        except Throttled as error:
            return form(request, "reset.html", 429, email=email, error=str(error))
        except AddressError as error:
            return form(request, "reset.html", 400, email=email, error=str(error))
        return notice(request, "Check your inbox", RESET_SENT.format(email=email.strip()))

    @router.get("/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
    def new_password_form(request: Request, token: str) -> Response:
        if auth_of(request).account_of_reset(token) is None:
            return notice(request, "This link does not work", _DEAD_LINK, 400)
        return form(request, "new_password.html", token=token, error=None)

    @router.post("/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
    def new_password(
        request: Request,
        token: str,
        password: Text,
        csrf: Csrf = "",
        keep_tokens: Annotated[str, Form(max_length=10)] = "",
    ) -> Response:
        check_csrf(request, csrf)
        auth = auth_of(request)
        try:
            account = auth.reset(token, password, keep_tokens=bool(keep_tokens))
        except AccountError as error:
            return form(request, "new_password.html", 400, token=token, error=str(error))
        if account is None:
            return notice(request, "This link does not work", _DEAD_LINK, 400)
        # The link proved the address: this browser is the owner's device from now on.
        done = LoggedIn(account, auth.device_cookie(account, device_cookie(request)))
        return logged_in(request, RedirectResponse("/", status_code=303), done)

    # -- the account page ----------------------------------------------------------------------

    def account_page(
        request: Request,
        account: Account,
        status_code: int = 200,
        error: str | None = None,
        created: str | None = None,
        saved: str | None = None,
    ) -> Response:
        # Only an address the account has proven leads to what is tied to it.
        address = proven_address(account)
        subscriber = hub.store.delivery.subscriber_by_email(address) if address else None
        data = {
            "account": account,
            "tokens": hub.store.community.tokens(account.id),
            "created": created,  # a new token, shown this once
            "subscriber": subscriber,
            "preferences": hub.subscriptions.path(subscriber, "preferences")
            if subscriber
            else None,
            "error": error,
            "saved": saved,
        }
        return render(request, "account.html", data, status_code)

    @router.get("/account", response_class=HTMLResponse, include_in_schema=False)
    def account_view(request: Request) -> Response:
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login?next=/account", status_code=303)
        return account_page(request, account)

    @router.post("/account", response_class=HTMLResponse, include_in_schema=False)
    def account_change(
        request: Request,
        action: Annotated[str, Form(max_length=20)] = "",
        name: Annotated[str, Form(max_length=100)] = "",
        token_name: Annotated[str, Form(max_length=100)] = "",
        token_id: FormRowId = 0,
        csrf: Csrf = "",
    ) -> Response:
        check_csrf(request, csrf)
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login?next=/account", status_code=303)
        if action == "name":
            try:
                account = rename(hub.store, account, name)
            except AccountError as error:
                return account_page(request, account, 400, str(error))
            return account_page(request, account, saved="Saved your public name.")
        if action == "new-token":
            try:
                token, _record = new_token(hub.store, account, token_name.strip() or "api")
            except AccountError as error:
                return account_page(request, account, 403, str(error))
            return account_page(request, account, created=token)
        if action in ("comment-mail-on", "comment-mail-off"):
            hub.store.community.set_comment_mail(account.id, action.endswith("on"))
            changed = hub.store.community.account(account.id) or account
            said = "will" if changed.comment_mail else "will no longer"
            return account_page(request, changed, saved=f"litfeed {said} mail you replies.")
        if action == "revoke-token":
            if not hub.store.community.delete_token(account.id, token_id):
                return account_page(request, account, 404, f"you have no token {token_id}")
            return account_page(request, account, saved=f"Revoked token {token_id}.")
        return account_page(request, account, 400, f"unknown action {action[:20]!r}")

    # -- submitting from the pages ----------------------------------------------------------------

    @router.get("/submit", response_class=HTMLResponse, include_in_schema=False)
    def submit_form(request: Request) -> Response:
        if viewer(request) is None:
            return RedirectResponse("/login?next=/submit", status_code=303)
        return form(request, "submit.html", paper="", error=None)

    @router.post("/submit", response_class=HTMLResponse, include_in_schema=False)
    def submit(request: Request, paper: Text, csrf: Csrf = "") -> Response:
        check_csrf(request, csrf)
        account = viewer(request)
        if account is None:
            return RedirectResponse("/login?next=/submit", status_code=303)
        try:
            auth_of(request).limit(
                "submit", f"account {account.id}", f"address {client_address(request)}"
            )
            done = hub.community.submit(account, paper)
        except VoteRefused as error:
            return form(request, "submit.html", 403, paper=paper, error=str(error))
        except (AccountError, SubmissionError) as error:
            return form(request, "submit.html", 400, paper=paper, error=str(error))
        return notice(request, "Submitted", done.message)

    # -- administrators --------------------------------------------------------------------------

    @router.post("/papers/{paper_id:path}/hide", include_in_schema=False)
    def hide_paper(
        request: Request, paper_id: str, csrf: Csrf = "", restore: Annotated[str, Form()] = ""
    ) -> Response:
        check_csrf(request, csrf)
        administrator(request)
        paper = hub.store.set_hidden(paper_id, not restore)
        if paper is None:
            raise PaperNotFound(f"no paper with id {paper_id!r}")
        return RedirectResponse(f"/papers/{paper.id}", status_code=303)

    @router.get("/admin/accounts", response_class=HTMLResponse, include_in_schema=False)
    def accounts_page(request: Request) -> Response:
        administrator(request)
        accounts = hub.store.community.list_accounts()
        return render(request, "accounts.html", {"accounts": accounts})

    @router.post("/admin/accounts/{account_id}/votes", include_in_schema=False)
    def hide_votes(
        request: Request, account_id: RowId, csrf: Csrf = "", restore: Annotated[str, Form()] = ""
    ) -> Response:
        check_csrf(request, csrf)
        administrator(request)
        if hub.store.community.account(account_id) is None:
            raise HTTPException(404, f"no account {account_id}")
        hub.store.community.hide_votes(account_id, not restore)
        return RedirectResponse("/admin/accounts", status_code=303)

    # -- voting from the pages -----------------------------------------------------------------

    @router.post("/papers/{paper_id:path}/vote", include_in_schema=False)
    def vote_form(request: Request, paper_id: str, csrf: Csrf = "", next: Next = "/") -> Response:
        check_csrf(request, csrf)
        target = local_path(next)
        account = viewer(request)
        if account is None:
            return RedirectResponse(f"/login?next={target}", status_code=303)
        paper = hub.get_paper(paper_id)
        if paper is None or paper.hidden:
            raise PaperNotFound(f"no paper with id {paper_id!r}")
        auth_of(request).limit(
            "vote", f"account {account.id}", f"address {client_address(request)}"
        )
        voted = paper.pk in hub.store.community.voted(account.id, [paper.pk])
        try:
            hub.community.vote(account, paper, not voted)
        except VoteRefused as error:
            return notice(request, "Not yet", str(error), 403)
        return RedirectResponse(target, status_code=303)

    return router


_DEAD_VERIFY = "It has expired or is not whole. Log in and ask for a new one."
_DEAD_LINK = "It has expired, was used already, or is not whole: ask for a new one at /reset."
