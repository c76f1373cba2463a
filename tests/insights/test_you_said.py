"""'You said, we did': staff write, order and publish entries; the public page shows only what is published."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.areas.models import Area
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.insights import you_said
from app.insights.models import ActionStatus, YouSaidEntry
from app.instruments.models import Item, Theme
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Response, Survey, ThemeComment
from app.surveys.responses import Submission, submit
from tests.conftest import CheckedClient, Factory
from tests.insights.test_stats_helpers import wilson_percent
from tests.surveys.test_journey import errors

TODAY = date.today()
THREE_THEMES = """\
key: you-said-sample
version: 1
kind: i_statements
title: You said sample
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Finding information
    items:
      - key: find-support
        text: I know where to find support.
  - key: plans
    title: Plans
    items:
      - key: plan-helps
        text: My plan helps me.
  - key: school
    title: School
    items:
      - key: school-listens
        text: My school listens to me.
"""


def make_survey(db: Session, make: Factory, area: Area | None = None, **values: object) -> Survey:
    instrument = store_instrument(db, parse_instrument(THREE_THEMES), source="statements").instrument
    db.commit()
    assert instrument.id is not None
    return make.survey((area or make.area()).id, instrument.id, **values)


def add(
    db: Session,
    survey: Survey,
    said: str,
    *,
    theme: str | None = None,
    did: str = "We did something.",
    status: ActionStatus = ActionStatus.done,
    published: bool = False,
) -> YouSaidEntry:
    details = you_said.EntryDetails(theme_key=theme, you_said=said, we_did=did, status=status)
    entry = you_said.create_entry(db, survey, details, user_id=None)
    if published:
        you_said.publish_entry(db, entry, user_id=None)
    db.commit()
    return entry


def staff(client: CheckedClient, make: Factory, survey: Survey, role: Role = Role.facilitator) -> User:
    """Sign in as staff of the survey's area."""
    user = make.user(role, make.session.get(Area, survey.area_id))
    client.sign_in(user)
    return user


def page_of(survey: Survey) -> str:
    return f"/surveys/{survey.id}/you-said-we-did"


def entry_form(theme: str = "info", **changes: str) -> dict[str, str]:
    return {
        "theme": theme,
        "you_said": "It is hard to find out what support there is.",
        "we_did": "We put every club on one page.",
        "status": "done",
        **changes,
    }


def headings(html: str, level: int) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", text).strip()
        for text in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)
    ]


# Staff: write, change, publish, delete ----------------------------------------------------------


