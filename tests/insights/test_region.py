"""The regional view: an area beside its region, other areas only inside the total unless they agreed.

Expected figures are counted here from the answers the tests write, and intervals worked out here,
never by calling the code under test. Whether a hidden count can be worked out is checked with
linear programming over everything a viewer sees: this page and the area's own results page.
"""

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from scipy.optimize import linprog
from sqlalchemy import insert
from sqlmodel import Session, select

from app.accounts.models import Role
from app.areas.models import Area, Region
from app.insights import region
from app.insights.results import Row, survey_results
from app.instruments.models import Instrument, Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Answer, Response, Survey
from tests.conftest import CheckedClient, Factory

TODAY = date.today()
QUESTIONNAIRE = """\
key: region-sample
version: {version}
kind: i_statements
title: Region sample
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
        {feel_heard_scale}
  - key: school
    title: School
    items:
      - key: school-listens
        text: My school listens to me.
      - key: school-plans
        text: My school plans with me.
"""
POSITIVE = {"strongly_agree", "agree"}
RATED = POSITIVE | {"neither", "disagree", "strongly_disagree"}
Z = 1.959963984540054


def questionnaire(db: Session, version: int = 1, *, area: Area | None = None, smiley: bool = False) -> Instrument:
    """A version of the shared questionnaire (or an area's own of the same key); v2 may ask one on faces."""
    text = QUESTIONNAIRE.format(version=version, feel_heard_scale="scale: smiley5" if smiley else "")
    stored = store_instrument(db, parse_instrument(text), source="statements", area_id=area.id if area else None)
    db.commit()
    return stored.instrument


def answer(db: Session, survey: Survey, choices: Mapping[str, str | None], times: int = 1) -> None:
    """`times` responses, each giving these answers by statement key."""
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == survey.instrument_id))}
    for _ in range(times):
        key = secrets.token_hex(16)
        db.execute(insert(Response), [{"survey_id": survey.id, "submission_key": key, "about_you": {}}])
        response_id = db.exec(select(Response.id).where(Response.submission_key == key)).one()
        rows = [
            {"response_id": response_id, "item_id": items[item_key], "choice": choice, "comments": {}}
            for item_key, choice in choices.items()
        ]
        db.execute(insert(Answer), rows)
    db.commit()


def everyone(choice: str) -> dict[str, str]:
    return {"find-support": choice, "feel-heard": choice, "school-listens": choice, "school-plans": choice}


@dataclass
class World:
    region: Region
    areas: dict[str, Area]
    surveys: dict[str, Survey]
    v1: Instrument


@pytest.fixture
def world(db: Session, make: Factory) -> World:
    """Ours and three other areas of one region (Dale on version 2), each with answers; one area elsewhere."""
    north = make.region("North")
    v1, v2 = questionnaire(db, 1), questionnaire(db, 2, smiley=True)
    areas = {name: make.area(name, north) for name in ("Ours", "Brook", "Cliff", "Dale")}
    areas["Elsewhere"] = make.area("Elsewhere", make.region("South"))
    surveys = {
        name: make.survey(area.id, (v2 if name == "Dale" else v1).id, title=f"{name} survey")
        for name, area in areas.items()
    }
    answer(db, surveys["Ours"], everyone("agree"), 24)
    answer(db, surveys["Ours"], everyone("disagree"), 16)
    answer(
        db,
        surveys["Ours"],
        {"find-support": "dont_know", "feel-heard": None, "school-listens": "agree", "school-plans": "agree"},
        3,
    )
    answer(db, surveys["Brook"], everyone("strongly_agree"), 15)
    answer(db, surveys["Brook"], everyone("neither"), 12)
    answer(db, surveys["Cliff"], everyone("agree"), 11)
    answer(db, surveys["Cliff"], everyone("strongly_disagree"), 20)
    answer(
        db,
        surveys["Dale"],
        {"find-support": "agree", "feel-heard": "happy", "school-listens": "agree", "school-plans": "agree"},
        14,
    )
    answer(
        db,
        surveys["Dale"],
        {"find-support": "disagree", "feel-heard": "ok", "school-listens": "neither", "school-plans": "neither"},
        13,
    )
    answer(db, surveys["Elsewhere"], everyone("strongly_agree"), 50)
    return World(north, areas, surveys, v1)


