"""The respondent's journey end to end through the web client, on SQLite and PostgreSQL."""

import re
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.core.db import get_session
from app.core.migrations import upgrade
from app.core.schema import utcnow
from app.core.security import keyed_digest
from app.core.settings import Settings
from app.instruments.models import Item
from app.instruments.parsing import parse_instrument
from app.instruments.scales import SCALES
from app.instruments.service import store_instrument
from app.main import create_app
from app.surveys import journey
from app.surveys.models import Answer, Draft, Layout, Response, Survey, ThemeComment
from app.surveys.responses import response_count
from tests.conftest import CheckedClient, Factory

TODAY = date.today()
TWO_THEMES = """\
key: journey-sample
version: 1
kind: i_statements
title: Journey sample
description: For tests.
audiences: [parent_carers]
scale: {scale}
themes:
  - key: info
    title: Finding information
    items:
      - key: find-support
        text: I know where to find support.
        easy_read: I know where to get help.
      - key: feel-heard
        text: I feel heard.
  - key: plans
    title: Plans
    items:
      - key: plan-helps
        text: My plan helps me.
"""


def count(db: Session, model: type) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def make_survey(db: Session, make: Factory, *, scale: str = "agree5", **values: Any) -> Survey:
    content = TWO_THEMES.format(scale=scale).replace("key: journey-sample", f"key: journey-{scale.replace('_', '-')}")
    instrument = store_instrument(db, parse_instrument(content), source="statements").instrument
    db.commit()
    assert instrument.id is not None
    return make.survey(make.area().id, instrument.id, **values)


class Respondent:
    """One person's browser: it keeps its cookies, and posts forms with the token from the page it is on."""

    def __init__(self, client: CheckedClient, survey: Survey) -> None:
        self.client = client
        self.base = f"/s/{survey.public_code}"
        self.token = ""
        self.html = ""

    def get(self, path: str, status: int = 200) -> Any:
        response = self.client.get(self.base + path)
        assert response.status_code == status, response.text
        self.html = response.text
        if match := re.search(r'name="csrf_token" value="([^"]+)"', response.text):
            self.token = match.group(1)
        return response

    def post(self, path: str, data: dict[str, str], status: int = 303) -> Any:
        response = self.client.post(self.base + path, data={**data, "csrf_token": self.token})
        assert response.status_code == status, response.text
        if status != 303:
            self.html = response.text
            if match := re.search(r'name="csrf_token" value="([^"]+)"', response.text):
                self.token = match.group(1)
        return response

    def start(self, **data: str) -> str:
        self.get("")
        return str(self.post("/start", data).headers["location"])

    def answer(self, location: str, data: dict[str, str], status: int = 303) -> str:
        self.get(location.removeprefix(self.base))
        response = self.post(location.removeprefix(self.base), data, status)
        return str(response.headers.get("location", ""))

    def check(self) -> str:
        """Open check your answers; return the submission key its send form carries."""
        self.get("/check")
        key = re.search(r'name="submission_key" value="([^"]+)"', self.html)
        assert key
        return key.group(1)

    def send(self) -> Any:
        return self.post("/send", {"submission_key": self.check()})


def errors(html: str) -> list[str]:
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, re.S)
    assert summary, "no error summary"
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'<a href="#[^"]+">(.*?)</a>', summary.group(0))]


@pytest.fixture
def person(client: CheckedClient) -> Any:
    return lambda survey: Respondent(client, survey)


