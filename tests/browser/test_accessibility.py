"""axe-core on every page type, signed out and signed in, at phone and desktop widths."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, PHONE, OpenPage, Server
from .pages import SignInPage, error_summary, sign_out


def _submit(button: str) -> Callable[[Page, Server], None]:
    """Send the page's form as it is, to see the page again with its error messages."""

    def submit(page: Page, server: Server) -> None:
        page.get_by_role("main").get_by_role("button", name=button).click()
        expect(error_summary(page)).to_be_visible()

    return submit


def _sign_in_and_out(page: Page, server: Server) -> None:
    SignInPage(page).sign_in(server.admin)
    sign_out(page)  # back on the sign-in page, under a success banner


@dataclass(frozen=True)
class PageType:
    name: str
    path: str  # may name a demo path, e.g. "{area}"
    signed_in: bool = True
    then: Callable[[Page, Server], None] | None = None


PAGE_TYPES = [
    PageType("home", "/", signed_in=False),
    PageType("sign-in", "/sign-in", signed_in=False),
    PageType("sign-in-errors", "/sign-in", signed_in=False, then=_submit("Sign in")),
    PageType("signed-out-banner", "/sign-in", signed_in=False, then=_sign_in_and_out),
    PageType("accessibility", "/accessibility", signed_in=False),
    PageType("privacy", "/privacy", signed_in=False),
    PageType("not-found", "/no-such-page", signed_in=False),
    PageType("staff-home", "/"),
    PageType("password", "/account/password"),
    PageType("password-errors", "/account/password", then=_submit("Change password")),
    PageType("areas", "/areas"),
    PageType("area", "{area}"),
    PageType("area-new", "/areas/new"),
    PageType("area-new-errors", "/areas/new", then=_submit("Add area")),
    PageType("area-edit", "{area}/edit"),
    PageType("region-new", "/regions/new"),
    PageType("users", "/users"),
    PageType("user-new", "/users/new"),
    PageType("user-new-errors", "/users/new", then=_submit("Add account")),
    PageType("user-edit", "{user_edit}"),
    PageType("site-page-edit", "/site-pages/accessibility/edit"),
    PageType("staff-accessibility", "/accessibility"),
    PageType("staff-not-found", "/no-such-page"),
]


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=[page_type.name for page_type in PAGE_TYPES])
def test_axe_finds_no_violations(
    open_page: OpenPage, server: Server, demo_paths: dict[str, str], page_type: PageType, width: int
) -> None:
    page = open_page(width, signed_in=page_type.signed_in, axe=True)
    page.goto(page_type.path.format(**demo_paths))
    if page_type.then:
        page_type.then(page, server)
    assert_no_axe_violations(page)
