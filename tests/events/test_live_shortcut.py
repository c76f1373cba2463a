"""The participants' poll answered before the app's stack: the same 204 as the route, from committed state only."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.areas.models import Area
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.events import participation, service
from app.events.models import ActivityKind
from app.main import create_app


def test_an_unchanged_stage_is_answered_by_the_shortcut_and_a_change_by_the_route(
    fresh_engine: Engine, settings: Settings
) -> None:
    upgrade(fresh_engine)
    with session_scope(fresh_engine) as session:
        area = Area(name="Shortcut area")
        session.add(area)
        session.flush()
        assert area.id is not None
        details = service.EventDetails("Poll", date.today(), None, 730)
        event = service.create_event(session, area_id=area.id, details=details, user_id=None)
        activity = service.add_activity(session, event, service.ActivityDetails(ActivityKind.ideas, "Ideas?"))
        service.open_event(session, event)
        code = event.join_code
        assert code is not None
        key = participation.stage(session, code).key  # type: ignore[union-attr]
    with TestClient(create_app(settings, engine=fresh_engine)) as client:
        quick = client.get(f"/e/{code.upper()}/live?stage={key}", headers={"HX-Request": "true"})
        assert quick.status_code == 204 and quick.content == b""
        assert "content-security-policy" not in quick.headers  # never reached the app's own middleware
        assert "set-cookie" not in quick.headers
        # Not htmx, or boosted: the page, through the route (a redirect to the event's page).
        plain = client.get(f"/e/{code}/live?stage={key}", follow_redirects=False)
        assert plain.status_code == 303 and "content-security-policy" in plain.headers
        with session_scope(fresh_engine) as session:
            event = service.event_by_code(session, code)
            assert event is not None
            started = service.get_activity(session, event, activity.id or 0)
            assert started is not None
            service.start_activity(session, event, started)
        changed = client.get(f"/e/{code}/live?stage={key}", headers={"HX-Request": "true"}, follow_redirects=False)
        # This browser never joined, so the route sends it to the join page (htmx: HX-Redirect).
        assert changed.headers.get("hx-redirect") == f"/e/{code}" and "content-security-policy" in changed.headers
