"""A participant's phone, through the checked client on SQLite and PostgreSQL: joining by code, each kind of
activity answered with plain form posts (no JavaScript), answers changed but never counted twice, refusals
when the facilitator has paused or moved on, ideas held until approved and always escaped, and the polls
that let the page follow the room (204 while nothing changed)."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from app.events import participation, service
from app.events import phone as phone_view
from app.events.models import (
    Activity,
    ActivityStatus,
    Choice,
    EventStatus,
    Idea,
    IdeaStatus,
    Participant,
    Submission,
)
from app.events.phone import questions
from tests.conftest import CheckedClient
from tests.events.conftest import Running, join_many

HX = {"HX-Request": "true"}
Answers = dict[str, str]


# Helpers: what a phone's browser does -----------------------------------------------------------


def _page(client: CheckedClient, running: Running) -> str:
    response = client.get(f"/e/{running.event.join_code}")
    assert response.status_code == 200, response.text
    return str(response.text)


def _post(client: CheckedClient, running: Running, action: str, data: dict[str, Any]) -> Any:
    """A form on the event's page sent as a browser sends it: with the page's CSRF token."""
    code = running.event.join_code
    return client.submit(f"/e/{code}/{action}", data, token_from=f"/e/{code}")


def _join(client: CheckedClient, db: Session, running: Running, group: str = "") -> Participant:
    before = {person.id for person in _participants(db, running)}
    response = _post(client, running, "join", {"group": group} if group else {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{running.event.join_code}"
    (new,) = [person for person in _participants(db, running) if person.id not in before]
    return new


def _participants(db: Session, running: Running) -> list[Participant]:
    db.expire_all()
    return list(db.exec(select(Participant).where(Participant.event_id == running.event.id)))


@pytest.fixture
def phone(client: CheckedClient) -> CheckedClient:
    """The participant's browser: the checked client, never signed in."""
    return client


def _start(db: Session, running: Running, activity: Activity) -> None:
    service.start_activity(db, running.event, activity)
    db.commit()


def _status(db: Session, running: Running, activity: Activity, status: ActivityStatus) -> None:
    service.set_activity_status(db, running.event, activity, status)
    db.commit()


def _rate_form(db: Session, activity: Activity, code: str = "agree") -> dict[str, Any]:
    return {"activity_id": str(activity.id), **{item.field: code for item in questions(db, activity)}}


def _submissions(db: Session, activity: Activity) -> list[Submission]:
    db.expire_all()
    return list(db.exec(select(Submission).where(Submission.activity_id == activity.id)))


def _choices(db: Session, submission: Submission) -> dict[int, str]:
    return dict(db.exec(select(Choice.item_id, Choice.choice).where(Choice.submission_id == submission.id)).all())


def _ideas(db: Session, activity: Activity) -> list[Idea]:
    db.expire_all()
    return list(db.exec(select(Idea).where(Idea.activity_id == activity.id).order_by(col(Idea.id))))


def _stage(html: str) -> str:
    match = re.search(r'hx-get="/e/[a-z0-9]+/live\?stage=([^"]+)"', html)
    assert match, "the activity area does not poll"
    return match.group(1)


def _poll(client: CheckedClient, running: Running, stage: str) -> Any:
    return client.get(f"/e/{running.event.join_code}/live?stage={stage}", headers=HX)


def _second_browser(app: FastAPI) -> CheckedClient:
    return CheckedClient(app)


# Joining ----------------------------------------------------------------------------------------


def test_the_join_page_asks_for_the_code_in_one_field_made_for_typing_a_code(phone: CheckedClient) -> None:
    html = phone.get("/join").text
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", html)
    assert field
    for attribute in ('autocomplete="off"', 'spellcheck="false"', 'inputmode="text"', 'autocapitalize="characters"'):
        assert attribute in field.group(0)
    assert "<h1" in html and "Join an event" in html


