"""An event's kept results: the results page (everyone, or by group with a small group hidden), the summary
to share with the people who came and its CSV, all with the area's threshold whatever the room used live;
ideas never shown before approval; another area's event not found."""

import csv
import io
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.accounts.models import Role, User
from app.events import participation, service
from app.events.models import Idea, IdeaStatus, Participant
from tests.conftest import CheckedClient, Factory
from tests.events.conftest import Running, join_many

FORMULA = '=HYPERLINK("http://example.com","Click me")'


@dataclass
class Held:
    """A workshop that has happened: 20 parent carers and 3 professionals answered everything."""

    running: Running
    facilitator: User
    approved: Idea
    pending: Idea
    hidden: Idea


@pytest.fixture
def held(db: Session, make: Factory, running: Running) -> Held:
    event = running.event
    facilitator = make.user(Role.facilitator, running.area)
    carers = join_many(db, event, 20, "parent_carer")
    professionals = join_many(db, event, 3, "professional")
    everyone = carers + professionals
    # The room agreed to see small groups live; the record says who lowered it.
    service.set_live_threshold(db, event, 3, area_threshold=10, user_id=facilitator.id)

    service.start_activity(db, event, running.rate)
    for index, person in enumerate(everyone):
        code = "agree" if index < 13 else "disagree"
        _answer(
            db, running, running.rate, person, {s.item_id: code for s in participation.statements(db, running.rate)}
        )

    service.start_activity(db, event, running.prioritise)
    first, second, third, *_ = [s.item_id for s in participation.statements(db, running.prioritise)]
    for index, person in enumerate(everyone):
        picks = [first, second] if index < 13 else [first, third]
        _answer(db, running, running.prioritise, person, dict.fromkeys(picks, participation.CHOSEN))

    service.start_activity(db, event, running.ladder)
    now, should_be = (s.item_id for s in participation.statements(db, running.ladder))
    for person in everyone:
        _answer(db, running, running.ladder, person, {now: "consulting", should_be: "collaborating"})

    service.start_activity(db, event, running.ideas)
    approved = participation.submit_idea(db, event, running.ideas, carers[0], FORMULA, submission_key="a" * 32)
    pending = participation.submit_idea(db, event, running.ideas, carers[1], "Still pending", submission_key="b" * 32)
    hidden = participation.submit_idea(db, event, running.ideas, carers[2], "Kept back", submission_key="c" * 32)
    service.moderate_idea(db, event, approved, IdeaStatus.approved)
    service.moderate_idea(db, event, hidden, IdeaStatus.hidden)
    service.end_event(db, event)
    db.commit()
    return Held(running, facilitator, approved, pending, hidden)


def _answer(db: Session, running: Running, activity: object, person: Participant, choices: dict[int, str]) -> None:
    participation.submit_answers(db, running.event, activity, person, choices)  # type: ignore[arg-type]


def _signed_in(client: CheckedClient, make: Factory, held: Held, role: Role = Role.commissioner) -> None:
    client.sign_in(make.user(role, held.running.area))


def test_the_results_page_shows_every_activity_in_order_with_the_areas_threshold(
    client: CheckedClient, make: Factory, held: Held
) -> None:
    _signed_in(client, make, held)
    html = client.get(f"/events/{held.running.event.id}/results").text
    titles = ["How is it going?", "What matters most?", "Where are we?", "What one thing would help?"]
    positions = [html.index(f"</span>{title}</h2>") for title in titles]
    assert positions == sorted(positions)
    assert "23 people joined" in html and "groups of fewer than 10 people are hidden" in html
    assert '<strong aria-current="true">Everyone</strong>' in html
    assert f'href="/events/{held.running.event.id}/results?by=group">Break down by group</a>' in html
    # The rating: 13 of 23 agreed (57%); the priorities with their intervals.
    assert "57%" in html and "37% to 74%" in html
    assert "13 of 23 (57%)" in html and "95% interval: 37% to 74%" in html
    # The ladder: middle rungs and the gap.
    assert "Consulting" in html and "Collaborating" in html and "higher than now" in html
    # The methods, with the record of the live threshold.
    assert "How we worked these out" in html and "Positive means strongly agree or agree" in html
    assert f"lowered to 3, by {held.facilitator.name}" in html
    assert "never to this page" in html


def test_broken_down_by_group_a_small_group_shows_nothing(client: CheckedClient, make: Factory, held: Held) -> None:
    _signed_in(client, make, held, Role.facilitator)
    html = client.get(f"/events/{held.running.event.id}/results?by=group").text
    assert '<strong aria-current="true">Break down by group</strong>' in html
    assert f'href="/events/{held.running.event.id}/results">Everyone</a>' in html
    rate = html.split("How is it going?</h2>")[1].split("What matters most?</h2>")[0]
    professionals = rate.split('<th scope="row" class="govuk-table__header">Professionals</th>')[1].split("</tr>")[0]
    assert "Too few to show" in professionals and "%" not in professionals
    # Three professionals: the parent carers' row would give them away (23 less 20), so it is hidden too,
    # while everyone's row stays as it is on the page without the breakdown.
    carers = rate.split('<th scope="row" class="govuk-table__header">Parent carers</th>')[1].split("</tr>")[0]
    assert "Too few to show" in carers
    assert "57%" in rate and "Chosen by (Parent carers)" in html


