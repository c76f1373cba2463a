"""Signing in and out as staff do: on a phone and a desktop, without JavaScript, by keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, OpenPage, Server
from .pages import SignInPage, sign_out, sign_out_button


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_sign_in_then_out(open_page: OpenPage, server: Server, width: int) -> None:
    page = open_page(width)
    SignInPage(page).open().sign_in(server.admin)
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {server.admin.name}")

    sign_out(page)
    expect(page).to_have_url(f"{server.url}/sign-in")
    # Signed out means staff pages send you back to sign in, and remember where you were going.
    page.goto("/areas")
    expect(page).to_have_url(f"{server.url}/sign-in?next=/areas")
    expect(sign_out_button(page)).to_have_count(0)


def test_sign_in_and_out_without_javascript(open_page: OpenPage, server: Server) -> None:
    page = open_page(javascript=False)
    sign_in_page = SignInPage(page).open()
    # app.mjs marks the body when it runs: prove this really is the page without JavaScript.
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
    sign_in_page.sign_in(server.admin)
    expect(page).to_have_url(f"{server.url}/")

    sign_out(page)
    expect(page).to_have_url(f"{server.url}/sign-in")
    page.goto("/areas")
    expect(page).to_have_url(f"{server.url}/sign-in?next=/areas")


def test_sign_in_by_keyboard_alone(open_page: OpenPage, server: Server) -> None:
    page = open_page()
    sign_in_page = SignInPage(page).open()

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # visually hidden until it has focus

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(sign_in_page.email).to_be_focused()
    page.keyboard.type(server.admin.email)
    page.keyboard.press("Tab")
    expect(sign_in_page.password).to_be_focused()
    page.keyboard.type(server.admin.password)

    # Past the "Show" password toggle (there when JavaScript runs) to the button.
    for _ in range(3):
        page.keyboard.press("Tab")
        if sign_in_page.submit_button.evaluate("button => button === document.activeElement"):
            break
    expect(sign_in_page.submit_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {server.admin.name}")
