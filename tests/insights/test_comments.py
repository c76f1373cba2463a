"""Free text for staff: reading, filtering and paging comments, tagging them, the area's tags, CSV exports.

Nothing a page or export shows may tie a comment to its writer: no response, no time finer than the
month, no about-you answers, no id that gives the order they came in.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.accounts.models import Role, User
from app.accounts.service import create_user
from app.areas.models import Area
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.insights import comments, comments_routes
from app.insights.models import CommentTag, ThemeCommentTag
from app.instruments.models import Item, Theme
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.main import create_app
from app.surveys.models import Response, Survey, ThemeComment
from app.surveys.responses import Submission, submit
from tests.conftest import PASSWORD, CheckedClient, Factory

TODAY = date.today()
MONTH = TODAY.strftime("%B %Y")
SAMPLE = """\
key: comments-sample
version: 1
kind: i_statements
title: Comments sample
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Information
    items:
      - key: find-support
        text: I know where to find support.
      - key: ladder-now
        text: Where is {subject} on the ladder now?
        scale: ladder5
  - key: plans
    title: Plans
    items:
      - key: plan-on-time
        text: My child's plan came on time.
      - key: stage
        text: Families help write plans.
        scale: ds4
"""


@dataclass
class Sample:
    survey: Survey
    items: dict[str, int]
    themes: dict[str, int]
    sent: int = 0


def sample(db: Session, make: Factory, area: Area | None = None, **values: object) -> Sample:
    instrument = store_instrument(db, parse_instrument(SAMPLE), source="statements").instrument
    db.commit()
    assert instrument.id is not None
    survey = make.survey((area or make.area()).id, instrument.id, about_you=["group"], **values)
    items = db.exec(select(Item.key, Item.id).where(Item.instrument_id == instrument.id)).all()
    themes = db.exec(select(Theme.key, Theme.id).where(Theme.instrument_id == instrument.id)).all()
    return Sample(survey, dict(items), dict(themes))  # type: ignore[arg-type]


def send(db: Session, sample: Sample, told: dict[str, str], words: dict[str, dict[str, str]] | None = None) -> None:
    """One response: "tell us more" by theme key, words beside ratings by statement key."""
    sample.sent += 1
    choices: dict[int, str | None] = {sample.items["find-support"]: "agree"}
    choices |= {sample.items[key]: None for key in words or {}}
    submission = Submission(
        submission_key=f"{sample.survey.public_code}-{sample.sent}",
        choices=choices,
        comments={sample.items[key]: value for key, value in (words or {}).items()},
        theme_comments={sample.themes[key]: text for key, text in told.items()},
        about_you={"group": "parent_carer"},
    )
    submit(db, sample.survey, submission, today=TODAY)
    db.commit()


def staff(client: CheckedClient, make: Factory, survey: Survey, role: Role = Role.facilitator) -> User:
    user = make.user(role, make.session.get(Area, survey.area_id))
    client.sign_in(user)
    return user


def refs_on(html: str) -> list[str]:
    return re.findall(r'<li id="comment-([0-9a-f]{16})"', html)


def comment_ids(db: Session, survey: Survey) -> dict[str, int]:
    rows = db.exec(
        select(ThemeComment.text, ThemeComment.id)
        .join(Response, col(ThemeComment.response_id) == col(Response.id))
        .where(Response.survey_id == survey.id)
    )
    return {text: comment_id for text, comment_id in rows if comment_id is not None}


def ref_of(client: CheckedClient, comment_id: int) -> str:
    app = client.app
    assert isinstance(app, FastAPI)
    return comments.CommentRefs(app.state.secret_key).ref(comment_id)


def tag(db: Session, survey: Survey, name: str) -> CommentTag:
    made = comments.create_tag(db, survey.area_id, name)
    db.commit()
    return made


def post_tag(client: CheckedClient, survey: Survey, ref: str, htmx: bool = False, **fields: str) -> object:
    """Post a comment's tag form (or, with untag="1", one of its remove buttons) as the page would."""
    headers = {"HX-Request": "true"} if htmx else {}
    action = "untag" if fields.pop("untag", None) else "tag"
    token = client.csrf_token("/")
    data = {"csrf_token": token, "comment": ref, "theme": "", "tagged": "", "page": "1", **fields}
    return client.post(f"/surveys/{survey.id}/comments/{action}", data=data, headers=headers)


# Reading