def test_a_whole_journey_one_statement_a_page(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, about_you=["group", "age_band"])
    me = person(survey)
    me.get("")
    assert "There are 3 statements" in me.html and "anonymous" in me.html
    location = me.post("/start", {}).headers["location"]
    assert location == f"{me.base}/page/1"
    me.get("/page/1")
    assert "Page 1 of 4" in me.html and "<h1" in me.html and "I know where to find support." in me.html
    assert "Don&#39;t know" in me.html and "Does not apply to me" in me.html
    assert f'href="{me.base}"' in me.html  # back to the start page
    location = me.answer(location, {"q-find-support": "agree"})
    assert location == f"{me.base}/page/2"
    me.get("/page/2")
    assert "Is there anything else you want to tell us about finding information?" in me.html
    location = me.answer(location, {"q-feel-heard": "dont_know", "theme-info": "  More in one place, please. "})
    location = me.answer(location, {"q-plan-helps": "strongly_disagree"})
    me.get("/page/4")
    assert "About you" in me.html and "I prefer not to say" in me.html
    assert me.answer(location, {"group": "parent_carer", "age_band": "prefer_not_to_say"}) == f"{me.base}/check"
    me.get("/check")
    for shown in ("Agree", "Don&#39;t know", "Strongly disagree", "More in one place, please.", "Parent or carer"):
        assert shown in me.html
    assert count(db, Response) == 0  # nothing counts until it is sent
    assert me.send().headers["location"] == f"{me.base}/done"
    me.get("/done")
    assert "Your answers have been sent" in me.html
    response = db.exec(select(Response)).one()
    assert response.survey_id == survey.id and not response.easy_read
    # Kept to the hour, so it cannot be matched with a visit in a server or proxy log.
    assert (response.submitted_at.minute, response.submitted_at.second, response.submitted_at.microsecond) == (0, 0, 0)
    assert response.about_you == {"group": "parent_carer", "age_band": "prefer_not_to_say"}
    stored = dict(db.exec(select(Item.key, Answer.choice).join(Item, col(Item.id) == col(Answer.item_id))).all())
    assert stored == {"find-support": "agree", "feel-heard": "dont_know", "plan-helps": "strongly_disagree"}
    assert db.exec(select(ThemeComment.text)).one() == "More in one place, please."
    assert count(db, Draft) == 0
    me.get("")
    assert "You have sent your answers from this device" in me.html


def test_one_theme_a_page_puts_each_theme_on_one_page(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, layout=Layout.theme)
    me = person(survey)
    location = me.start()
    me.get("/page/1")
    assert "Page 1 of 2" in me.html and '<h1 class="govuk-heading-l">Finding information</h1>' in me.html
    assert me.html.count("<fieldset") == 2  # each statement its own fieldset, never a grid
    assert "<table" not in me.html
    location = me.answer(location, {"q-find-support": "agree", "q-feel-heard": "neither"})
    assert me.answer(location, {"q-plan-helps": "agree"}) == f"{me.base}/check"
    me.send()
    assert count(db, Answer) == 3


@pytest.mark.parametrize("scale_key", sorted(SCALES))
def test_every_scale_can_be_answered(db: Session, make: Factory, person: Any, scale_key: str) -> None:
    scale = SCALES[scale_key]
    survey = make_survey(db, make, scale=scale_key, layout=Layout.theme)
    me = person(survey)
    location = me.start()
    me.get("/page/1")
    for point in (*scale.points, *scale.outside):
        assert point.label.replace("'", "&#39;") in me.html
    first, last = scale.points[0].code, (scale.outside or scale.points)[-1].code
    answers = {"q-find-support": first, "q-feel-heard": last}
    for prompt in scale.comments:
        answers[f"q-find-support-{prompt.key}"] = f"Words for {prompt.key}"
    location = me.answer(location, answers)
    me.answer(location, {"q-plan-helps": scale.points[-1].code})
    me.send()
    stored = {
        key: (choice, comments)
        for key, choice, comments in db.exec(
            select(Item.key, Answer.choice, Answer.comments).join(Item, col(Item.id) == col(Answer.item_id))
        )
    }
    assert stored["find-support"] == (first, {prompt.key: f"Words for {prompt.key}" for prompt in scale.comments})
    assert stored["feel-heard"] == (last, {})
    assert stored["plan-helps"][0] == scale.points[-1].code


