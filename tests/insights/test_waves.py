"""Comparing waves: changes and their intervals against Newcombe's formula written out here, verdicts in
words, hidden sides never compared, statements matched by key across versions; the page and its access."""

import html
import math
import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.areas.models import Area
from app.insights import waves
from app.instruments.models import Instrument, Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Answer, Response, Survey, ThemeComment
from tests.conftest import CheckedClient, Factory

Z = 1.959963984540054

VERSION_1 = """\
key: waves-sample
version: 1
kind: i_statements
title: Waves sample
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Finding information
    items:
      - {key: a, text: I know where to find support.}
      - {key: b, text: I can get through on the phone.}
      - {key: c, text: The website is clear.}
  - key: plans
    title: Plans
    items:
      - {key: d, text: My plan helps me.}
      - {key: e, text: My plan was on time.}
      - {key: h, text: I feel heard.}
"""
# Version 2 drops e, adds f, and asks h on another scale.
VERSION_2 = (
    VERSION_1.replace("version: 1", "version: 2")
    .replace("      - {key: e, text: My plan was on time.}\n", "      - {key: f, text: My plan is reviewed.}\n")
    .replace("{key: h, text: I feel heard.}", "{key: h, text: I feel heard., scale: smiley5}")
)


def wilson_interval(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval in its textbook closed form (Newcombe 1998, method 3)."""
    p = k / n
    centre = 2 * n * p + Z * Z
    spread = Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    denominator = 2 * (n + Z * Z)
    return (centre - spread) / denominator, (centre + spread) / denominator


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """The change p2 - p1 and its 95% interval by Newcombe's hybrid score method (his method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p2 - p1
    return d, d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def signed(fraction: float) -> str:
    """As the page writes percentage points: a sign, one decimal place, a true minus sign."""
    return f"{fraction * 100:+.1f}".replace("-", "−")


def instrument(db: Session, text: str = VERSION_1) -> Instrument:
    stored = store_instrument(db, parse_instrument(text), source="statements").instrument
    db.commit()
    return stored


def respond(
    db: Session, survey: Survey, people: int, answers: dict[str, str], about_you: dict[str, str] | None = None
) -> None:
    """`people` responses that each give these answers (by statement key)."""
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == survey.instrument_id))}
    keys = [secrets.token_hex(16) for _ in range(people)]
    db.execute(
        insert(Response),
        [
            {"survey_id": survey.id, "submission_key": key, "about_you": about_you or {}, "easy_read": False}
            for key in keys
        ],
    )
    ids = db.exec(select(Response.id).where(col(Response.submission_key).in_(keys))).all()
    rows = [
        {"response_id": response_id, "item_id": items[key], "choice": choice, "comments": {}}
        for response_id in ids
        for key, choice in answers.items()
    ]
    db.execute(insert(Answer), rows)
    db.commit()


def two_waves(db: Session, make: Factory, area: Area | None = None) -> tuple[Survey, Survey]:
    """A baseline on version 1 and a follow-up on version 2, answered so that:
    a gets better, b worse, c hardly moves, d is hidden in the baseline, e and f are each in one wave
    only, and h changed its scale."""
    area = area or make.area()
    first, second = instrument(db), instrument(db, VERSION_2)
    assert area.id is not None and first.id is not None and second.id is not None
    baseline = make.survey(area.id, first.id, title="Spring", opens_on=date.today() - timedelta(days=400))
    follow_up = make.survey(area.id, second.id, title="Autumn", wave=2, previous_survey_id=baseline.id)
    respond(db, baseline, 15, {"a": "agree", "b": "agree", "c": "agree", "e": "agree", "h": "agree"})
    respond(db, baseline, 15, {"b": "strongly_agree", "e": "disagree", "h": "disagree"})
    respond(db, baseline, 25, {"a": "disagree", "c": "disagree", "d": "disagree"})
    respond(db, baseline, 10, {"a": "dont_know", "c": "agree", "d": "disagree", "e": "agree", "h": "agree"})
    respond(db, baseline, 10, {"b": "disagree", "e": "disagree", "h": "disagree"})
    respond(db, baseline, 3, {"d": "strongly_agree"})
    respond(db, follow_up, 35, {"a": "agree", "c": "agree", "d": "agree", "f": "agree", "h": "happy"})
    respond(db, follow_up, 15, {"a": "disagree", "b": "agree", "c": "agree", "d": "disagree", "h": "unhappy"})
    respond(db, follow_up, 28, {"b": "disagree", "c": "disagree"})
    return baseline, follow_up


