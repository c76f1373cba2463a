"""Results of ladders, Local Offer audits and development stages, and the improvement plan download.

Answers go in through `responses.submit`, as a respondent's would. Medians and Wilson intervals are
worked out here from the answers sent, not by the code under test.
"""

import csv
import io
import math
import random
import re
import statistics
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.accounts.models import Role
from app.areas.models import Area
from app.insights import kinds
from app.insights.results import Row, Share
from app.instruments.models import Instrument, Item
from app.instruments.parsing import parse_instrument
from app.instruments.scales import SCALES
from app.instruments.service import store_instrument
from app.surveys import responses
from app.surveys.models import AboutYou, Survey
from tests.conftest import CheckedClient, Factory

STATEMENTS = Path(__file__).resolve().parents[2] / "statements"
TODAY = date.today()
Z = 1.959963984540054


def load(db: Session, name: str) -> Instrument:
    instrument = store_instrument(db, parse_instrument((STATEMENTS / name).read_text()), source="statements").instrument
    db.commit()
    return instrument


def item_ids(db: Session, instrument: Instrument) -> dict[str, int]:
    items = db.exec(select(Item).where(Item.instrument_id == instrument.id))
    return {item.key: item.id for item in items if item.id is not None}


class Sender:
    """Sends one respondent's answers at a time, each with its own submission key."""

    def __init__(self, db: Session, survey: Survey) -> None:
        self.db, self.survey, self.count = db, survey, 0

    def send(self, choices: dict[int, str], comments: dict[int, dict[str, str]] | None = None, **about: str) -> None:
        self.count += 1
        submission = responses.Submission(
            f"key-{self.survey.id}-{self.count}", dict(choices), comments or {}, {}, about
        )
        assert responses.submit(self.db, self.survey, submission, today=TODAY).created
        self.db.commit()


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval from its textbook formula."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def text_of(html: str) -> str:
    """The page's words with tags and runs of space removed, to search for phrases."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'")


# The ladder of participation

RUNG = {"informing": 1, "consulting": 2, "involving": 3, "collaborating": 4, "devolving": 5}


@pytest.fixture
def ladder_survey(db: Session, make: Factory) -> tuple[Survey, dict[str, int]]:
    """22 people: 16 parent carers and 6 professionals. Now: 10 informing, 12 consulting.
    Should be: 11 involving and 11 collaborating (a median halfway between the two)."""
    instrument = load(db, "ladder-of-participation.yaml")
    survey = make.survey(make.area().id, instrument.id, about_you=[AboutYou.group.value])
    ids = item_ids(db, instrument)
    sender = Sender(db, survey)
    for person in range(22):
        now = "informing" if person < 10 else "consulting"
        should_be = "involving" if person % 2 else "collaborating"
        group = "parent_carer" if person < 16 else "professional"
        sender.send(
            {ids["now"]: now, ids["should-be"]: should_be}, {ids["now"]: {"why": f"Reason {person}"}}, group=group
        )
    return survey, ids


def test_ladder_medians_and_gap_match_the_answers(db: Session, ladder_survey: tuple[Survey, dict[str, int]]) -> None:
    survey, _ = ladder_survey
    now = [1] * 10 + [2] * 12
    should_be = [3, 4] * 11
    ladder = kinds.ladder_results(db, survey)
    assert ladder.now is not None and ladder.should_be is not None
    assert ladder.now.rows[0].middle.median == statistics.median(now) == 2
    assert ladder.should_be.rows[0].middle.median == statistics.median(should_be) == 3.5
    assert ladder.now.rows[0].middle.words == "Consulting"
    assert ladder.should_be.rows[0].middle.words == "Between involving and collaborating"
    assert ladder.gaps[0].rungs == 1.5
    assert ladder.gaps[0].words == "One and a half rungs higher than now"
    assert [(share.code, share.count) for share in ladder.now.rows[0].row.shares] == [
        ("devolving", 0),
        ("collaborating", 0),
        ("involving", 0),
        ("consulting", 12),
        ("informing", 10),
        ("dont_know", 0),
    ]


def test_ladder_page_with_a_breakdown_hides_the_small_group(
    client: CheckedClient, make: Factory, db: Session, ladder_survey: tuple[Survey, dict[str, int]]
) -> None:
    survey, _ = ladder_survey
    client.sign_in(make.user(Role.commissioner, db.get(Area, survey.area_id)))
    page = client.get(f"/surveys/{survey.id}/ladder-results?by=group")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Hidden to protect small groups" in words
    assert "Any count from 1 to 9 is hidden" in words
    assert "Between involving and collaborating" in words
    assert "One and a half rungs higher than now" in words
    assert 'role="img"' in page.text and '<title id="ladder-chart-title">' in page.text
    assert "By respondent group" in words
    # 6 professionals: their counts are hidden, and so is their middle answer, with the reason.
    professionals = re.search(r"Professionals</th>(.*?)</tr>", page.text, re.S)
    assert professionals and "Hidden to protect small groups" in professionals.group(1)
    assert "Reason 3" not in page.text, "the ladder's 'why' words are not shown with the counts"
    ladder = kinds.ladder_results(db, survey, "group")
    assert ladder.now is not None
    professional_row = next(row for row in ladder.now.rows if row.row.key == "professional")
    assert professional_row.row.total is None and professional_row.middle.median is None
    # The select offers the survey's own questions about the person and works as a plain GET form.
    assert 'name="by"' in page.text and 'method="get"' in page.text


def test_an_unknown_breakdown_shows_everyone(
    client: CheckedClient, make: Factory, db: Session, ladder_survey: tuple[Survey, dict[str, int]]
) -> None:
    survey, _ = ladder_survey
    client.sign_in(make.user(Role.facilitator, db.get(Area, survey.area_id)))
    page = client.get(f"/surveys/{survey.id}/ladder-results?by=age_band")
    assert page.status_code == 200 and "By respondent group" not in page.text


def test_an_htmx_request_gets_the_content_block(
    client: CheckedClient, make: Factory, db: Session, ladder_survey: tuple[Survey, dict[str, int]]
) -> None:
    survey, _ = ladder_survey
    client.sign_in(make.user(Role.facilitator, db.get(Area, survey.area_id)))
    fragment = client.get(f"/surveys/{survey.id}/ladder-results", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Ladder of participation results" in fragment.text


def _row(scale_key: str, counts: dict[str, int | None], rated: int, positive: int | None) -> Row:
    scale = SCALES[scale_key]
    shares = tuple(
        Share(p.code, p.label, counts.get(p.code, 0), True, p.code in scale.positive, None) for p in scale.points
    )
    return Row("", "Everyone", rated, rated, positive, None, shares)


def _splits(mass: int, parts: int) -> list[tuple[int, ...]]:
    """Every way of writing `mass` as `parts` counts of 0 or more."""
    if parts == 0:
        return [()] if mass == 0 else []
    return [(first, *rest) for first in range(mass + 1) for rest in _splits(mass - first, parts - 1)]


def _completions(row: Row, scale_key: str) -> list[list[int]]:
    """Every way of filling in the hidden counts that keeps the row's shown totals true: as scores."""
    scale = SCALES[scale_key]
    scores = {point.code: point.score for point in scale.points}
    hidden = [share.code for share in row.shares if share.count is None]
    known = {share.code: share.count for share in row.shares if share.count is not None}
    assert row.rated is not None
    found = []
    for values in _splits(row.rated - sum(known.values()), len(hidden)):
        counts = {**known, **dict(zip(hidden, values, strict=True))}
        if row.positive is not None and sum(counts[code] for code in scale.positive) != row.positive:
            continue
        found.append([scores[code] for code, count in counts.items() for _ in range(count)])
    return found


