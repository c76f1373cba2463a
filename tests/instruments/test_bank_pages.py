import re

from sqlmodel import Session

from app.accounts.models import Role
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from tests.conftest import CheckedClient, Factory
from tests.instruments.test_parsing import GOOD

YOUNG = (
    GOOD.replace("key: sample", "key: young")
    .replace("title: A sample", "title: For young people")
    .replace("audiences: [parent_carers]", "audiences: [young_people]")
    .replace(
        "        text: I know where to find support.",
        "        text: I know where to find support.\n        easy_read: I know where to get help.",
    )
    .replace("        text: I feel heard.", "        text: I feel heard.\n        easy_read: People listen to me.")
    .replace("tags: [local-offer:accessible, cycle:understand]", "tags: [pfa:employment]")
)


def test_the_bank_lists_shared_and_own_instruments_only(client: CheckedClient, make: Factory, db: Session) -> None:
    own, other = make.area(), make.area()
    store_instrument(db, parse_instrument(GOOD), source="statements")
    store_instrument(
        db, parse_instrument(GOOD.replace("title: A sample", "title: Ours")), source="upload", area_id=own.id
    )
    store_instrument(
        db, parse_instrument(GOOD.replace("title: A sample", "title: Theirs")), source="upload", area_id=other.id
    )
    db.commit()
    client.sign_in(make.user(Role.facilitator, own))
    page = client.get("/bank").text
    assert "A sample" in page and "Ours" in page and "Theirs" not in page
    assert "Your area's own" in page
    assert "2 instruments" in page


def test_filters_by_audience_and_topic(client: CheckedClient, make: Factory, db: Session) -> None:
    store_instrument(db, parse_instrument(GOOD), source="statements")
    store_instrument(db, parse_instrument(YOUNG), source="statements")
    db.commit()
    client.sign_in(make.user(Role.facilitator))
    young = client.get("/bank?audience=young_people").text
    assert "For young people" in young and "A sample" not in young
    topic = client.get("/bank?tag=local-offer:accessible").text
    assert "A sample" in topic and "For young people" not in topic
    assert 'value="local-offer:accessible" selected' in topic
    ignored = client.get("/bank?audience=martians&tag=nonsense").text  # a bad link shows everything
    assert "2 instruments" in ignored


def test_an_instrument_shows_every_item_with_its_scale_and_topics(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    stored = store_instrument(db, parse_instrument(YOUNG), source="statements")
    db.commit()
    client.sign_in(make.user(Role.commissioner))
    page = client.get(f"/bank/{stored.instrument.id}").text
    assert "I know where to find support." in page and "Easy read:</span> I know where to get help." in page
    assert "Answered on: Agree or disagree (5 points)" in page
    assert "Preparing for Adulthood: Education and employment" in page
    assert "Preview in easy read" in page
    only = client.get(f"/bank/{stored.instrument.id}?tag=pfa:employment").text
    assert "I know where to find support." in only and "I feel heard." not in only


def test_preview_shows_questions_as_respondents_see_them(client: CheckedClient, make: Factory, db: Session) -> None:
    stored = store_instrument(db, parse_instrument(YOUNG), source="statements")
    db.commit()
    client.sign_in(make.user(Role.facilitator))
    page = client.get(f"/bank/{stored.instrument.id}/preview").text
    assert "<legend" in page and "I know where to find support." in page
    assert 'value="strongly_agree"' in page and 'value="dont_know"' in page and ">or<" in page
    # smiley5: every face has words beside it
    faces = re.findall(r'<svg class="app-face".*?</svg>\s*<span class="app-face-label">([^<]+)</span>', page, re.S)
    assert faces == ["Really happy", "Happy", "OK", "Unhappy", "Really unhappy"]
    easy = client.get(f"/bank/{stored.instrument.id}/preview?easy_read=true").text
    assert "I know where to get help." in easy and "I know where to find support." not in easy


def test_ladder_items_name_a_subject_in_the_preview(client: CheckedClient, make: Factory, db: Session) -> None:
    from app.core.settings import PROJECT_ROOT

    ladder = parse_instrument((PROJECT_ROOT / "statements" / "ladder-of-participation.yaml").read_text())
    stored = store_instrument(db, ladder, source="statements")
    db.commit()
    client.sign_in(make.user(Role.facilitator))
    page = client.get(f"/bank/{stored.instrument.id}/preview").text
    assert "Where is our area on the ladder now?" in page
    assert "Collaborating" in page and "We decide together, as equal partners." in page
    assert "Why do you say that?" in page


def _upload(client: CheckedClient, content: bytes | None, name: str = "sample.yaml"):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/bank/upload")
    files = {"file": (name, content, "application/x-yaml")} if content is not None else {"file": ("", b"", "")}
    return client.post("/bank/upload", data={"csrf_token": token}, files=files)


def test_a_facilitator_uploads_an_instrument_for_their_area(client: CheckedClient, make: Factory, db: Session) -> None:
    from sqlmodel import select

    from app.instruments.models import Instrument

    area = make.area()
    client.sign_in(make.user(Role.facilitator, area))
    response = _upload(client, GOOD.encode())
    assert response.status_code == 303
    instrument = db.exec(select(Instrument).where(Instrument.key == "sample")).one()
    assert instrument.scope == f"area-{area.id}" and instrument.source == "upload"
    assert response.headers["location"] == f"/bank/{instrument.id}"
    assert "A sample version 1 uploaded, with 2 items." in client.get(response.headers["location"]).text
    again = _upload(client, GOOD.encode())
    assert "was already here, unchanged" in client.get(again.headers["location"]).text
    changed = _upload(client, GOOD.replace("I feel heard.", "Heard").encode())
    assert changed.status_code == 400 and "raise the version to 2" in changed.text


def test_an_admin_uploads_into_the_shared_bank(client: CheckedClient, make: Factory, db: Session) -> None:
    from sqlmodel import select

    from app.instruments.models import Instrument

    client.sign_in(make.user(Role.admin))
    assert _upload(client, GOOD.encode()).status_code == 303
    assert db.exec(select(Instrument.scope)).one() == "bank"


def test_a_bad_file_lists_every_problem_and_stores_nothing(client: CheckedClient, make: Factory, db: Session) -> None:
    from sqlmodel import func, select

    from app.instruments.models import Instrument

    client.sign_in(make.user(Role.facilitator))
    bad = GOOD.replace("version: 1", "version: one").replace("kind: i_statements", "kind: quiz")
    response = _upload(client, bad.encode())
    assert response.status_code == 400
    assert "The file has 2 problems: fix them and upload it again" in response.text
    assert 'href="#file"' in response.text  # the error summary points at the file field
    assert '<td class="govuk-table__cell">2</td>' in response.text and "<code>version</code>" in response.text
    assert "<code>kind</code>" in response.text
    hostile = _upload(client, b"key: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert hostile.status_code == 400 and "is not allowed" in hostile.text
    nothing = _upload(client, None)
    assert nothing.status_code == 400 and "Select an instrument file to upload" in nothing.text
    assert db.exec(select(func.count()).select_from(Instrument)).one() == 0
