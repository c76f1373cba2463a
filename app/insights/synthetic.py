"""Made-up responses for the demo, the benchmarks and the tests: never for a real area's survey.

Each statement gets its own leaning, so results differ between statements and groups the way real
ones do, and a seed makes a run repeatable. Rows are written with multi-row inserts in batches, so
a million answers take seconds, not hours.
"""

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from app.insights.results import load_scales
from app.instruments.models import Item
from app.surveys.models import AboutYou, Answer, Response, Survey, ThemeComment
from app.surveys.responses import ABOUT_YOU_CHOICES, PREFER_NOT_TO_SAY

BATCH = 1000
DEMO_COMMENTS = (
    "It took months to find out who to ask.",
    "The new key worker has made a real difference.",
    "We had to tell our story again at every appointment.",
    "School and health never seem to talk to each other.",
    "The website is hard to use on a phone.",
    "Transport to college is still not sorted.",
)


@dataclass(frozen=True)
class Made:
    responses: int
    answers: int


def _about_you(survey: Survey, rng: random.Random) -> dict[str, str]:
    about: dict[str, str] = {}
    for question in survey.about_you:
        choices = (
            list(survey.localities) if question == AboutYou.locality else list(ABOUT_YOU_CHOICES[AboutYou(question)])
        )
        if rng.random() < 0.06 or not choices:
            about[question] = PREFER_NOT_TO_SAY
        else:
            weights = [1.0 / (index + 1) for index in range(len(choices))]  # some groups far smaller than others
            about[question] = rng.choices(choices, weights)[0]
    return about


def add_responses(
    session: Session, survey: Survey, number: int, *, seed: int = 1, comments: float = 0.0, skew: float = 0.0
) -> Made:
    """Add `number` made-up responses to the survey. `skew` shifts every statement towards positive (0 to 1)."""
    assert survey.id is not None
    rng = random.Random(seed)
    items = list(session.exec(select(Item).where(Item.instrument_id == survey.instrument_id)))
    scales = load_scales(session, survey.instrument_id)
    leanings = {item.id: rng.random() for item in items}
    themes = sorted({item.theme_id for item in items})
    made = 0
    answers = 0
    for batch in _batches(number):
        response_rows = [
            {
                "survey_id": survey.id,
                "submission_key": secrets.token_hex(16),
                "easy_read": rng.random() < 0.1,
                "about_you": _about_you(survey, rng),
            }
            for _ in range(batch)
        ]
        session.execute(insert(Response), response_rows)
        keys = [row["submission_key"] for row in response_rows]
        ids = list(session.exec(select(Response.id).where(col(Response.submission_key).in_(keys))))
        answer_rows: list[dict[str, object]] = []
        for response_id in ids:
            for item in items:
                assert item.id is not None
                scale = scales[item.id]
                if scale.outside and rng.random() < 0.07:
                    choice = rng.choice(scale.outside).code
                else:
                    lean = min(0.95, leanings[item.id] * 0.8 + skew * 0.3)
                    weights = [lean ** (index * 0.7) + 0.05 for index in range(len(scale.points))]
                    choice = rng.choices([point.code for point in scale.points], weights)[0]
                answer_rows.append({"response_id": response_id, "item_id": item.id, "choice": choice, "comments": {}})
        session.execute(insert(Answer), answer_rows)
        comment_rows = [
            {"response_id": response_id, "theme_id": rng.choice(themes), "text": rng.choice(DEMO_COMMENTS)}
            for response_id in ids
            if themes and rng.random() < comments
        ]
        if comment_rows:
            session.execute(insert(ThemeComment), comment_rows)
        made += len(ids)
        answers += len(answer_rows)
    session.flush()
    return Made(made, answers)


def _batches(number: int) -> Iterator[int]:
    while number > 0:
        yield min(BATCH, number)
        number -= BATCH


def count_answers(session: Session, survey: Survey) -> int:
    query = select(func.count()).select_from(Answer).join(Response).where(Response.survey_id == survey.id)
    return int(session.exec(query).one())
