"""Running a room from the console: activities started, paused, resumed and closed, results shown and
hidden, ideas approved (escaped), the live threshold and its record, and the poll that answers 204."""

import re

from sqlmodel import Session

from app.accounts.models import Role, User
from app.areas.models import Area
from app.events import participation, service
from app.events.models import ActivityKind, ActivityStatus, EventStatus, IdeaStatus
from tests.conftest import CheckedClient, Factory
from tests.events.conftest import Running, join_many
from tests.events.test_planning import errors, new_event, post

HTMX = {"HX-Request": "true"}


def runner(client: CheckedClient, make: Factory, running: Running, role: Role = Role.facilitator) -> User:
    user = make.user(role, running.area)
    client.sign_in(user)
    return user


def poll_key(html: str) -> str:
    found = re.search(r'hx-get="/events/\d+/console/live\?key=([^"]+)"', html)
    assert found, "the console does not poll"
    return found.group(1)


def test_a_facilitator_runs_the_room_from_the_console(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running)
    event = running.event
    console = f"/events/{event.id}/console"
    page = client.get(console).text
    assert service.format_join_code(event.join_code or "") in page
    assert "Nothing yet" in page and "Start the first activity" in page
    assert f'href="/events/{event.id}/present"' in page

    def control(path: str) -> str:
        response = post(client, path)
        assert response.status_code == 303 and response.headers["location"] == console, response.text
        return str(client.get(console).text)

    page = control(f"/events/{event.id}/next")
    assert "Started: How is it going?" in page
    assert (event.current_activity_id, running.rate.status) == (running.rate.id, ActivityStatus.open)
    base = f"/events/{event.id}/activities/{running.rate.id}"
    page = control(f"{base}/pause")
    assert running.rate.status == ActivityStatus.paused and "Resume answers" in page and "Paused" in page
    page = control(f"{base}/resume")
    assert running.rate.status == ActivityStatus.open and "Pause answers" in page
    page = control(f"{base}/show-results")
    assert running.rate.results_shown and "Hide results" in page and "Results are on the screens" in page
    page = control(f"{base}/hide-results")
    assert not running.rate.results_shown and "Show results" in page
    page = control(f"{base}/close")
    assert running.rate.status == ActivityStatus.closed and "Start again" in page

    control(f"/events/{event.id}/next")
    assert running.prioritise.status == ActivityStatus.open and event.current_activity_id == running.prioritise.id
    page = control(f"/events/{event.id}/activities/{running.ideas.id}/start")  # skip ahead: the one before closes
    assert running.prioritise.status == ActivityStatus.closed and running.ideas.status == ActivityStatus.open
    assert re.search(r"app-console-current.*?What one thing would help\?", page, re.S)
    assert "Next activity" not in page  # it is the last
    page = control(f"/events/{event.id}/next")
    assert running.ideas.status == ActivityStatus.closed and "That was the last activity" in page
    assert running.ladder.status == ActivityStatus.waiting  # skipped, never started


def test_a_control_the_rules_refuse_comes_back_as_an_error(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running)
    event = running.event
    refused = post(client, f"/events/{event.id}/activities/{running.ladder.id}/pause")
    assert refused.status_code == 400
    assert errors(refused.text) == ["Only the activity on the screen can be paused, resumed or closed"]
    service.end_event(db, event)
    db.commit()
    ended = post(client, f"/events/{event.id}/activities/{running.rate.id}/start")
    assert ended.status_code == 400 and errors(ended.text) == ["The event has ended"]
    assert errors(post(client, f"/events/{event.id}/next").text) == ["The event has ended"]
    assert "hx-trigger" not in ended.text  # nothing to follow once it is over

    draft = new_event(db, make.user(Role.facilitator, running.area))
    service.add_activity(db, draft, service.ActivityDetails(ActivityKind.ideas, "Ideas?"))
    db.commit()
    (activity,) = service.activities(db, draft)
    page = client.get(f"/events/{draft.id}/console").text
    assert "The event is not open yet" in page
    refused = post(client, f"/events/{draft.id}/activities/{activity.id}/start")
    assert refused.status_code == 400 and errors(refused.text) == ["Open the event first"]
    assert post(client, f"/events/{draft.id}/open").status_code == 303 and draft.status == EventStatus.open


