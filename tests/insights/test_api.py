"""The JSON API: its schema, who may use it, and figures that agree with survey_results and with the test's own."""

import json

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.accounts.models import Role
from app.areas.models import Area
from app.insights import results
from tests.conftest import CheckedClient, Factory
from tests.insights.test_exports import PEOPLE, PRIVATE, THRESHOLD, Setting, build_setting, wilson


@pytest.fixture
def setting(db: Session, make: Factory) -> Setting:
    return build_setting(db, make)


SURVEY_PATHS = ("/api/v1/surveys/{id}/results", "/api/v1/surveys/{id}/answers")


def test_the_schema_lists_only_the_api_with_its_models(client: CheckedClient, app: FastAPI) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}/results",
        "/api/v1/surveys/{survey_id}/answers",
    }
    models = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        answer = operations["get"]["responses"]["200"]
        assert answer["description"], path
        (content,) = answer["content"].values()
        text = json.dumps(content["schema"])
        assert "#/components/schemas/" in text, path
        assert operations["get"]["security"] == [{"APIKeyCookie": []}]
        for status in ("401", "404"):
            assert operations["get"]["responses"][status]["content"]["application/json"]["schema"]
    assert (
        "application/x-ndjson"
        in schema["paths"]["/api/v1/surveys/{survey_id}/answers"]["get"]["responses"]["200"]["content"]
    )
    for name in ("SurveyOut", "SurveyResultsOut", "ResultRow", "Count", "Interval", "AnswerLine"):
        assert name in models
    assert models["Count"]["properties"]["suppressed"]["description"]
    assert schema["components"]["securitySchemes"]["APIKeyCookie"]["in"] == "cookie"
    assert client.get("/docs").status_code == 404  # no Swagger UI: it would need a CDN


def test_signed_out_requests_get_401_json_not_the_sign_in_page(client: CheckedClient, setting: Setting) -> None:
    for path in ("/api/v1/surveys", *(path.format(id=setting.survey.id) for path in SURVEY_PATHS)):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/json"
        assert "Sign in" in response.json()["detail"]


