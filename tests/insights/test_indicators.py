"""Quality indicators and the SEND dashboard: defining them (commissioners only), their values against
Wilson's interval written out here, status in words, trends over waves, one count per survey, tenancy."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.areas.models import Area
from app.core.rules import RuleError
from app.insights import indicators
from app.insights.models import Indicator
from app.insights.stats import wilson
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Survey
from tests.conftest import CheckedClient, Factory
from tests.insights.test_waves import VERSION_1, VERSION_2, instrument, respond, summary, wilson_interval
from tests.surveys.test_journey import errors

TODAY = date.today()


def whole(fraction: float) -> str:
    """A fraction as the page writes it: a whole percentage, as the results pages print it."""
    return f"{fraction * 100:.0f}%"


def shown(k: int, n: int) -> tuple[str, str]:
    """The percentage and the 95% interval as the dashboard writes them."""
    low, high = wilson_interval(k, n)
    return whole(k / n), f"{whole(low)} to {whole(high)}"


def details(**changes: object) -> indicators.IndicatorDetails:
    values: dict[str, object] = {
        "title": "Finding support",
        "instrument_key": "waves-sample",
        "item_key": "a",
        "theme_key": None,
        "group": None,
        "target_percent": 70,
        "amber_percent": 60,
        "tags": [],
    }
    values.update(changes)
    return indicators.IndicatorDetails(**values)  # type: ignore[arg-type]


def add(db: Session, area: Area, **changes: object) -> Indicator:
    assert area.id is not None
    indicator = indicators.create_indicator(db, area.id, details(**changes), user_id=None)
    db.commit()
    return indicator


def waves_of(db: Session, make: Factory, area: Area, *, about_you: list[str] | None = None) -> tuple[Survey, Survey]:
    """A baseline (version 1, a year ago) and a follow-up (version 2, today) of the same questionnaire."""
    first, second = instrument(db), instrument(db, VERSION_2)
    assert area.id is not None and first.id is not None and second.id is not None
    asked = {"about_you": about_you or []}
    baseline = make.survey(area.id, first.id, title="Spring", opens_on=TODAY - timedelta(days=365), **asked)
    follow_up = make.survey(area.id, second.id, title="Autumn", wave=2, previous_survey_id=baseline.id, **asked)
    return baseline, follow_up


def card(page: str, indicator: Indicator) -> str:
    """One indicator's summary card on the dashboard, as whitespace-collapsed HTML."""
    flat = html.unescape(re.sub(r"\s+", " ", page))
    match = re.search(rf'id="indicator-{indicator.id}">(.*?)(?=<div class="govuk-summary-card" id=|</main>)', flat)
    assert match, f"no card for indicator {indicator.id}"
    return match.group(1)


def dashboard(client: CheckedClient, query: str = "") -> str:
    response = client.get(f"/dashboard{query}")
    assert response.status_code == 200, response.text
    return response.text


# Defining indicators