@pytest.mark.parametrize("typed", ["{shown}", "{lower}", "{hyphen}", "  {spaced}  "])
def test_the_code_finds_the_event_however_it_is_typed(phone: CheckedClient, running: Running, typed: str) -> None:
    code = running.event.join_code or ""
    shown = service.format_join_code(code)
    value = typed.format(shown=shown, lower=shown.lower(), hyphen=shown.replace(" ", "-"), spaced=" ".join(code))
    response = phone.submit("/join", {"code": value})
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{code}"


def test_an_unknown_or_empty_code_is_explained_and_nothing_else_happens(phone: CheckedClient, running: Running) -> None:
    response = phone.submit("/join", {"code": "ZZZ ZZZ"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "We cannot find an event with that code. Check it on the screen and try again" in response.text
    assert 'value="ZZZ ZZZ"' in response.text
    empty = phone.submit("/join", {"code": "  "})
    assert empty.status_code == 400
    assert "Enter the code shown on the screen" in empty.text


def test_an_unknown_code_in_the_link_is_a_404_page_that_says_to_check_it(phone: CheckedClient) -> None:
    response = phone.get("/e/zzzzzz")
    assert response.status_code == 404
    assert "We cannot find that event" in response.text
    assert "Check the code on the screen" in response.text
    assert 'href="/join"' in response.text


def test_a_draft_event_is_not_open_yet(phone: CheckedClient, db: Session, running: Running) -> None:
    # An event gets its code when it first opens and never goes back to draft: this is the safety net.
    running.event.status = EventStatus.draft
    db.add(running.event)
    db.commit()
    response = phone.get(f"/e/{running.event.join_code}")
    assert response.status_code == 200
    assert "This event is not open yet" in response.text
    assert f'action="/e/{running.event.join_code}/join"' not in response.text


def test_an_ended_event_says_thank_you_and_nothing_else(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    token = phone.csrf_token(f"/e/{running.event.join_code}")  # the page left open as the event ends
    service.end_event(db, running.event)
    db.commit()
    html = _page(phone, running)
    main = html[html.index("<main") : html.index("</main>")]
    assert "This event has ended" in main and "Thank you for taking part" in main
    assert "<form" not in main and "hx-get" not in main
    # An answer sent from that page gets the same page, never an error.
    data = {**_rate_form(db, running.rate), "csrf_token": token}
    response = phone.post(f"/e/{running.event.join_code}/answer", data=data)
    assert response.status_code == 200 and "This event has ended" in response.text
    assert _submissions(db, running.rate) == []


def test_the_join_page_says_what_we_keep_and_the_group_is_optional(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    running.event.description = "Our spring workshop on <b>short breaks</b>."
    db.add(running.event)
    db.commit()
    html = _page(phone, running)
    assert "Spring workshop" in html
    assert "Our spring workshop on &lt;b&gt;short breaks&lt;/b&gt;." in html
    assert "What we keep" in html and "we keep nothing that identifies you" in html
    assert "Small groups are never shown" in html
    assert "Which group are you in?" in html and "I prefer not to say" in html
    assert re.search(r"<button[^>]*>\s*Join\s*</button>", html)
    nobody = _join(phone, db, running)
    assert nobody.group is None


@pytest.mark.parametrize(("sent", "stored"), [("young_person", "young_person"), ("prefer_not_to_say", None)])
def test_joining_with_a_group_or_preferring_not_to_say(
    phone: CheckedClient, db: Session, running: Running, sent: str, stored: str | None
) -> None:
    assert _join(phone, db, running, sent).group == stored


def test_a_made_up_group_is_refused_and_nobody_joins(phone: CheckedClient, db: Session, running: Running) -> None:
    response = _post(phone, running, "join", {"group": "mayor"})
    assert response.status_code == 400
    assert "Choose one of the groups given, or leave it" in response.text
    assert 'href="#group"' in response.text
    assert _participants(db, running) == []


def test_joining_twice_from_one_phone_is_one_participant(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    again = _post(phone, running, "join", {})
    assert again.status_code == 303
    assert len(_participants(db, running)) == 1


def test_changing_your_group(phone: CheckedClient, db: Session, running: Running) -> None:
    person = _join(phone, db, running, "parent_carer")
    code = running.event.join_code
    assert "Your group: A parent or carer" in _page(phone, running)
    form = phone.get(f"/e/{code}/group").text
    assert 'value="parent_carer" checked' in form
    bad = phone.submit(f"/e/{code}/group", {"group": "mayor"})
    assert bad.status_code == 400 and "Choose one of the groups given" in bad.text
    changed = phone.submit(f"/e/{code}/group", {"group": "professional"})
    assert changed.status_code == 303
    db.refresh(person)
    assert person.group == "professional"
    assert "Your group has been changed" in _page(phone, running)
    phone.submit(f"/e/{code}/group", {"group": "prefer_not_to_say"})
    db.refresh(person)
    assert person.group is None


def test_the_group_page_and_answers_send_a_phone_that_has_not_joined_to_the_join_page(
    app: FastAPI, phone: CheckedClient, db: Session, running: Running
) -> None:
    _start(db, running, running.rate)
    code = running.event.join_code
    assert phone.get(f"/e/{code}/group").headers["location"] == f"/e/{code}"
    response = _post(phone, running, "answer", _rate_form(db, running.rate))
    assert response.status_code == 303 and response.headers["location"] == f"/e/{code}"
    assert _submissions(db, running.rate) == []


# Waiting and the page without JavaScript ----------------------------------------------------------


def test_before_anything_starts_the_phone_waits_and_says_how_to_refresh_without_javascript(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    html = _page(phone, running)
    assert "Waiting for the facilitator to start the next activity" in html
    found = participation.stage(db, running.event.join_code or "")
    assert found is not None and _stage(html) == found.key
    assert 'class="govuk-body app-live-refresh"' in html and "to see the next activity" in html
    assert f'<a class="govuk-link" href="/e/{running.event.join_code}">Refresh this page</a>' in html


def test_a_started_activity_that_has_not_opened_yet_is_waiting(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    running.event.current_activity_id = running.rate.id  # current, but still waiting
    db.add(running.event)
    db.commit()
    assert "Waiting for the facilitator" in _page(phone, running)


# Rate -------------------------------------------------------------------------------------------


def test_rating_statements_through_the_form(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    html = _page(phone, running)
    items = questions(db, running.rate)
    assert "How is it going?" in html
    for item in items:
        assert item.text.replace("{subject}", "our area") in html.replace("&#39;", "'")
    assert html.count('class="govuk-button govuk-button--secondary app-read-aloud"') == len(items)
    assert f'name="activity_id" value="{running.rate.id}"' in html
    assert "Send my answers" in html
    response = _post(phone, running, "answer", _rate_form(db, running.rate, "agree"))
    assert response.status_code == 303
    (submission,) = _submissions(db, running.rate)
    assert set(_choices(db, submission).values()) == {"agree"}
    after = _page(phone, running)
    assert "Your answers have been sent" in after and "govuk-notification-banner--success" in after
    assert "You can change your answer until the activity closes" in after
    assert after.count('value="agree" checked') == len(items)


def test_a_missing_answer_is_named_in_the_error_summary_and_nothing_is_stored(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    first, *rest = questions(db, running.rate)
    data = _rate_form(db, running.rate)
    del data[first.field]
    data[rest[0].field] = "made-up"
    response = _post(phone, running, "answer", data)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert f'href="#{first.field}"' in response.text and "Choose an answer to" in response.text
    assert f'href="#{rest[0].field}"' in response.text and "Choose one of the answers given" in response.text
    assert 'value="agree" checked' in response.text  # what they did choose is kept
    assert _submissions(db, running.rate) == []


def test_answering_twice_is_one_submission_and_a_change_replaces_it(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    _post(phone, running, "answer", _rate_form(db, running.rate, "agree"))
    _post(phone, running, "answer", _rate_form(db, running.rate, "agree"))  # a double click, or a retry
    (submission,) = _submissions(db, running.rate)
    revision = submission.revision
    _post(phone, running, "answer", _rate_form(db, running.rate, "disagree"))
    (changed,) = _submissions(db, running.rate)
    assert changed.id == submission.id and changed.revision > revision
    assert set(_choices(db, changed).values()) == {"disagree"}
    assert db.exec(select(func.count()).select_from(Choice)).one() == len(questions(db, running.rate))


def test_easy_read_shows_easy_words_and_faces_and_is_kept_on_the_participant(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    person = _join(phone, db, running)
    _start(db, running, running.rate)
    code = running.event.join_code
    switched = phone.submit(f"/e/{code}/easy-read", {}, token_from=f"/e/{code}")
    assert switched.status_code == 303 and switched.headers["location"] == f"/e/{code}"
    db.refresh(person)
    assert person.easy_read
    html = _page(phone, running)
    assert "Use standard words" in html and "app-easy-read" in html
    assert "Very true for me" in html and "app-face" in html
    # The same codes are stored, whichever words were shown.
    assert _post(phone, running, "answer", _rate_form(db, running.rate, "strongly_agree")).status_code == 303
    phone.submit(f"/e/{code}/easy-read", {}, token_from=f"/e/{code}")
    db.refresh(person)
    assert not person.easy_read
    assert "Use easy read" in _page(phone, running)


def test_easy_read_words_name_the_ladder_subject(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.ladder)
    code = running.event.join_code
    phone.submit(f"/e/{code}/easy-read", {}, token_from=f"/e/{code}")
    html = _page(phone, running)
    assert "How much do people like me help decide things about the partnership board now?" in html
    assert "Where is the partnership board on the ladder now?" not in html


def test_easy_read_can_be_chosen_before_joining(phone: CheckedClient, db: Session, running: Running) -> None:
    code = running.event.join_code
    phone.submit(f"/e/{code}/easy-read", {}, token_from=f"/e/{code}")
    assert "You do not give your name." in _page(phone, running)
    assert _join(phone, db, running).easy_read


# Ladder and prioritise --------------------------------------------------------------------------


def test_the_ladder_names_its_subject_and_is_answered_through_the_form(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.ladder)
    html = _page(phone, running)
    assert "Where is the partnership board on the ladder now?" in html
    assert "Where should the partnership board be on the ladder?" in html
    assert "{subject}" not in html
    assert _post(phone, running, "answer", _rate_form(db, running.ladder, "involving")).status_code == 303
    (submission,) = _submissions(db, running.ladder)
    assert list(_choices(db, submission).values()) == ["involving", "involving"]


def test_choosing_priorities_up_to_the_number_allowed(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.prioritise)
    html = _page(phone, running)
    assert "Choose up to 2 that matter most to you" in html and 'type="checkbox"' in html
    items = questions(db, running.prioritise)
    activity = str(running.prioritise.id)
    too_many = _post(phone, running, "answer", {"activity_id": activity, "answers": [i.key for i in items[:3]]})
    assert too_many.status_code == 400
    assert "Choose no more than 2 statements" in too_many.text and 'href="#answers"' in too_many.text
    assert too_many.text.count("checked") >= 3  # their choices are kept to correct
    none = _post(phone, running, "answer", {"activity_id": activity})
    assert none.status_code == 400 and "Choose at least one statement" in none.text
    assert _submissions(db, running.prioritise) == []
    chosen = _post(phone, running, "answer", {"activity_id": activity, "answers": [items[0].key, items[3].key]})
    assert chosen.status_code == 303
    (submission,) = _submissions(db, running.prioritise)
    assert _choices(db, submission) == {items[0].id: participation.CHOSEN, items[3].id: participation.CHOSEN}
    again = _page(phone, running)
    assert f'value="{items[0].key}" checked' in again and f'value="{items[1].key}" checked' not in again


# Ideas ------------------------------------------------------------------------------------------


def _idea_form(html: str, running: Running, text: str) -> dict[str, str]:
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert key, "the idea form has no submission key"
    return {"activity_id": str(running.ideas.id), "submission_key": key.group(1), "idea": text}


def test_sending_an_idea_once_even_if_the_form_is_sent_twice(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    html = _page(phone, running)
    assert "govuk-character-count" in html and 'data-maxlength="280"' in html
    assert "Send my idea" in html
    form = _idea_form(html, running, "More drop-in   sessions after school")
    assert _post(phone, running, "idea", form).status_code == 303
    assert _post(phone, running, "idea", form).status_code == 303  # the same form again: a retry
    (idea,) = _ideas(db, running.ideas)
    assert idea.text == "More drop-in sessions after school" and idea.status == IdeaStatus.pending
    after = _page(phone, running)
    assert "Your idea has been sent" in after
    assert "Your ideas" in after and "Waiting for the facilitator" in after
    assert _idea_form(after, running, "")["submission_key"] != form["submission_key"]  # a new key each page


def test_an_idea_over_280_characters_is_refused_and_kept_to_shorten(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    long = "a" * 281
    response = _post(phone, running, "idea", _idea_form(_page(phone, running), running, long))
    assert response.status_code == 400
    assert "Your idea must be 280 characters or fewer" in response.text and 'href="#idea"' in response.text
    assert long in response.text
    empty = _post(phone, running, "idea", _idea_form(_page(phone, running), running, "   "))
    assert empty.status_code == 400 and "Write your idea" in empty.text
    assert _ideas(db, running.ideas) == []


def test_an_idea_is_plain_text_escaped_everywhere(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    _post(phone, running, "idea", _idea_form(_page(phone, running), running, "<script>alert(1)</script> & more"))
    html = _page(phone, running)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_ideas_reach_other_phones_only_once_approved_and_shown(
    app: FastAPI, phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    other = _second_browser(app)
    _join(other, db, running)
    _start(db, running, running.ideas)
    _post(phone, running, "idea", _idea_form(_page(phone, running), running, "Quiet rooms at events"))
    _post(phone, running, "idea", _idea_form(_page(phone, running), running, "Name badges optional"))
    service.show_results(db, running.event, running.ideas, shown=True)
    db.commit()
    assert "Quiet rooms" not in _page(other, running) and "Name badges" not in _page(other, running)
    first, second = _ideas(db, running.ideas)
    service.moderate_idea(db, running.event, first, IdeaStatus.approved)
    service.moderate_idea(db, running.event, second, IdeaStatus.hidden)
    db.commit()
    seen = _page(other, running)
    assert "What the room said" in seen and "Quiet rooms at events" in seen
    assert "Name badges" not in seen
    mine = _page(phone, running)
    assert "On the screen" in mine and "Not shown" in mine  # the author sees what became of each
    other.close()


def test_a_person_may_send_a_few_ideas_and_no_more(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    for number in range(participation.MAX_IDEAS_EACH):
        form = _idea_form(_page(phone, running), running, f"Idea {number}")
        assert _post(phone, running, "idea", form).status_code == 303
    html = _page(phone, running)
    assert 'name="submission_key"' not in html
    assert f"You have sent {participation.MAX_IDEAS_EACH} ideas" in html


# Paused, closed, moved on -----------------------------------------------------------------------


def test_paused_answers_show_the_question_and_the_answer_but_take_nothing(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    _post(phone, running, "answer", _rate_form(db, running.rate, "agree"))
    _status(db, running, running.rate, ActivityStatus.paused)
    html = _page(phone, running)
    assert "Answers are paused for a moment" in html
    assert 'value="agree" checked' in html and "Send my answers" not in html
    response = _post(phone, running, "answer", _rate_form(db, running.rate, "disagree"))
    assert response.status_code == 400
    assert "Answers are paused for a moment" in response.text and "govuk-error-summary" in response.text
    assert 'href="#activity"' in response.text and 'id="activity"' in response.text
    assert 'value="disagree" checked' in response.text  # what they chose waits for answers to resume
    (submission,) = _submissions(db, running.rate)
    assert set(_choices(db, submission).values()) == {"agree"}
    _status(db, running, running.rate, ActivityStatus.open)
    assert _post(phone, running, "answer", _rate_form(db, running.rate, "disagree")).status_code == 303


def test_a_paused_idea_is_kept_in_the_box(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    form = _idea_form(_page(phone, running), running, "Shorter meetings")
    _status(db, running, running.ideas, ActivityStatus.paused)
    response = _post(phone, running, "idea", form)
    assert response.status_code == 400 and "Answers are paused" in response.text
    assert "Shorter meetings</textarea>" in response.text
    assert _ideas(db, running.ideas) == []


def test_a_closed_activity_says_it_has_finished_and_what_you_answered(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    _post(phone, running, "answer", _rate_form(db, running.rate, "agree"))
    _status(db, running, running.rate, ActivityStatus.closed)
    html = _page(phone, running)
    assert "This activity has finished" in html and "What you answered" in html
    assert "govuk-summary-list" in html and "Agree" in html
    assert '<form method="post" action="/e/' + (running.event.join_code or "") + '/answer"' not in html
    response = _post(phone, running, "answer", _rate_form(db, running.rate, "disagree"))
    assert response.status_code == 400 and "This activity is not taking answers now" in response.text


def test_a_closed_activity_not_answered_says_so(phone: CheckedClient, db: Session, running: Running) -> None:
    _join(phone, db, running)
    _start(db, running, running.prioritise)
    _status(db, running, running.prioritise, ActivityStatus.closed)
    assert "You did not answer this activity" in _page(phone, running)


def test_an_answer_for_an_activity_the_room_has_left_shows_the_one_on_the_screen(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    old = _rate_form(db, running.rate)
    _start(db, running, running.ladder)
    response = _post(phone, running, "answer", old)
    assert response.status_code == 400
    assert "This activity has finished. Your phone now shows what is happening" in response.text
    assert "Where is the partnership board on the ladder now?" in response.text
    assert _submissions(db, running.rate) == []
    for made_up in ("", "nonsense", "999999"):
        refused = _post(phone, running, "answer", {**old, "activity_id": made_up})
        assert refused.status_code == 400 and "This activity has finished" in refused.text
    ideas = _post(phone, running, "idea", {"activity_id": str(running.ideas.id), "submission_key": "k", "idea": "x"})
    assert ideas.status_code == 400 and "This activity has finished" in ideas.text


# Joining late, reconnecting, a new browser ------------------------------------------------------


def test_joining_late_is_the_same_as_joining_on_time(phone: CheckedClient, db: Session, running: Running) -> None:
    join_many(db, running.event, 3)
    _start(db, running, running.rate)
    db.commit()
    _join(phone, db, running)
    assert "How is it going?" in _page(phone, running)
    assert _post(phone, running, "answer", _rate_form(db, running.rate)).status_code == 303
    assert len(_submissions(db, running.rate)) == 1


def test_the_same_cookie_comes_back_to_its_answer_and_a_new_browser_is_someone_new(
    app: FastAPI, phone: CheckedClient, db: Session, running: Running
) -> None:
    person = _join(phone, db, running)
    _start(db, running, running.rate)
    _post(phone, running, "answer", _rate_form(db, running.rate, "neither"))
    # The phone locked, the connection dropped: the same cookie, a fresh client.
    cookies = dict(phone.cookies)
    back = _second_browser(app)
    back.cookies.update(cookies)
    assert 'value="neither" checked' in _page(back, running)
    assert _post(back, running, "answer", _rate_form(db, running.rate, "agree")).status_code == 303
    (submission,) = _submissions(db, running.rate)
    assert submission.participant_id == person.id
    back.close()
    new = _second_browser(app)
    assert "Which group are you in?" in _page(new, running)
    stranger = _join(new, db, running)
    assert stranger.id != person.id
    assert 'value="neither" checked' not in _page(new, running) and "checked" not in _page(new, running)
    new.close()


# The polls --------------------------------------------------------------------------------------


def test_the_poll_answers_204_until_the_stage_changes_then_sends_the_new_area(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    stage = _stage(_page(phone, running))
    quiet = _poll(phone, running, stage)
    assert quiet.status_code == 204 and quiet.content == b""
    assert "set-cookie" not in quiet.headers  # nothing written to the session
    join_many(db, running.event, 2)  # people joining change nothing on a phone
    db.commit()
    assert _poll(phone, running, stage).status_code == 204
    _start(db, running, running.rate)
    changed = _poll(phone, running, stage)
    assert changed.status_code == 200
    assert "<html" not in changed.text and "<main" not in changed.text
    assert changed.text.lstrip().startswith('<div id="activity"')
    assert 'data-announce="A new activity has started: How is it going?"' in changed.text
    assert 'action="/e/' in changed.text and "Send my answers" in changed.text
    new_stage = _stage(changed.text)
    assert new_stage != stage
    assert _poll(phone, running, new_stage).status_code == 204
    _status(db, running, running.rate, ActivityStatus.paused)
    paused = _poll(phone, running, new_stage)
    assert 'data-announce="Answers are paused for a moment"' in paused.text
    _status(db, running, running.rate, ActivityStatus.open)
    assert "You can answer again" in _poll(phone, running, _stage(paused.text)).text


def test_an_answer_from_someone_else_does_not_change_the_stage(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    stage = _stage(_page(phone, running))
    (someone,) = join_many(db, running.event, 1)
    statements = participation.statements(db, running.rate)
    participation.submit_answers(db, running.event, running.rate, someone, {s.item_id: "agree" for s in statements})
    db.commit()
    assert _poll(phone, running, stage).status_code == 204


def test_the_poll_without_htmx_or_without_a_token_goes_back_to_the_page(
    app: FastAPI, phone: CheckedClient, running: Running
) -> None:
    code = running.event.join_code
    plain = phone.get(f"/e/{code}/live?stage=old")
    assert plain.status_code == 303 and plain.headers["location"] == f"/e/{code}"
    stranger = _second_browser(app)
    lost = stranger.get(f"/e/{code}/live?stage=old", headers=HX)
    assert lost.status_code == 204 and lost.headers["HX-Redirect"] == f"/e/{code}"
    stranger.close()
    unknown = phone.get("/e/zzzzzz/live?stage=old", headers=HX)
    assert unknown.headers["HX-Redirect"] == "/e/zzzzzz"


def test_the_end_of_the_event_reaches_the_phone_and_polling_stops(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    stage = _stage(_page(phone, running))
    service.end_event(db, running.event)
    db.commit()
    ended = _poll(phone, running, stage)
    assert ended.status_code == 200
    assert "This event has ended" in ended.text and "Thank you for taking part" in ended.text
    assert "hx-get" not in ended.text and "<form" not in ended.text


def test_the_polls_are_not_rate_limited_but_the_pages_are(
    app: FastAPI, phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    stage = _stage(_page(phone, running))
    app.state.settings = app.state.settings.model_copy(update={"public_rate_limit": 5})
    app.state.public_rate_limiter = None
    for _ in range(20):
        assert _poll(phone, running, stage).status_code == 204
    statuses = {phone.get(f"/e/{running.event.join_code}").status_code for _ in range(10)}
    assert 429 in statuses


def test_results_shown_on_the_screen_reach_the_phones_and_follow_new_answers(
    app: FastAPI, phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.rate)
    service.set_live_threshold(db, running.event, 3, area_threshold=10, user_id=None)
    db.commit()
    stage = _stage(_page(phone, running))
    service.show_results(db, running.event, running.rate, shown=True)
    db.commit()
    shown = _poll(phone, running, stage)
    assert shown.status_code == 200
    assert 'data-announce="The room&#39;s results are below the question"' in shown.text
    assert "What the room said" in shown.text and "Results appear when 3 people have answered" in shown.text
    room = re.search(r'hx-get="(/e/[a-z0-9]+/live/results\?[^"]+)"', shown.text)
    assert room, "the results region does not poll"
    url = room.group(1).replace("&amp;", "&")
    assert phone.get(url, headers=HX).status_code == 204
    statements = participation.statements(db, running.rate)
    for someone in join_many(db, running.event, 3):
        participation.submit_answers(db, running.event, running.rate, someone, {s.item_id: "agree" for s in statements})
    db.commit()
    fresh = phone.get(url, headers=HX)
    assert fresh.status_code == 200
    assert fresh.text.lstrip().startswith('<div id="activity-room"')
    assert "Results appear when" not in fresh.text and "app-live-table" in fresh.text
    assert "<form" not in fresh.text  # the answer being typed above is left alone
    # Once the room has moved on, the results poll leaves it to the stage poll.
    _start(db, running, running.ladder)
    assert phone.get(url, headers=HX).status_code == 204
    assert phone.get(url).status_code == 303


def test_a_pending_idea_keeps_its_status_fresh_until_the_facilitator_decides(
    phone: CheckedClient, db: Session, running: Running
) -> None:
    _join(phone, db, running)
    _start(db, running, running.ideas)
    _post(phone, running, "idea", _idea_form(_page(phone, running), running, "Evening sessions"))
    html = _page(phone, running)
    room = re.search(r'hx-get="(/e/[a-z0-9]+/live/results\?[^"]+)"', html)
    assert room, "a pending idea's status is not polled"
    url = room.group(1).replace("&amp;", "&")
    assert phone.get(url, headers=HX).status_code == 204
    (idea,) = _ideas(db, running.ideas)
    service.moderate_idea(db, running.event, idea, IdeaStatus.approved)
    db.commit()
    decided = phone.get(url, headers=HX)
    assert decided.status_code == 200 and "On the screen" in decided.text
    assert "hx-get" not in decided.text  # nothing left to wait for


def test_two_events_on_one_phone_keep_their_own_tokens(phone: CheckedClient, db: Session, running: Running) -> None:
    first = _join(phone, db, running)
    other_event = service.create_event(
        db,
        area_id=running.area.id or 0,
        details=service.EventDetails("Autumn forum", running.event.held_on, None, 730),
        user_id=None,
    )
    service.add_activity(db, other_event, service.ActivityDetails(running.ideas.kind, "Anything else?"))
    service.open_event(db, other_event)
    db.commit()
    other = Running(running.area, other_event, running.rate, running.prioritise, running.ladder, running.ideas)
    second = _join(phone, db, other)
    assert first.id != second.id and first.event_id != second.event_id
    assert "Waiting for the facilitator" in _page(phone, running)
    assert "Waiting for the facilitator" in _page(phone, other)


def test_a_drawn_question_is_kept_but_never_shows_another_answer(db: Session, running: Running) -> None:
    item = questions(db, running.rate)[0]

    def drawn(
        *, easy_read: bool = False, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
    ) -> Any:
        return phone_view.question_html(
            item, easy_read=easy_read, subject="our area", values=values or {}, errors=errors or {}
        )

    blank = drawn()
    assert drawn() is blank  # drawn once, then kept
    assert 'value="agree" checked' in drawn(values={item.field: "agree"}) and "checked" not in blank
    assert "govuk-error-message" in drawn(errors={item.field: "Choose"}) and "govuk-error-message" not in blank
    assert "Very true for me" in drawn(easy_read=True) and "Very true for me" not in blank