def test_a_median_is_given_only_when_every_filling_in_of_hidden_counts_agrees() -> None:
    """Checked against brute force over every possible value of the hidden counts."""
    rng = random.Random(5)
    for _ in range(300):
        scale_key = rng.choice(["ladder5", "ds4", "yes_limited_no"])
        codes = [point.code for point in SCALES[scale_key].points]
        counts = {code: rng.choice([0, 0, 1, 2, 3, 4, 6]) for code in codes}
        rated = sum(counts.values())
        if rated == 0:
            continue
        positive = sum(counts[code] for code in SCALES[scale_key].positive)
        shown = {code: (None if rng.random() < 0.4 else count) for code, count in counts.items()}
        row = _row(scale_key, shown, rated, None if rng.random() < 0.5 else positive)
        middle = kinds.middle(row, SCALES[scale_key], threshold=1)
        completions = _completions(row, scale_key)
        medians = {statistics.median(scores) for scores in completions}
        assert (middle.median is not None) == (len(medians) == 1), (row, medians)
        if middle.median is not None:
            assert medians == {middle.median}
        lows, highs = {min(scores) for scores in completions}, {max(scores) for scores in completions}
        assert (middle.lowest is not None) == (len(lows) == 1)
        assert (middle.highest is not None) == (len(highs) == 1)