def test_a_commissioner_adds_an_indicator_through_the_form(client: CheckedClient, db: Session, make: Factory) -> None:
    instrument(db)
    area = make.area()
    client.sign_in(make.user(Role.commissioner, area))
    page = client.get("/dashboard/indicators/new?questionnaire=waves-sample").text
    assert '<option value="theme:info">Finding information: the whole theme</option>' in page
    assert '<option value="item:a">Finding information: I know where to find support.</option>' in page
    assert '<input type="hidden" name="questionnaire" value="waves-sample">' in page
    form = {
        "questionnaire": "waves-sample",
        "title": "% of parent carers who know where to find support",
        "measure": "item:a",
        "group": "parent_carer",
        "target_percent": "75%",  # a typed % sign is fine
        "amber_percent": " 60 ",
    }
    token = client.csrf_token("/dashboard/indicators/new")
    response = client.post(
        "/dashboard/indicators/new",
        data={**form, "tags": ["local-offer:accessible", "pfa:employment"], "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    made = db.exec(select(Indicator)).one()
    assert response.headers["location"] == f"/dashboard#indicator-{made.id}"
    assert (made.area_id, made.instrument_key, made.item_key, made.theme_key, made.group) == (
        area.id,
        "waves-sample",
        "a",
        None,
        "parent_carer",
    )
    assert (made.target_percent, made.amber_percent) == (75, 60)
    assert made.tags == ["pfa:employment", "local-offer:accessible"]  # in the list's order
    page = dashboard(client)
    assert "Indicator % of parent carers who know where to find support added." in page
    assert "No value yet" in card(page, made)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": " "}, "title", "Enter a title"),
        ({"measure": ""}, "measure", "Select a statement or a theme"),
        ({"measure": "item:no-such-statement"}, "measure", "Select a statement or a theme from the list"),
        ({"measure": "theme:plans"}, None, None),
        ({"group": "martians"}, "group", "Select who the indicator counts"),
        ({"target_percent": ""}, "target_percent", "Enter the target"),
        ({"target_percent": "seventy"}, "target_percent", "The target must be a whole number, like 10"),
        ({"target_percent": "101"}, "target_percent", "The target must be between 0 and 100"),
        ({"amber_percent": "80"}, "amber_percent", "The amber level must be the same as the target or lower"),
        ({"questionnaire": "someone-elses"}, "questionnaire", "Select a questionnaire from the list"),
        ({"tags": "pfa:flying"}, "tags", "Select tags from the list"),
    ],
)
def test_the_form_says_what_is_wrong(
    client: CheckedClient,
    db: Session,
    make: Factory,
    change: dict[str, str],
    field: str | None,
    message: str | None,
) -> None:
    instrument(db)
    area = make.area()
    client.sign_in(make.user(Role.commissioner, area))
    form = {
        "questionnaire": "waves-sample",
        "title": "Plans",
        "measure": "item:d",
        "group": "everyone",
        "target_percent": "70",
        "amber_percent": "60",
        **change,
    }
    response = client.submit("/dashboard/indicators/new", form)
    if field is None:
        assert response.status_code == 303
        assert db.exec(select(Indicator.theme_key)).one() == "plans"
        return
    assert response.status_code == 400
    assert errors(response.text) == [message]
    assert f'href="#{field}"' in response.text and f'id="{field}"' in response.text
    assert response.text.count("<title>Error: ") == 1
    assert db.exec(select(Indicator)).first() is None


def test_another_areas_own_questionnaire_cannot_be_followed(client: CheckedClient, db: Session, make: Factory) -> None:
    area, other = make.area(), make.area()
    assert other.id is not None
    store_instrument(
        db, parse_instrument(VERSION_1.replace("waves-sample", "theirs")), source="upload", area_id=other.id
    )
    db.commit()
    assert area.id is not None
    with pytest.raises(RuleError, match="questionnaire"):
        indicators.create_indicator(db, area.id, details(instrument_key="theirs"), user_id=None)
    client.sign_in(make.user(Role.commissioner, area))
    assert client.get("/dashboard/indicators/new?questionnaire=theirs").status_code == 404


def test_a_commissioner_changes_and_deletes_an_indicator(client: CheckedClient, db: Session, make: Factory) -> None:
    instrument(db)
    area = make.area()
    indicator = add(db, area, title="Old title", tags=["inspection:participation"])
    client.sign_in(make.user(Role.commissioner, area))
    page = client.get(f"/dashboard/indicators/{indicator.id}/edit").text
    assert 'value="Old title"' in page and '<option value="item:a" selected>' in page
    assert 'value="inspection:participation" checked' in page
    changed = {
        "questionnaire": "waves-sample",
        "title": "New title",
        "measure": "theme:info",
        "group": "everyone",
        "target_percent": "80",
        "amber_percent": "80",
    }
    response = client.submit(f"/dashboard/indicators/{indicator.id}/edit", changed)
    assert response.status_code == 303
    db.refresh(indicator)
    assert (indicator.title, indicator.item_key, indicator.theme_key, indicator.amber_percent) == (
        "New title",
        None,
        "info",
        80,
    )
    assert indicator.tags == []
    confirm = client.get(f"/dashboard/indicators/{indicator.id}/delete").text
    assert "Delete this indicator?" in confirm and "New title" in confirm
    response = client.submit(f"/dashboard/indicators/{indicator.id}/delete", {})
    assert (response.status_code, response.headers["location"]) == (303, "/dashboard")
    assert db.exec(select(Indicator)).first() is None
    assert "Indicator New title deleted." in dashboard(client)