def test_ideas_wait_for_approval_and_are_always_escaped(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running)
    event, ideas = running.event, running.ideas
    service.start_activity(db, event, ideas)
    people = join_many(db, event, 3)
    texts = ["<script>alert('x')</script> Fewer forms", "A named person for each family", "Evening meetings"]
    sent = [
        participation.submit_idea(db, event, ideas, person, text, submission_key=f"idea-{number}")
        for number, (person, text) in enumerate(zip(people, texts, strict=True))
    ]
    db.commit()
    console = f"/events/{event.id}/console"
    page = client.get(console).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Fewer forms" in page
    waiting = page.split("Ideas waiting for you", 1)[1].split("On the screens", 1)[0]
    assert waiting.index("Fewer forms") < waiting.index("A named person") < waiting.index("Evening meetings")
    assert "No ideas approved yet." in page

    assert post(client, f"/events/{event.id}/ideas/{sent[0].id}/approve").status_code == 303
    assert post(client, f"/events/{event.id}/ideas/{sent[1].id}/hide").status_code == 303
    assert [idea.status for idea in sent] == [IdeaStatus.approved, IdeaStatus.hidden, IdeaStatus.pending]
    page = client.get(console).text
    assert "Idea not shown." in page and "<script>alert" not in page
    shown = page.split("On the screens", 1)[1]
    assert "Fewer forms" in shown.split("Ideas not shown", 1)[0] and "Take off the screen" in shown
    assert "Ideas not shown (1)" in page and "Show it after all" in page

    post(client, f"/events/{event.id}/ideas/{sent[0].id}/hide")  # taken off the screen
    post(client, f"/events/{event.id}/ideas/{sent[1].id}/approve")  # shown after all
    assert [idea.status for idea in sent] == [IdeaStatus.hidden, IdeaStatus.approved, IdeaStatus.pending]

    other = make.area()
    assert other.id is not None
    elsewhere = new_event(db, make.user(Role.facilitator, other))
    assert post(client, f"/events/{elsewhere.id}/ideas/{sent[2].id}/approve").status_code == 404
    assert post(client, f"/events/{event.id}/ideas/999999/approve").status_code == 404
    assert sent[2].status == IdeaStatus.pending


