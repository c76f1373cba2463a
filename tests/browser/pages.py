"""Small page objects: the few steps several browser tests share."""

import re
from dataclasses import dataclass
from datetime import date

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


# Live events ------------------------------------------------------------------------------------

PARENT_CARERS = "What good support feels like for parent carers"


def post(page: Page, button: Locator) -> None:
    """Click a button that posts its form and wait for the server's answer (the change is committed by
    then): a success banner left from the previous post would otherwise pass for this one's."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        button.click()


LADDER = "Ladder of participation"


class EventPlanner:
    """A facilitator setting an event up through the staff pages: details, activities, opening it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.path = ""

    def create(self, title: str, *, welcome: str = "") -> "EventPlanner":
        page = self.page
        page.goto("/events/new")
        page.get_by_label("Title").fill(title)
        today = date.today()
        held_on = page.get_by_role("group", name="Date of the event")
        for part, value in (("Day", today.day), ("Month", today.month), ("Year", today.year)):
            held_on.get_by_label(part).fill(str(value))
        page.get_by_label("Welcome message (optional)").fill(welcome)
        page.get_by_role("button", name="Set up event").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        self.path = page.url.removeprefix(page.url.split("/events/")[0])
        return self

    def _step_one(self, kind: str, title: str, source: str | None) -> None:
        page = self.page
        page.goto(f"{self.path}/activities/new")
        page.get_by_role("radio", name=kind).check()
        if source is not None:
            page.locator("select[name^='source_']:visible").select_option(label=source)
        page.get_by_label("The question the room sees (optional)").fill(title)
        post(page, page.get_by_role("button", name="Continue"))

    def _added(self, title: str) -> None:
        expect(self.page.get_by_text(f"Activity added: {title}")).to_be_visible()

    def add_statements(self, kind: str, title: str, statements: list[str], *, choose: int | None = None) -> None:
        """Rate ("Rate statements") or prioritise ("Choose the ones that matter most") the parent carers' statements."""
        self._step_one(kind, title, PARENT_CARERS)
        for text in statements:
            self.page.get_by_role("checkbox", name=text, exact=True).check()
        if choose is not None:
            self.page.get_by_label("How many each person chooses").fill(str(choose))
        post(self.page, self.page.get_by_role("button", name="Add activity"))
        self._added(title)

    def add_ladder(self, title: str, subject: str) -> None:
        self._step_one("Place something on the ladder of participation", title, LADDER)
        self.page.get_by_label("What the room places on the ladder").fill(subject)
        post(self.page, self.page.get_by_role("button", name="Add activity"))
        self._added(title)

    def add_ideas(self, title: str) -> None:
        self._step_one("Collect ideas", title, None)
        self._added(title)

    def open(self) -> str:
        """Open the event; its join code as the page shows it (like K7M 3XQ)."""
        self.page.goto(self.path)
        post(self.page, self.page.get_by_role("button", name="Open the event"))
        code = self.page.locator("main .app-join-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{3} [A-Z2-9]{3}", code), code
        return code


class Console:
    """The facilitator's console at /events/{id}/console: every control is a button that posts."""

    def __init__(self, page: Page, event_path: str) -> None:
        self.page = page
        self.path = f"{event_path}/console"

    def open(self) -> "Console":
        self.page.goto(self.path)
        expect(self.page.get_by_text("Console", exact=True)).to_be_visible()
        return self

    def press(self, name: str | re.Pattern[str], *, done: str) -> None:
        post(self.page, self.page.get_by_role("button", name=name))
        expect(self.page.get_by_text(done).first).to_be_visible()

    def start(self, number: int) -> None:
        self.press(f"Start activity {number}", done="Started:")

    def next(self) -> None:
        self.press(re.compile(r"^(Next activity|Start the first activity)"), done="Started:")

    def show_results(self) -> None:
        self.press("Show results on the screens", done="Results are on the screens.")

    def lower_threshold(self, threshold: int) -> None:
        self.page.get_by_label("Lower it to").fill(str(threshold))
        self.page.get_by_label("Everyone in the room is an adult").check()
        self.press("Lower the threshold", done=f"once {threshold} people have answered")

    def count(self, key: str) -> Locator:
        """The number beside `key` in the live counts ("People joined", "Answered", "Ideas waiting")."""
        row = self.page.locator("#console-live .govuk-summary-list__row").filter(
            has=self.page.locator("dt", has_text=re.compile(f"^{key}$"))
        )
        return row.locator("dd")


WAITING = "Waiting for the facilitator to start the next activity"


class Phone:
    """A participant on a phone: no account, joining with the code and answering what is on the screen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", level=1)

    def join_by_typing(self, code: str, *, group: str | None = None) -> "Phone":
        """Through /join, typing the code as someone might (any case, spaces or hyphens)."""
        self.page.goto("/join")
        self.page.get_by_label("Join an event").fill(code)
        self.page.get_by_role("button", name="Continue").click()
        return self.join_here(group)

    def join_by_link(self, code: str, *, group: str | None = None) -> "Phone":
        """Through the link the QR code holds, /e/{code}."""
        self.page.goto(f"/e/{code.replace(' ', '').lower()}")
        return self.join_here(group)

    def join_here(self, group: str | None = None) -> "Phone":
        """On the event's welcome page: say a group (or not) and join."""
        expect(self.page.get_by_role("button", name="Join")).to_be_visible()
        if group:
            self.page.get_by_role("radio", name=group).check()
        post(self.page, self.page.get_by_role("button", name="Join"))
        expect(self.page.get_by_role("button", name="Join")).to_have_count(0)
        return self

    def choose(self, statement: str, answer: str) -> None:
        self.page.get_by_role("group", name=statement).get_by_role("radio", name=answer, exact=True).check()

    def send(self) -> None:
        post(self.page, self.page.get_by_role("button", name="Send my answers"))
        expect(self.page.get_by_text("Your answers have been sent")).to_be_visible()

    def rate(self, answers: dict[str, str]) -> None:
        for statement, answer in answers.items():
            self.choose(statement, answer)
        self.send()

    def prioritise(self, statements: list[str]) -> None:
        for text in statements:
            self.page.get_by_role("checkbox", name=text, exact=True).check()
        self.send()

    def send_idea(self, text: str) -> None:
        self.page.get_by_role("textbox", name=re.compile("^(Your|Another) idea")).fill(text)
        post(self.page, self.page.get_by_role("button", name="Send my idea"))
        expect(self.page.get_by_text("Your idea has been sent")).to_be_visible()

    def send_twice(self, button: str) -> None:
        """Press `button` and then send the very same form again, as a retry or a second tap on a bad
        connection would: the same fields (the idea's key too) posted once more with the phone's cookie."""
        form = self.page.get_by_role("button", name=button).locator("xpath=ancestor::form")
        action = form.get_attribute("action")
        fields = form.evaluate("(form) => Object.fromEntries(new FormData(form).entries())")
        assert action
        post(self.page, self.page.get_by_role("button", name=button))
        expect(self.page.get_by_text(re.compile("(has|have) been sent")).first).to_be_visible()
        response = self.page.request.post(action, form=fields, max_redirects=0)
        assert response.status == 303, f"sending the form again gave {response.status}"
