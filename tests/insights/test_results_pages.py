"""The survey results page and the board report: what staff see, breakdowns, hidden cells, tenancy."""

import re

from sqlmodel import Session, select

from app.accounts.models import Role
from app.instruments.models import Item, Theme
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Survey
from app.surveys.responses import Submission, submit
from tests.conftest import CheckedClient, Factory
from tests.insights.test_stats_helpers import wilson_percent

TWO_THEMES = """\
key: two-themes
version: 1
kind: i_statements
title: Two themes
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Information
    items:
      - key: find-support
        text: I know where to find support.
      - key: feel-heard
        text: I feel heard.
  - key: plans
    title: Plans
    items:
      - key: plan-works
        text: My child's plan works.
"""


def _survey(db: Session, make: Factory, **values: object) -> tuple[Survey, dict[str, int]]:
    instrument = store_instrument(db, parse_instrument(TWO_THEMES), source="statements").instrument
    db.commit()
    survey = make.survey(make.area().id, instrument.id, about_you=["group"], **values)
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == instrument.id))}
    return survey, items  # type: ignore[return-value]


def _answer(db: Session, survey: Survey, items: dict[str, int], number: int, choice: str, group: str) -> None:
    for index in range(number):
        key = f"{survey.id}-{choice}-{group}-{index}".ljust(32, "x")
        submission = Submission(key, dict.fromkeys(items.values(), choice), about_you={"group": group})
        submit(db, survey, submission, today=survey.opens_on)
    db.commit()


def _staff(make: Factory, client: CheckedClient, survey: Survey, role: Role = Role.commissioner) -> None:
    area = make.session.get(type(make.area()), survey.area_id)
    client.sign_in(make.user(role, area))


def test_the_results_page_shows_each_statement_with_its_interval(
    db: Session, make: Factory, client: CheckedClient
) -> None:
    survey, items = _survey(db, make)
    _answer(db, survey, items, 30, "agree", "parent_carer")
    _answer(db, survey, items, 12, "disagree", "parent_carer")
    _answer(db, survey, items, 11, "dont_know", "professional")
    _staff(make, client, survey)
    page = client.get(f"/surveys/{survey.id}/results")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "53 people answered" in text
    # 30 of 42 rated agree: don't know is counted but not in the denominator.
    low, high = wilson_percent(30, 42)
    assert f"71% {round(low)}% to {round(high)}% 42" in text
    assert "I know where to find support." in text and "Plans" in text
    assert "Don't know" in text and "(not in the %)" in text
    assert 'role="img"' in page.text and "<svg" in page.text  # a chart, with the table beside it
    assert "How we worked these out" in text


def test_a_breakdown_hides_small_groups_and_what_would_reveal_them(
    db: Session, make: Factory, client: CheckedClient
) -> None:
    survey, items = _survey(db, make)
    _answer(db, survey, items, 30, "agree", "parent_carer")
    _answer(db, survey, items, 12, "disagree", "parent_carer")
    _answer(db, survey, items, 3, "agree", "professional")  # a group of three: must never show
    _staff(make, client, survey)
    page = client.get(f"/surveys/{survey.id}/results?by=group")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Parent carers" in text and "Professionals" in text
    assert "Hidden to protect a small group" in text
    # The professionals' 3 is never printed as a count of its own row, and neither is parent carers'
    # 30 agree beside everyone's 33 (33 − 30 would give the 3 away).
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page.text, flags=re.S)
    professional_rows = [row for row in rows if "Professionals" in row]
    assert professional_rows and all(re.search(r">\s*3\s*<", row) is None for row in professional_rows)
    # Everyone's row stays as it is on the page without a breakdown, so the parent carers' agree count
    # must be hidden too: otherwise 33 − 30 gives the professionals' 3 away.
    agree = re.search(r"<th scope=\"row\" class=\"govuk-table__header\">Agree</th>(.*?)</tr>", page.text, re.S)
    assert agree is not None
    cells = [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", agree.group(1), re.S)]
    assert cells == ["33 (73%)", "hidden", "hidden"]

    only = client.get(f"/surveys/{survey.id}/results?by=group&only=parent_carer")
    only_text = re.sub(r"<[^>]+>", " ", only.text)
    assert "Parent carers" in only_text and "Professionals</th" not in only.text
    assert 'aria-current="true">Parent carers' in only.text


def test_an_unknown_breakdown_is_ignored_and_htmx_gets_the_content_only(
    db: Session, make: Factory, client: CheckedClient
) -> None:
    survey, items = _survey(db, make)
    _answer(db, survey, items, 12, "agree", "parent_carer")
    _staff(make, client, survey)
    assert client.get(f"/surveys/{survey.id}/results?by=locality").status_code == 200  # not asked: ignored
    fragment = client.get(f"/surveys/{survey.id}/results?by=group", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Break down by" in fragment.text


def test_no_answers_yet(db: Session, make: Factory, client: CheckedClient) -> None:
    survey, _ = _survey(db, make)
    _staff(make, client, survey, Role.facilitator)
    page = client.get(f"/surveys/{survey.id}/results")
    assert "Nobody has answered yet" in page.text


def test_the_board_report_prints_a_summary_and_the_methods(db: Session, make: Factory, client: CheckedClient) -> None:
    survey, items = _survey(db, make)
    _answer(db, survey, items, 20, "agree", "parent_carer")
    _answer(db, survey, items, 15, "strongly_disagree", "parent_carer")
    _staff(make, client, survey)
    page = client.get(f"/surveys/{survey.id}/report")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert 'class="app-report"' in page.text
    assert "Summary" in text and "How we worked these out" in text and "Wilson" in text
    assert "57% (" in text and "n = 35" in text
    assert "A4" in text


def test_other_areas_cannot_see_results(db: Session, make: Factory, client: CheckedClient) -> None:
    survey, items = _survey(db, make)
    _answer(db, survey, items, 12, "agree", "parent_carer")
    client.sign_in(make.user(Role.commissioner, make.area()))
    assert client.get(f"/surveys/{survey.id}/results").status_code == 404
    assert client.get(f"/surveys/{survey.id}/report").status_code == 404


def test_ladder_results_have_their_own_page(db: Session, make: Factory, client: CheckedClient) -> None:
    ladder = TWO_THEMES.replace("key: two-themes", "key: a-ladder").replace("kind: i_statements", "kind: ladder")
    ladder = ladder.replace("scale: agree5", "scale: ladder5")
    instrument = store_instrument(db, parse_instrument(ladder), source="statements").instrument
    db.commit()
    survey = make.survey(make.area().id, instrument.id)
    _staff(make, client, survey)
    response = client.get(f"/surveys/{survey.id}/results")
    assert response.status_code == 303 and response.headers["location"] == f"/surveys/{survey.id}/ladder-results"
    assert db.exec(select(Theme).where(Theme.instrument_id == instrument.id)).first() is not None