def test_a_facilitator_adds_changes_publishes_and_deletes_an_entry(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = make_survey(db, make)
    user = staff(client, make, survey)
    page = page_of(survey)
    assert "No entries yet" in client.get(page).text
    form = client.get(f"{page}/new").text
    assert "The survey as a whole" in form and "Finding information" in form and "Not doing, and why" in form

    response = client.submit(f"{page}/new", entry_form(), token_from=f"{page}/new")
    assert response.status_code == 303, response.text
    entry = db.exec(select(YouSaidEntry)).one()
    assert response.headers["location"] == f"{page}#entry-{entry.id}"
    assert (entry.survey_id, entry.theme_key, entry.status, entry.published_at) == (
        survey.id,
        "info",
        ActionStatus.done,
        None,
    )
    assert entry.updated_by_id == user.id
    listing = client.get(page).text
    assert "Entry saved as a draft" in listing and "Draft: not on the public page" in listing
    assert "Finding information" in headings(listing, 2) and "It is hard to find out" in listing

    edit = f"{page}/{entry.id}/edit"
    assert "It is hard to find out what support there is." in client.get(edit).text
    changed = entry_form("_whole", we_did="We are writing one page.", status="doing")
    assert client.submit(edit, changed, token_from=edit).status_code == 303
    db.refresh(entry)
    assert (entry.theme_key, entry.we_did, entry.status) == (None, "We are writing one page.", ActionStatus.doing)
    listing = client.get(page).text
    assert "The survey as a whole" in headings(listing, 2) and "We are doing" in listing

    assert client.submit(f"{page}/{entry.id}/publish", {}, token_from=page).status_code == 303
    db.refresh(entry)
    assert entry.published_at is not None
    listing = client.get(page).text
    assert "Entry published" in listing and "Published on" in listing and "Unpublish" in listing
    assert "This entry is published" in client.get(edit).text

    assert client.submit(f"{page}/{entry.id}/unpublish", {}, token_from=page).status_code == 303
    db.refresh(entry)
    assert entry.published_at is None

    confirm = client.get(f"{page}/{entry.id}/delete")
    assert (
        confirm.status_code == 200 and "Delete this entry?" in confirm.text and "You cannot undo this." in confirm.text
    )
    assert db.exec(select(YouSaidEntry)).one()  # looking at the question deletes nothing
    deleted = client.submit(f"{page}/{entry.id}/delete", {}, token_from=f"{page}/{entry.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == page
    assert db.exec(select(YouSaidEntry)).first() is None
    assert "Entry deleted." in client.get(page).text
    assert client.get(f"{page}/{entry.id}/edit").status_code == 404


def test_a_commissioner_can_write_entries_too(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    staff(client, make, survey, Role.commissioner)
    response = client.submit(f"{page_of(survey)}/new", entry_form("plans"), token_from=f"{page_of(survey)}/new")
    assert response.status_code == 303
    assert db.exec(select(YouSaidEntry.theme_key)).one() == "plans"


def test_bad_entries_are_explained_and_nothing_is_stored(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    staff(client, make, survey)
    new = f"{page_of(survey)}/new"
    empty = client.submit(new, {"you_said": "   "}, token_from=new)
    assert empty.status_code == 400
    assert errors(empty.text) == [
        "Select what it is about",
        "Enter what people said",
        "Enter what the area did, is doing or will do",
        "Select where it is up to",
    ]
    assert "<title>Error: " in empty.text
    long = client.submit(new, entry_form(you_said="x" * 2001), token_from=new)
    assert long.status_code == 400
    assert errors(long.text) == ["What people said must be 2000 characters or fewer"]
    assert "x" * 2001 in long.text  # what they wrote is kept, to shorten
    elsewhere = client.submit(new, entry_form("not-a-theme-here"), token_from=new)
    assert errors(elsewhere.text) == ["Select what it is about"]
    wrong_status = client.submit(new, entry_form(status="finished"), token_from=new)
    assert errors(wrong_status.text) == ["Select where it is up to"]
    assert db.exec(select(YouSaidEntry)).first() is None

    entry = add(db, survey, "Kept as it was.")
    edit = f"{page_of(survey)}/{entry.id}/edit"
    bad_edit = client.submit(edit, entry_form(we_did=""), token_from=edit)
    assert bad_edit.status_code == 400 and errors(bad_edit.text) == ["Enter what the area did, is doing or will do"]
    db.refresh(entry)
    assert entry.you_said == "Kept as it was."


def test_the_service_refuses_a_theme_the_questionnaire_does_not_have(db: Session, make: Factory) -> None:
    survey = make_survey(db, make)
    details = you_said.EntryDetails(theme_key="nope", you_said="a", we_did="b", status=ActionStatus.done)
    with pytest.raises(RuleError):
        you_said.create_entry(db, survey, details, user_id=None)
    too_long = you_said.EntryDetails(theme_key=None, you_said="a" * 2001, we_did="b", status=ActionStatus.done)
    with pytest.raises(RuleError):
        you_said.create_entry(db, survey, too_long, user_id=None)


# Order --------------------------------------------------------------------------------------------


def test_entries_are_grouped_by_theme_in_the_questionnaires_order(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = make_survey(db, make)
    add(db, survey, "About school", theme="school")
    add(db, survey, "About information", theme="info")
    add(db, survey, "About everything")
    groups = you_said.grouped_entries(db, survey)
    assert [group.title for group in groups] == ["The survey as a whole", "Finding information", "School"]
    staff(client, make, survey)
    listing = client.get(page_of(survey)).text
    assert headings(listing, 2)[:3] == ["The survey as a whole", "Finding information", "School"]
    assert "Themes with no entries yet" in listing and "<li>Plans</li>" in listing


def test_entries_move_up_and_down_within_their_theme(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    first = add(db, survey, "First about information", theme="info")
    add(db, survey, "About plans", theme="plans")
    second = add(db, survey, "Second about information", theme="info")
    third = add(db, survey, "Third about information", theme="info")
    staff(client, make, survey)
    page = page_of(survey)

    def order() -> list[str]:
        return [entry.you_said for entry in you_said.grouped_entries(db, survey)[0].entries]

    response = client.submit(f"{page}/{third.id}/move-up", {}, token_from=page)
    assert response.status_code == 303 and response.headers["location"] == f"{page}#entry-{third.id}"
    assert order() == ["First about information", "Third about information", "Second about information"]
    client.submit(f"{page}/{first.id}/move-down", {}, token_from=page)
    assert order() == ["Third about information", "First about information", "Second about information"]
    # Already first (or last) in its theme: nothing changes.
    client.submit(f"{page}/{third.id}/move-up", {}, token_from=page)
    client.submit(f"{page}/{second.id}/move-down", {}, token_from=page)
    assert order() == ["Third about information", "First about information", "Second about information"]
    assert [entry.you_said for entry in you_said.grouped_entries(db, survey)[1].entries] == ["About plans"]

    listing = client.get(page).text
    # The first in a theme cannot move up, the last cannot move down.
    assert f'action="{page}/{third.id}/move-up"' not in listing and f'action="{page}/{third.id}/move-down"' in listing
    assert f'action="{page}/{second.id}/move-down"' not in listing


def test_moving_works_even_when_positions_are_equal(db: Session, make: Factory) -> None:
    survey = make_survey(db, make)
    a, b = add(db, survey, "A"), add(db, survey, "B")
    a.position = b.position = 5
    db.add_all([a, b])
    db.commit()
    assert you_said.move_entry(db, survey, b, -1)
    assert [entry.you_said for entry in you_said.list_entries(db, survey)] == ["B", "A"]
    assert not you_said.move_entry(db, survey, b, -1)


def test_an_entry_moved_to_another_theme_goes_last_in_it(db: Session, make: Factory) -> None:
    survey = make_survey(db, make)
    add(db, survey, "Plans one", theme="plans")
    moving = add(db, survey, "Was about information", theme="info")
    add(db, survey, "Plans two", theme="plans")
    details = you_said.EntryDetails(theme_key="plans", you_said=moving.you_said, we_did="x", status=ActionStatus.done)
    you_said.update_entry(db, survey, moving, details, user_id=None)
    plans = [group for group in you_said.grouped_entries(db, survey) if group.theme_key == "plans"][0]
    assert [entry.you_said for entry in plans.entries] == ["Plans one", "Plans two", "Was about information"]


def test_publishing_twice_keeps_the_first_date(db: Session, make: Factory) -> None:
    survey = make_survey(db, make)
    entry = add(db, survey, "Once", published=True)
    first = entry.published_at
    you_said.publish_entry(db, entry, user_id=None)
    assert entry.published_at == first and you_said.has_published(db, survey)
    you_said.unpublish_entry(db, entry, user_id=None)
    assert not you_said.has_published(db, survey)


# Who may see and change what ------------------------------------------------------------------


def test_another_areas_staff_get_not_found(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    entry = add(db, survey, "Ours")
    client.sign_in(make.user(Role.facilitator, make.area()))
    page = page_of(survey)
    for path in (page, f"{page}/new", f"{page}/{entry.id}/edit", f"{page}/{entry.id}/delete"):
        assert client.get(path).status_code == 404, path
    token = client.csrf_token("/")
    for action in ("publish", "unpublish", "move-up", "move-down", "delete", "edit"):
        assert client.post(f"{page}/{entry.id}/{action}", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{page}/new", data={"csrf_token": token, **entry_form()}).status_code == 404
    db.refresh(entry)
    assert entry.published_at is None and db.get(YouSaidEntry, entry.id) is not None


def test_an_entry_of_another_survey_is_not_found_under_this_one(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    ours = make_survey(db, make)
    theirs = make_survey(db, make)
    their_entry = add(db, theirs, "Theirs")
    staff(client, make, ours)
    page = page_of(ours)
    assert client.get(f"{page}/{their_entry.id}/edit").status_code == 404
    assert client.submit(f"{page}/{their_entry.id}/publish", {}, token_from=page).status_code == 404
    assert client.submit(f"{page}/{their_entry.id}/delete", {}, token_from=page).status_code == 404
    db.refresh(their_entry)
    assert their_entry.published_at is None


def test_signed_out_people_are_sent_to_sign_in(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    entry = add(db, survey, "Ours")
    for path in (page_of(survey), f"{page_of(survey)}/new", f"{page_of(survey)}/{entry.id}/edit"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?next=")
    token = client.csrf_token("/sign-in")
    response = client.post(f"{page_of(survey)}/{entry.id}/publish", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"


def test_admins_read_but_do_not_write(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    entry = add(db, survey, "Ours")
    client.sign_in(make.user(Role.admin))
    listing = client.get(page_of(survey))
    assert listing.status_code == 200 and "Ours" in listing.text
    assert "/new" not in listing.text and "/edit" not in listing.text and "/publish" not in listing.text
    assert client.get(f"{page_of(survey)}/new").status_code == 403
    assert client.get(f"{page_of(survey)}/{entry.id}/edit").status_code == 403


def test_the_survey_page_links_to_you_said_we_did(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    staff(client, make, survey, Role.commissioner)
    assert f'href="{page_of(survey)}"' in client.get(f"/surveys/{survey.id}").text


# The public page ------------------------------------------------------------------------------


def public(survey: Survey) -> str:
    return f"/s/{survey.public_code}/you-said-we-did"


def test_the_public_page_shows_only_published_entries_by_theme(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = make_survey(db, make)
    add(db, survey, "Published about plans", theme="plans", status=ActionStatus.planned, published=True)
    add(db, survey, "A draft nobody sees", theme="info")
    add(db, survey, "Published in general", status=ActionStatus.not_doing, did="It costs too much.", published=True)
    # What a respondent wrote in the survey itself is for staff only.
    theme = db.exec(select(Theme).where(Theme.key == "info", Theme.instrument_id == survey.instrument_id)).one()
    response = Response(survey_id=survey.id, submission_key="k1", about_you={})
    db.add(response)
    db.flush()
    db.add(ThemeComment(response_id=response.id, theme_id=theme.id, text="My own private words"))
    db.commit()

    page = client.get(public(survey))
    assert page.status_code == 200
    assert "Published about plans" in page.text and "Published in general" in page.text
    assert "A draft nobody sees" not in page.text and "My own private words" not in page.text
    assert headings(page.text, 2)[:2] == ["The survey as a whole", "Plans"]
    assert headings(page.text, 3) == ["Not doing, and why", "Planned"]  # each entry under where it is up to
    assert "Planned" in page.text and "We will" in page.text
    assert "Not doing, and why" in page.text and "Why we are not doing it" in page.text
    assert "Use easy read" in page.text and "Sign out" not in page.text
    assert "Have your say: the survey is still open" in page.text


def test_the_public_page_escapes_what_staff_wrote(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    add(db, survey, "<script>alert(1)</script>", did="<b>bold</b>\nSecond line", published=True)
    page = client.get(public(survey)).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert '<p class="govuk-body">Second line</p>' in page  # each line its own paragraph


@pytest.mark.parametrize(
    "dates",
    [
        {"closed_at": utcnow()},
        {"opens_on": TODAY - timedelta(days=30), "closes_on": TODAY - timedelta(days=1)},
    ],
    ids=["closed early", "past its closing date"],
)
def test_the_public_page_works_after_the_survey_closes(
    client: CheckedClient, make: Factory, db: Session, dates: dict[str, object]
) -> None:
    survey = make_survey(db, make, **dates)
    add(db, survey, "After it closed", published=True)
    page = client.get(public(survey))
    assert page.status_code == 200 and "After it closed" in page.text
    assert "still open" not in page.text


def test_the_public_page_says_kindly_when_nothing_is_published(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = make_survey(db, make)
    add(db, survey, "Still a draft")
    page = client.get(public(survey)).text
    assert "Nothing has been published yet" in page and "It is up to them when" in page
    assert "Still a draft" not in page


def test_an_unknown_code_gets_the_not_found_page(client: CheckedClient) -> None:
    response = client.get("/s/nosuchcode/you-said-we-did")
    assert response.status_code == 404 and "We cannot find that survey" in response.text


def test_the_code_is_read_in_any_case(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    assert client.get(f"/s/{survey.public_code.upper()}/you-said-we-did").status_code == 200


def test_easy_read_on_the_public_page_comes_back_to_it(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    add(db, survey, "Published", published=True)
    html = client.get(public(survey)).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    switched = client.post(
        f"/s/{survey.public_code}/easy-read", data={"csrf_token": token.group(1), "back": public(survey)}
    )
    assert switched.status_code == 303 and switched.headers["location"] == public(survey)
    page = client.get(public(survey)).text
    assert "Use standard words" in page and "This page says what we heard" in page


# Links from the respondent's pages ----------------------------------------------------------------


def test_the_start_page_links_to_it_once_something_is_published(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = make_survey(db, make)
    entry = add(db, survey, "Draft")
    assert f'href="{public(survey)}"' not in client.get(f"/s/{survey.public_code}").text
    you_said.publish_entry(db, entry, user_id=None)
    db.commit()
    start = client.get(f"/s/{survey.public_code}").text
    assert f'href="{public(survey)}"' in start and "has done with what people said" in start


def test_the_thanks_page_always_links_to_it(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    done = client.get(f"/s/{survey.public_code}/done").text
    assert f'href="{public(survey)}"' in done and "fills up as the area responds" in done


def test_each_survey_has_its_own_entries(db: Session, make: Factory) -> None:
    one, other = make_survey(db, make), make_survey(db, make)
    add(db, one, "Mine", published=True)
    add(db, other, "Not mine", published=True)
    assert [entry.you_said for entry in you_said.list_entries(db, one, published_only=True)] == ["Mine"]
    assert db.exec(select(YouSaidEntry).where(col(YouSaidEntry.survey_id) == other.id)).one().you_said == "Not mine"


def _answers(db: Session, survey: Survey, number: int, choice: str) -> None:
    items = db.exec(select(Item.id).where(Item.instrument_id == survey.instrument_id)).all()
    for index in range(number):
        key = f"ysw-{survey.id}-{choice}-{index}".ljust(32, "x")
        submit(db, survey, Submission(key, dict.fromkeys(items, choice)), today=survey.opens_on)
    db.commit()


def test_the_public_page_shows_each_themes_protected_figure(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    add(db, survey, "About plans", theme="plans", published=True)
    _answers(db, survey, 30, "agree")
    _answers(db, survey, 10, "disagree")
    text = re.sub(r"\s+", " ", client.get(public(survey)).text)
    low, high = wilson_percent(30, 40)
    assert "75% of the 40 people who answered gave a positive answer" in text
    assert f"between {round(low)}% and {round(high)}%" in text


def test_a_hidden_figure_never_reaches_the_public_page(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make_survey(db, make)
    add(db, survey, "About plans", theme="plans", published=True)
    _answers(db, survey, 30, "agree")
    _answers(db, survey, 4, "disagree")  # 4 is below the threshold: 30 of 34 would give it away
    text = client.get(public(survey)).text
    assert "About plans" in text and "people who answered" not in text
