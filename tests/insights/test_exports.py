"""Exports: answers.csv row by row, summary.csv and results.xlsx, checked against figures worked out here."""

import csv
import io
import math
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.responses import StreamingResponse
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.areas.models import Area
from app.insights import export_routes, exports, results
from app.instruments.models import Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Answer, Response, Survey, ThemeComment
from tests.conftest import CheckedClient, Factory

THRESHOLD = 5
QUESTIONNAIRE = """\
key: export-sample
version: 1
kind: i_statements
title: Export sample
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Finding information
    items:
      - key: find-support
        text: I know where to find support.
      - key: feel-heard
        text: I feel heard.
        scale: smiley5
  - key: plans
    title: Plans
    items:
      - key: plan-helps
        text: "=1+2 my plan helps me."
"""
PRIVATE = "Only staff may read these words"


@dataclass(frozen=True)
class Given:
    """One made-up response, as the test wrote it."""

    group: str
    locality: str
    find_support: str | None
    feel_heard: str
    plan_helps: str
    easy_read: bool
    month: str


def _people() -> list[Given]:
    """12 parent carers in North, 6 young people in @East, 2 children in South (a small group)."""
    people: list[Given] = []
    finding = ["agree"] * 5 + ["strongly_agree"] * 2 + ["disagree"] * 5
    for index, answer in enumerate(finding):
        month = "2026-03" if index < 6 else "2026-04"
        people.append(Given("parent_carer", "North", answer, "happy", "strongly_agree", index == 0, month))
    for index in range(6):
        answer = None if index == 0 else "neither"  # one skipped
        people.append(Given("young_person", "@East", answer, "dont_know", "agree", True, "2026-04"))
    for _ in range(2):
        people.append(Given("child", "South", "agree", "really_happy", "disagree", False, "2026-05"))
    return people


PEOPLE = _people()


@dataclass
class Setting:
    survey: Survey
    area: Area
    items: dict[str, int]


def _respond(db: Session, survey: Survey, items: dict[str, int], person: Given) -> Response:
    year, month = (int(part) for part in person.month.split("-"))
    response = Response(
        survey_id=survey.id or 0,
        submission_key=secrets.token_hex(16),
        submitted_at=datetime(year, month, 14, 10, tzinfo=UTC),
        easy_read=person.easy_read,
        about_you={"group": person.group, "locality": person.locality},
    )
    db.add(response)
    db.flush()
    assert response.id is not None
    chosen = {"find-support": person.find_support, "feel-heard": person.feel_heard, "plan-helps": person.plan_helps}
    for key, choice in chosen.items():
        db.add(Answer(response_id=response.id, item_id=items[key], choice=choice, comments={"why": PRIVATE}))
    theme_id = db.exec(select(Item.theme_id).where(Item.id == items["find-support"])).one()
    db.add(ThemeComment(response_id=response.id, theme_id=theme_id, text=PRIVATE))
    return response


@pytest.fixture
def setting(db: Session, make: Factory) -> Setting:
    return build_setting(db, make)


def build_setting(db: Session, make: Factory) -> Setting:
    """The questionnaire, an unrelated survey's responses, then the survey under test with everyone in PEOPLE."""
    instrument = store_instrument(db, parse_instrument(QUESTIONNAIRE), source="statements").instrument
    db.commit()
    assert instrument.id is not None
    items = {item.key: item.id or 0 for item in db.exec(select(Item).where(Item.instrument_id == instrument.id))}
    # Responses to another survey first, so database ids and response numbers differ.
    elsewhere = make.survey(make.area().id, instrument.id, title="Elsewhere")
    for _ in range(3):
        _respond(db, elsewhere, items, PEOPLE[0])
    area = make.area(threshold=THRESHOLD)
    survey = make.survey(
        area.id,
        instrument.id,
        title="Spring listening",
        about_you=["group", "locality"],
        localities=["North", "South", "@East"],
    )
    for person in PEOPLE:
        _respond(db, survey, items, person)
    db.commit()
    return Setting(survey, area, items)


def _staff(client: CheckedClient, make: Factory, area: Area, role: Role = Role.commissioner) -> User:
    user = make.user(role, area)
    client.sign_in(user)
    return user


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def wilson(k: int, n: int) -> tuple[float, float, float]:
    """The 95% Wilson score interval, from its closed form (not the code under test)."""
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, centre - half, centre + half


# answers.csv --------------------------------------------------------------------------------------


