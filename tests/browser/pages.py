"""Small page objects: the few steps several browser tests share."""

from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    password: str


class SignInPage:
    """The staff sign-in form at /sign-in."""

    def __init__(self, page: Page) -> None:
        self.page = page
        # Scoped to the form: the page also has a "Sign in" link in the navigation.
        self.form = page.locator("form[action='/sign-in']")
        self.email = self.form.get_by_label("Email address", exact=True)
        # exact: the "Show password" button carries an aria-label too.
        self.password = self.form.get_by_label("Password", exact=True)
        self.submit_button = self.form.get_by_role("button", name="Sign in")

    def open(self) -> "SignInPage":
        self.page.goto("/sign-in")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")
        return self

    def sign_in(self, account: Account) -> None:
        self.email.fill(account.email)
        self.password.fill(account.password)
        self.submit_button.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Hello, {account.name}")


def sign_out_button(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out")


def sign_out(page: Page) -> None:
    sign_out_button(page).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def error_summary(page: Page) -> Locator:
    return page.get_by_role("alert").filter(has_text="There is a problem")