def test_another_areas_survey_is_404_json(client: CheckedClient, make: Factory, setting: Setting) -> None:
    client.sign_in(make.user(Role.commissioner, make.area()))
    assert client.get("/api/v1/surveys").json() == []
    for path in SURVEY_PATHS:
        response = client.get(path.format(id=setting.survey.id))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found"}
    assert client.get("/api/v1/surveys/999999/results").status_code == 404
    assert client.get("/api/v1/nothing-here").json() == {"detail": "Not Found"}
    # Pages keep their own error pages.
    page = client.get(f"/surveys/{setting.survey.id}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_a_temporary_password_must_be_changed_first(client: CheckedClient, make: Factory, db: Session) -> None:
    user = make.user(Role.facilitator)
    user.must_change_password = True
    db.add(user)
    db.commit()
    client.sign_in(user)
    response = client.get("/api/v1/surveys")
    assert response.status_code == 403 and "password" in response.json()["detail"]


def test_the_surveys_list(client: CheckedClient, app: FastAPI, make: Factory, setting: Setting) -> None:
    client.sign_in(make.user(Role.facilitator, setting.area))
    (listed,) = client.get("/api/v1/surveys").json()
    assert listed == {
        "id": setting.survey.id,
        "title": "Spring listening",
        "wave": 1,
        "instrument_key": "export-sample",
        "instrument_version": 1,
        "opens_on": setting.survey.opens_on.isoformat(),
        "closes_on": None,
        "state": "open",
        "responses": len(PEOPLE),
    }
    admin = CheckedClient(app)
    admin.sign_in(make.user(Role.admin))
    assert {survey["title"] for survey in admin.get("/api/v1/surveys").json()} == {"Spring listening", "Elsewhere"}


def test_results_agree_with_survey_results_and_hide_small_counts(
    client: CheckedClient, make: Factory, db: Session, setting: Setting
) -> None:
    client.sign_in(make.user(Role.commissioner, setting.area))
    body = client.get(f"/api/v1/surveys/{setting.survey.id}/results").json()
    assert (body["threshold"], body["responses"], body["breakdown"]) == (THRESHOLD, len(PEOPLE), None)
    assert any("Wilson" in line for line in body["methods"])
    statement = body["themes"][0]["statements"][0]
    assert (statement["key"], statement["scale"]) == ("find-support", "agree5")
    (whole,) = statement["rows"]
    answered = [person.find_support for person in PEOPLE if person.find_support]
    positive = sum(1 for answer in answered if answer in ("agree", "strongly_agree"))
    assert (whole["n"], whole["rated"], whole["positive"]) == (
        {"value": len(answered), "suppressed": False},
        {"value": len(answered), "suppressed": False},
        {"value": positive, "suppressed": False},
    )
    value, low, high = wilson(positive, len(answered))
    assert abs(whole["proportion"]["value"] - value) < 1e-9
    assert abs(whole["proportion"]["low"] - low) < 1e-9 and abs(whole["proportion"]["high"] - high) < 1e-9
    shares = {share["code"]: share for share in whole["answers"]}
    assert shares["strongly_agree"]["count"] == {"value": None, "suppressed": True}
    assert shares["disagree"]["count"] == {"value": 5, "suppressed": False}
    assert shares["dont_know"]["on_scale"] is False

    body = client.get(f"/api/v1/surveys/{setting.survey.id}/results?breakdown=group").json()
    assert body["breakdown"]["label"] == "Respondent group"
    assert [value["value"] for value in body["breakdown"]["values"]] == ["parent_carer", "young_person", "child"]
    outcome = results.survey_results(db, setting.survey, "group")
    for theme, expected_theme in zip(body["themes"], outcome.themes, strict=True):
        for rows, expected_rows in [(theme["people"], expected_theme.summary)] + [
            (item["rows"], expected.rows)
            for item, expected in zip(theme["statements"], expected_theme.items, strict=True)
        ]:
            for row, expected in zip(rows, expected_rows, strict=True):
                for name, count in (("n", expected.total), ("rated", expected.rated), ("positive", expected.positive)):
                    assert row[name] == {"value": count, "suppressed": count is None}
                if expected.proportion is None:
                    assert row["proportion"] is None
                else:
                    assert row["proportion"]["low"] == expected.proportion.low
                for share, part in zip(row["answers"], expected.shares, strict=True):
                    assert share["count"] == {"value": part.count, "suppressed": part.count is None}
    children = body["themes"][0]["statements"][0]["rows"][3]
    assert children["label"] == "Children" and children["n"] == {"value": None, "suppressed": True}

    assert client.get(f"/api/v1/surveys/{setting.survey.id}/results?breakdown=age_band").status_code == 422
    invalid = client.get(f"/api/v1/surveys/{setting.survey.id}/results?breakdown=shoe_size")
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["query", "breakdown"]


def test_answers_stream_one_line_per_response(
    client: CheckedClient, make: Factory, setting: Setting, db: Session
) -> None:
    area = db.get(Area, setting.survey.area_id)
    client.sign_in(make.user(Role.facilitator, area))
    response = client.get(f"/api/v1/surveys/{setting.survey.id}/answers")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["response"] for line in lines] == list(range(1, len(PEOPLE) + 1))
    for line, person in zip(lines, PEOPLE, strict=True):
        group = "fewer than 5" if person.group == "child" else person.group
        locality = {"South": "fewer than 5", "@East": "'@East"}.get(person.locality, person.locality)
        assert line == {
            "response": line["response"],
            "month": person.month,
            "easy_read": person.easy_read,
            "about_you": {"group": group, "locality": locality},
            "answers": {
                "find-support": person.find_support,
                "feel-heard": person.feel_heard,
                "plan-helps": person.plan_helps,
            },
        }
    assert PRIVATE not in response.text
