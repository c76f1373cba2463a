"""survey_results end to end on both databases, from hand-made responses sent through submit().

Every expected number is counted here by hand from the responses the test sends, and every
interval worked out from the closed form in tests/insights/test_stats.py, not from app/.

Run this file as a program to time survey_results on 33,000 made-up responses to 30 statements
(SQLite, a temporary file): `.venv/bin/python -m tests.insights.test_results`.
"""

import itertools
from datetime import date

import pytest
from sqlmodel import Session, select

from app.insights.counts import NOT_ANSWERED
from app.insights.results import ALL, Row, SurveyResults, survey_results
from app.instruments.models import Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Survey
from app.surveys.responses import PREFER_NOT_TO_SAY, Submission, submit
from tests.conftest import Factory
from tests.insights.test_stats import wilson_by_hand
from tests.instruments.test_parsing import GOOD  # find-support (agree5) and feel-heard (smiley5), one theme

_keys = itertools.count()


def _survey(db: Session, make: Factory, threshold: int = 10, **values: object) -> tuple[Survey, dict[str, int]]:
    instrument = store_instrument(db, parse_instrument(GOOD), source="statements").instrument
    db.commit()
    survey = make.survey(make.area(threshold=threshold).id, instrument.id, **values)
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == instrument.id))}
    return survey, items  # type: ignore[return-value]


def _send(
    db: Session,
    survey: Survey,
    items: dict[str, int],
    times: int,
    find: str | None = None,
    heard: str | None = None,
    **about: str,
) -> None:
    """`times` people who all answer alike."""
    for _ in range(times):
        choices = {items["find-support"]: find, items["feel-heard"]: heard}
        submit(db, survey, Submission(f"key-{next(_keys)}", choices, about_you=about), today=date.today())
    db.commit()


def _row(results: SurveyResults, item_key: str, row_key: str = ALL) -> Row:
    item = next(item for item in results.items if item.key == item_key)
    return next(row for row in item.rows if row.key == row_key)


def _counts(row: Row) -> dict[str, int | None]:
    return {share.code: share.count for share in row.shares}


def test_counts_percentages_and_intervals(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make)
    for times, find in [(20, "strongly_agree"), (15, "agree"), (11, "neither"), (12, "disagree"), (10, "dont_know")]:
        _send(db, survey, items, times, find=find)
    results = survey_results(db, survey)
    assert results.responses == 68 and results.threshold == 10 and results.breakdown == ()

    row = _row(results, "find-support")
    assert (row.total, row.rated, row.positive) == (68, 58, 35)
    assert _counts(row) == {
        "strongly_agree": 20,
        "agree": 15,
        "neither": 11,
        "disagree": 12,
        "strongly_disagree": 0,
        "dont_know": 10,
        "does_not_apply": 0,
    }
    # "Don't know" is counted, but the percentages are of the 58 who gave a rating.
    percents = {share.code: share.percent for share in row.shares}
    assert percents["strongly_agree"] == pytest.approx(100 * 20 / 58)
    assert percents["disagree"] == pytest.approx(100 * 12 / 58)
    assert percents["strongly_disagree"] == 0
    assert percents["dont_know"] is None and percents["does_not_apply"] is None
    assert sum(p for p in percents.values() if p is not None) == pytest.approx(100)
    assert [share.positive for share in row.shares][:3] == [True, True, False]

    assert row.proportion is not None
    low, high = wilson_by_hand(35, 58)
    assert row.proportion.percent == pytest.approx(100 * 35 / 58)
    assert (row.proportion.low, row.proportion.high) == (pytest.approx(low), pytest.approx(high))
    assert (round(100 * low, 1), round(100 * high, 1)) == (47.5, 71.9)  # the page's figures, to one place

    nobody = _row(results, "feel-heard")  # everyone skipped it: counted as nothing, and no percentage
    assert (nobody.total, nobody.rated, nobody.positive, nobody.proportion) == (0, 0, 0, None)
    assert all(share.count == 0 and share.percent is None for share in nobody.shares)


def test_breakdown_rows_come_in_the_surveys_order(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, about_you=["group", "locality"], localities=["Town", "Coast", "Hills"])
    # Sent in a muddled order; some did not say, some preferred not to.
    _send(db, survey, items, 10, find="agree", group="professional", locality="Hills")
    _send(db, survey, items, 10, find="agree", group=PREFER_NOT_TO_SAY, locality="Town")
    _send(db, survey, items, 10, find="agree", group="parent_carer")
    _send(db, survey, items, 10, find="agree", group="young_person", locality="Hills")
    _send(db, survey, items, 10, find="agree", locality="Coast")

    by_group = survey_results(db, survey, "group")
    assert by_group.breakdown == (
        ("parent_carer", "Parent carers"),
        ("young_person", "Young people"),
        ("professional", "Professionals"),
        (PREFER_NOT_TO_SAY, "Preferred not to say"),
        (NOT_ANSWERED, "Not answered"),
    )
    item = by_group.items[0]
    assert [row.key for row in item.rows] == [ALL, *(value for value, _ in by_group.breakdown)]
    assert [row.total for row in item.rows] == [50, 10, 10, 10, 10, 10]
    assert item.rows[0].label == "Everyone"

    by_place = survey_results(db, survey, "locality")
    assert by_place.breakdown == (
        ("Town", "Town"),
        ("Coast", "Coast"),
        ("Hills", "Hills"),
        (NOT_ANSWERED, "Not answered"),
    )
    assert [row.total for row in by_place.items[0].rows] == [50, 10, 10, 20, 10]