def test_easy_read_shows_easy_words_and_faces_and_counts_the_same(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make)
    me = person(survey)
    me.get("")
    assert "Use easy read" in me.html
    assert me.post("/easy-read", {"back": me.base}).headers["location"] == me.base
    me.get("")
    assert "Use standard words" in me.html and "We want to know what you think." in me.html
    location = me.post("/start", {}).headers["location"]
    me.get("/page/1")
    assert "I know where to get help." in me.html and "I know where to find support." not in me.html
    assert me.html.count('class="app-face"') == 5 and "Very true for me" in me.html and "Not for me" in me.html
    location = me.answer(location, {"q-find-support": "strongly_agree"})  # the scale's own codes
    location = me.answer(location, {"q-feel-heard": "does_not_apply"})
    me.answer(location, {"q-plan-helps": "disagree"})
    me.get("/check")
    assert "Very true for me" in me.html
    me.send()
    response = db.exec(select(Response)).one()
    assert response.easy_read
    assert set(db.exec(select(Answer.choice)).all()) == {"strongly_agree", "does_not_apply", "disagree"}


def test_the_easy_read_switch_only_returns_to_this_survey(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make)
    me = person(survey)
    me.get("")
    for back in ("https://evil.example/", "//evil.example", "/surveys", f"{me.base}//x"):
        assert me.post("/easy-read", {"back": back}).headers["location"] == me.base
    assert me.post("/easy-read", {"back": f"{me.base}/page/2?change=true"}).headers["location"] == (
        f"{me.base}/page/2?change=true"
    )


def test_a_missing_or_bad_answer_is_explained_and_nothing_is_kept(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, about_you=["group"])
    me = person(survey)
    location = me.start()
    me.answer(location, {}, status=400)
    assert errors(me.html) == ["Choose an answer to “I know where to find support.”"]
    assert 'href="#q-find-support"' in me.html and "<title>Error: " in me.html
    me.answer(location, {"q-find-support": "maybe"}, status=400)
    assert errors(me.html) == ["Choose one of the answers given"]
    location = me.answer(location, {"q-find-support": "agree"})
    me.answer(location, {"q-feel-heard": "agree", "theme-info": "x" * 2001}, status=400)
    assert errors(me.html) == ["What you tell us must be 2000 characters or fewer"]
    assert 'name="theme-info"' in me.html and "x" * 2001 in me.html  # what they typed is kept on the page
    draft = db.exec(select(Draft)).one()
    db.refresh(draft)
    assert list(draft.choices.values()) == ["agree"]  # only the page that was accepted
    me.answer(f"{me.base}/page/4", {"group": "astronaut"}, status=400)
    assert errors(me.html) == ["Choose one of the answers given"]
    # A field the questionnaire does not have is ignored: nothing is stored for it.
    me.answer(location, {"q-feel-heard": "agree", "q-not-a-statement": "agree"})
    db.refresh(draft)
    assert len(draft.choices) == 2
    assert count(db, Response) == 0


def test_sending_before_every_statement_is_answered_is_refused(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make)
    me = person(survey)
    me.answer(me.start(), {"q-find-support": "agree"})
    key = me.check()
    assert "Not answered" in me.html and f'href="{me.base}/page/2"' in me.html
    me.post("/send", {"submission_key": key}, status=400)
    assert errors(me.html) == ["Answer every statement before you send your answers"]
    assert count(db, Response) == 0


def test_change_links_return_to_check_your_answers(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, layout=Layout.theme)
    me = person(survey)
    me.answer(me.answer(me.start(), {"q-find-support": "agree", "q-feel-heard": "agree"}), {"q-plan-helps": "agree"})
    me.get("/check")
    assert f'href="{me.base}/page/2?change=true"' in me.html
    me.get("/page/2?change=true")
    assert 'value="agree" checked' in me.html and f'href="{me.base}/check"' in me.html
    response = me.post("/page/2", {"q-plan-helps": "disagree", "change": "true"})
    assert response.headers["location"] == f"{me.base}/check"
    me.get("/check")
    assert "Disagree" in me.html


def test_an_access_code_is_needed_to_start(db: Session, make: Factory, person: Any, app: FastAPI) -> None:
    survey = make_survey(db, make)
    survey.access_code_hash = keyed_digest(app.state.secret_key, "access:" + "forum2027")
    db.add(survey)
    db.commit()
    me = person(survey)
    me.get("")
    assert 'name="access_code"' in me.html
    me.post("/start", {}, status=400)
    assert errors(me.html) == ["Enter the access code you were given"]
    me.post("/start", {"access_code": "wrong"}, status=400)
    assert errors(me.html) == ["That access code is not right. Check it with the person who gave you the link"]
    assert count(db, Draft) == 0
    me.get("/page/1", status=303)  # no way round the start page
    assert me.post("/start", {"access_code": "  FORUM2027 "}).headers["location"] == f"{me.base}/page/1"