def test_answers_csv_has_one_row_per_answer_numbered_by_arrival_with_small_groups_recoded(
    client: CheckedClient, make: Factory, setting: Setting
) -> None:
    _staff(client, make, setting.area)
    response = client.get(f"/surveys/{setting.survey.id}/export/answers.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="survey-' in response.headers["content-disposition"]
    rows = _csv(response.text)
    assert list(rows[0]) == [
        "response_number",
        "month_submitted",
        "easy_read",
        "about_you_group",
        "about_you_locality",
        "theme_key",
        "statement_key",
        "statement_text",
        "answer_code",
        "answer_label",
        "on_scale",
        "positive",
    ]
    assert len(rows) == len(PEOPLE) * 3
    assert [row["response_number"] for row in rows[::3]] == [str(number) for number in range(1, len(PEOPLE) + 1)]
    for number, person in enumerate(PEOPLE, start=1):
        mine = [row for row in rows if row["response_number"] == str(number)]
        assert [row["statement_key"] for row in mine] == ["find-support", "feel-heard", "plan-helps"]
        assert {row["month_submitted"] for row in mine} == {person.month}
        assert {row["easy_read"] for row in mine} == {"yes" if person.easy_read else "no"}
        # Children and South were each given by 2 people, under the threshold of 5.
        group = "fewer than 5" if person.group == "child" else person.group
        locality = {"South": "fewer than 5", "@East": "'@East"}.get(person.locality, person.locality)
        assert {(row["about_you_group"], row["about_you_locality"]) for row in mine} == {(group, locality)}
        assert (mine[0]["answer_code"] or None) == person.find_support
    agree = next(row for row in rows if row["answer_code"] == "agree" and row["statement_key"] == "find-support")
    assert (agree["answer_label"], agree["on_scale"], agree["positive"]) == ("Agree", "yes", "yes")
    unsure = next(row for row in rows if row["answer_code"] == "dont_know")
    assert (unsure["answer_label"], unsure["on_scale"], unsure["positive"]) == ("I don't know", "no", "no")
    skipped = next(row for row in rows if row["statement_key"] == "find-support" and not row["answer_code"])
    assert (skipped["answer_label"], skipped["on_scale"], skipped["positive"]) == ("Skipped", "no", "no")
    assert {row["statement_text"] for row in rows if row["statement_key"] == "plan-helps"} == {
        "'=1+2 my plan helps me."
    }
    assert PRIVATE not in response.text and "child" not in response.text and "South" not in response.text


def test_answers_csv_streams_in_batches(db: Session, make: Factory, setting: Setting, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports, "BATCH_ROWS", 6)  # two responses of three answers a batch
    user = make.user(Role.facilitator, setting.area)
    returned = export_routes.answers_csv(setting.survey.id or 0, user, db, lambda: _borrowed(db))
    assert isinstance(returned, StreamingResponse)
    pieces = list(exports.answers_csv(db, setting.survey))
    assert len(pieces) == 1 + math.ceil(len(PEOPLE) / 2)  # the header, then a piece per batch
    assert sum(piece.count("\n") for piece in pieces) == 1 + len(PEOPLE) * 3


@contextmanager
def _borrowed(db: Session) -> Iterator[Session]:
    yield db


def test_formulas_are_defused() -> None:
    for text in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"):
        assert exports.formula_safe(text) == "'" + text
    assert exports.formula_safe("I feel heard.") == "I feel heard."


def test_one_small_group_that_could_be_worked_out_is_hidden_with_the_next_smallest() -> None:
    survey = Survey(about_you=["locality", "group"], localities=["North", "South"])
    tallies = {
        "locality": {"North": 20, "South": 3, "prefer_not_to_say": 7},  # every possible answer shown but South
        "group": {"parent_carer": 30, "child": 2},  # young_person and others never given: South-like guessing fails
    }
    written = exports.recoding(survey, tallies, 5)
    combined = "fewer than 5, with the next smallest group"
    assert written["locality"] == {"North": "North", "South": combined, "prefer_not_to_say": combined}
    assert written["group"] == {"parent_carer": "parent_carer", "child": "fewer than 5"}


# summary.csv --------------------------------------------------------------------------------------


def test_summary_csv_agrees_with_figures_worked_out_here_and_with_survey_results(
    client: CheckedClient, make: Factory, db: Session, setting: Setting
) -> None:
    _staff(client, make, setting.area, Role.facilitator)
    response = client.get(f"/surveys/{setting.survey.id}/export/summary.csv")
    assert response.status_code == 200
    rows = _csv(response.text)
    codes = ["strongly_agree", "agree", "neither", "disagree", "strongly_disagree", "dont_know", "does_not_apply"]
    codes += ["really_happy", "happy", "ok", "unhappy", "really_unhappy", "not_for_me"]
    head = ["row_type", "theme_key", "theme_title", "statement_key", "statement_text", "breakdown", "breakdown_value"]
    figures = ["n", "rated", "positive", "percent_positive", "ci95_low_percent", "ci95_high_percent"]
    assert list(rows[0]) == [*head, *figures, *(f"count_{code}" for code in codes)]

    # The whole area, worked out from what the test wrote.
    answers = Counter(person.find_support for person in PEOPLE if person.find_support)
    rated = sum(answers.values())  # nobody chose an answer outside the scale
    positive = answers["agree"] + answers["strongly_agree"]
    whole = next(row for row in rows if row["statement_key"] == "find-support" and row["breakdown"] == "Whole area")
    assert (whole["breakdown_value"], whole["row_type"]) == ("Everyone", "statement")
    assert (int(whole["n"]), int(whole["rated"]), int(whole["positive"])) == (sum(answers.values()), rated, positive)
    value, low, high = wilson(positive, rated)
    assert float(whole["percent_positive"]) == pytest.approx(value * 100, abs=0.051)
    assert float(whole["ci95_low_percent"]) == pytest.approx(low * 100, abs=0.051)
    assert float(whole["ci95_high_percent"]) == pytest.approx(high * 100, abs=0.051)
    assert whole["count_disagree"] == "5" and whole["count_dont_know"] == "0" and whole["count_really_happy"] == ""
    # 2 strongly agreed: below 5, so hidden; and "agree" too, or 9 positive less 7 agreeing would give it away.
    assert whole["count_strongly_agree"] == "suppressed" and whole["count_agree"] == "suppressed"

    # Every cell agrees with survey_results, for the whole area and for each breakdown.
    by_key: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for row in rows:
        key = (row["row_type"], row["theme_key"], row["statement_key"], row["breakdown"] + ":" + row["breakdown_value"])
        assert key not in by_key
        by_key[key] = row
    labels = {None: "Whole area", "group": "Respondent group", "locality": "Locality"}
    checked = 0
    for dimension in (None, "group", "locality"):
        outcome = results.survey_results(db, setting.survey, dimension)
        for theme in outcome.themes:
            for item in theme.items:
                for index, row in enumerate(item.rows):
                    if dimension is not None and index == 0:
                        continue
                    value_label = "Everyone" if dimension is None else _defused(row.label)
                    written = by_key[("statement", theme.key, item.key, f"{labels[dimension]}:{value_label}")]
                    _check_row(written, row)
                    for share in row.shares:
                        assert written[f"count_{share.code}"] == (
                            "suppressed" if share.count is None else str(share.count)
                        )
                    checked += 1
            for index, row in enumerate(theme.summary):
                if dimension is None or index > 0:
                    value_label = "Everyone" if dimension is None else _defused(row.label)
                    _check_row(by_key[("theme (people)", theme.key, "", f"{labels[dimension]}:{value_label}")], row)
                    checked += 1
    assert checked == len(rows)
    children = by_key[("statement", "info", "find-support", "Respondent group:Children")]
    assert children["n"] == "suppressed" and children["percent_positive"] == "suppressed"
    assert "0" not in {children[name] for name in ("n", "rated", "positive")}
    assert PRIVATE not in response.text


def _defused(label: str) -> str:
    return "'" + label if label.startswith("@") else label  # @East, the one locality that looks like a formula


def _check_row(written: dict[str, str], row: results.Row) -> None:
    for name, value in (("n", row.total), ("rated", row.rated), ("positive", row.positive)):
        assert written[name] == ("suppressed" if value is None else str(value)), name
    if row.rated is None or row.positive is None:
        assert written["percent_positive"] == "suppressed"
    elif row.proportion is not None:
        assert float(written["percent_positive"]) == round(row.proportion.percent, 1)
        assert float(written["ci95_low_percent"]) == round(row.proportion.low * 100, 1)


# results.xlsx -------------------------------------------------------------------------------------


def test_the_workbook_has_summary_by_group_data_and_notes(
    client: CheckedClient, make: Factory, db: Session, setting: Setting
) -> None:
    _staff(client, make, setting.area, Role.commissioner)
    response = client.get(f"/surveys/{setting.survey.id}/export/results.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == export_routes.XLSX
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Summary", "By group", "Data", "Notes"]
    summary_csv = _csv(client.get(f"/surveys/{setting.survey.id}/export/summary.csv").text)

    summary = [list(row) for row in book["Summary"].iter_rows(values_only=True)]
    header = summary[0]
    assert header[:5] == ["row_type", "theme_key", "theme_title", "statement_key", "statement_text"]
    assert "breakdown" not in header
    whole = [row for row in summary_csv if row["breakdown"] == "Whole area"]
    assert len(summary) - 1 == len(whole)
    for cells, row in zip(summary[1:], whole, strict=True):
        written = dict(zip(header, cells, strict=True))
        for name in header:
            expected = row[name]
            got = written[name]
            if isinstance(got, int | float):
                assert got == float(expected), (name, got, expected)
            else:
                assert ("" if got is None else got) == expected, (name, got, expected)

    by_group = [list(row) for row in book["By group"].iter_rows(values_only=True)]
    groups = [row for row in summary_csv if row["breakdown"] != "Whole area"]
    assert len(by_group) - 1 == len(groups)
    assert "suppressed" in {cell for row in by_group for cell in row}

    data = [list(row) for row in book["Data"].iter_rows(values_only=True)]
    assert data[0] == ["Response", "Month sent", "Easy read", "Respondent group", "Locality"] + [
        "find-support",
        "feel-heard",
        "plan-helps",
    ]
    assert [row[0] for row in data[1:]] == list(range(1, len(PEOPLE) + 1))
    first, last = data[1], data[-1]
    assert first[1:] == ["2026-03", "yes", "Parent carers", "North", "Agree", "Happy", "Strongly agree"]
    assert last[3:5] == ["fewer than 5", "fewer than 5"]
    assert data[13][4] == "'@East" and data[13][5] is None  # the young person who skipped

    notes = " ".join(str(row[0]) for row in book["Notes"].iter_rows(values_only=True))
    assert "Wilson" in notes and "fewer than 5" in notes and "1 to 4" in notes and "1,048,575" in notes
    everything = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    assert PRIVATE not in everything and "Children" in everything  # the breakdown's row is there, its counts hidden


def test_the_data_sheet_stops_with_a_note_at_the_row_limit(db: Session, setting: Setting, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", 6)
    file = io.BytesIO()
    exports.write_workbook(db, setting.survey, file, made_by="Tests")
    book = load_workbook(io.BytesIO(file.getvalue()), read_only=True)
    data = [list(row) for row in book["Data"].iter_rows(values_only=True)]
    assert len(data) == 6
    assert [row[0] for row in data[1:5]] == [1, 2, 3, 4]
    assert "answers.csv holds every response" in str(data[5][0]) and "first 4 responses" in str(data[5][0])
    notes = " ".join(str(row[0]) for row in book["Notes"].iter_rows(values_only=True))
    assert "Data holds the first 4 only" in notes


def test_a_survey_that_fits_exactly_gets_no_note(db: Session, setting: Setting, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", len(PEOPLE) + 1)
    file = io.BytesIO()
    exports.write_workbook(db, setting.survey, file, made_by="Tests")
    data = list(load_workbook(io.BytesIO(file.getvalue()), read_only=True)["Data"].iter_rows(values_only=True))
    assert len(data) == len(PEOPLE) + 1 and data[-1][0] == len(PEOPLE)


# The page ---------------------------------------------------------------------------------------


def test_the_download_page_lists_the_three_files_and_the_survey_links_to_it(
    client: CheckedClient, make: Factory, setting: Setting
) -> None:
    _staff(client, make, setting.area, Role.admin)
    survey_page = client.get(f"/surveys/{setting.survey.id}").text
    assert f'href="/surveys/{setting.survey.id}/export"' in survey_page
    page = client.get(f"/surveys/{setting.survey.id}/export").text
    for name in ("summary.csv", "answers.csv", "results.xlsx"):
        assert f'href="/surveys/{setting.survey.id}/export/{name}"' in page
    assert "from 1 to 4" in page and "fewer than 5" in page
    fragment = client.get(f"/surveys/{setting.survey.id}/export", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "Download the results" in fragment


def test_an_empty_survey_exports_headers_only(client: CheckedClient, make: Factory, db: Session) -> None:
    instrument = store_instrument(db, parse_instrument(QUESTIONNAIRE), source="statements").instrument
    area = make.area()
    survey = make.survey(area.id, instrument.id or 0)
    _staff(client, make, area)
    assert _csv(client.get(f"/surveys/{survey.id}/export/answers.csv").text) == []
    rows = _csv(client.get(f"/surveys/{survey.id}/export/summary.csv").text)
    assert {row["n"] for row in rows} == {"0"}
    book = load_workbook(io.BytesIO(client.get(f"/surveys/{survey.id}/export/results.xlsx").content))
    assert book["Data"].max_row == 1
    assert "no breakdown" in str(book["By group"]["A2"].value)