# a: 15 of 40 (the 10 "don't know" are not in the denominator) to 35 of 50; b: 30 of 40 to 15 of 43;
# c: 25 of 50 to 50 of 78.
EXPECTED = {"a": (15, 40, 35, 50), "b": (30, 40, 15, 43), "c": (25, 50, 50, 78)}


def test_each_statement_is_compared_with_newcombes_interval(db: Session, make: Factory) -> None:
    baseline, follow_up = two_waves(db, make)
    comparison = waves.compare(db, follow_up, baseline)
    found = {statement.key: statement for statement in comparison.statements}
    for key, (k1, n1, k2, n2) in EXPECTED.items():
        change = found[key].change
        assert change is not None, key
        d, low, high = newcombe(k1, n1, k2, n2)
        assert (change.before.k, change.before.n, change.after.k, change.after.n) == (k1, n1, k2, n2)
        assert change.value == pytest.approx(d, abs=1e-12)
        assert (change.low, change.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    verdicts = {key: statement.verdict for key, statement in found.items()}
    assert verdicts == {
        "a": waves.Verdict.better,
        "b": waves.Verdict.worse,
        "c": waves.Verdict.no_clear_change,
        "d": waves.Verdict.not_compared,
        "e": waves.Verdict.not_compared,
        "f": waves.Verdict.not_compared,
        "h": waves.Verdict.not_compared,
    }
    # The verdict follows the interval, not the size of the change: c moved by over 10 points.
    _, c_low, c_high = newcombe(*EXPECTED["c"])
    assert c_low < 0 < c_high and abs(newcombe(*EXPECTED["c"])[0]) > 0.1


def test_statements_that_cannot_be_compared_say_why(db: Session, make: Factory) -> None:
    baseline, follow_up = two_waves(db, make)
    comparison = waves.compare(db, follow_up, baseline)
    reasons = {statement.key: statement.reason for statement in comparison.statements if statement.change is None}
    assert reasons == {
        "d": waves.HIDDEN,
        "e": waves.NOT_ASKED_AFTER,
        "f": waves.NOT_ASKED_BEFORE,
        "h": waves.SCALE_CHANGED,
    }
    d = next(statement for statement in comparison.statements if statement.key == "d")
    assert d.before is not None and d.before.positive is None  # 3 people: hidden, so never compared
    assert d.after is not None and d.after.proportion is not None  # the later side alone is shown
    # Grouped under the later wave's themes, in its order; what only the earlier wave asked comes last.
    assert [(theme.key, [s.key for s in theme.statements]) for theme in comparison.themes] == [
        ("info", ["a", "b", "c"]),
        ("plans", ["d", "f", "h"]),
    ]
    assert [statement.key for statement in comparison.dropped] == ["e"]
    assert [comparison.count(verdict) for verdict in waves.Verdict] == [1, 1, 1, 4]


def test_a_hidden_later_side_is_not_compared_either(db: Session, make: Factory) -> None:
    area = make.area()
    first = instrument(db)
    assert area.id is not None and first.id is not None
    baseline = make.survey(area.id, first.id)
    follow_up = make.survey(area.id, first.id, wave=2, previous_survey_id=baseline.id)
    respond(db, baseline, 20, {"a": "agree"})
    respond(db, baseline, 20, {"a": "disagree"})
    respond(db, follow_up, 30, {"a": "agree"})
    respond(db, follow_up, 4, {"a": "strongly_disagree"})  # 4 people disagree: hidden, so "positive" is too
    a = waves.compare(db, follow_up, baseline).themes[0].statements[0]
    assert (a.key, a.change, a.reason) == ("a", None, waves.HIDDEN)


def test_the_same_group_is_compared_in_both_waves(db: Session, make: Factory) -> None:
    area = make.area()
    first = instrument(db)
    assert area.id is not None and first.id is not None
    asked = {"about_you": ["group"]}
    baseline = make.survey(area.id, first.id, **asked)
    follow_up = make.survey(area.id, first.id, wave=2, previous_survey_id=baseline.id, **asked)
    parents, young = {"group": "parent_carer"}, {"group": "young_person"}
    respond(db, baseline, 10, {"a": "agree"}, parents)
    respond(db, baseline, 20, {"a": "disagree"}, parents)
    respond(db, baseline, 10, {"a": "agree"}, young)
    respond(db, baseline, 10, {"a": "disagree"}, young)
    respond(db, follow_up, 25, {"a": "strongly_agree"}, parents)
    respond(db, follow_up, 10, {"a": "neither"}, parents)
    respond(db, follow_up, 10, {"a": "agree"}, young)
    respond(db, follow_up, 10, {"a": "disagree"}, young)
    options = {option.value: option for option in waves.breakdowns(baseline, follow_up)}
    assert "group:parent_carer" in options and "age_band:under_11" not in options  # only what both asked
    a = waves.compare(db, follow_up, baseline, options["group:parent_carer"]).themes[0].statements[0]
    assert a.change is not None
    d, low, high = newcombe(10, 30, 25, 35)
    assert (a.change.value, a.change.low, a.change.high) == pytest.approx((d, low, high), abs=1e-9)
    assert a.verdict == waves.Verdict.better
    everyone = waves.compare(db, follow_up, baseline).themes[0].statements[0]
    assert everyone.change is not None and everyone.change.value == pytest.approx(newcombe(20, 50, 35, 55)[0])
    nobody = waves.compare(db, follow_up, baseline, options["group:professional"]).themes[0].statements[0]
    assert (nobody.change, nobody.reason) == (None, waves.NOBODY_IN_GROUP)


def test_earlier_waves_follow_the_links_back(db: Session, make: Factory) -> None:
    area = make.area()
    first = instrument(db)
    assert area.id is not None and first.id is not None
    one = make.survey(area.id, first.id)
    two = make.survey(area.id, first.id, wave=2, previous_survey_id=one.id)
    three = make.survey(area.id, first.id, wave=3, previous_survey_id=two.id)
    make.survey(area.id, first.id, wave=4, previous_survey_id=three.id)  # later waves are not earlier ones
    assert [survey.id for survey in waves.earlier_waves(db, three)] == [one.id, two.id]
    assert waves.earlier_waves(db, one) == []


def summary(page: str) -> dict[str, str]:
    """A summary list's keys and values, as text."""
    pairs = re.findall(
        r'summary-list__key">\s*(.*?)\s*</dt>\s*<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>', page
    )
    return {key: re.sub(r"<[^>]+>", "", value).strip() for key, value in pairs}


def _page(client: CheckedClient, survey: Survey, query: str = "") -> str:
    response = client.get(f"/surveys/{survey.id}/compare{query}")
    assert response.status_code == 200, response.text
    return html.unescape(re.sub(r"\s+", " ", response.text))


def test_the_page_sums_up_and_says_what_the_words_mean(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = two_waves(db, make, area)
    client.sign_in(make.user(Role.commissioner, area))
    page = _page(client, follow_up)
    assert summary(page) == {
        "Better": "1 statement",
        "Worse": "1 statement",
        "No clear change": "1 statement",
        "Could not be compared": "4 statements: hidden to protect small groups, or not asked in both waves",
    }
    assert "only when the 95% interval for its change" in page and "wholly above or wholly below zero" in page
    for key, counts in EXPECTED.items():
        d, low, high = newcombe(*counts)
        row = re.search(rf'<tr class="govuk-table__row" id="statement-{key}">(.*?)</tr>', page)
        assert row, key
        assert f"{signed(d)}<br>" in row.group(1) and f"{signed(low)} to {signed(high)}" in row.group(1)
    verdict_of = {key: re.search(rf'id="statement-{key}">.*?govuk-tag[^>]*>([^<]+)<', page) for key in "abc"}
    assert {key: match.group(1) for key, match in verdict_of.items() if match} == {
        "a": "Better",
        "b": "Worse",
        "c": "No clear change",
    }
    assert re.search(r'id="statement-d">.*?Not compared: hidden to protect small groups', page)
    assert re.search(r'id="statement-f">.*?Not compared: not asked in the earlier wave', page)
    assert "Asked only in the earlier wave" in page and 'id="statement-e"' in page
    assert page.count('role="img"') == 3  # a chart for each compared statement, named in words
    assert 'aria-label="Better: +32.5 points, 95% interval' in page


def test_the_page_never_shows_what_people_wrote(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = two_waves(db, make, area)
    response_id = db.exec(select(Response.id).where(Response.survey_id == follow_up.id)).first()
    item = db.exec(select(Item).where(Item.instrument_id == follow_up.instrument_id)).first()
    assert response_id is not None and item is not None
    db.add(ThemeComment(response_id=response_id, theme_id=item.theme_id, text="Our worker Sam Jones never calls back"))
    db.commit()
    client.sign_in(make.user(Role.facilitator, area))
    assert "Sam Jones" not in _page(client, follow_up)


def test_any_earlier_wave_of_the_line_can_be_chosen(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    first = instrument(db)
    assert area.id is not None and first.id is not None
    one = make.survey(area.id, first.id, title="Wave one")
    two = make.survey(area.id, first.id, title="Wave two", wave=2, previous_survey_id=one.id)
    three = make.survey(area.id, first.id, title="Wave three", wave=3, previous_survey_id=two.id)
    for survey, agree in ((one, 10), (two, 30), (three, 30)):
        respond(db, survey, agree, {"a": "agree"})
        respond(db, survey, 20, {"a": "disagree"})
    other_line = make.survey(area.id, first.id, title="Another line")
    client.sign_in(make.user(Role.facilitator, area))
    by_default = _page(client, three)
    assert "<strong>Wave one</strong> (the baseline" in by_default and "Better" in by_default
    chosen = _page(client, three, f"?earlier={two.id}")
    assert "<strong>Wave two</strong> (follow-up 1" in chosen and ">No clear change<" in chosen
    assert f'<option value="{two.id}" selected>' in chosen
    for wrong in (three.id, other_line.id, 10**9):
        assert client.get(f"/surveys/{three.id}/compare?earlier={wrong}").status_code == 404
    assert client.get(f"/surveys/{three.id}/compare?who=group:parent_carer").status_code == 404  # not asked


def test_the_baseline_has_nothing_to_compare_with(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    baseline, follow_up = two_waves(db, make, area)
    client.sign_in(make.user(Role.commissioner, area))
    assert "there is no earlier wave to compare it with" in _page(client, baseline)
    assert "Compare with an earlier wave" not in client.get(f"/surveys/{baseline.id}").text
    survey_page = client.get(f"/surveys/{follow_up.id}").text
    assert f'href="/surveys/{follow_up.id}/compare">Compare with an earlier wave</a>' in survey_page


def test_htmx_gets_the_content_alone(client: CheckedClient, db: Session, make: Factory) -> None:
    area = make.area()
    _, follow_up = two_waves(db, make, area)
    client.sign_in(make.user(Role.commissioner, area))
    response = client.get(f"/surveys/{follow_up.id}/compare", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text and "Better" in response.text


def test_another_areas_staff_find_nothing(client: CheckedClient, db: Session, make: Factory) -> None:
    _, follow_up = two_waves(db, make)
    for role in (Role.commissioner, Role.facilitator):
        client.cookies.clear()
        client.sign_in(make.user(role, make.area()))
        assert client.get(f"/surveys/{follow_up.id}/compare").status_code == 404
    client.cookies.clear()
    client.sign_in(make.user(Role.admin))
    assert client.get(f"/surveys/{follow_up.id}/compare").status_code == 200