def test_a_room_below_the_threshold_shows_nothing_on_the_results_page(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    service.set_live_threshold(db, running.event, 3, area_threshold=10, user_id=None)
    service.start_activity(db, running.event, running.rate)
    for person in join_many(db, running.event, 4):
        _answer(
            db, running, running.rate, person, {s.item_id: "agree" for s in participation.statements(db, running.rate)}
        )
    db.commit()
    client.sign_in(make.user(Role.facilitator, running.area))
    html = client.get(f"/events/{running.event.id}/results").text
    assert "Results appear when 10 people have answered" in html and "100%" not in html
    assert "This activity was not run." in html  # the three never started
    summary = client.get(f"/events/{running.event.id}/summary").text
    assert "too few to show results" in summary and "100%" not in summary
    rows = _csv(client, running.event.id)
    assert ["1. How is it going?", rows[2][1], "Everyone", "people who answered", "hidden", ""] in rows


def test_ideas_are_never_shown_before_approval_on_any_page(client: CheckedClient, make: Factory, held: Held) -> None:
    _signed_in(client, make, held)
    event_id = held.running.event.id
    pages = [client.get(f"/events/{event_id}/{page}").text for page in ("results", "results?by=group", "summary")]
    pages.append(client.get(f"/events/{event_id}/summary.csv").text)
    for text in pages:
        assert "Still pending" not in text and "Kept back" not in text
    assert "2 ideas are not shown" in pages[0]


def test_the_summary_tells_the_families_what_the_room_said(client: CheckedClient, make: Factory, held: Held) -> None:
    _signed_in(client, make, held)
    html = client.get(f"/events/{held.running.event.id}/summary").text
    assert '<h1 class="govuk-heading-l">Spring workshop</h1>' in html
    assert "23 people took part" in html and "Print command" in html
    assert "57% chose strongly agree or agree (13 of the 23 people who gave a rating)" in html
    ranking = html.split('app-summary__ranking">')[1].split("</ul>")[0]
    assert [ranking.index(f"Chosen by {n} of 23 people") for n in (23, 13, 10)] == sorted(
        ranking.index(f"Chosen by {n} of 23 people") for n in (23, 13, 10)
    )
    assert "<strong>1.</strong>" in ranking and ranking.count("<strong>4 (joint).</strong>") == 2
    assert "Now: Consulting" in html and "Should be: Collaborating" in html and "The gap: 2 rungs higher" in html
    assert "=HYPERLINK(&#34;http://example.com&#34;,&#34;Click me&#34;)" in html  # escaped text, never a link
    assert "app-summary" in html


def _csv(client: CheckedClient, event_id: int | None) -> list[list[str]]:
    response = client.get(f"/events/{event_id}/summary.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="event-{event_id}-summary.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_summary_csv_holds_the_same_figures_with_formulas_defused(
    client: CheckedClient, make: Factory, held: Held
) -> None:
    _signed_in(client, make, held)
    rows = _csv(client, held.running.event.id)
    assert rows[0] == ["activity", "statement", "row", "measure", "value", "n"]
    assert ["4. What one thing would help?", "", "Everyone", "approved idea", "'" + FORMULA, ""] in rows
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert [
        "4. What one thing would help?",
        "",
        "Everyone",
        "ideas not shown (waiting for approval or hidden)",
        "2",
        "",
    ] in rows
    rate = [row for row in rows if row[0] == "1. How is it going?"]
    everyone = [row for row in rate if row[2] == "Everyone" and row[3] == "% positive"]
    assert len(everyone) == 3 and all(row[4:] == ["57", "23"] for row in everyone)
    professionals = [row for row in rate if row[2] == "Professionals" and not row[3].startswith("answer:")]
    assert professionals and all(row[4] == "hidden" for row in professionals)
    assert ["1. How is it going?", "", "Everyone", "people who answered the activity", "23", ""] in rate
    ladder = [row for row in rows if row[0] == "3. Where are we?"]
    assert any(row[3] == "middle rung" and row[4] == "Consulting" and row[2] == "Everyone" for row in ladder)
    assert [
        "3. Where are we?",
        "Gap between now and where it should be",
        "Everyone",
        "gap",
        "2 rungs higher than now",
        "",
    ] in ladder
    priorities = [row for row in rows if row[0] == "2. What matters most?" and row[3] in ("chosen by", "rank")]
    assert [row[4:] for row in priorities if row[2] == "Everyone"][:4] == [
        ["1", ""],
        ["23", "23"],
        ["2", ""],
        ["13", "23"],
    ]
    # Nothing between 1 and the threshold is ever written as a count.
    counts = [row[4] for row in rows if row[3].startswith(("answer:", "chosen by", "rung:"))]
    assert not [value for value in counts if value.isdigit() and 0 < int(value) < 10]


def test_another_areas_event_is_not_found(client: CheckedClient, make: Factory, held: Held) -> None:
    client.sign_in(make.user(Role.commissioner, make.area()))
    for page in ("results", "summary", "summary.csv"):
        assert client.get(f"/events/{held.running.event.id}/{page}").status_code == 404
