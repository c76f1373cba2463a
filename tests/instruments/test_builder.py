import re

from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.instruments.models import Instrument, Item, QuestionnaireDraft
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from tests.conftest import CheckedClient, Factory
from tests.instruments.test_parsing import GOOD


def _draft_id(location: str) -> int:
    match = re.fullmatch(r"/questionnaires/(\d+)", location)
    assert match, location
    return int(match.group(1))


def _items(db: Session, instrument_id: int) -> list[str]:
    return list(db.exec(select(Item.text).where(Item.instrument_id == instrument_id).order_by(col(Item.position))))


def test_from_the_bank_to_a_saved_previewed_questionnaire(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    bank = store_instrument(db, parse_instrument(GOOD), source="statements").instrument
    db.commit()
    client.sign_in(make.user(Role.facilitator, area))
    assert "A sample" in client.get("/questionnaires").text

    started = client.submit(
        "/questionnaires/new", {"title": "Spring check-in", "start_from": str(bank.id)}, token_from="/questionnaires"
    )
    draft_id = _draft_id(started.headers["location"])
    page = client.get(f"/questionnaires/{draft_id}").text
    assert "I know where to find support." in page and "I feel heard." in page

    # Reorder, remove, add our own, choose the scale and audience.
    assert (
        client.submit(
            f"/questionnaires/{draft_id}/items/feel-heard/up", {}, token_from=f"/questionnaires/{draft_id}"
        ).status_code
        == 303
    )
    own = {"text": "I know who to call when a plan is late.", "easy_read": "I know who to call.", "help": ""}
    assert (
        client.submit(f"/questionnaires/{draft_id}/own", own, token_from=f"/questionnaires/{draft_id}").status_code
        == 303
    )
    assert (
        client.submit(
            f"/questionnaires/{draft_id}/items/find-support/remove", {}, token_from=f"/questionnaires/{draft_id}"
        ).status_code
        == 303
    )
    token = client.csrf_token(f"/questionnaires/{draft_id}")
    details = client.post(
        f"/questionnaires/{draft_id}/details",
        data={
            "csrf_token": token,
            "title": "Spring check-in",
            "description": "How are we doing?",
            "scale": "smiley3",
            "audiences": ["parent_carers", "professionals"],
        },
    )
    assert details.status_code == 303

    preview = client.get(f"/questionnaires/{draft_id}/preview").text
    assert preview.index("I feel heard.") < preview.index("I know who to call when a plan is late.")
    assert 'value="happy"' in preview and 'value="strongly_agree"' not in preview

    saved = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    assert saved.status_code == 303
    instrument = db.exec(select(Instrument).where(Instrument.scope == f"area-{area.id}")).one()
    assert saved.headers["location"] == f"/bank/{instrument.id}"
    assert (instrument.key, instrument.version, instrument.default_scale) == ("spring-check-in", 1, "smiley3")
    assert instrument.audiences == ["parent_carers", "professionals"] and instrument.source == "builder"
    assert _items(db, instrument.id) == ["I feel heard.", "I know who to call when a plan is late."]
    assert "Saved Spring check-in as version 1" in client.get(saved.headers["location"]).text
    assert db.get(QuestionnaireDraft, draft_id) is None
    assert _items(db, bank.id) == ["I know where to find support.", "I feel heard."]  # the bank is untouched
    assert client.get(f"/bank/{instrument.id}/preview").status_code == 200


def test_editing_a_saved_questionnaire_makes_a_new_version(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    first = store_instrument(db, parse_instrument(GOOD), source="builder", area_id=area.id).instrument
    db.commit()
    client.sign_in(make.user(Role.facilitator, area))

    unchanged = client.submit(
        "/questionnaires/new", {"title": "A sample", "start_from": str(first.id)}, token_from="/questionnaires"
    )
    draft_id = _draft_id(unchanged.headers["location"])
    saved = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    assert saved.headers["location"] == f"/bank/{first.id}"
    assert "Nothing changed since version 1" in client.get(saved.headers["location"]).text

    started = client.submit(
        "/questionnaires/new", {"title": "Again", "start_from": str(first.id)}, token_from="/questionnaires"
    )
    draft_id = _draft_id(started.headers["location"])
    client.submit(f"/questionnaires/{draft_id}/items/feel-heard/remove", {}, token_from=f"/questionnaires/{draft_id}")
    saved = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    versions = db.exec(
        select(Instrument.version).where(Instrument.key == first.key).order_by(col(Instrument.version))
    ).all()
    assert versions == [1, 2]
    assert _items(db, first.id) == ["I know where to find support.", "I feel heard."]  # version 1 is as it was


def test_adding_statements_from_the_bank(client: CheckedClient, make: Factory, db: Session) -> None:
    area, other = make.area(), make.area()
    bank = store_instrument(db, parse_instrument(GOOD), source="statements").instrument
    theirs = store_instrument(
        db, parse_instrument(GOOD.replace("key: sample", "key: theirs")), source="upload", area_id=other.id
    ).instrument
    db.commit()
    client.sign_in(make.user(Role.facilitator, area))
    started = client.submit("/questionnaires/new", {"title": "Mine", "start_from": ""}, token_from="/questionnaires")
    draft_id = _draft_id(started.headers["location"])
    page = client.get(f"/questionnaires/{draft_id}/add?instrument={bank.id}").text
    ids = re.findall(r'name="items" type="checkbox" value="(\d+)"', page)
    assert len(ids) == 2
    empty = client.submit(f"/questionnaires/{draft_id}/add", {}, token_from=f"/questionnaires/{draft_id}/add")
    assert empty.status_code == 400 and "Select at least one statement to add" in empty.text
    token = client.csrf_token(f"/questionnaires/{draft_id}/add")
    other_items = db.exec(select(Item.id).where(Item.instrument_id == theirs.id)).all()
    added = client.post(
        f"/questionnaires/{draft_id}/add", data={"csrf_token": token, "items": [*ids, *map(str, other_items)]}
    )
    assert added.status_code == 303
    draft = db.get(QuestionnaireDraft, draft_id)
    db.refresh(draft)
    assert [item["text"] for item in draft.items] == [
        "I know where to find support.",
        "I feel heard.",
    ]  # not another area's
    again = client.get(f"/questionnaires/{draft_id}/add?instrument={bank.id}").text
    assert again.count("(already added)") == 2


def test_saving_checks_the_same_rules_as_a_file(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    client.sign_in(make.user(Role.facilitator, area))
    started = client.submit(
        "/questionnaires/new", {"title": "Young voices", "start_from": ""}, token_from="/questionnaires"
    )
    draft_id = _draft_id(started.headers["location"])
    nothing = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    assert nothing.status_code == 400 and "Add at least one statement before saving" in nothing.text
    client.submit(
        f"/questionnaires/{draft_id}/own", {"text": "I am listened to."}, token_from=f"/questionnaires/{draft_id}"
    )
    token = client.csrf_token(f"/questionnaires/{draft_id}")
    client.post(
        f"/questionnaires/{draft_id}/details",
        data={
            "csrf_token": token,
            "title": "Young voices",
            "description": "For us.",
            "scale": "agree5",
            "audiences": ["young_people"],
        },
    )
    refused = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    assert refused.status_code == 400
    assert "every statement needs an easy-read version. Use Change to add one to statement 1." in refused.text
    assert db.exec(select(Instrument)).first() is None
    draft = db.exec(select(QuestionnaireDraft)).one()
    key = draft.items[0]["key"]
    page = f"/questionnaires/{draft_id}/items/{key}/edit"
    assert 'value="I am listened to."' in client.get(page).text
    empty = client.submit(page, {"text": "", "easy_read": ""})
    assert empty.status_code == 400 and "Enter the statement" in empty.text
    changed = client.submit(page, {"text": "I am listened to.", "easy_read": "People listen to me.", "help": ""})
    assert changed.headers["location"] == f"/questionnaires/{draft_id}#item-{key}"
    saved = client.submit(f"/questionnaires/{draft_id}/save", {}, token_from=f"/questionnaires/{draft_id}")
    assert saved.status_code == 303
    assert db.exec(select(Item.easy_read)).one() == "People listen to me."


def test_builder_form_errors(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.facilitator))
    assert (
        "Enter a title for the questionnaire"
        in client.submit("/questionnaires/new", {"title": ""}, token_from="/questionnaires").text
    )
    started = client.submit("/questionnaires/new", {"title": "T"}, token_from="/questionnaires")
    draft_id = _draft_id(started.headers["location"])
    page = f"/questionnaires/{draft_id}"
    assert "Enter the statement" in client.submit(f"{page}/own", {"text": ""}, token_from=page).text
    assert "300 characters or fewer" in client.submit(f"{page}/own", {"text": "x" * 301}, token_from=page).text
    client.submit(f"{page}/own", {"text": "Same"}, token_from=page)
    assert "already in the questionnaire" in client.submit(f"{page}/own", {"text": "same"}, token_from=page).text
    details = client.submit(f"{page}/details", {"title": "T", "description": "D", "scale": "ds4"}, token_from=page)
    assert (
        details.status_code == 400 and "Select who will answer it" in details.text and "Select a scale" in details.text
    )
    assert client.submit(f"{page}/items/same/sideways", {}, token_from=page).status_code == 404