def _hidden(row: Row) -> set[str]:
    cells = {"_total": row.total, "_rated": row.rated, "_positive": row.positive} | _counts(row)
    return {code for code, count in cells.items() if count is None}


def test_small_counts_are_hidden_with_enough_beside_them(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, about_you=["group"])
    _send(db, survey, items, 12, find="strongly_agree", heard="happy", group="parent_carer")
    _send(db, survey, items, 11, find="agree", heard="happy", group="parent_carer")
    _send(db, survey, items, 3, find="disagree", heard="happy", group="parent_carer")  # 3: fewer than 10
    _send(db, survey, items, 14, find="agree", heard="happy", group="young_person")
    _send(db, survey, items, 12, find="disagree", heard="happy", group="young_person")

    everyone = survey_results(db, survey)
    area = _row(everyone, "find-support")
    assert _hidden(area) == set()  # the whole area: 12 strongly agree, 25 agree, 15 disagree, all shown
    assert (area.total, area.positive, _counts(area)["disagree"]) == (52, 37, 15)

    results = survey_results(db, survey, "group")
    carers = _row(results, "find-support", "parent_carer")
    young = _row(results, "find-support", "young_person")
    assert _counts(carers)["disagree"] is None  # primary: 3 is below the threshold
    # Secondary: the row's "not positive" (3) is hidden with it, so its rated count or its positive
    # count must go too, or one subtraction would give the 3 back...
    assert "_rated" in _hidden(carers) or "_positive" in _hidden(carers)
    # ...and the column: the whole area's 15 less the young people's 12 would give it too.
    assert _counts(young)["disagree"] is None
    # Zeros describe nobody: still shown.
    assert _counts(carers)["strongly_disagree"] == 0 and _counts(young)["strongly_agree"] == 0
    # A percentage is shown only where both its counts are.
    for row in (carers, young):
        for share in row.shares:
            assert share.percent is None or (share.count is not None and row.rated is not None)
        assert row.proportion is None or (row.positive is not None and row.rated is not None)
    # Every shown count is true, and no shown count is from 1 to 9.
    true = {
        "parent_carer": {"strongly_agree": 12, "agree": 11, "disagree": 3},
        "young_person": {"agree": 14, "disagree": 12},
    }
    for row in (carers, young):
        for code, count in _counts(row).items():
            assert count is None or count == true[row.key].get(code, 0)
            assert count is None or not 0 < count < 10
    # Everyone said "happy": 26 and 26, nothing small, nothing hidden.
    assert _hidden(_row(results, "feel-heard", "parent_carer")) == set()


def test_a_small_area_hides_its_own_row_alike_on_every_page(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, about_you=["group", "age_band"])
    _send(db, survey, items, 14, find="agree", group="parent_carer", age_band="11_to_13")
    _send(db, survey, items, 4, find="strongly_disagree", group="parent_carer", age_band="14_to_16")
    _send(db, survey, items, 13, find="agree", group="young_person", age_band="14_to_16")
    alone = survey_results(db, survey)
    area = _row(alone, "find-support")
    assert _counts(area)["strongly_disagree"] is None and area.total == 31
    assert len(_hidden(area)) >= 2  # "not positive" is 4 too, so rated or positive goes with it
    for dimension in ["group", "age_band"]:
        broken_down = survey_results(db, survey, dimension)
        assert [item.rows[0] for item in broken_down.items] == [item.rows[0] for item in alone.items]
        assert [theme.summary[0] for theme in broken_down.themes] == [theme.summary[0] for theme in alone.themes]


def test_theme_summary_counts_people_not_answers(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, threshold=2)  # only a 1 is hidden, so every person below shows
    _send(db, survey, items, 3, find="agree", heard="happy")  # 2 of 2 positive: positive
    _send(db, survey, items, 2, find="agree", heard="unhappy")  # 1 of 2 is not more than half: not
    _send(db, survey, items, 2, find="disagree", heard="dont_know")  # 0 of the 1 rated: not
    _send(db, survey, items, 4, find="strongly_agree", heard="not_for_me")  # 1 of the 1 rated: positive
    _send(db, survey, items, 2, find="dont_know", heard="not_for_me")  # answered, rated nothing
    _send(db, survey, items, 2, find=None, heard="ok")  # 0 of 1: not
    _send(db, survey, items, 2)  # skipped both: not in the theme at all
    results = survey_results(db, survey)
    (theme,) = results.themes
    summary = theme.summary[0]
    assert (summary.total, summary.rated, summary.positive) == (15, 13, 7)
    assert summary.shares == ()
    assert summary.proportion is not None
    assert (summary.proportion.low, summary.proportion.high) == tuple(map(pytest.approx, wilson_by_hand(7, 13)))
    # The statements themselves count answers: 9 of 11 agree with the first, 3 of 7 are happy with the second.
    find, heard = _row(results, "find-support"), _row(results, "feel-heard")
    assert (find.total, find.rated, find.positive) == (13, 11, 9)
    assert (heard.total, heard.rated, heard.positive) == (15, 7, 3)
    assert results.responses == 17


