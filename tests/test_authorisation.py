"""Who may use which staff route: every route x every role x own or other area, and anonymous.

A route added without a role requirement, or without a row here, fails `test_every_route_is_in_the_matrix`.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session

from app.accounts.auth import role_requirements
from app.accounts.models import Role, User
from app.areas.models import Area, Region
from app.events import participation
from app.events import service as event_service
from app.events.models import ActivityKind
from app.insights import comments, indicators, you_said
from app.insights.models import ActionStatus
from app.instruments.builder import add_own_item, create_draft
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from tests.conftest import CheckedClient, Factory
from tests.instruments.test_parsing import GOOD

ADMIN = frozenset({Role.admin})
FACILITATOR = frozenset({Role.facilitator})
RUNNERS = frozenset({Role.facilitator, Role.commissioner})  # who sets up and runs surveys
COMMISSIONER = frozenset({Role.commissioner})  # who defines quality indicators
SCOPED = ("{area_id}", "{instrument_id}", "{draft_id}", "{survey_id}", "{indicator_id}", "{event_id}")
# POSTs that need no fields succeed with an empty form; every other POST answers it with errors (400).
ALLOWED_POST_STATUS = {
    "/questionnaires/{draft_id}/items/{key}/{action}": 303,
    "/questionnaires/{draft_id}/save": 303,
    "/surveys/{survey_id}/close": 303,
    "/surveys/{survey_id}/reopen": 303,
    "/surveys/{survey_id}/you-said-we-did/{entry_id}/publish": 303,
    "/surveys/{survey_id}/you-said-we-did/{entry_id}/unpublish": 303,
    "/surveys/{survey_id}/you-said-we-did/{entry_id}/move-up": 303,
    "/surveys/{survey_id}/you-said-we-did/{entry_id}/move-down": 303,
    "/surveys/{survey_id}/you-said-we-did/{entry_id}/delete": 303,
    "/surveys/{survey_id}/comments/tags/{tag_id}/delete": 303,
    "/dashboard/indicators/{indicator_id}/delete": 303,
    # Live events, planning and console: controls need no fields.
    "/events/{event_id}/open": 303,
    "/events/{event_id}/end": 303,
    "/events/{event_id}/activities/{activity_id}/move-up": 303,
    "/events/{event_id}/activities/{activity_id}/move-down": 303,
    "/events/{event_id}/activities/{activity_id}/start": 303,
    "/events/{event_id}/activities/{activity_id}/pause": 303,
    "/events/{event_id}/activities/{activity_id}/resume": 303,
    "/events/{event_id}/activities/{activity_id}/close": 303,
    "/events/{event_id}/activities/{activity_id}/show-results": 303,
    "/events/{event_id}/activities/{activity_id}/hide-results": 303,
    "/events/{event_id}/next": 303,
    "/events/{event_id}/ideas/{idea_id}/approve": 303,
    "/events/{event_id}/ideas/{idea_id}/hide": 303,
}  # paths that belong to one area
STAFF = frozenset(Role)

# Routes anyone may use, signed in or not. Everything else is a staff route.
PUBLIC_ROUTES = {
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-out"),
    ("GET", "/accessibility"),
    ("GET", "/privacy"),
    # A respondent's pages: no account, rate limited, tested in tests/surveys/test_journey.py.
    ("GET", "/s/{code}"),
    ("POST", "/s/{code}/start"),
    ("GET", "/s/{code}/page/{number}"),
    ("POST", "/s/{code}/page/{number}"),
    ("GET", "/s/{code}/check"),
    ("POST", "/s/{code}/send"),
    ("GET", "/s/{code}/done"),
    ("GET", "/s/{code}/saved"),
    ("GET", "/s/{code}/resume"),
    ("GET", "/s/{code}/resume/{resume_code}"),
    ("POST", "/s/{code}/resume"),
    ("POST", "/s/{code}/easy-read"),
    # What the area did about a survey, open or closed: tested in tests/insights/test_you_said.py.
    ("GET", "/s/{code}/you-said-we-did"),
    # A live event's participants: no account, tested in tests/events/test_participate.py. The two polls
    # (/live...) are not rate limited: a room behind one venue address polls every 2 s.
    ("GET", "/join"),
    ("POST", "/join"),
    ("GET", "/e/{code}"),
    ("POST", "/e/{code}/join"),
    ("GET", "/e/{code}/group"),
    ("POST", "/e/{code}/group"),
    ("POST", "/e/{code}/easy-read"),
    ("POST", "/e/{code}/answer"),
    ("POST", "/e/{code}/idea"),
    ("GET", "/e/{code}/live"),
    ("GET", "/e/{code}/live/results"),
}

# (method, path) -> roles allowed. Paths with {area_id} are checked against the user's own area and another.
STAFF_ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/account/password"): STAFF,
    ("POST", "/account/password"): STAFF,
    ("GET", "/areas"): STAFF,
    ("GET", "/areas/new"): ADMIN,
    ("POST", "/areas/new"): ADMIN,
    ("GET", "/areas/{area_id}"): STAFF,
    ("GET", "/areas/{area_id}/edit"): ADMIN,
    ("POST", "/areas/{area_id}/edit"): ADMIN,
    ("GET", "/regions/new"): ADMIN,
    ("POST", "/regions/new"): ADMIN,
    ("GET", "/regions/{region_id}/edit"): ADMIN,
    ("POST", "/regions/{region_id}/edit"): ADMIN,
    ("GET", "/users"): ADMIN,
    ("GET", "/users/new"): ADMIN,
    ("POST", "/users/new"): ADMIN,
    ("GET", "/users/{user_id}/edit"): ADMIN,
    ("POST", "/users/{user_id}/edit"): ADMIN,
    ("GET", "/site-pages/{slug}/edit"): ADMIN,
    ("GET", "/bank"): STAFF,
    ("GET", "/bank/upload"): frozenset({Role.admin, Role.facilitator}),
    ("GET", "/surveys"): STAFF,
    ("GET", "/surveys/new"): RUNNERS,
    ("POST", "/surveys/new"): RUNNERS,
    ("GET", "/surveys/{survey_id}"): STAFF,
    ("GET", "/surveys/{survey_id}/qr.svg"): STAFF,
    ("GET", "/surveys/{survey_id}/qr.png"): STAFF,
    ("GET", "/surveys/{survey_id}/poster"): STAFF,
    ("GET", "/surveys/{survey_id}/ladder-results"): STAFF,
    ("GET", "/surveys/{survey_id}/audit-results"): STAFF,
    ("GET", "/surveys/{survey_id}/stage-results"): STAFF,
    ("GET", "/surveys/{survey_id}/improvement-plan.csv"): STAFF,
    ("GET", "/surveys/{survey_id}/improvement-plan.xlsx"): STAFF,
    ("GET", "/surveys/{survey_id}/count"): STAFF,
    ("GET", "/surveys/{survey_id}/results"): STAFF,
    ("GET", "/surveys/{survey_id}/report"): STAFF,
    ("POST", "/surveys/{survey_id}/close"): RUNNERS,
    ("POST", "/surveys/{survey_id}/reopen"): RUNNERS,
    ("GET", "/surveys/{survey_id}/region"): STAFF,
    ("GET", "/surveys/{survey_id}/compare"): STAFF,
    ("GET", "/dashboard"): STAFF,
    ("GET", "/dashboard/indicators/new"): COMMISSIONER,
    ("POST", "/dashboard/indicators/new"): COMMISSIONER,
    ("GET", "/dashboard/indicators/{indicator_id}/edit"): COMMISSIONER,
    ("POST", "/dashboard/indicators/{indicator_id}/edit"): COMMISSIONER,
    ("GET", "/dashboard/indicators/{indicator_id}/delete"): COMMISSIONER,
    ("POST", "/dashboard/indicators/{indicator_id}/delete"): COMMISSIONER,
    ("GET", "/surveys/{survey_id}/export"): STAFF,
    ("GET", "/surveys/{survey_id}/export/answers.csv"): STAFF,
    ("GET", "/surveys/{survey_id}/export/summary.csv"): STAFF,
    ("GET", "/surveys/{survey_id}/export/results.xlsx"): STAFF,
    ("GET", "/api/v1/surveys"): STAFF,
    ("GET", "/api/v1/surveys/{survey_id}/results"): STAFF,
    ("GET", "/api/v1/surveys/{survey_id}/answers"): STAFF,
    ("GET", "/surveys/{survey_id}/you-said-we-did"): STAFF,
    ("GET", "/surveys/{survey_id}/you-said-we-did/new"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/new"): RUNNERS,
    ("GET", "/surveys/{survey_id}/you-said-we-did/{entry_id}/edit"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/edit"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/publish"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/unpublish"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/move-up"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/move-down"): RUNNERS,
    ("GET", "/surveys/{survey_id}/you-said-we-did/{entry_id}/delete"): RUNNERS,
    ("POST", "/surveys/{survey_id}/you-said-we-did/{entry_id}/delete"): RUNNERS,
    ("GET", "/surveys/{survey_id}/comments"): STAFF,
    ("GET", "/surveys/{survey_id}/comments.csv"): STAFF,
    ("GET", "/surveys/{survey_id}/rating-comments"): STAFF,
    ("GET", "/surveys/{survey_id}/rating-comments.csv"): STAFF,
    ("POST", "/surveys/{survey_id}/comments/tag"): RUNNERS,
    ("POST", "/surveys/{survey_id}/comments/untag"): RUNNERS,
    ("GET", "/surveys/{survey_id}/comments/tags"): RUNNERS,
    ("POST", "/surveys/{survey_id}/comments/tags"): RUNNERS,
    ("GET", "/surveys/{survey_id}/comments/tags/{tag_id}"): RUNNERS,
    ("POST", "/surveys/{survey_id}/comments/tags/{tag_id}"): RUNNERS,
    ("GET", "/surveys/{survey_id}/comments/tags/{tag_id}/delete"): RUNNERS,
    ("POST", "/surveys/{survey_id}/comments/tags/{tag_id}/delete"): RUNNERS,
    ("GET", "/questionnaires"): FACILITATOR,
    ("POST", "/questionnaires/new"): FACILITATOR,
    ("GET", "/questionnaires/{draft_id}"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/details"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/own"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/items/{key}/{action}"): FACILITATOR,
    ("GET", "/questionnaires/{draft_id}/items/{key}/edit"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/items/{key}/edit"): FACILITATOR,
    ("GET", "/questionnaires/{draft_id}/add"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/add"): FACILITATOR,
    ("GET", "/questionnaires/{draft_id}/preview"): FACILITATOR,
    ("POST", "/questionnaires/{draft_id}/save"): FACILITATOR,
    ("POST", "/bank/upload"): frozenset({Role.admin, Role.facilitator}),
    ("GET", "/bank/{instrument_id}"): STAFF,
    ("GET", "/bank/{instrument_id}/preview"): STAFF,
    ("POST", "/site-pages/{slug}/edit"): ADMIN,
    # Live events: planning (app/events/routes.py, activity_routes.py) and the console (console_routes.py).
    ("GET", "/events"): STAFF,
    ("GET", "/events/new"): RUNNERS,
    ("POST", "/events/new"): RUNNERS,
    ("GET", "/events/{event_id}"): STAFF,
    ("GET", "/events/{event_id}/edit"): RUNNERS,
    ("POST", "/events/{event_id}/edit"): RUNNERS,
    ("POST", "/events/{event_id}/open"): RUNNERS,
    ("GET", "/events/{event_id}/end"): RUNNERS,
    ("POST", "/events/{event_id}/end"): RUNNERS,
    ("GET", "/events/{event_id}/qr.svg"): STAFF,
    ("GET", "/events/{event_id}/qr.png"): STAFF,
    ("GET", "/events/{event_id}/activities/new"): RUNNERS,
    ("POST", "/events/{event_id}/activities/new"): RUNNERS,
    ("GET", "/events/{event_id}/activities/{activity_id}/edit"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/edit"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/move-up"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/move-down"): RUNNERS,
    ("GET", "/events/{event_id}/activities/{activity_id}/delete"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/delete"): RUNNERS,
    ("GET", "/events/{event_id}/console"): RUNNERS,
    ("GET", "/events/{event_id}/console/live"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/start"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/pause"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/resume"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/close"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/show-results"): RUNNERS,
    ("POST", "/events/{event_id}/activities/{activity_id}/hide-results"): RUNNERS,
    ("POST", "/events/{event_id}/next"): RUNNERS,
    ("POST", "/events/{event_id}/ideas/{idea_id}/approve"): RUNNERS,
    ("POST", "/events/{event_id}/ideas/{idea_id}/hide"): RUNNERS,
    ("POST", "/events/{event_id}/threshold"): RUNNERS,
    # Live events: the presenter view and the kept results (present_routes.py, results_routes.py).
    ("GET", "/events/{event_id}/present"): STAFF,
    ("GET", "/events/{event_id}/present/live"): STAFF,
    ("GET", "/events/{event_id}/results"): STAFF,
    ("GET", "/events/{event_id}/summary"): STAFF,
    ("GET", "/events/{event_id}/summary.csv"): STAFF,
}


def app_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """Every (method, path) the app answers, with its route, including routes of included routers."""
    return {
        (method, context.path): context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
        if method != "HEAD"
    }


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = app_routes(app)
    unlisted = set(routes) - PUBLIC_ROUTES - set(STAFF_ROUTES)
    assert not unlisted, f"add these routes to STAFF_ROUTES or PUBLIC_ROUTES: {sorted(unlisted)}"
    assert not (set(STAFF_ROUTES) | PUBLIC_ROUTES) - set(routes), "the matrix lists routes that no longer exist"


@pytest.mark.parametrize("key", sorted(STAFF_ROUTES), ids=[f"{m} {p}" for m, p in sorted(STAFF_ROUTES)])
def test_every_staff_route_requires_exactly_its_roles(app: FastAPI, key: tuple[str, str]) -> None:
    requirements = role_requirements(app_routes(app)[key].dependant)
    assert requirements == {STAFF_ROUTES[key]}, f"{key} requires {requirements}"


@pytest.mark.parametrize("key", sorted(PUBLIC_ROUTES), ids=[f"{m} {p}" for m, p in sorted(PUBLIC_ROUTES)])
def test_public_routes_need_no_role(app: FastAPI, key: tuple[str, str]) -> None:
    assert role_requirements(app_routes(app)[key].dependant) == set()


@dataclass
class World:
    own: Area
    other: Area
    region: Region
    other_user: User
    instruments: dict[int, int]  # area id -> the id of an instrument that area owns
    drafts: dict[int, int]  # area id -> the id of a questionnaire draft of that area
    surveys: dict[int, int]  # area id -> the id of a survey of that area
    entries: dict[int, int]  # area id -> the id of a "you said, we did" entry of that area's survey
    tags: dict[int, int]  # area id -> the id of a comment tag of that area
    indicators: dict[int, int]  # area id -> the id of a quality indicator of that area
    events: dict[int, int]  # area id -> the id of a live event of that area
    activities: dict[int, int]  # area id -> the id of an ideas activity of that area's event
    ideas: dict[int, int]  # area id -> the id of an idea sent to that activity


@pytest.fixture
def world(make: Factory, db: Session) -> World:
    region = make.region()
    own, other = make.area(region=region), make.area(region=region)
    instruments = {}
    for area in (own, other):
        assert area.id is not None
        stored = store_instrument(db, parse_instrument(GOOD), source="upload", area_id=area.id)
        assert stored.instrument.id is not None
        instruments[area.id] = stored.instrument.id
    drafts = {}
    for area in (own, other):
        assert area.id is not None
        draft = create_draft(db, area_id=area.id, title="Draft", start_from=None, user_id=None)
        add_own_item(db, draft, text="First", easy_read=None, help=None)
        assert draft.id is not None
        drafts[area.id] = draft.id
    surveys = {area_id: make.survey(area_id, instrument_id) for area_id, instrument_id in instruments.items()}
    said = you_said.EntryDetails(theme_key=None, you_said="Said", we_did="Did", status=ActionStatus.done)
    entries = {area_id: you_said.create_entry(db, survey, said, user_id=None).id for area_id, survey in surveys.items()}
    tags = {area_id: comments.create_tag(db, area_id, "Transport").id for area_id in surveys}
    measure = indicators.IndicatorDetails("Finding support", "sample", "find-support", None, None, 70, 60, [])
    indicator_ids = {area_id: indicators.create_indicator(db, area_id, measure, user_id=None).id for area_id in surveys}
    events, activities, ideas = {}, {}, {}
    for area_id in surveys:
        details = event_service.EventDetails("Workshop", date.today(), None, 730)
        event = event_service.create_event(db, area_id=area_id, details=details, user_id=None)
        activity = event_service.add_activity(
            db, event, event_service.ActivityDetails(ActivityKind.ideas, "What would help most?")
        )
        event_service.open_event(db, event)
        event_service.start_activity(db, event, activity)
        participant, _ = participation.join(db, event, group=None, easy_read=False)
        idea = participation.submit_idea(
            db, event, activity, participant, "More drop-in sessions", submission_key=f"k{area_id}"
        )
        events[area_id], activities[area_id], ideas[area_id] = event.id, activity.id, idea.id
    db.commit()
    survey_ids = {area_id: survey.id for area_id, survey in surveys.items()}
    return World(
        own,
        other,
        region,
        make.user(Role.facilitator, other),
        instruments,
        drafts,
        survey_ids,
        entries,
        tags,
        indicator_ids,
        events,
        activities,
        ideas,
    )


def concrete_path(path: str, area: Area, world: World) -> str:
    return path.format(
        area_id=area.id,
        region_id=world.region.id,
        user_id=world.other_user.id,
        slug="accessibility",
        instrument_id=world.instruments[area.id or 0],
        draft_id=world.drafts[area.id or 0],
        survey_id=world.surveys[area.id or 0],
        entry_id=world.entries[area.id or 0],
        tag_id=world.tags[area.id or 0],
        indicator_id=world.indicators[area.id or 0],
        event_id=world.events[area.id or 0],
        activity_id=world.activities[area.id or 0],
        idea_id=world.ideas[area.id or 0],
        key="first",
        action="up",
    )


CASES = [
    (method, path, role, scope)
    for (method, path) in sorted(STAFF_ROUTES)
    for role in [None, *Role]
    for scope in (["own", "other"] if any(part in path for part in SCOPED) else ["own"])
]


@pytest.mark.parametrize(
    ("method", "path", "role", "scope"),
    CASES,
    ids=[f"{m} {p} {r.value if r else 'anonymous'} {s}" for m, p, r, s in CASES],
)
def test_access(
    client: CheckedClient, make: Factory, world: World, method: str, path: str, role: Role | None, scope: str
) -> None:
    if role is not None:
        client.sign_in(make.user(role, world.own))
    url = concrete_path(path, world.own if scope == "own" else world.other, world)
    if method == "GET":
        response = client.get(url)
    else:
        # An empty form with a valid token: allowed users reach validation (400), others never do.
        token = client.csrf_token("/" if role else "/sign-in")
        response = client.post(url, data={"csrf_token": token})

    allowed = role in STAFF_ROUTES[(method, path)]
    if role is None and path.startswith("/api/"):
        assert response.status_code == 401  # the API answers in JSON, never with the sign-in page
        assert response.headers["content-type"] == "application/json"
    elif role is None:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")
    elif not allowed:
        assert response.status_code == 403
    elif scope == "other" and role != Role.admin:
        assert response.status_code == 404  # another area's pages do not admit they exist
    else:
        assert response.status_code == (200 if method == "GET" else ALLOWED_POST_STATUS.get(path, 400))