def test_the_live_threshold_is_lowered_within_bounds_and_recorded(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    user = runner(client, make, running)
    event = running.event
    url = f"/events/{event.id}/threshold"
    page = client.get(f"/events/{event.id}/console").text
    assert "Your area's threshold is 10 people" in page and "Live screens now need 10 answers" in page
    for value, agreed, message in (
        ("", "yes", "Enter how many answers the live screens need, a whole number from 3 to 9"),
        ("five", "yes", "Enter how many answers the live screens need, a whole number from 3 to 9"),
        ("2", "yes", "The live threshold must be from 3 to 9, below the area's"),
        ("10", "yes", "The live threshold must be from 3 to 9, below the area's"),
        ("5", "", "Confirm that everyone in the room is an adult and has agreed"),
    ):
        refused = post(client, url, {"threshold": value, **({"agreed": agreed} if agreed else {})})
        assert refused.status_code == 400 and errors(refused.text) == [message], value
    assert event.live_threshold is None and service.threshold_changes(db, event) == []

    assert post(client, url, {"threshold": "5", "agreed": "yes"}).status_code == 303
    assert event.live_threshold == 5
    page = client.get(f"/events/{event.id}/console").text
    assert "Live screens now show results once 5 people have answered" in page
    assert "Live screens now need 5 answers</strong>, lowered for this room." in page
    assert post(client, url, {"threshold": "area"}).status_code == 303
    assert event.live_threshold is None
    page = client.get(f"/events/{event.id}/console").text
    record = page.split("Changes to the live threshold", 1)[1].split("</table>", 1)[0]
    assert record.count(user.name) == 2 and "5 people" in record and "The area&#39;s threshold" in record
    assert [change.threshold for change in service.threshold_changes(db, event)] == [5, None]

    area = db.get(Area, running.area.id)
    assert area is not None
    area.suppression_threshold = 3
    db.commit()
    page = client.get(f"/events/{event.id}/console").text
    assert "cannot be lowered" in page and "Lower the threshold" not in page


def test_the_poll_answers_204_until_something_changes(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running)
    event = running.event
    service.start_activity(db, event, running.ideas)
    db.commit()
    live = f"/events/{event.id}/console/live"
    key = poll_key(client.get(f"/events/{event.id}/console").text)
    assert client.get(live, params={"key": key}, headers=HTMX).status_code == 204

    def changed(previous: str) -> str:
        response = client.get(live, params={"key": previous}, headers=HTMX)
        assert response.status_code == 200 and "<title>" not in response.text
        assert 'id="console-live"' in response.text
        return poll_key(response.text)

    (person,) = join_many(db, event, 1)
    db.commit()
    key = changed(key)
    assert client.get(live, params={"key": key}, headers=HTMX).status_code == 204
    idea = participation.submit_idea(db, event, running.ideas, person, "<b>Bold</b> idea", submission_key="s")
    db.commit()
    response = client.get(live, params={"key": key}, headers=HTMX)
    assert "&lt;b&gt;Bold&lt;/b&gt; idea" in response.text and "<b>Bold" not in response.text
    key = poll_key(response.text)
    service.moderate_idea(db, event, idea, IdeaStatus.approved)
    db.commit()
    key = changed(key)
    whole = client.get(live, params={"key": key})  # without htmx: the whole console
    assert whole.status_code == 200 and "<title>Console:" in whole.text


def test_the_console_shows_the_live_results_with_the_rooms_threshold(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running)
    event, rate = running.event, running.rate
    service.start_activity(db, event, rate)
    statements = participation.statements(db, rate)
    for person in join_many(db, event, 4):
        participation.submit_answers(db, event, rate, person, {s.item_id: "agree" for s in statements})
    db.commit()
    page = client.get(f"/events/{event.id}/console").text
    assert "Results appear when 10 people have answered" in page and "4 people have answered" in page
    post(client, f"/events/{event.id}/threshold", {"threshold": "4", "agreed": "yes"})
    page = client.get(f"/events/{event.id}/console").text
    assert "Results appear when" not in page and "95% interval" in page


def test_a_commissioner_runs_an_event_and_an_admin_only_looks(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    runner(client, make, running, Role.commissioner)
    event = running.event
    assert post(client, f"/events/{event.id}/activities/{running.rate.id}/start").status_code == 303
    assert running.rate.status == ActivityStatus.open
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/events")})

    client.sign_in(make.user(Role.admin))
    page = client.get(f"/events/{event.id}").text
    assert "Open the console" not in page and "End the event" not in page
    assert client.get(f"/events/{event.id}/console").status_code == 403
    assert client.get(f"/events/{event.id}/console/live", headers=HTMX).status_code == 403
    for path in (f"activities/{running.rate.id}/pause", "next", "threshold"):
        assert post(client, f"/events/{event.id}/{path}", {"threshold": "5", "agreed": "yes"}).status_code == 403
    assert running.rate.status == ActivityStatus.open and event.live_threshold is None
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/events")})

    client.sign_in(make.user(Role.facilitator))  # another area's
    assert client.get(f"/events/{event.id}/console").status_code == 404
    assert post(client, f"/events/{event.id}/activities/{running.rate.id}/close").status_code == 404