def test_a_median_needs_the_total_shown_and_at_least_the_threshold() -> None:
    assert kinds.middle(_row("ds4", {"ds2": 3}, 3, 0), SCALES["ds4"], threshold=10).words == kinds.HIDDEN
    hidden_total = Row("", "Everyone", None, None, None, None, ())
    assert kinds.middle(hidden_total, SCALES["ds4"], threshold=10).median is None
    assert kinds.middle(_row("ds4", {}, 0, 0), SCALES["ds4"], threshold=10).words == kinds.NOBODY
    assert kinds.middle(_row("ds4", {"ds2": 12}, 12, 0), SCALES["ds4"], threshold=10).words == "DS2"


# The Local Offer audit

A, D = "provision-by-type-of-setting", "how-settings-identify-and-review"  # both in the education theme
B, C = "health-services", "provision-outside-the-area"
COMMENTS_ON_A = ["zebra crossing info missing", "Apple qx", "banana qx", "Cherry qx", "date qx", "Elder qx", "fig qx"]


@pytest.fixture
def audit_survey(db: Session, make: Factory) -> tuple[Survey, dict[str, int]]:
    """30 auditors. A: 10 yes, 10 limited, 10 no. B: 20 yes, 10 no. C: 30 yes.
    D: 25 yes, 3 limited, 2 no, so its small counts are hidden."""
    instrument = load(db, "local-offer-audit.yaml")
    ids = item_ids(db, instrument)
    assert C in ids, sorted(ids)
    survey = make.survey(make.area().id, instrument.id, about_you=[AboutYou.group.value])
    sender = Sender(db, survey)
    for person in range(30):
        choices = {
            ids[A]: ["yes", "limited", "no"][person // 10],
            ids[B]: "yes" if person < 20 else "no",
            ids[C]: "yes",
            ids[D]: "yes" if person < 25 else ("limited" if person < 28 else "no"),
        }
        comments = {ids[A]: {"comment": COMMENTS_ON_A[person]}} if person < len(COMMENTS_ON_A) else {}
        if person == 29:
            comments[ids[D]] = {"comment": "Only one person said no here"}
        sender.send(choices, comments, group="parent_carer")
    return survey, ids


def test_audit_orders_the_weakest_first_and_lists_hidden_criteria_after(
    db: Session, audit_survey: tuple[Survey, dict[str, int]]
) -> None:
    survey, _ = audit_survey
    audit = kinds.audit_results(db, survey)
    assert [criterion.item.key for criterion in audit.weakest] == [A, B, C]
    hidden = [criterion.item.key for criterion in audit.hidden]
    assert hidden[0] == D and len(hidden) == 34 - 3, "every unrated criterion is listed after, in order"
    for criterion, yes in zip(audit.weakest, (10, 20, 30), strict=True):
        proportion = criterion.item.overall.proportion
        assert proportion is not None and proportion.k == yes and proportion.n == 30
        low, high = wilson_by_hand(yes, 30)
        assert proportion.low == pytest.approx(max(0.0, low)) and proportion.high == pytest.approx(min(1.0, high))
    d = audit.hidden[0].item.overall
    assert {share.code: share.count for share in d.shares}["limited"] is None
    assert {share.code: share.count for share in d.shares}["no"] is None


def test_audit_dimension_scores_count_people(db: Session, audit_survey: tuple[Survey, dict[str, int]]) -> None:
    survey, _ = audit_survey
    scores = {dimension.theme.key: dimension.score for dimension in kinds.audit_results(db, survey).dimensions}
    # Education: A and D rated by all 30; "mostly yes" means yes to both; people 0 to 9.
    education = scores["required-content-education"]
    assert education is not None and education.proportion is not None
    assert (education.proportion.k, education.proportion.n) == (10, 30)
    low, high = wilson_by_hand(10, 30)
    assert education.proportion.low == pytest.approx(low) and education.proportion.high == pytest.approx(high)
    wider = scores["required-content-wider"]
    assert wider is not None and wider.proportion is not None and (wider.proportion.k, wider.proportion.n) == (20, 30)
    out_of_area = scores["out-of-area"]  # one criterion: its own row
    assert out_of_area is not None and out_of_area.proportion is not None and out_of_area.proportion.k == 30
    assert scores["findability"] is None


def test_audit_page_shows_comments_capped_then_all_on_their_own_page(
    client: CheckedClient, make: Factory, db: Session, audit_survey: tuple[Survey, dict[str, int]]
) -> None:
    survey, _ = audit_survey
    client.sign_in(make.user(Role.commissioner, db.get(Area, survey.area_id)))
    page = client.get(f"/surveys/{survey.id}/audit-results")
    assert page.status_code == 200
    words = text_of(page.text)
    first_five = sorted(COMMENTS_ON_A, key=str.lower)[:5]
    assert all(comment in words for comment in first_five)
    assert not any(comment in words for comment in sorted(COMMENTS_ON_A, key=str.lower)[5:])
    assert f"See all {len(COMMENTS_ON_A)} comments" in words
    assert "Only one person said no here" in words, "comments on a hidden criterion still show"
    assert words.index("Apple qx") < words.index("banana qx") < words.index("Cherry qx")
    assert "Parent carers" not in words, "nothing about the person is shown with comments"
    assert words.index(parse_text(db, A)) < words.index(parse_text(db, B)) < words.index(parse_text(db, C))
    assert words.index(parse_text(db, C)) < words.index("Criteria we cannot rank") < words.index(parse_text(db, D))
    assert "Score for each dimension" in words and 'id="dimension-chart-title"' in page.text
    every = client.get(f"/surveys/{survey.id}/audit-results?criterion={A}")
    assert every.status_code == 200
    assert all(comment in text_of(every.text) for comment in COMMENTS_ON_A)
    assert client.get(f"/surveys/{survey.id}/audit-results?criterion={A}&page=2").status_code == 404
    assert client.get(f"/surveys/{survey.id}/audit-results?criterion=no-such-thing").status_code == 404
    assert client.get(f"/surveys/{survey.id}/audit-results?criterion={A}&page=0").status_code == 404


def parse_text(db: Session, key: str) -> str:
    item = db.exec(select(Item).where(Item.key == key)).first()
    assert item is not None
    return re.sub(r"\s+", " ", item.text)


def test_comments_are_read_a_page_at_a_time(db: Session, audit_survey: tuple[Survey, dict[str, int]]) -> None:
    survey, ids = audit_survey
    pages = [
        kinds.answer_words(db, survey, [ids[A]], ["comment"], limit=3, offset=offset)[ids[A]] for offset in (0, 3, 6)
    ]
    assert [page.total for page in pages] == [7, 7, 7]
    read = [entry["comment"] for page in pages for entry in page.entries]
    assert read == sorted(COMMENTS_ON_A, key=str.lower)


# Development stages and the improvement plan

ELEMENTS = ("joint-arrangements-agreed", "leadership-and-accountability", "shared-understanding-of-needs")


@pytest.fixture
def stages(db: Session, make: Factory) -> tuple[Survey, dict[str, int]]:
    instrument = load(db, "development-stages.yaml")
    survey = make.survey(make.area().id, instrument.id, audiences=["professionals"])
    return survey, item_ids(db, instrument)


def test_a_few_commissioners_get_hidden_counts_but_all_their_words(
    db: Session, stages: tuple[Survey, dict[str, int]]
) -> None:
    survey, ids = stages
    sender = Sender(db, survey)
    first, second, third = (ids[key] for key in ELEMENTS)
    sender.send(
        {first: "ds2", second: "ds1"},
        {
            first: {"evidence": "Draft agreement only", "action": '=HYPERLINK("http://x.example","Sign it")'},
            second: {"evidence": "+No board yet"},
        },
    )
    sender.send({first: "ds3"}, {first: {"evidence": "Signed by the council", "action": "@Get the ICB to sign"}})
    sender.send(
        {first: "ds2", third: "ds2"}, {first: {"action": "-Agree who pays"}, third: {"action": "  =1+1 share data"}}
    )
    results = kinds.stage_results(db, survey)
    element = next(e for theme in results.themes for e in theme.elements if e.item.key == ELEMENTS[0])
    assert element.item.overall.total is None and element.middle.words == kinds.HIDDEN
    counts = {share.code: share.count for share in element.item.overall.shares}
    assert counts["ds2"] is None and counts["ds3"] is None, "2 and 1: both under the threshold"
    assert element.words.total == 3

    rows = kinds.improvement_plan(db, survey)
    assert len(rows) == 18 - 2 + 3 + 1, "one row per action, and one for every element without an action"
    plan = list(csv.reader(io.StringIO(kinds.plan_csv(rows).decode("utf-8-sig"))))
    assert plan[0] == list(kinds.PLAN_COLUMNS)
    first_rows = [row for row in plan[1:] if row[1].startswith("Partners have agreed, in writing")]
    assert [row[4] for row in first_rows] == [
        "'-Agree who pays",
        '\'=HYPERLINK("http://x.example","Sign it")',
        "'@Get the ICB to sign",
    ]
    assert [row[3] for row in first_rows] == ["", "Draft agreement only", "Signed by the council"]
    assert {row[0] for row in first_rows} == {"Governance and frameworks"}
    assert {row[2] for row in first_rows} == {kinds.HIDDEN_IN_PLAN}
    assert all(row[5:] == ["", "", ""] for row in plan[1:])
    second_rows = [row for row in plan[1:] if row[1].startswith("A joint board of senior leaders")]
    assert [row[3:5] for row in second_rows] == [["'+No board yet", ""]]
    assert any(row[4] == "'=1+1 share data" for row in plan[1:]), "words are trimmed, then guarded"

    sheet = load_workbook(io.BytesIO(kinds.plan_xlsx(rows))).active
    assert sheet is not None
    read_back = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert read_back == plan, "the spreadsheet holds the same cells as the CSV, none of them a formula"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_plain_text(start: str) -> None:
    assert kinds.spreadsheet_safe(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"
    assert kinds.spreadsheet_safe(f"Total {start}1") == f"Total {start}1"
    sheet = load_workbook(io.BytesIO(kinds.plan_xlsx([(f"{start}1+1",) * 8]))).active
    assert sheet is not None and sheet["A2"].data_type == "s"
    assert sheet["A2"].value.replace("\n", "\r") == f"'{start}1+1".replace("\n", "\r"), "XML reads a CR back as LF"


def test_stage_medians_and_spread_where_enough_people_rated(
    client: CheckedClient, make: Factory, db: Session, stages: tuple[Survey, dict[str, int]]
) -> None:
    survey, ids = stages
    sender = Sender(db, survey)
    first, second = ids[ELEMENTS[0]], ids[ELEMENTS[1]]
    for person in range(20):
        sender.send({first: "ds2" if person < 10 else "ds3", second: "ds3"})
    results = kinds.stage_results(db, survey)
    by_key = {element.item.key: element for theme in results.themes for element in theme.elements}
    one, two = by_key[ELEMENTS[0]].middle, by_key[ELEMENTS[1]].middle
    assert one.median == statistics.median([2] * 10 + [3] * 10) == 2.5
    assert (one.words, one.lowest, one.highest) == ("Between DS2 and DS3", 2, 3)
    assert (two.median, two.words, two.lowest, two.highest) == (3, "DS3", 3, 3)
    plan = list(csv.reader(io.StringIO(kinds.plan_csv(kinds.improvement_plan(db, survey)).decode("utf-8-sig"))))
    assert [row[2] for row in plan[1:3]] == ["Between DS2 and DS3", "DS3"]

    client.sign_in(make.user(Role.facilitator, db.get(Area, survey.area_id)))
    page = client.get(f"/surveys/{survey.id}/stage-results")
    words = text_of(page.text)
    assert page.status_code == 200
    assert "Between DS2 and DS3" in words and "DS2 to DS3" in words
    assert "When fewer than 10 people rate an element" in words
    assert f'href="/surveys/{survey.id}/improvement-plan.csv"' in page.text
    download = client.get(f"/surveys/{survey.id}/improvement-plan.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    workbook = client.get(f"/surveys/{survey.id}/improvement-plan.xlsx")
    assert workbook.status_code == 200
    assert load_workbook(io.BytesIO(workbook.content)).active.max_row == 19


def test_a_survey_of_another_kind_says_it_has_none(client: CheckedClient, make: Factory, db: Session) -> None:
    instrument = load(db, "parent-carers.yaml")
    area = make.area()
    survey = make.survey(area.id, instrument.id)
    client.sign_in(make.user(Role.facilitator, area))
    for path, words in (
        ("ladder-results", "no ladder of participation questions"),
        ("audit-results", "no Local Offer audit criteria"),
        ("stage-results", "no development stage questions"),
    ):
        page = client.get(f"/surveys/{survey.id}/{path}")
        assert page.status_code == 200 and words in page.text
    plan = client.get(f"/surveys/{survey.id}/improvement-plan.csv")
    assert plan.content.decode("utf-8-sig").strip() == ",".join(kinds.PLAN_COLUMNS)


@pytest.mark.parametrize("role", [Role.facilitator, Role.commissioner])
def test_another_areas_results_are_not_found(
    client: CheckedClient, make: Factory, db: Session, stages: tuple[Survey, dict[str, int]], role: Role
) -> None:
    survey, _ = stages
    client.sign_in(make.user(role, make.area()))
    for path in KIND_PATHS:
        assert client.get(f"/surveys/{survey.id}/{path}").status_code == 404, path


KIND_PATHS: Sequence[str] = (
    *kinds.KIND_RESULTS_PATHS.values(),
    "improvement-plan.csv",
    "improvement-plan.xlsx",
)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("ladder-of-participation.yaml", "ladder-results"),
        ("local-offer-audit.yaml", "audit-results"),
        ("development-stages.yaml", "stage-results"),
    ],
)
def test_the_results_page_sends_each_kind_here(
    client: CheckedClient, make: Factory, db: Session, name: str, path: str
) -> None:
    instrument = load(db, name)
    assert kinds.KIND_RESULTS_PATHS[instrument.kind] == path
    area = make.area()
    survey = make.survey(area.id, instrument.id)
    client.sign_in(make.user(Role.commissioner, area))
    sent = client.get(f"/surveys/{survey.id}/results")
    assert sent.status_code == 303 and sent.headers["location"] == f"/surveys/{survey.id}/{path}"
    assert client.get(sent.headers["location"]).status_code == 200