@pytest.mark.parametrize(
    ("values", "heading"),
    [
        ({"closed_at": utcnow()}, "This survey has closed"),
        ({"opens_on": TODAY - timedelta(days=9), "closes_on": TODAY - timedelta(days=1)}, "This survey has closed"),
        ({"opens_on": TODAY + timedelta(days=3)}, "This survey is not open yet"),
    ],
)
def test_closed_and_not_yet_open_surveys_get_a_clear_page(
    db: Session, make: Factory, person: Any, values: dict[str, Any], heading: str
) -> None:
    survey = make_survey(db, make, **values)
    me = person(survey)
    for path in ("", "/page/1", "/check", "/resume"):
        me.get(path)
        assert heading in me.html
    me.post("/start", {}, status=200)
    assert heading in me.html and count(db, Draft) == 0
    # Once it has closed, people most want to know what became of their answers.
    assert (f"/s/{survey.public_code}/you-said-we-did" in me.html) == ("closed" in heading)


def test_an_unknown_survey_gets_a_clear_page(client: CheckedClient) -> None:
    response = client.get("/s/nosuchcode")
    assert response.status_code == 404 and "We cannot find that survey" in response.text


def test_a_page_number_the_survey_does_not_have_is_not_found(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make)
    me = person(survey)
    me.start()
    for number in ("0", "4", "99"):
        me.get(f"/page/{number}", status=404)
        assert "Page not found" in me.html
    me.post("/page/99", {"q-find-support": "agree"}, status=404)
    me.get("/page/two", status=404)
    assert count(db, Response) == 0


def test_a_survey_closing_mid_way_stores_nothing(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, layout=Layout.theme)
    me = person(survey)
    me.answer(me.answer(me.start(), {"q-find-support": "agree", "q-feel-heard": "agree"}), {"q-plan-helps": "agree"})
    key = me.check()
    survey.closed_at = utcnow()
    db.add(survey)
    db.commit()
    me.post("/send", {"submission_key": key}, status=200)
    assert "This survey has closed" in me.html
    assert count(db, Response) == 0
    assert journey.purge_drafts(db, today=TODAY) == 1 and count(db, Draft) == 0


def test_save_and_come_back_on_another_device(db: Session, make: Factory, app: FastAPI) -> None:
    survey = make_survey(db, make)
    phone = Respondent(CheckedClient(app), survey)
    location = phone.answer(phone.start(), {"q-find-support": "agree"})
    saved = phone.answer(location, {"action": "save", "theme-info": "Half way."})
    assert saved == f"{phone.base}/saved"
    phone.get("/saved")
    code = re.search(r'id="resume-code">([A-Z0-9 ]+)<', phone.html)
    assert code and re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4}", code.group(1))
    link = re.search(rf'href="http://testserver({phone.base}/resume/[a-z0-9]+)"', phone.html)
    assert link and not re.search(r"[01ilo]", code.group(1).lower())

    laptop = Respondent(CheckedClient(app), survey)
    laptop.get("/resume")
    laptop.post("/resume", {"code": "ZZZZ ZZZZ"}, status=400)
    assert errors(laptop.html) == ["We cannot find answers saved with that code. Check the code and try again"]
    laptop.post("/resume", {"code": ""}, status=400)
    laptop.get(link.group(1).removeprefix(laptop.base))
    assert code.group(1).replace(" ", "") in laptop.html  # the link fills the code in; a button carries on
    location = laptop.post("/resume", {"code": code.group(1).lower().replace(" ", "-")}).headers["location"]
    assert location == f"{laptop.base}/page/2"
    laptop.get("/page/2")
    assert "Half way." in laptop.html
    laptop.get("/page/1")
    assert 'value="agree" checked' in laptop.html
    phone.get("/page/2", status=303)  # the phone's copy stops working once the laptop carries on
    laptop.answer(
        laptop.answer(location, {"q-feel-heard": "agree", "theme-info": "Half way."}), {"q-plan-helps": "agree"}
    )
    laptop.send()
    assert count(db, Response) == 1 and count(db, Draft) == 0
    assert db.exec(select(ThemeComment.text)).one() == "Half way."
    laptop.post("/resume", {"code": code.group(1)}, status=400)  # sent: the code is spent