def counted(db: Session, surveys: Sequence[Survey], item_key: str) -> tuple[int, int]:
    """(positive, rated) for one statement over some surveys, read straight from the stored answers."""
    query = (
        select(Answer.choice)
        .join(Response)
        .join(Item)
        .where(Item.key == item_key)
        .where(Response.survey_id.in_([s.id for s in surveys]))  # type: ignore[union-attr]
    )
    choices = list(db.exec(query))
    return sum(c in POSITIVE for c in choices), sum(c in RATED for c in choices)


def wilson_bounds(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - spread) / (1 + Z * Z / n), (centre + spread) / (1 + Z * Z / n)


def comparison(view: region.RegionalView, key: str) -> region.Comparison:
    return next(item for theme in view.themes for item in theme.items if item.key == key)


def test_the_region_pools_every_comparable_survey_by_statement_key(db: Session, world: World) -> None:
    view = region.regional_view(db, world.surveys["Ours"])
    assert view.state == region.READY
    assert view.other_areas == 3
    pooled = [world.surveys[name] for name in ("Ours", "Brook", "Cliff", "Dale")]
    for key in ("find-support", "school-listens"):
        k, n = counted(db, pooled, key)
        row = comparison(view, key).region
        assert row is not None and row.proportion is not None
        assert (row.positive, row.rated) == (k, n)
        low, high = wilson_bounds(k, n)
        assert row.proportion.low == pytest.approx(low) and row.proportion.high == pytest.approx(high)
    # Dale asked "I feel heard" on faces: not the same answers, so not pooled for that statement.
    heard = comparison(view, "feel-heard")
    assert heard.other_areas == 2
    assert heard.region is not None
    assert (heard.region.positive, heard.region.rated) == counted(db, pooled[:3], "feel-heard")
    assert view.responses == 24 + 16 + 3 + 15 + 12 + 11 + 20 + 14 + 13


def test_the_theme_counts_people_pooled_by_theme_key(db: Session, world: World) -> None:
    view = region.regional_view(db, world.surveys["Ours"])
    summary = view.themes[0].summary
    assert summary is not None and summary.region is not None
    # Per person, "mostly positive" over the theme's rated statements; everyone here answered alike,
    # except our three who did not rate the first and skipped the second (not rated: not counted).
    people = {"Ours": (24, 40), "Brook": (15, 27), "Cliff": (11, 31), "Dale": (14, 27)}
    assert (summary.region.positive, summary.region.rated) == tuple(map(sum, zip(*people.values(), strict=True)))
    assert summary.region.total is None  # the page prints n and the positive count only


def test_this_areas_row_is_exactly_its_results_page_row(db: Session, world: World, make: Factory) -> None:
    world.areas["Ours"].suppression_threshold = 5  # its own page shows what the region's page may not
    db.add(world.areas["Ours"])
    db.commit()
    own = survey_results(db, world.surveys["Ours"])
    view = region.regional_view(db, world.surveys["Ours"])
    for theme, own_theme in zip(view.themes, own.themes, strict=True):
        assert theme.summary is None or theme.summary.area == own_theme.summary[0]
        for item, own_item in zip(theme.items, own_theme.items, strict=True):
            assert item.area == own_item.rows[0]
    assert view.threshold == 10  # the largest of the areas compared


def test_the_largest_threshold_of_the_areas_compared_is_used(db: Session, world: World) -> None:
    world.areas["Cliff"].suppression_threshold = 12
    world.areas["Elsewhere"].suppression_threshold = 50  # not compared: no effect
    db.add_all([world.areas["Cliff"], world.areas["Elsewhere"]])
    db.commit()
    view = region.regional_view(db, world.surveys["Ours"])
    assert view.threshold == 12
    # Cliff's 11 agreeing are fine at 10 but not at 12; the region's positives still show (big enough).
    assert comparison(view, "find-support").region is not None