def test_a_theme_of_one_statement_has_no_summary_of_its_own(db: Session, make: Factory) -> None:
    one = GOOD.replace("key: sample", "key: single").replace(
        "      - key: feel-heard\n        text: I feel heard.\n        scale: smiley5\n", ""
    )
    instrument = store_instrument(db, parse_instrument(one), source="statements").instrument
    db.commit()
    survey = make.survey(make.area(threshold=2).id, instrument.id)
    item_id = db.exec(select(Item.id).where(Item.instrument_id == instrument.id)).one()
    for index in range(3):
        submit(db, survey, Submission(f"one-{index}", {item_id: "agree"}), today=date.today())  # type: ignore[dict-item]
    (theme,) = survey_results(db, survey).themes
    assert theme.summary == () and theme.items[0].overall.positive == 3


def test_the_whole_area_row_is_the_same_with_and_without_a_breakdown(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, about_you=["group", "support_type"])
    answers = ["strongly_agree", "agree", "neither", "disagree", "dont_know"]
    faces = ["really_happy", "happy", "ok", "not_for_me", "unhappy"]
    groups = ["parent_carer", "young_person", "professional"]
    support = ["ehc_plan", "sen_support", "none", "dont_know"]
    for number in range(60):  # an uneven spread, so some cells are small and some are not
        about = {"group": groups[number % 3], "support_type": support[number % 4]}
        _send(db, survey, items, 1 + number % 2, find=answers[number % 5], heard=faces[number * 7 % 5], **about)
    _send(db, survey, items, 3, find="strongly_disagree", heard="really_unhappy", group="other")
    alone = survey_results(db, survey)
    assert all(_hidden(item.rows[0]) for item in alone.items)  # so keeping the row as it is matters
    for dimension in ["group", "support_type"]:
        broken_down = survey_results(db, survey, dimension)
        for item, item_alone in zip(broken_down.items, alone.items, strict=True):
            assert item.rows[0] == item_alone.rows[0]
            assert any(_hidden(row) for row in item.rows[1:])
        assert broken_down.themes[0].summary[0] == alone.themes[0].summary[0]


def measure() -> None:
    """survey_results on 33,000 made-up responses to 30 statements in a temporary SQLite file: the timings."""
    import tempfile
    import time
    from pathlib import Path

    from app.areas.models import Area
    from app.core.db import make_engine
    from app.core.migrations import upgrade
    from app.core.schema import utcnow
    from app.core.settings import Settings
    from app.insights.synthetic import add_responses, count_answers
    from app.surveys.models import CycleStage, Layout

    themes = "".join(
        f"  - key: theme-{t}\n    title: Theme {t}\n    items:\n"
        + "".join(f"      - key: item-{t}-{i}\n        text: Statement {t}.{i}.\n" for i in range(5))
        for t in range(6)
    )
    content = GOOD.split("themes:")[0].replace("key: sample", "key: thirty") + "themes:\n" + themes
    folder = Path(tempfile.mkdtemp(prefix="coproduce-measure-"))
    engine = make_engine(Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'measure.db'}"))
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        instrument = store_instrument(session, parse_instrument(content), source="statements").instrument
        area = Area(name="Measured")
        session.add(area)
        session.flush()
        assert area.id is not None and instrument.id is not None
        survey = Survey(
            area_id=area.id,
            instrument_id=instrument.id,
            public_code="measure",
            title="Measured",
            audiences=["parent_carers"],
            opens_on=date.today(),
            cycle_stage=CycleStage.understand,
            layout=Layout.statement,
            about_you=["group", "age_band", "locality", "support_type"],
            localities=["North", "South", "East", "West"],
        )
        session.add(survey)
        session.flush()
        started = time.perf_counter()
        add_responses(session, survey, 33_000, seed=1)
        survey.closed_at = utcnow()  # a closed survey's counts are kept until its answers change
        session.commit()
        print(f"seeded {count_answers(session, survey):,} answers in {time.perf_counter() - started:.1f} s")  # noqa: T201
        for dimension in [None, "group", "age_band", "locality", "support_type"]:
            timings = []
            for _ in range(3):  # the first counts in the database (a breakdown's whole-area counts are kept)
                started, cpu = time.perf_counter(), time.process_time()
                survey_results(session, survey, dimension)
                timings.append(f"{time.perf_counter() - started:.3f} s ({time.process_time() - cpu:.3f} s CPU)")
            print(f"survey_results(dimension={dimension}): {', '.join(timings)}")  # noqa: T201
    engine.dispose()


if __name__ == "__main__":
    measure()
