"""Error pages in plain English, and the exceptions routes raise to reach them."""

from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.accounts.auth import PASSWORD_PAGE, Forbidden, PasswordChangeRequired, SignInRequired, sign_in_url
from app.core.ratelimit import TooManyRequests
from app.core.security import CsrfError
from app.core.templating import redirect, render

T = TypeVar("T")


class NotFound(Exception):
    """The thing does not exist, or this user may not know that it does."""


def found(value: T | None) -> T:
    """The value a lookup returned, or the not-found page when it returned nothing."""
    if value is None:
        raise NotFound
    return value


ERROR_PAGES = {
    400: ("There is a problem with that address", "Check the web address you typed or followed, then try again."),
    403: ("You cannot see this page", "Your account does not have access to this page. Ask an admin if you need it."),
    404: ("Page not found", "If you typed the web address, check it is correct. The page may also have moved."),
    405: ("That did not work", "This page cannot be used that way. Go back and try again."),
    429: (
        "Too many requests",
        "Too many requests came from your connection in a short time. The connection may be shared with "
        "other people, for example on a school or venue network. Wait a minute, then try again.",
    ),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you submitted was saved."),
}


def error_page(request: Request, status_code: int) -> HTMLResponse:
    title, message = ERROR_PAGES.get(status_code, ERROR_PAGES[500])
    return render(request, "errors/error.html", {"title": title, "message": message}, status_code=status_code)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return redirect(request, sign_in_url(exc.next_url))

    @app.exception_handler(PasswordChangeRequired)
    async def _new_password(request: Request, exc: PasswordChangeRequired) -> Response:
        return redirect(request, PASSWORD_PAGE)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_page(request, 403)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_page(request, 404)

    @app.exception_handler(TooManyRequests)
    async def _too_many(request: Request, exc: TooManyRequests) -> Response:
        response = error_page(request, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        context = {
            "title": "This form has expired",
            "message": "For your security, forms expire when you sign in or out or after a few hours. "
            "Go back, reload the page and try again. Nothing was saved.",
        }
        return render(request, "errors/error.html", context, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, 404 if request.method == "GET" else 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_page(request, exc.status_code if exc.status_code in ERROR_PAGES else 500)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        return error_page(request, 500)
