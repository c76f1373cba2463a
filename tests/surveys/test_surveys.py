import re
from datetime import date, timedelta

from sqlmodel import Session, select

from app.accounts.models import Role
from app.instruments.models import Instrument
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Survey
from app.surveys.service import access_code_matches, waves
from tests.conftest import CheckedClient, Factory
from tests.instruments.test_parsing import GOOD

TODAY = date.today()


def _bank(db: Session, text: str = GOOD) -> Instrument:
    instrument = store_instrument(db, parse_instrument(text), source="statements").instrument
    db.commit()
    return instrument


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {}
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def _post(client: CheckedClient, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/surveys")
    return client.post(url, data={"csrf_token": token, **data})


def valid(instrument: Instrument, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "How are things? Spring",
        "instrument_id": str(instrument.id),
        "audiences": ["parent_carers", "young_people"],
        **_date("opens_on", TODAY),
        **_date("closes_on", TODAY + timedelta(days=30)),
        "cycle_stage": "understand",
        "layout": "theme",
        "about_you": ["group", "locality"],
        "localities": "North\nSouth\n",
        "access_code": "Forum27",
        "privacy_note": "Only the forum sees free text.",
        "retention_days": "730",
    }
    data.update(changes)
    return data


def test_a_facilitator_sets_up_a_baseline_survey(client: CheckedClient, make: Factory, db: Session) -> None:
    instrument = _bank(db)
    area = make.area()
    client.sign_in(make.user(Role.facilitator, area))
    response = _post(client, "/surveys/new", valid(instrument))
    assert response.status_code == 303, response.text
    survey = db.exec(select(Survey)).one()
    assert response.headers["location"] == f"/surveys/{survey.id}"
    assert (survey.area_id, survey.wave, survey.layout.value, survey.localities) == (
        area.id,
        1,
        "theme",
        ["North", "South"],
    )
    assert survey.audiences == ["parent_carers", "young_people"] and survey.about_you == ["group", "locality"]
    assert re.fullmatch(r"[2-9a-hjkmnp-z]{8}", survey.public_code)
    assert survey.access_code_hash and "Forum27" not in survey.access_code_hash
    page = client.get(response.headers["location"]).text
    assert "Survey How are things? Spring set up." in page and "Baseline" in page and "Open" in page
    assert "Needed to start" in page and "2 years" in page
    assert "How are things? Spring" in client.get("/surveys").text


def test_access_codes_ignore_case_and_spaces(client: CheckedClient, make: Factory, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    instrument = _bank(db)
    client.sign_in(make.user(Role.commissioner))
    _post(client, "/surveys/new", valid(instrument))
    survey = db.exec(select(Survey)).one()
    secret = app.state.secret_key
    assert access_code_matches(survey, " forum27 ", secret)
    assert not access_code_matches(survey, "forum28", secret)


def test_bad_survey_details_are_explained_and_nothing_is_stored(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    instrument = _bank(db)
    other = make.area()
    theirs = store_instrument(
        db, parse_instrument(GOOD.replace("key: sample", "key: theirs")), source="upload", area_id=other.id
    ).instrument
    db.commit()
    client.sign_in(make.user(Role.facilitator))
    cases = [
        (valid(instrument, title=""), "Enter a title"),
        (valid(instrument, title="t" * 201), "200 characters or fewer"),
        (valid(instrument, instrument_id=""), "Select a questionnaire from the list"),
        (valid(instrument, instrument_id=str(theirs.id)), "Select a questionnaire from the list"),
        (valid(instrument, instrument_id="999999"), "Select a questionnaire from the list"),
        (valid(instrument, audiences=[]), "Select who the survey is for"),
        (
            valid(instrument, **{"opens_on-day": "", "opens_on-month": "", "opens_on-year": ""}),
            "Enter the opening date",
        ),
        (valid(instrument, **{"opens_on-day": "31", "opens_on-month": "2"}), "must be a real date"),
        (valid(instrument, **_date("closes_on", TODAY - timedelta(days=1))), "same as or after the opening date"),
        (valid(instrument, localities=""), "List the localities"),
        (valid(instrument, localities="x" * 81), "80 characters or fewer"),
        (valid(instrument, access_code="abc"), "4 characters or more"),
        (valid(instrument, cycle_stage="dream"), "Select what the survey is for"),
        (valid(instrument, layout="grid"), "Select how the questions are set out"),
        (valid(instrument, retention_days="99999"), "Select how long to keep answers"),
    ]
    for data, message in cases:
        response = _post(client, "/surveys/new", data)
        assert response.status_code == 400, message
        assert message in response.text.replace("&#39;", "'"), message
    assert db.exec(select(Survey)).first() is None


def test_follow_up_waves_keep_the_questionnaire(client: CheckedClient, make: Factory, db: Session) -> None:
    instrument = _bank(db)
    newer = _bank(db, GOOD.replace("version: 1", "version: 2").replace("I feel heard.", "I am heard."))
    different = _bank(db, GOOD.replace("key: sample", "key: different"))
    area = make.area()
    baseline = make.survey(area.id, instrument.id, title="Baseline")
    client.sign_in(make.user(Role.facilitator, area))
    form = client.get(f"/surveys/new?previous={baseline.id}").text
    assert "This follow-up comes after" in form and f'value="{instrument.id}" selected' in form

    refused = _post(client, f"/surveys/new?previous={baseline.id}", valid(different, title="Later"))
    assert refused.status_code == 400 and "same questionnaire as the wave before" in refused.text
    response = _post(client, f"/surveys/new?previous={baseline.id}", valid(newer, title="Follow-up"))
    assert response.status_code == 303
    follow_up = db.exec(select(Survey).where(Survey.title == "Follow-up")).one()
    assert (follow_up.wave, follow_up.previous_survey_id) == (2, baseline.id)
    assert [survey.id for survey in waves(db, baseline)] == [baseline.id, follow_up.id]
    page = client.get(f"/surveys/{follow_up.id}").text
    assert "Follow-up 1" in page and f'href="/surveys/{baseline.id}">Baseline</a>' in page


def test_close_and_reopen(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    survey = make.survey(area.id, _bank(db).id, closes_on=TODAY + timedelta(days=5))
    client.sign_in(make.user(Role.commissioner, area))
    page = f"/surveys/{survey.id}"
    assert client.submit(f"{page}/close", {}, token_from=page).status_code == 303
    db.refresh(survey)
    assert survey.state(TODAY) == "closed"
    assert "Reopen the survey" in client.get(page).text
    past = client.submit(f"{page}/reopen", _date("closes_on", TODAY - timedelta(days=1)), token_from=page)
    assert past.status_code == 400 and "today or later" in past.text
    assert (
        client.submit(f"{page}/reopen", _date("closes_on", TODAY + timedelta(days=9)), token_from=page).status_code
        == 303
    )
    db.refresh(survey)
    assert survey.state(TODAY) == "open" and survey.closes_on == TODAY + timedelta(days=9)


def test_states_follow_the_dates() -> None:
    survey = Survey(opens_on=TODAY + timedelta(days=1), closes_on=TODAY + timedelta(days=3))
    assert survey.state(TODAY) == "not_open"
    assert survey.state(TODAY + timedelta(days=2)) == "open"
    assert survey.state(TODAY + timedelta(days=4)) == "closed"


def test_staff_see_their_own_areas_surveys_only(client: CheckedClient, make: Factory, db: Session) -> None:
    instrument = _bank(db)
    own, other = make.area(), make.area()
    make.survey(own.id, instrument.id, title="Ours")
    theirs = make.survey(other.id, instrument.id, title="Theirs")
    client.sign_in(make.user(Role.commissioner, own))
    listing = client.get("/surveys").text
    assert "Ours" in listing and "Theirs" not in listing
    assert client.get(f"/surveys/{theirs.id}").status_code == 404
    assert client.get(f"/surveys/new?previous={theirs.id}").status_code == 404