def test_each_other_area_counts_its_survey_nearest_in_time(db: Session, world: World, make: Factory) -> None:
    brook = world.areas["Brook"]
    ours = world.surveys["Ours"]
    far = make.survey(brook.id, world.v1.id, opens_on=ours.opens_on - timedelta(days=400))
    answer(db, far, everyone("agree"), 30)
    near = make.survey(brook.id, world.v1.id, opens_on=ours.opens_on + timedelta(days=3))
    empty = make.survey(brook.id, world.v1.id, opens_on=ours.opens_on)  # no answers: never chosen
    answer(db, near, everyone("agree"), 2)
    area = db.get(Area, ours.area_id)
    assert area is not None
    chosen = {a.name: s.id for a, s in region.comparable_surveys(db, ours, area, world.v1)}
    assert chosen["Brook"] == world.surveys["Brook"].id  # opened the same day
    world.surveys["Brook"].opens_on = ours.opens_on - timedelta(days=10)
    db.add(world.surveys["Brook"])
    db.commit()
    chosen = {a.name: s.id for a, s in region.comparable_surveys(db, ours, area, world.v1)}
    assert chosen["Brook"] == near.id
    assert empty.id not in chosen.values() and far.id not in chosen.values()
    assert "Elsewhere" not in chosen


def test_other_areas_are_never_named_unless_they_agreed(
    client: CheckedClient, db: Session, world: World, make: Factory
) -> None:
    client.sign_in(make.user(Role.commissioner, world.areas["Ours"]))
    url = f"/surveys/{world.surveys['Ours'].id}/region"
    page = client.get(url).text
    assert "Ours" in page and "North" in page
    for name in ("Brook", "Cliff", "Dale", "Elsewhere", "South"):
        assert name not in page

    world.areas["Dale"].named_in_region = True  # Brook and Cliff stay unnamed: two, so Dale may show
    db.add(world.areas["Dale"])
    db.commit()
    view = region.regional_view(db, world.surveys["Ours"])
    assert view.named_areas == ("Dale",)
    dale = comparison(view, "find-support").named[0]
    assert dale is not None and (dale.positive, dale.rated) == counted(db, [world.surveys["Dale"]], "find-support")
    assert comparison(view, "feel-heard").named == (None,)  # Dale asked it on another scale
    page = client.get(url).text
    assert "Dale" in page
    for name in ("Brook", "Cliff", "Elsewhere"):
        assert name not in page

    # With Cliff named too, Brook would be the region less everyone shown: so no one is named.
    world.areas["Cliff"].named_in_region = True
    db.add(world.areas["Cliff"])
    db.commit()
    assert region.regional_view(db, world.surveys["Ours"]).named_areas == ()
    page = client.get(url).text
    for name in ("Brook", "Cliff", "Dale"):
        assert name not in page


def test_fewer_than_two_other_areas_gives_no_comparison(client: CheckedClient, db: Session, make: Factory) -> None:
    north = make.region("North")
    v1 = questionnaire(db)
    ours, brook, cliff = (make.area(name, north) for name in ("Ours", "Brook", "Cliff"))
    survey = make.survey(ours.id, v1.id)
    answer(db, survey, everyone("agree"), 20)
    answer(db, make.survey(brook.id, v1.id), everyone("agree"), 40)
    make.survey(cliff.id, v1.id)  # no answers yet
    view = region.regional_view(db, survey)
    assert (view.state, view.other_areas, view.themes) == (region.TOO_FEW_AREAS, 1, ())
    client.sign_in(make.user(Role.facilitator, ours))
    page = client.get(f"/surveys/{survey.id}/region").text
    assert "Only one other area in North has answers to Region sample." in page
    assert "<table" not in page and "Brook" not in page and "Cliff" not in page


def test_an_area_outside_any_region_gets_a_plain_explanation(client: CheckedClient, db: Session, make: Factory) -> None:
    alone = make.area("Alone")
    survey = make.survey(alone.id, questionnaire(db).id)
    client.sign_in(make.user(Role.commissioner, alone))
    response = client.get(f"/surveys/{survey.id}/region")
    assert response.status_code == 200
    assert "Alone is not in a region, so there are no other areas to compare it with." in response.text
    assert "<table" not in response.text


def test_an_areas_own_questionnaire_is_not_compared(db: Session, world: World, make: Factory) -> None:
    ours = world.areas["Ours"]
    own = questionnaire(db, area=ours)  # same key, but the area's own: another area's could differ
    survey = make.survey(ours.id, own.id)
    answer(db, survey, everyone("agree"), 20)
    assert region.regional_view(db, survey).state == region.OWN_QUESTIONNAIRE