def test_facilitators_and_admins_see_indicators_but_do_not_define_them(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    instrument(db)
    area = make.area()
    indicator = add(db, area, title="Knowing where to go")
    client.sign_in(make.user(Role.facilitator, area))
    page = dashboard(client)
    assert "Knowing where to go" in page and "Add an indicator" not in page and "/edit" not in page
    assert client.get("/dashboard/indicators/new").status_code == 403
    client.cookies.clear()
    client.sign_in(make.user(Role.admin))
    assert "Choose an area to see its dashboard." in dashboard(client)
    assert "Choose an area to see its dashboard." in dashboard(client, "?area=&tag=")  # the form's empty choice
    assert client.get("/dashboard?area=north").status_code == 404
    page = dashboard(client, f"?area={area.id}")
    assert "Knowing where to go" in card(page, indicator) and "Add an indicator" not in page
    assert client.get(f"/dashboard/indicators/{indicator.id}/edit").status_code == 403


def test_another_areas_staff_never_see_its_indicators(client: CheckedClient, db: Session, make: Factory) -> None:
    instrument(db)
    area, other = make.area(), make.area()
    theirs = add(db, other, title="Their secret indicator")
    add(db, area, title="Our indicator")
    client.sign_in(make.user(Role.commissioner, area))
    page = dashboard(client)
    assert "Our indicator" in page and "Their secret indicator" not in page
    assert client.get(f"/dashboard?area={other.id}").status_code == 404
    assert client.get(f"/dashboard?area={area.id}").status_code == 200
    for path in ("edit", "delete"):
        assert client.get(f"/dashboard/indicators/{theirs.id}/{path}").status_code == 404
        assert (
            client.submit(f"/dashboard/indicators/{theirs.id}/{path}", {}, token_from="/dashboard").status_code == 404
        )
    assert db.get(Indicator, theirs.id) is not None


# The dashboard's values


def test_the_latest_value_with_its_interval_status_and_trend(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = waves_of(db, make, area)
    respond(db, baseline, 15, {"a": "agree"})
    respond(db, baseline, 25, {"a": "disagree"})
    respond(db, baseline, 10, {"a": "dont_know"})  # counted, not in the denominator
    respond(db, follow_up, 35, {"a": "strongly_agree"})
    respond(db, follow_up, 15, {"a": "neither"})
    on_target = add(db, area, title="On", target_percent=70, amber_percent=60, tags=["pfa:community"])
    close = add(db, area, title="Close", target_percent=75, amber_percent=70)
    below = add(db, area, title="Below", target_percent=90, amber_percent=71)
    client.sign_in(make.user(Role.facilitator, area))
    page = dashboard(client)
    percent, interval = shown(35, 50)
    rows = summary(card(page, on_target))
    assert rows["Latest value"].startswith(f"{percent} (95% interval {interval}), from 50 people")
    assert rows["From"] == f"Autumn (follow-up 1), opened {TODAY.strftime('%-d %B %Y')}"
    assert rows["Target"] == "70%, close to target from 60%"
    assert rows["Follows"] == "I know where to find support."
    assert (
        rows["Whose answers"] == "Everyone"
        and rows["Tags"] == "Preparing for Adulthood: Friends, relationships and community"
    )
    assert {
        name: summary(card(page, value))["Status"]
        for name, value in [("on", on_target), ("close", close), ("below", below)]
    } == {
        "on": "On target",
        "close": "Close to target",
        "below": "Below target",
    }
    assert "On target: 1" in page and "Close to target: 1" in page and "Below target: 1" in page
    # The trend: both waves in a table, and a chart named in words.
    trend = card(page, on_target)
    earlier_percent, earlier_interval = shown(15, 40)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", trend.split("<tbody", 1)[1])
    earlier_date = (TODAY - timedelta(days=365)).strftime("%-d %b %Y")
    assert cells == [
        f'Baseline, {earlier_date}<br><span class="govuk-body-s app-secondary-text">Spring</span>',
        f"{earlier_percent} ({earlier_interval})",
        "40",
        f'Follow-up 1, {TODAY.strftime("%-d %b %Y")}<br><span class="govuk-body-s app-secondary-text">Autumn</span>',
        f"{percent} ({interval})",
        "50",
    ]
    assert (
        f"Trend over 2 waves: Baseline {earlier_percent}, Follow-up 1 {percent}. The dashed line is the target, 70%."
        in trend
    )
    # 70% with an interval of about 56% to 81%: the target is inside it, and the page says so.
    assert "The target is inside the interval" in rows["Latest value"]


def test_the_status_is_judged_on_the_percentage_as_shown() -> None:
    """5 of 8 is 62.5%, printed as 62% (as the results pages print it): on a target of 62, not of 63."""
    indicator = Indicator(
        area_id=1, title="T", instrument_key="k", item_key="a", target_percent=62, amber_percent=50, tags=[]
    )
    value = indicators.IndicatorValue(indicator, "Q", "M", (indicators.WaveValue(Survey(), wilson(5, 8)),))
    assert (indicators.whole_percent(5 / 8), value.status) == (62, indicators.Status.on_target)
    indicator.target_percent = 63
    assert value.status == indicators.Status.close
    indicator.amber_percent = 63
    assert value.status == indicators.Status.below


def test_a_hidden_latest_wave_falls_back_to_the_last_shown_one(db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = waves_of(db, make, area)
    respond(db, baseline, 20, {"a": "agree"})
    respond(db, baseline, 20, {"a": "disagree"})
    respond(db, follow_up, 30, {"a": "agree"})
    respond(db, follow_up, 4, {"a": "disagree"})  # four people: hidden, and so is everything that gives them away
    indicator = add(db, area)
    (value,) = indicators.dashboard(db, area, tag=None, today=TODAY).indicators
    assert value.latest is not None and value.latest.survey.id == baseline.id
    assert value.latest.proportion is not None and (value.latest.proportion.k, value.latest.proportion.n) == (20, 40)
    assert [wave.reason for wave in value.waves] == [None, indicators.HIDDEN]
    assert value.status == indicators.Status.below and value.indicator.id == indicator.id


def test_theme_indicators_count_people_mostly_positive(db: Session, make: Factory) -> None:
    area = make.area()
    _, follow_up = waves_of(db, make, area)
    respond(db, follow_up, 12, {"a": "agree", "b": "agree", "c": "disagree"})  # 2 of 3: positive
    respond(db, follow_up, 10, {"a": "agree", "b": "disagree", "c": "disagree"})  # 1 of 3: not
    respond(db, follow_up, 15, {"a": "strongly_agree", "b": "agree", "c": "agree"})  # positive
    respond(db, follow_up, 10, {"a": "dont_know", "b": "dont_know", "c": "dont_know"})  # rated nothing
    respond(db, follow_up, 11, {"a": "agree", "b": "disagree", "c": "dont_know"})  # 1 of 2 is not more than half
    add(db, area, item_key=None, theme_key="info", target_percent=50, amber_percent=40)
    (value,) = indicators.dashboard(db, area, tag=None, today=TODAY).indicators
    assert value.latest is not None and value.latest.proportion is not None
    proportion = value.latest.proportion
    assert (proportion.k, proportion.n) == (27, 48)
    assert (proportion.low, proportion.high) == pytest.approx(wilson_interval(27, 48), abs=1e-12)
    assert value.measure == "Finding information" and value.status == indicators.Status.on_target


def test_a_group_indicator_uses_that_groups_row(db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = waves_of(db, make, area, about_you=["group"])
    parents, young = {"group": "parent_carer"}, {"group": "young_person"}
    for survey in (baseline, follow_up):
        respond(db, survey, 12, {"a": "agree"}, parents)
        respond(db, survey, 18, {"a": "disagree"}, parents)
        respond(db, survey, 20, {"a": "agree"}, young)
    add(db, area, group="parent_carer")
    add(db, area, group="professional")
    by_group = {
        value.indicator.group: value for value in indicators.dashboard(db, area, tag=None, today=TODAY).indicators
    }
    latest = by_group["parent_carer"].latest
    assert latest is not None and latest.proportion is not None
    assert (latest.survey.id, latest.proportion.k, latest.proportion.n) == (follow_up.id, 12, 30)
    assert [wave.reason for wave in by_group["professional"].waves] == [indicators.NOBODY_IN_GROUP] * 2


def test_a_group_needs_a_wave_that_asked_about_groups(db: Session, make: Factory) -> None:
    area = make.area()
    baseline, _ = waves_of(db, make, area)
    respond(db, baseline, 20, {"a": "agree"}, {"group": "parent_carer"})
    add(db, area, group="parent_carer")
    (value,) = indicators.dashboard(db, area, tag=None, today=TODAY).indicators
    assert [wave.reason for wave in value.waves] == [indicators.GROUP_NOT_ASKED, indicators.NO_ANSWERS]
    assert value.status == indicators.Status.no_value


def test_no_value_yet_says_why(client: CheckedClient, db: Session, make: Factory) -> None:
    instrument(db)
    area = make.area()
    never = add(db, area, title="Never asked")
    baseline, _ = waves_of(db, make, area)
    assert area.id is not None
    make.survey(area.id, baseline.instrument_id, title="Next year", opens_on=TODAY + timedelta(days=30))
    client.sign_in(make.user(Role.commissioner, area))
    rows = summary(card(dashboard(client), never))
    assert rows["Status"] == "No value yet"
    assert rows["Latest value"] == "No value yet: no answers yet in the latest wave"  # the unopened survey is left out


def test_a_tag_shows_only_its_indicators(client: CheckedClient, db: Session, make: Factory) -> None:
    instrument(db)
    area = make.area()
    add(db, area, title="Work", tags=["pfa:employment"])
    add(db, area, title="Local Offer", tags=["local-offer:accessible", "inspection:right-help"])
    client.sign_in(make.user(Role.commissioner, area))
    page = dashboard(client)
    options = re.findall(r'<option value="([^"]*)"', page)
    assert options == ["", "pfa:employment", "local-offer:accessible", "inspection:right-help"]
    filtered = dashboard(client, "?tag=pfa:employment")
    assert ">Work<" in filtered and ">Local Offer<" not in filtered
    assert "1 indicator tagged Preparing for Adulthood: Education and employment" in filtered
    assert ">Local Offer<" in dashboard(client, "?tag=no-such-tag")  # an unknown tag filters nothing


def test_one_count_per_survey_however_many_indicators(
    db: Session, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    area = make.area()
    baseline, follow_up = waves_of(db, make, area, about_you=["group"])
    for survey in (baseline, follow_up):
        respond(db, survey, 20, {"a": "agree", "d": "agree"}, {"group": "parent_carer"})
    for changes in ({}, {"item_key": "d"}, {"item_key": None, "theme_key": "plans"}, {"group": "parent_carer"}):
        add(db, area, **changes)
    calls: list[tuple[int | None, str | None]] = []
    real = indicators.survey_results

    def counted(session: Session, survey: Survey, dimension: str | None = None):  # type: ignore[no-untyped-def]
        calls.append((survey.id, dimension))
        return real(session, survey, dimension)

    monkeypatch.setattr(indicators, "survey_results", counted)
    board = indicators.dashboard(db, area, tag=None, today=TODAY)
    assert sorted(calls, key=str) == sorted([(baseline.id, "group"), (follow_up.id, "group")], key=str)
    assert all(value.latest is not None for value in board.indicators)
