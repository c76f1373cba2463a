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


class BuilderPage:
    """A questionnaire being built, at /questionnaires/{id}; the steps use ordinary clicks and fills."""

    def __init__(self, page: Page) -> None:
        self.page = page
        main = page.get_by_role("main")
        self.statements = main.locator("ol.app-item-list > li")
        self.own_form = main.locator("form[action$='/own']")
        self.details_form = main.locator("form[action$='/details']")
        self.save_button = main.get_by_role("button", name="Save as a new version")

    def add_from_bank(self, instrument: str, *, theme: str) -> int:
        """Every statement of one theme of an instrument, through the add page and back; how many there were."""
        self.page.get_by_role("button", name="Add statements from the bank").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Add statements from the bank")
        self.page.get_by_label("Questionnaire", exact=True).select_option(label=instrument)
        self.page.get_by_role("button", name="Show its statements").click()
        boxes = self.page.get_by_role("group", name=theme).get_by_role("checkbox")
        count = boxes.count()
        assert count, f"no statements to choose under {theme!r}"
        for index in range(count):
            boxes.nth(index).check()
        self.page.get_by_role("button", name="Add the chosen statements").click()
        expect(self.page.get_by_role("alert")).to_contain_text(f"{count} statement")
        return count

    def add_own_statement(self, text: str, *, easy_read: str = "", help_text: str = "") -> None:
        self.own_form.get_by_label("Statement", exact=True).fill(text)
        self.own_form.get_by_label("Easy-read version").fill(easy_read)
        self.own_form.get_by_label("Help text").fill(help_text)
        self.own_form.get_by_role("button", name="Add statement").click()
        expect(self.page.get_by_role("alert")).to_contain_text("Statement added at the end.")

    def choose_scale(self, title: str) -> None:
        self.details_form.get_by_role("radio", name=title).check()
        self.details_form.get_by_role("button", name="Save details").click()
        expect(self.page.get_by_role("alert")).to_contain_text("Details saved.")


def start_questionnaire(page: Page, title: str, *, start_from: str) -> BuilderPage:
    """From /questionnaires, start a draft called `title` from the instrument labelled `start_from`."""
    page.goto("/questionnaires")
    form = page.locator("form[action='/questionnaires/new']")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Start from").select_option(label=start_from)
    form.get_by_role("button", name="Start building").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return BuilderPage(page)