def test_another_areas_staff_get_not_found(client: CheckedClient, world: World, make: Factory) -> None:
    url = f"/surveys/{world.surveys['Ours'].id}/region"
    for role in (Role.commissioner, Role.facilitator):
        client.sign_in(make.user(role, world.areas["Brook"]))
        assert client.get(url).status_code == 404
        client.submit("/sign-out", {}, token_from="/")
    client.sign_in(make.user(Role.admin))
    assert client.get(url).status_code == 200


def test_the_page_shows_both_rows_and_works_as_an_htmx_fragment(
    client: CheckedClient, db: Session, world: World, make: Factory
) -> None:
    client.sign_in(make.user(Role.facilitator, world.areas["Ours"]))
    url = f"/surveys/{world.surveys['Ours'].id}/region"
    page = client.get(url).text
    k, n = counted(db, [world.surveys[name] for name in ("Ours", "Brook", "Cliff", "Dale")], "find-support")
    low, high = wilson_bounds(k, n)
    assert f"<strong>{k / n * 100:.0f}%</strong>" in page
    assert f"{low * 100:.0f}% to {high * 100:.0f}%<br>n = {n}" in page
    assert f"<strong>{24 / 40 * 100:.0f}%</strong>" in page  # ours
    assert "North (all 4 areas)" in page and "Ours (this area)" in page
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Compare with the region" in fragment.text


def test_the_survey_page_links_to_the_regional_view(client: CheckedClient, world: World, make: Factory) -> None:
    client.sign_in(make.user(Role.facilitator, world.areas["Ours"]))
    page = client.get(f"/surveys/{world.surveys['Ours'].id}").text
    assert f'href="/surveys/{world.surveys["Ours"].id}/region">Compare with the region</a>' in page


# Disclosure, audited independently: the agree5 tree, written out here.
TREE = {
    "total": ("rated", "outside"),
    "rated": ("positive", "other"),
    "positive": ("strongly_agree", "agree"),
    "other": ("neither", "disagree", "strongly_disagree"),
    "outside": ("dont_know", "does_not_apply"),
}
NODES = sorted({node for total, parts in TREE.items() for node in (total, *parts)})


def tree_counts(db: Session, surveys: Sequence[Survey], item_key: str) -> dict[str, int]:
    query = (
        select(Answer.choice)
        .join(Response)
        .join(Item)
        .where(Item.key == item_key)
        .where(Response.survey_id.in_([s.id for s in surveys]))  # type: ignore[union-attr]
    )
    choices = list(db.exec(query))
    row = {node: sum(choice == node for choice in choices) for node in NODES}
    for total, parts in reversed(TREE.items()):
        row[total] = sum(row[part] for part in parts)
    return row


def shown_cells(row_name: str, row: Row | None) -> dict[tuple[str, str], int]:
    """What a viewer reads off a row: its total, rated, positive and (on a results page) each answer."""
    if row is None:
        return {}
    cells = {"total": row.total, "rated": row.rated, "positive": row.positive}
    cells |= {share.code: share.count for share in row.shares}
    return {(row_name, node): value for node, value in cells.items() if value is not None}


def recoverable(
    rows: Mapping[str, Mapping[str, int]],
    ties: Sequence[tuple[str, Sequence[str]]],
    known: Mapping[tuple[str, str], int],
) -> list[tuple[tuple[str, str], float, float]]:
    """Cells a viewer can pin to one value: for each unknown cell, its least and greatest value by linear
    programming, given every shown cell, every row's sums and the ties between rows (total = parts)."""
    cells = [(name, node) for name in rows for node in NODES]
    index = {cell: i for i, cell in enumerate(cells)}
    equations: list[tuple[dict[int, float], float]] = []
    for name in rows:
        for total, parts in TREE.items():
            equations.append(({index[(name, total)]: 1.0, **{index[(name, p)]: -1.0 for p in parts}}, 0.0))
    for total_row, part_rows in ties:
        for node in NODES:
            equations.append(({index[(total_row, node)]: 1.0, **{index[(r, node)]: -1.0 for r in part_rows}}, 0.0))
    for cell, value in known.items():
        equations.append(({index[cell]: 1.0}, float(value)))
    a_eq = [[coefficients.get(i, 0.0) for i in range(len(cells))] for coefficients, _ in equations]
    b_eq = [value for _, value in equations]
    found = []
    for cell in cells:
        if cell in known:
            continue
        bounds = []
        for sign in (1.0, -1.0):
            c = [0.0] * len(cells)
            c[index[cell]] = sign
            result = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            assert result.status in (0, 3), result.message  # 3: unbounded, so certainly not pinned down
            bounds.append(sign * result.fun if result.status == 0 else math.inf)
        if bounds[1] - bounds[0] < 0.5:
            found.append((cell, bounds[0], bounds[1]))
    return found