def test_a_retry_double_click_or_back_button_stores_one_response(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, layout=Layout.theme)
    me = person(survey)
    me.answer(me.answer(me.start(), {"q-find-support": "agree", "q-feel-heard": "agree"}), {"q-plan-helps": "agree"})
    key = me.check()
    for _ in range(3):
        assert me.post("/send", {"submission_key": key}).headers["location"] == f"{me.base}/done"
    me.get("/check", status=303)  # back: the draft is gone, so the person is sent to the start
    assert count(db, Response) == 1 and count(db, Answer) == 3
    assert response_count(db, survey) == 1
    # A made-up key for no draft stores nothing and goes to the start page.
    assert me.post("/send", {"submission_key": "made-up"}).headers["location"] == me.base
    assert count(db, Response) == 1


def test_drafts_never_count_as_responses(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make, layout=Layout.theme)
    for _ in range(3):
        me = person(survey)
        me.answer(me.start(), {"q-find-support": "agree", "q-feel-heard": "agree"})
        me.client.cookies.clear()
    assert count(db, Draft) == 3 and response_count(db, survey) == 0


def test_boosted_steps_swap_the_page_and_show_errors_inline(db: Session, make: Factory, person: Any) -> None:
    survey = make_survey(db, make)
    me = person(survey)
    location = me.start()
    me.get("/page/1")
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    response = me.client.post(location, data={"csrf_token": me.token}, headers=boosted)
    assert response.status_code == 400 and "govuk-error-summary" in response.text and "<html" in response.text
    response = me.client.post(location, data={"csrf_token": me.token, "q-find-support": "agree"}, headers=boosted)
    assert response.status_code == 303 and response.headers["location"] == f"{me.base}/page/2"


def test_public_pages_are_rate_limited(db: Session, make: Factory, engine: Engine, tmp_path: Any) -> None:
    survey = make_survey(db, make)
    app = create_app(Settings(data_dir=tmp_path, secret_key="k" * 40, public_rate_limit=3), engine=engine)

    async def session() -> Any:
        yield db

    app.dependency_overrides[get_session] = session
    client = CheckedClient(app)
    assert [client.get(f"/s/{survey.public_code}").status_code for _ in range(4)] == [200, 200, 200, 429]
    response = client.get(f"/s/{survey.public_code}")
    assert "Too many requests" in response.text and int(response.headers["retry-after"]) > 0
    assert CheckedClient(app, client=("192.0.2.7", 5000)).get(f"/s/{survey.public_code}").status_code == 200


def test_concurrent_duplicate_sends_store_one_response(fresh_engine: Engine, tmp_path: Any) -> None:
    upgrade(fresh_engine)
    with Session(fresh_engine, expire_on_commit=False) as db:
        survey = make_survey(db, Factory(db), layout=Layout.theme)
    app = create_app(Settings(data_dir=tmp_path, secret_key="k" * 40), engine=fresh_engine)
    with CheckedClient(app) as first:
        me = Respondent(first, survey)
        me.answer(
            me.answer(me.start(), {"q-find-support": "agree", "q-feel-heard": "agree"}), {"q-plan-helps": "agree"}
        )
        data = {"csrf_token": me.token, "submission_key": me.check()}
        cookies = dict(first.cookies)
    barrier = threading.Barrier(5)
    statuses: list[tuple[int, str]] = []

    def send() -> None:
        with CheckedClient(app, cookies=cookies) as client:
            barrier.wait()
            response = client.post(f"/s/{survey.public_code}/send", data=data)
            statuses.append((response.status_code, response.headers.get("location", "")))

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [(303, f"/s/{survey.public_code}/done")] * 5
    with Session(fresh_engine) as db:
        assert count(db, Response) == 1 and count(db, Answer) == 3 and count(db, Draft) == 0
