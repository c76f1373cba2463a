"""Jinja environment and the one helper that renders a whole page or, for htmx, its fragment."""

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import govuk_frontend_jinja
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.utils import missing
from jinja2_fragments import render_block

from app.core.security import LazyCsrfToken, pop_flashes
from app.core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
FORM_MACROS = ("text_input", "password_input", "textarea", "radios", "select", "submit")
CHART_MACROS = ("proportion_bar", "distribution_bar")
STATIC_DIR = PROJECT_ROOT / "static"


class LoudUndefined(ChainableUndefined):
    """Fails when a missing top-level variable or object attribute is printed or iterated.

    GOV.UK macros read optional keys off their `params` dict and test unset locals, so missing
    dict keys stay quietly empty and tests of truth stay false. A typo in a page's own variables
    still fails the test that renders it instead of printing nothing.
    """

    __slots__ = ()

    def _is_loud(self) -> bool:
        return self._undefined_obj is missing or not isinstance(self._undefined_obj, dict | ChainableUndefined)

    def __str__(self) -> str:
        if self._is_loud():
            self._fail_with_undefined_error()
        return ""

    def __html__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        if self._is_loud():
            self._fail_with_undefined_error()
        return iter(())


@cache
def static_url(path: str) -> str:
    """A URL for a file under static/ that changes when the file does, so it can be cached for long."""
    try:
        digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return f"/static/{path}"
    return f"/static/{path}?v={digest}"


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
            ]
        ),
        autoescape=True,
        undefined=LoudUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read once per process: no file check on every macro import (restart to see edits).
        auto_reload=False,
    )
    env.globals["static_url"] = static_url
    _add_component_macros(env)
    return env


def _add_component_macros(env: Environment) -> None:
    """Every GOV.UK component macro (govukButton, ...) and our form macros, as globals.

    Globals rather than per-template imports, because rendering one block for htmx skips a
    template's top-level imports.
    """
    components = Path(govuk_frontend_jinja.__file__).parent / "templates" / "components"
    for folder in sorted(components.iterdir()):
        if (folder / "macro.html").exists():
            name = "govuk" + "".join(part.capitalize() for part in folder.name.split("-"))
            module = env.get_template(f"govuk_frontend_jinja/components/{folder.name}/macro.html").module
            env.globals[name] = getattr(module, name)
    forms = env.get_template("components/forms.html").module
    for name in FORM_MACROS:
        env.globals[name] = getattr(forms, name)
    charts = env.get_template("components/charts.html").module
    for name in CHART_MACROS:
        env.globals[name] = getattr(charts, name)


environment = make_environment()


def is_htmx(request: Request) -> bool:
    """A request from htmx that wants a fragment (a boosted link still wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str = "content",
) -> HTMLResponse:
    """The whole page, or only `block` of the same template when htmx asks for a fragment."""
    values = {**page_context(request), **(context or {})}
    if is_htmx(request):
        html = render_block(environment, template, block, values)
    else:
        html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain or boosted form (htmx follows it and swaps the page in
    place), HX-Redirect for an htmx fragment request."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def page_context(request: Request) -> dict[str, Any]:
    """What every page needs: the request, the service name, the signed-in user, the CSRF token, flashes."""
    settings = request.app.state.settings
    has_session = "session" in request.scope  # not so on the last-resort 500 page
    return {
        "request": request,
        "service_name": settings.service_name,
        "organisation_name": settings.organisation_name,
        "current_user": getattr(request.state, "user", None),
        "signed_in": has_session and "uid" in request.session,
        "csrf_token": LazyCsrfToken(request) if has_session else "",
        "flashes": pop_flashes(request) if has_session else [],
    }