def hidden_cells(row_name: str, row: Row) -> set[tuple[str, str]]:
    """The counts a results page row hides."""
    cells = {"total": row.total, "rated": row.rated, "positive": row.positive}
    cells |= {share.code: share.count for share in row.shares}
    return {(row_name, node) for node, value in cells.items() if value is None}


def small_cells_hidden(
    rows: Mapping[str, Mapping[str, int]],
    recovered: Sequence[tuple[tuple[str, str], float, float]],
    threshold: int,
    own_hidden: set[tuple[str, str]],
) -> None:
    """No small count anywhere, and nothing the area's own page hides, can be worked out."""
    for cell, low, _ in recovered:
        value = rows[cell[0]][cell[1]]
        assert value == 0 or value >= threshold, f"{cell} = {value} can be worked out ({low})"
        assert cell not in own_hidden, f"{cell} is hidden on the area's own page, but can be worked out here"


def test_the_rest_of_the_region_cannot_be_worked_out_when_small(db: Session, make: Factory) -> None:
    """Brook and Cliff have 3 positive answers between them: region less ours would say 3, unless hidden."""
    north = make.region("North")
    v1 = questionnaire(db)
    ours, brook, cliff = (make.area(name, north) for name in ("Ours", "Brook", "Cliff"))
    survey = make.survey(ours.id, v1.id)
    answer(db, survey, everyone("agree"), 30)
    answer(db, survey, everyone("disagree"), 25)
    answer(db, survey, everyone("does_not_apply"), 4)  # small on our own page: hidden there, and here
    others = [make.survey(brook.id, v1.id), make.survey(cliff.id, v1.id)]
    answer(db, others[0], everyone("agree"), 2)
    answer(db, others[0], everyone("strongly_disagree"), 18)
    answer(db, others[1], everyone("strongly_agree"), 1)
    answer(db, others[1], everyone("neither"), 21)
    view = region.regional_view(db, survey)
    item = comparison(view, "find-support")
    assert item.region is not None and item.region.positive is None  # 33 would give the rest's 3

    rows = {"area": tree_counts(db, [survey], "find-support"), "rest": tree_counts(db, others, "find-support")}
    rows["region"] = {node: rows["area"][node] + rows["rest"][node] for node in NODES}
    assert rows["rest"]["positive"] == 3
    own_page = survey_results(db, survey).items[0].rows[0]
    known = shown_cells("area", own_page) | shown_cells("region", item.region)
    assert not [cell for cell in shown_cells("area", item.area) if cell not in known]
    recovered = recoverable(rows, [("region", ("area", "rest"))], known)
    assert ("area", "does_not_apply") in hidden_cells("area", own_page)
    small_cells_hidden(rows, recovered, view.threshold, hidden_cells("area", own_page))


