"""Signed-in staff who reach something missing or out of bounds get the plain-English error page."""

from playwright.sync_api import expect

from .axe import assert_no_axe_violations
from .conftest import OpenPage, Server
from .pages import SignInPage


def test_missing_area_is_not_found_for_staff(open_page: OpenPage) -> None:
    page = open_page(signed_in=True, axe=True)
    response = page.goto("/areas/999999")
    assert response is not None and response.status == 404, f"got {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_no_axe_violations(page)


def test_admin_page_is_forbidden_to_a_facilitator(open_page: OpenPage, server: Server) -> None:
    page = open_page(axe=True)
    SignInPage(page).open().sign_in(server.facilitator)
    response = page.goto("/users")
    assert response is not None and response.status == 403, f"got {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    assert_no_axe_violations(page)


def test_admin_can_edit_the_accessibility_statement_from_it(open_page: OpenPage) -> None:
    page = open_page(signed_in=True)
    page.goto("/accessibility")
    expect(page.get_by_role("link", name="Edit this page")).to_be_visible(timeout=2_000)
