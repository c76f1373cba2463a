"""A facilitator builds a questionnaire: by keyboard alone on a phone, and with JavaScript off."""

import re

from playwright.sync_api import Locator, Page, expect

from .conftest import PHONE, OpenPage, Server, shipped_titles
from .pages import BuilderPage, error_summary, start_questionnaire

MAX_PRESSES = 200  # the parent carers questionnaire has 40 statements, up to three buttons each

# Where focus is, relative to a target: -1 before it, 0 on it, 1 after it (or on the page itself: before).
_FOCUS_RELATIVE_TO = """(target) => {
  const active = document.activeElement;
  if (active === target) return 0;
  if (!active || active === document.body) return -1;
  return target.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_PRECEDING ? -1 : 1;
}"""
_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  const words = el ? (el.textContent || el.value || "").trim().slice(0, 60) : "";
  return el ? `${el.tagName.toLowerCase()}#${el.id} "${words}"` : "none";
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Move focus to `target` with Tab (or Shift+Tab when focus is past it), as a keyboard user does."""
    for _ in range(MAX_PRESSES):
        where = target.evaluate(_FOCUS_RELATIVE_TO)
        if where == 0:
            expect(target).to_be_in_viewport()  # the browser scrolled it into view: focus is not lost off screen
            return
        page.keyboard.press("Tab" if where < 0 else "Shift+Tab")
    raise AssertionError(f"{target} cannot be reached by keyboard; focus is on {page.evaluate(_DESCRIBE_FOCUS)}")


def choose_option(page: Page, select: Locator, label: str) -> None:
    """Pick an option of a focused (closed) select with the arrow keys."""
    expect(select).to_be_focused()
    for _ in range(select.locator("option").count()):
        if select.evaluate("select => select.selectedOptions[0].text.trim()") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r} in {select}")


def statement_texts(builder: BuilderPage) -> list[str]:
    """Each numbered statement's own words, without its number."""
    texts = builder.statements.locator(":scope > p:first-of-type").all_inner_texts()
    return [re.sub(r"^\d+\.\s*", "", text) for text in texts]


def test_build_a_questionnaire_by_keyboard_alone(open_page: OpenPage, server: Server) -> None:
    page = open_page(PHONE, signed_in="facilitator")
    main = page.get_by_role("main")
    title = "Families' views by keyboard"
    own = "I can reach the SEND team by phone when I need to."

    # Start from the parent carers questionnaire.
    page.goto("/questionnaires")
    new_form = main.locator("form[action='/questionnaires/new']")
    tab_to(page, new_form.get_by_label("Title"))
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    choose_option(page, new_form.get_by_label("Start from"), shipped_titles()["parent-carers"])
    page.keyboard.press("Tab")
    expect(new_form.get_by_role("button", name="Start building")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    builder = BuilderPage(page)
    before = statement_texts(builder)
    assert len(before) > 3, before

    # Move the second statement up: it becomes the first, and focus picks up where it was.
    tab_to(page, main.get_by_role("button", name="Move up statement 2", exact=True))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#item-"))
    expect(builder.statements.first).to_contain_text(before[1])
    moved = statement_texts(builder)
    assert moved[:2] == [before[1], before[0]], moved[:3]
    page.keyboard.press("Tab")
    expect(builder.statements.first.get_by_role("button", name="Move down statement 1")).to_be_focused()

    # Remove the third, with Space this time.
    tab_to(page, main.get_by_role("button", name="Remove statement 3", exact=True))
    page.keyboard.press("Space")
    expect(page.get_by_role("alert")).to_contain_text(f"Removed: {moved[2]}")
    expect(builder.statements).to_have_count(len(before) - 1)
    assert moved[2] not in statement_texts(builder)

    # Add a statement of our own, jumping over the list with the page's contents links.
    contents = page.get_by_role("navigation", name="On this page")
    tab_to(page, contents.get_by_role("link", name="Add your own statement"))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(builder.own_form.get_by_label("Statement", exact=True)).to_be_focused()
    page.keyboard.type(own)
    page.keyboard.press("Tab")
    expect(builder.own_form.get_by_label("Easy-read version")).to_be_focused()
    page.keyboard.type("I can phone the SEND team.")
    page.keyboard.press("Tab")
    expect(builder.own_form.get_by_label("Help text")).to_be_focused()
    page.keyboard.type("SEND means special educational needs and disabilities.")
    page.keyboard.press("Tab")
    expect(builder.own_form.get_by_role("button", name="Add statement")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Statement added at the end.")
    expect(builder.statements.last).to_contain_text(own)

    # Preview it on a phone, answer our statement there, and come back.
    tab_to(page, main.get_by_role("button", name="Preview on a phone"))
    page.keyboard.press("Space")  # a link that looks like a button works like one
    question = page.get_by_role("group", name=own)
    expect(question).to_be_visible()
    tab_to(page, question.get_by_role("radio").first)
    page.keyboard.press("Space")
    expect(question.get_by_role("radio").first).to_be_checked()
    tab_to(page, page.get_by_role("link", name="Back to the questionnaire"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # Save: a new instrument for the area, whose preview has our statement.
    tab_to(page, contents.get_by_role("link", name="Save", exact=True))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(builder.save_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/bank/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text(f"Saved {title} as version 1")
    tab_to(page, main.get_by_role("button", name="Preview as a respondent"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name=own)).to_be_visible()


def test_build_a_questionnaire_without_javascript(open_page: OpenPage, server: Server) -> None:
    page = open_page(signed_in="facilitator", javascript=False)
    title = "Young people's views without JavaScript"
    builder = start_questionnaire(page, title, start_from="Start empty")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
    expect(builder.statements).to_have_count(0)

    # Asking to add nothing is answered with an error, then the chosen statements are added.
    page.get_by_role("button", name="Add statements from the bank").click()
    page.get_by_role("button", name="Add the chosen statements").click()
    expect(error_summary(page)).to_contain_text("Select at least one statement to add")
    page.get_by_role("link", name="Back to the questionnaire").click()
    added = builder.add_from_bank(shipped_titles()["young-people"], theme="Being heard")
    expect(builder.statements).to_have_count(added)
    chosen = statement_texts(builder)

    builder.save_button.click()
    expect(page).to_have_url(re.compile(r"/bank/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text(f"Saved {title} as version 1")
    for text in chosen:
        expect(page.get_by_role("main").get_by_text(text, exact=True)).to_be_visible()