def test_named_areas_never_give_away_the_unnamed(db: Session, make: Factory) -> None:
    """Two named areas and two unnamed: every small count of the unnamed pair, or of anyone, stays hidden."""
    north = make.region("North")
    v1 = questionnaire(db)
    names = ("Ours", "Brook", "Cliff", "Dale", "Eden")
    areas = {name: make.area(name, north) for name in names}
    for name in ("Brook", "Cliff"):
        areas[name].named_in_region = True
    db.add_all(areas.values())
    db.commit()
    surveys = {name: make.survey(area.id, v1.id) for name, area in areas.items()}
    plan = {
        "Ours": [("agree", 25), ("disagree", 20), ("dont_know", 11)],
        "Brook": [("strongly_agree", 14), ("neither", 12), ("dont_know", 2)],
        "Cliff": [("agree", 30), ("strongly_disagree", 13)],
        "Dale": [("agree", 3), ("disagree", 11)],
        "Eden": [("strongly_agree", 1), ("disagree", 15), ("does_not_apply", 1)],
    }
    for name, answers in plan.items():
        for choice, times in answers:
            answer(db, surveys[name], everyone(choice), times)
    view = region.regional_view(db, surveys["Ours"])
    assert view.named_areas == ("Brook", "Cliff")
    item = comparison(view, "find-support")
    assert all(row is not None for row in item.named)

    counts = {name.lower(): tree_counts(db, [surveys[name]], "find-support") for name in names}
    rows = {
        "area": counts["ours"],
        "brook": counts["brook"],
        "cliff": counts["cliff"],
        "unnamed": {node: counts["dale"][node] + counts["eden"][node] for node in NODES},
    }
    rows["rest"] = {node: sum(rows[r][node] for r in ("brook", "cliff", "unnamed")) for node in NODES}
    rows["region"] = {node: rows["area"][node] + rows["rest"][node] for node in NODES}
    assert rows["unnamed"]["positive"] == 4 and rows["unnamed"]["outside"] == 1
    own_page = survey_results(db, surveys["Ours"]).items[0].rows[0]
    known = shown_cells("area", own_page)
    known |= shown_cells("region", item.region)
    for row_name, row in zip(("brook", "cliff"), item.named, strict=True):
        known |= shown_cells(row_name, row)
    ties = [("region", ("area", "rest")), ("rest", ("brook", "cliff", "unnamed"))]
    small_cells_hidden(rows, recoverable(rows, ties, known), view.threshold, hidden_cells("area", own_page))


@pytest.mark.parametrize("seed", range(8))
def test_random_regions_leak_no_small_count(db: Session, make: Factory, seed: int) -> None:
    """Random small regions, some areas named: no count from 1 to 9 anywhere can be pinned down."""
    rng = random.Random(seed)
    north = make.region("North")
    v1 = questionnaire(db)
    names = ["Ours", *(f"Other {i}" for i in range(rng.randint(2, 4)))]
    areas = {name: make.area(name, north) for name in names}
    for name in names[1:]:
        areas[name].named_in_region = rng.random() < 0.5
    db.add_all(areas.values())
    db.commit()
    surveys = {name: make.survey(area.id, v1.id) for name, area in areas.items()}
    choices = [*sorted(RATED), "dont_know", "does_not_apply"]
    for name in names:
        for choice in choices:
            times = rng.choice([0, 0, 1, 2, 3, 5, 8, 12, 20, 35])
            if times:
                answer(db, surveys[name], {"find-support": choice}, times)
    view = region.regional_view(db, surveys["Ours"])
    if view.state != region.READY:
        return
    item = comparison(view, "find-support")
    if item.region is None:
        return
    per_area = {name: tree_counts(db, [surveys[name]], "find-support") for name in names}
    shown_named = [name for name, row in zip(view.named_areas, item.named, strict=True) if row is not None]
    assert all(areas[name].named_in_region for name in view.named_areas)
    unnamed = [name for name in names[1:] if name not in shown_named]
    rows: dict[str, dict[str, int]] = {"area": per_area["Ours"]}
    rows |= {name: per_area[name] for name in shown_named}
    rows["rest"] = {node: sum(per_area[n][node] for n in names[1:]) for node in NODES}
    rows["region"] = {node: rows["area"][node] + rows["rest"][node] for node in NODES}
    own_page = survey_results(db, surveys["Ours"]).items[0].rows[0]
    known = shown_cells("area", own_page)
    known |= shown_cells("region", item.region)
    for name, row in zip(view.named_areas, item.named, strict=True):
        known |= shown_cells(name, row)
    ties = [("region", ("area", "rest"))]
    if unnamed:  # the areas not shown by name, together (with none, a reader knows the rest is the named)
        rows["unnamed"] = {node: sum(per_area[n][node] for n in unnamed) for node in NODES}
    if shown_named:
        ties.append(("rest", (*shown_named, *(["unnamed"] if unnamed else []))))
    small_cells_hidden(rows, recoverable(rows, ties, known), view.threshold, hidden_cells("area", own_page))
    assert item.area == own_page
