"""An activity's results as the screens show them: counts protected like a survey's, rows with too few
answers showing nothing, priorities ranked by shown counts only, the ladder's middle rung and gap."""

import pytest
from sqlmodel import Session

from app.core.rules import RuleError
from app.events import participation, results, service
from app.events.models import ActivityStatus, IdeaStatus, Participant
from app.insights.results import ALL
from tests.events.conftest import Running, join_many


def _start(db: Session, running: Running, activity: object) -> None:
    service.start_activity(db, running.event, activity)  # type: ignore[arg-type]


def _rate(db: Session, running: Running, people: list[Participant], codes: list[str]) -> None:
    statements = participation.statements(db, running.rate)
    for person, code in zip(people, codes, strict=True):
        participation.submit_answers(
            db, running.event, running.rate, person, {statement.item_id: code for statement in statements}
        )


def _small_counts_shown(found: results.ActivityResults) -> list[int]:
    threshold = found.threshold
    shown: list[int] = []
    for item in found.items:
        for row in item.rows:
            values = [row.total, row.rated, row.positive, *(share.count for share in row.shares)]
            shown += [value for value in values if value is not None and 0 < value < threshold]
    for entry in found.ranking:
        values = [*entry.chosen, *entry.totals]
        shown += [value for value in values if value is not None and 0 < value < threshold]
    return shown


def test_nothing_is_shown_until_enough_people_have_answered(db: Session, running: Running) -> None:
    _start(db, running, running.rate)
    _rate(db, running, join_many(db, running.event, 4), ["agree"] * 4)
    found = results.live_results(db, running.event, running.rate)
    assert (found.threshold, found.answered, found.ready, found.needed) == (10, 4, False, 6)
    assert all(item.overall.total is None for item in found.items)


def test_a_room_of_consenting_adults_may_lower_the_live_threshold_but_not_the_kept_one(
    db: Session, running: Running
) -> None:
    _start(db, running, running.rate)
    _rate(db, running, join_many(db, running.event, 4), ["agree"] * 4)
    service.set_live_threshold(db, running.event, 3, area_threshold=10, user_id=None)
    live = results.live_results(db, running.event, running.rate)
    assert live.ready and live.items[0].overall.positive == 4
    kept = results.kept_results(db, running.event, running.rate)
    assert not kept.ready and kept.items[0].overall.total is None


def test_rated_statements_are_protected_like_a_survey(db: Session, running: Running) -> None:
    _start(db, running, running.rate)
    people = join_many(db, running.event, 10, "parent_carer") + join_many(db, running.event, 3, "professional")
    _rate(db, running, people, ["agree"] * 11 + ["disagree"] * 2)
    found = results.live_results(db, running.event, running.rate, by_group=True)
    assert found.ready and [label for _, label in found.rows] == ["Everyone", "Parent carers", "Professionals"]
    room = found.items[0].overall
    assert room.total == 13
    assert next(share for share in room.shares if share.code == "disagree").count is None
    professionals = found.items[0].rows[2]
    assert professionals.total is None  # three people: the group shows nothing
    assert _small_counts_shown(found) == []


def test_a_changed_answer_replaces_the_old_one(db: Session, running: Running) -> None:
    _start(db, running, running.rate)
    people = join_many(db, running.event, 10)
    _rate(db, running, people, ["agree"] * 10)
    _rate(db, running, people, ["strongly_agree"] * 10)
    found = results.live_results(db, running.event, running.rate)
    shares = {share.code: share.count for share in found.items[0].overall.shares}
    assert found.answered == 10 and shares["strongly_agree"] == 10 and shares["agree"] == 0


def test_priorities_are_ranked_by_shown_counts_and_a_hidden_count_has_no_rank(db: Session, running: Running) -> None:
    _start(db, running, running.prioritise)
    statements = [statement.item_id for statement in participation.statements(db, running.prioritise)]
    first, second, third = statements[:3]
    people = join_many(db, running.event, 24)
    for index, person in enumerate(people):
        # 24 choose the first; 12 the second and 12 the third; nobody else; then one person swaps to the fourth.
        picks = {first: participation.CHOSEN, (second if index % 2 else third): participation.CHOSEN}
        participation.submit_answers(db, running.event, running.prioritise, person, picks)
    participation.submit_answers(
        db,
        running.event,
        running.prioritise,
        people[0],
        {first: participation.CHOSEN, statements[3]: participation.CHOSEN},
    )
    found = results.live_results(db, running.event, running.prioritise)
    ranking = [(entry.item_id, entry.rank, entry.chosen[0]) for entry in found.ranking]
    assert ranking[0] == (first, 1, 24)
    assert ranking[1][1:] == (2, 12) and ranking[2][1:] == (3, 11)  # the third lost one to the fourth
    assert (statements[4], 4, 0) in ranking
    hidden = [entry for entry in found.ranking if entry.chosen[0] is None]
    assert [entry.item_id for entry in hidden] == [statements[3]] and hidden[0].rank is None
    assert found.ranking[-1].item_id == statements[3]
    assert _small_counts_shown(found) == []


def test_more_priorities_than_allowed_are_refused(db: Session, running: Running) -> None:
    _start(db, running, running.prioritise)
    statements = [statement.item_id for statement in participation.statements(db, running.prioritise)]
    (person,) = join_many(db, running.event, 1)
    with pytest.raises(RuleError, match="no more than 2"):
        participation.submit_answers(
            db, running.event, running.prioritise, person, dict.fromkeys(statements[:3], participation.CHOSEN)
        )


def test_the_ladder_gives_the_middle_rung_and_the_gap(db: Session, running: Running) -> None:
    _start(db, running, running.ladder)
    statements = participation.statements(db, running.ladder)
    now, should_be = (statement.item_id for statement in statements)
    for person in join_many(db, running.event, 12):
        participation.submit_answers(
            db, running.event, running.ladder, person, {now: "consulting", should_be: "collaborating"}
        )
    found = results.live_results(db, running.event, running.ladder)
    assert [question.name for question in found.ladder] == ["Now", "Should be"]
    assert found.ladder[0].text == "Where is the partnership board on the ladder now?"
    assert [question.rows[0].middle.words for question in found.ladder] == ["Consulting", "Collaborating"]
    assert found.gaps[0].rungs == 2 and "higher than now" in found.gaps[0].words


def test_only_approved_ideas_are_shown(db: Session, running: Running) -> None:
    _start(db, running, running.ideas)
    first, second = join_many(db, running.event, 2)
    kept = participation.submit_idea(
        db, running.event, running.ideas, first, "More  drop-in\nsessions", submission_key="a"
    )
    participation.submit_idea(db, running.event, running.ideas, second, "Something unkind", submission_key="b")
    assert results.live_results(db, running.event, running.ideas).ideas == ()
    service.moderate_idea(db, running.event, kept, IdeaStatus.approved)
    found = results.live_results(db, running.event, running.ideas)
    assert found.ideas == ("More drop-in sessions",) and found.answered == 2 and found.ready


def test_results_read_the_same_after_the_activity_closes(db: Session, running: Running) -> None:
    _start(db, running, running.rate)
    _rate(db, running, join_many(db, running.event, 10), ["agree"] * 10)
    service.set_activity_status(db, running.event, running.rate, ActivityStatus.closed)
    found = results.kept_results(db, running.event, running.rate)
    assert found.items[0].overall.positive == 10 and found.rows == ((ALL, "Everyone"),)