def test_staff_read_comments_by_theme_with_the_month_and_nothing_that_identifies(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    s = sample(db, make)
    send(db, s, {"info": "The website is hard to search.", "plans": "My plan was late.\nTwice."})
    send(db, s, {"plans": "Annual review went well."})
    staff(client, make, s.survey)
    page = client.get(f"/surveys/{s.survey.id}/comments")
    assert page.status_code == 200
    html = page.text
    assert "3 comments" in html and html.count(MONTH) >= 3
    assert html.index("Information</h3>") < html.index("The website") < html.index("Plans</h3>")
    # Alphabetical within a theme and month, not in the order they came in.
    assert html.index("Annual review went well.") < html.index("My plan was late.")
    assert '<p class="govuk-body govuk-!-margin-bottom-2">Twice.</p>' in html
    responses = db.exec(select(Response)).all()
    for response in responses:
        assert response.submission_key not in html
        assert f"response-{response.id}" not in html and f"{response.submitted_at:%H:00}" not in html
    assert "parent_carer" not in html and "Parent carer" not in html
    # Comments are known by opaque references, never their ids.
    refs = comments.CommentRefs(client.app.state.secret_key)  # type: ignore[attr-defined]
    assert sorted(refs.comment_id(ref) or 0 for ref in refs_on(html)) == sorted(comment_ids(db, s.survey).values())


def test_admins_read_but_cannot_tag(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Hello."})
    client.sign_in(make.user(Role.admin))
    html = client.get(f"/surveys/{s.survey.id}/comments").text
    assert "Hello." in html and "Tag this comment" not in html and "/comments/tags" not in html
    ref = refs_on(html)[0]
    assert post_tag(client, s.survey, ref, name="x").status_code == 403  # type: ignore[attr-defined]


def test_filters_by_theme_and_by_tag_and_untagged(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Bus passes.", "plans": "Plans are late."})
    send(db, s, {"info": "Taxi to school."})
    ids = comment_ids(db, s.survey)
    transport = tag(db, s.survey, "transport")
    comments.add_tag(db, ids["Bus passes."], transport)
    comments.add_tag(db, ids["Taxi to school."], transport)
    db.commit()
    staff(client, make, s.survey)
    base = f"/surveys/{s.survey.id}/comments"

    def shown(query: str) -> set[str]:
        html = client.get(f"{base}?{query}").text
        return {text for text in ids if text in html}

    assert shown("theme=plans") == {"Plans are late."}
    assert shown(f"tagged={transport.id}") == {"Bus passes.", "Taxi to school."}
    assert shown(f"theme=info&tagged={transport.id}") == {"Bus passes.", "Taxi to school."}
    assert shown("tagged=none") == {"Plans are late."}
    # Unknown values are ignored, as from an old or edited link.
    assert shown("theme=nope&tagged=99999") == set(ids)
    html = client.get(f"{base}?theme=plans").text
    assert "Clear the filters" in html and "Information (2)" in html and "transport (2)" in html


def test_comments_come_a_page_at_a_time(
    client: CheckedClient, db: Session, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comments, "PAGE_SIZE", 4)
    s = sample(db, make)
    for number in range(10):
        send(db, s, {"info": f"Comment {number:02d}"})
    staff(client, make, s.survey)
    base = f"/surveys/{s.survey.id}/comments"
    first = client.get(base).text
    assert "Showing 1 to 4 of 10" in first and len(refs_on(first)) == 4
    assert "Comment 00" in first and "Comment 04" not in first
    assert f'href="{base}?page=2"' in first and 'aria-label="Pages of comments"' in first
    last = client.get(f"{base}?page=3").text
    assert "Showing 9 to 10 of 10" in last and "Comment 09" in last and f'href="{base}?page=2" rel="prev"' in last
    assert "Showing 9 to 10" in client.get(f"{base}?page=40").text  # past the end: the last page
    assert client.get(f"{base}?page=two").status_code == 404


# Tagging


def test_tag_a_comment_with_a_new_tag_then_an_existing_one_and_remove_it(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Bus passes."})
    comment_id = comment_ids(db, s.survey)["Bus passes."]
    staff(client, make, s.survey)
    ref = ref_of(client, comment_id)
    response = post_tag(client, s.survey, ref, name="  Transport  ", page="1", theme="info")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/surveys/{s.survey.id}/comments?theme=info#comment-{ref}"  # type: ignore[attr-defined]
    made = db.exec(select(CommentTag)).one()
    assert (made.name, made.area_id) == ("Transport", s.survey.area_id)
    # The same name in another case is the same tag; a second time changes nothing.
    assert post_tag(client, s.survey, ref, name="transport").status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/surveys/{s.survey.id}/comments")
    assert "This comment already has the tag Transport." in page.text and ">Transport</strong>" in page.text
    other = tag(db, s.survey, "Buses")
    post_tag(client, s.survey, ref, tag=str(other.id))
    links = db.exec(select(ThemeCommentTag.comment_tag_id).where(ThemeCommentTag.theme_comment_id == comment_id))
    assert set(links) == {made.id, other.id}
    assert post_tag(client, s.survey, ref, tag=str(made.id), untag="1").status_code == 303  # type: ignore[attr-defined]
    assert "Tag Transport removed." in client.get(f"/surveys/{s.survey.id}/comments").text
    assert db.exec(select(func.count()).select_from(ThemeCommentTag)).one() == 1


def test_a_tag_form_with_nothing_chosen_shows_the_problem_on_that_comment(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Bus passes.", "plans": "Plans."})
    tag(db, s.survey, "transport")
    staff(client, make, s.survey)
    ref = ref_of(client, comment_ids(db, s.survey)["Bus passes."])
    response = post_tag(client, s.survey, ref, tagged="none")
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert f'href="#name-{ref}"' in html and "Choose a tag, or enter a new one" in html
    assert (
        html.count("<details") == 2 and html.count('<details class="govuk-details govuk-!-margin-bottom-0" open') == 1
    )
    too_long = post_tag(client, s.survey, ref, name="x" * 61)
    assert too_long.status_code == 400 and "60 characters or fewer" in too_long.text  # type: ignore[attr-defined]
    assert db.exec(select(func.count()).select_from(ThemeCommentTag)).one() == 0


def test_htmx_swaps_just_the_comment_and_moves_focus(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Bus passes."})
    staff(client, make, s.survey)
    ref = ref_of(client, comment_ids(db, s.survey)["Bus passes."])
    added = post_tag(client, s.survey, ref, htmx=True, name="transport")
    assert added.status_code == 200  # type: ignore[attr-defined]
    html = added.text  # type: ignore[attr-defined]
    assert html.lstrip().startswith(f'<li id="comment-{ref}">') and "<html" not in html
    assert re.search(rf'id="notice-{ref}" tabindex="-1" autofocus>Tag transport added.', html)
    assert 'name="csrf_token"' in html and "Remove<span" in html
    problem = post_tag(client, s.survey, ref, htmx=True)
    assert problem.status_code == 400 and f'id="name-{ref}"' in problem.text  # type: ignore[attr-defined]
    assert re.search(r"<input[^>]*autofocus", problem.text)  # type: ignore[attr-defined]


# The area's tags


def test_tags_are_the_areas_and_can_be_added_renamed_and_deleted(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    s = sample(db, make)
    later = sample(db, make, area=db.get(Area, s.survey.area_id))  # another survey of the same area
    send(db, s, {"info": "Bus passes."})
    send(db, later, {"info": "Taxis."})
    staff(client, make, s.survey)
    base = f"/surveys/{s.survey.id}/comments/tags"
    assert client.submit(base, {"name": "Transport"}).status_code == 303
    assert client.submit(base, {"name": "transport"}).status_code == 400
    made = db.exec(select(CommentTag)).one()
    comments.add_tag(db, comment_ids(db, s.survey)["Bus passes."], made)
    comments.add_tag(db, comment_ids(db, later.survey)["Taxis."], made)
    db.commit()
    shared = client.get(f"/surveys/{later.survey.id}/comments/tags").text  # the area's, so on its other surveys too
    assert "Transport" in shared and "1 in this survey, 2 in all" in shared
    other = tag(db, s.survey, "Buses")
    assert client.submit(f"{base}/{made.id}", {"name": "buses"}).status_code == 400
    assert client.submit(f"{base}/{made.id}", {"name": "Getting there"}).status_code == 303
    db.refresh(made)
    assert made.name == "Getting there"
    confirm = client.get(f"{base}/{made.id}/delete").text
    assert "It is on 2 comments in your area's surveys, 1 of them in this one." in confirm
    assert client.submit(f"{base}/{made.id}/delete", {}).status_code == 303
    assert db.exec(select(CommentTag.name)).all() == [other.name]
    assert db.exec(select(func.count()).select_from(ThemeCommentTag)).one() == 0
    assert db.exec(select(func.count()).select_from(ThemeComment)).one() == 2  # the comments stay


# Tenancy


def test_another_areas_staff_get_not_found_everywhere(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {"info": "Bus passes."}, {"ladder-now": {"why": "Because."}})
    their_tag = tag(db, s.survey, "transport")
    ref = ""
    mine = sample(db, make)
    send(db, mine, {"info": "Mine."})
    my_tag = tag(db, mine.survey, "mine")
    staff(client, make, mine.survey, Role.commissioner)
    ref = ref_of(client, comment_ids(db, s.survey)["Bus passes."])
    my_ref = ref_of(client, comment_ids(db, mine.survey)["Mine."])
    for path in ["comments", "comments.csv", "rating-comments", "rating-comments.csv", "comments/tags"]:
        assert client.get(f"/surveys/{s.survey.id}/{path}").status_code == 404, path
    assert client.get(f"/surveys/{s.survey.id}/comments/tags/{their_tag.id}").status_code == 404
    # Their comment through their survey, or through mine; my comment with their tag; theirs with mine.
    assert post_tag(client, s.survey, ref, name="x").status_code == 404  # type: ignore[attr-defined]
    assert post_tag(client, mine.survey, ref, name="x").status_code == 404  # type: ignore[attr-defined]
    assert post_tag(client, mine.survey, my_ref, tag=str(their_tag.id)).status_code == 404  # type: ignore[attr-defined]
    assert post_tag(client, mine.survey, ref, tag=str(my_tag.id)).status_code == 404  # type: ignore[attr-defined]
    comments.add_tag(db, comment_ids(db, s.survey)["Bus passes."], their_tag)
    db.commit()
    assert post_tag(client, mine.survey, my_ref, tag=str(their_tag.id), untag="1").status_code == 404  # type: ignore[attr-defined]
    assert post_tag(client, mine.survey, ref, tag=str(their_tag.id), untag="1").status_code == 404  # type: ignore[attr-defined]
    for path in [f"tags/{their_tag.id}", f"tags/{their_tag.id}/delete"]:
        assert (
            client.submit(f"/surveys/{mine.survey.id}/comments/{path}", {"name": "y"}, token_from="/").status_code
            == 404
        )
    assert db.exec(select(CommentTag.name).where(CommentTag.id == their_tag.id)).one() == "transport"
    assert db.exec(select(func.count()).select_from(ThemeCommentTag)).one() == 1
    assert post_tag(client, mine.survey, "not-a-ref", name="x").status_code == 400  # type: ignore[attr-defined]


# Words beside ratings


def test_words_beside_ratings_with_their_statement(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {}, {"ladder-now": {"why": "They ask us first."}, "stage": {"evidence": "Minutes.", "action": "More"}})
    send(db, s, {}, {"ladder-now": {"why": "Nobody asked me."}})
    staff(client, make, s.survey)
    html = client.get(f"/surveys/{s.survey.id}/rating-comments").text
    assert "3 people&#39;s words" in html or "3 people's words" in html
    assert "Where is our area on the ladder now?" in html and "Why do you say that? (optional)" in html
    assert html.index("Nobody asked me.") < html.index("They ask us first.") < html.index("Families help write plans.")
    assert html.index("Evidence") < html.index("Minutes.") < html.index("Action needed to improve")
    plans = client.get(f"/surveys/{s.survey.id}/rating-comments?theme=plans").text
    assert "Minutes." in plans and "Nobody asked me." not in plans


# Exports


def rows(response: object) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


def test_comments_export_one_row_each_with_tags_month_and_formulas_defused(
    client: CheckedClient, db: Session, make: Factory
) -> None:
    s = sample(db, make, title="=Survey")
    send(db, s, {"info": '=HYPERLINK("http://x")', "plans": "Fine, thanks."})
    send(db, s, {"info": "+1 for the forum", "plans": "-5 stars\r\nnot great"})
    send(db, s, {"info": "@everyone", "plans": "\tTabbed"})
    ids = comment_ids(db, s.survey)
    for name in ("=danger", "waits"):
        comments.add_tag(db, ids["Fine, thanks."], tag(db, s.survey, name))
    db.commit()
    staff(client, make, s.survey)
    response = client.get(f"/surveys/{s.survey.id}/comments.csv")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="survey-{s.survey.public_code}-comments.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    table = rows(response)
    assert table[0] == ["Survey", "Theme key", "Theme", "Comment", "Tags", "Month"]
    by_text = {row[3]: row for row in table[1:]}
    assert len(table) == 7 and {row[0] for row in table[1:]} == {"'=Survey"}
    assert set(by_text) == {
        '\'=HYPERLINK("http://x")',
        "'+1 for the forum",
        "'@everyone",
        "Fine, thanks.",
        "'-5 stars\r\nnot great",
        "Tabbed",  # stored without the surrounding space, as every comment is
    }
    assert by_text["Fine, thanks."] == [
        "'=Survey",
        "plans",
        "Plans",
        "Fine, thanks.",
        "'=danger; waits",
        f"{TODAY:%Y-%m}",
    ]


def test_the_export_is_streamed_in_batches(db: Session, make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comments, "BATCH_SIZE", 2)
    s = sample(db, make)
    for number in range(5):
        send(db, s, {"info": f"Comment {number}"})
    chunks = list(comments.comments_csv(db, s.survey))
    assert len(chunks) == 1 + 3  # the header, then three batches
    user = make.user(Role.facilitator, db.get(Area, s.survey.area_id))
    assert isinstance(comments_routes.comments_csv(s.survey.id or 0, user, db), StreamingResponse)
    assert isinstance(comments_routes.rating_comments_csv(s.survey.id or 0, user, db), StreamingResponse)


def test_the_export_streams_on_a_real_session(fresh_engine: Engine, settings: Settings) -> None:
    """Through the real session dependency, which must stay open while the rows are sent."""
    upgrade(fresh_engine)
    with session_scope(fresh_engine) as session:
        s = sample(session, Factory(session))
        send(session, s, {"info": "Kept open."})
        create_user(
            session,
            email="f@example.org",
            name="Fay",
            password=PASSWORD,
            role=Role.facilitator,
            area_id=s.survey.area_id,
        )
    with TestClient(create_app(settings, engine=fresh_engine)) as live:
        token = re.search(r'name="csrf_token" value="([^"]+)"', live.get("/sign-in").text)
        assert token
        live.post("/sign-in", data={"email": "f@example.org", "password": PASSWORD, "csrf_token": token.group(1)})
        response = live.get(f"/surveys/{s.survey.id}/comments.csv")
    assert response.status_code == 200 and rows(response)[1][3] == "Kept open."
    assert fresh_engine.pool.checkedout() == 0  # and closed once they were sent


def test_rating_comments_export_one_row_per_prompt(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    send(db, s, {}, {"stage": {"evidence": "=cmd|' /C calc'!A0", "action": "Train staff."}})
    staff(client, make, s.survey)
    table = rows(client.get(f"/surveys/{s.survey.id}/rating-comments.csv"))
    assert table[0] == ["Survey", "Theme", "Statement key", "Statement", "Prompt key", "Prompt", "Comment", "Month"]
    assert table[1:] == [
        [
            "A survey",
            "Plans",
            "stage",
            "Families help write plans.",
            "evidence",
            "Evidence",
            "'=cmd|' /C calc'!A0",
            f"{TODAY:%Y-%m}",
        ],
        [
            "A survey",
            "Plans",
            "stage",
            "Families help write plans.",
            "action",
            "Action needed to improve",
            "Train staff.",
            f"{TODAY:%Y-%m}",
        ],
    ]


# Small parts


def test_comment_references_go_both_ways_and_hide_the_order() -> None:
    refs = comments.CommentRefs("a secret")
    made = [refs.ref(number) for number in range(1, 200)]
    assert [refs.comment_id(ref) for ref in made] == list(range(1, 200))
    assert made != sorted(made) and len(set(made)) == len(made)
    assert comments.CommentRefs("another secret").ref(1) != made[0]
    for bad in ["", "zz", made[0].upper(), made[0] + "0", "../../etc"]:
        assert refs.comment_id(bad) is None


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(value: str, safe: str) -> None:
    assert comments.spreadsheet_safe(value) == safe


def test_the_survey_page_links_to_its_comments(client: CheckedClient, db: Session, make: Factory) -> None:
    s = sample(db, make)
    staff(client, make, s.survey)
    assert f'href="/surveys/{s.survey.id}/comments"' in client.get(f"/surveys/{s.survey.id}").text
