"""Building an area's own questionnaire from the bank and its own statements.

A draft is the only thing that changes. Saving turns it into an instrument file, checks it with the
same rules as any file, and stores it as a new version owned by the area: nothing already stored,
and so nothing already answered, ever changes.
"""

import re
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.core.schema import utcnow
from app.instruments.models import Instrument, Item, QuestionnaireDraft, ScaleVersion, Theme, area_scope
from app.instruments.schema import InstrumentFile
from app.instruments.service import Stored, content_hash, find_instrument, latest_version, store_instrument
from app.instruments.vocabulary import Audience, Kind

BUILDER_SCALES = ("agree5", "smiley5", "smiley3")
OWN_THEME = "Our own statements"
MAX_DRAFT_ITEMS = 200


def slug(text: str, *, taken: set[str] | None = None, limit: int = 50) -> str:
    """A key from words: lower case, hyphens, unique among `taken`."""
    base = "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:limit].strip("-") or "item"
    key, number = base, 2
    while taken and key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def list_drafts(session: Session, area_id: int) -> list[QuestionnaireDraft]:
    return list(
        session.exec(
            select(QuestionnaireDraft)
            .where(QuestionnaireDraft.area_id == area_id)
            .order_by(col(QuestionnaireDraft.updated_at).desc())
        )
    )


def get_draft(session: Session, area_id: int, draft_id: int) -> QuestionnaireDraft | None:
    draft = session.get(QuestionnaireDraft, draft_id)
    return draft if draft is not None and draft.area_id == area_id else None


def _item_rows(session: Session, instrument: Instrument) -> list[dict[str, Any]]:
    themes = {theme.id: theme for theme in session.exec(select(Theme).where(Theme.instrument_id == instrument.id))}
    scale_keys = {row.id: row.key for row in session.exec(select(ScaleVersion))}
    items = session.exec(select(Item).where(Item.instrument_id == instrument.id).order_by(col(Item.position)))
    return [
        {
            "key": item.key,
            "text": item.text,
            "easy_read": item.easy_read,
            "help": item.help,
            "tags": list(item.tags),
            "theme": themes[item.theme_id].title,
            "theme_key": themes[item.theme_id].key,
            "source": f"{instrument.key}:{item.key}",
            "scale": scale_keys[item.scale_id] if scale_keys[item.scale_id] != instrument.default_scale else None,
        }
        for item in items
    ]


def create_draft(
    session: Session, *, area_id: int, title: str, start_from: Instrument | None, user_id: int | None
) -> QuestionnaireDraft:
    """A new draft: empty, or a copy of an instrument (from the bank, or a version of the area's own)."""
    taken = set(session.exec(select(Instrument.key).where(Instrument.scope == area_scope(area_id))))
    taken |= {draft.key for draft in list_drafts(session, area_id)}
    editing_own = start_from is not None and start_from.scope == area_scope(area_id)
    draft = QuestionnaireDraft(
        area_id=area_id,
        key=start_from.key if editing_own and start_from else slug(title, taken=taken),
        title=title,
        description=start_from.description if start_from else f"{title}: a questionnaire for our area.",
        audiences=list(start_from.audiences) if start_from else [Audience.parent_carers.value],
        scale=start_from.default_scale if start_from and start_from.default_scale in BUILDER_SCALES else "agree5",
        items=_item_rows(session, start_from) if start_from else [],
        created_by_id=user_id,
    )
    session.add(draft)
    session.flush()
    return draft


def _save(session: Session, draft: QuestionnaireDraft, items: list[dict[str, Any]]) -> QuestionnaireDraft:
    draft.items = items  # a new list, so the JSON column is written
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
    return draft


def add_bank_items(session: Session, draft: QuestionnaireDraft, item_ids: list[int], scopes: list[str] | None) -> int:
    """Add chosen items (by id) that the user may see; ones already in the draft are skipped. Returns how many."""
    query = select(Item, Instrument.key, Theme).join(Instrument, col(Item.instrument_id) == col(Instrument.id))
    query = query.join(Theme, col(Item.theme_id) == col(Theme.id)).where(col(Item.id).in_(item_ids))
    if scopes is not None:
        query = query.where(col(Instrument.scope).in_(scopes))
    items = list(draft.items)
    sources = {item["source"] for item in items}
    taken = {item["key"] for item in items}
    added = 0
    for item, instrument_key, theme in session.exec(query.order_by(col(Item.instrument_id), col(Item.position))):
        source = f"{instrument_key}:{item.key}"
        if source in sources:
            continue
        if len(items) >= MAX_DRAFT_ITEMS:
            raise RuleError("items", f"A questionnaire can have at most {MAX_DRAFT_ITEMS} statements")
        key = slug(item.key, taken=taken)
        taken.add(key)
        sources.add(source)
        items.append(
            {
                "key": key,
                "text": item.text,
                "easy_read": item.easy_read,
                "help": item.help,
                "tags": list(item.tags),
                "theme": theme.title,
                "theme_key": theme.key,
                "source": source,
            }
        )
        added += 1
    _save(session, draft, items)
    return added


def add_own_item(
    session: Session, draft: QuestionnaireDraft, *, text: str, easy_read: str | None, help: str | None
) -> dict[str, Any]:
    if len(draft.items) >= MAX_DRAFT_ITEMS:
        raise RuleError("text", f"A questionnaire can have at most {MAX_DRAFT_ITEMS} statements")
    taken = {item["key"] for item in draft.items}
    if any(item["text"].casefold() == text.casefold() for item in draft.items):
        raise RuleError("text", "This statement is already in the questionnaire")
    item: dict[str, Any] = {
        "key": slug(text, taken=taken, limit=40),
        "text": text,
        "easy_read": easy_read or None,
        "help": help or None,
        "tags": [],
        "theme": OWN_THEME,
        "theme_key": slug(OWN_THEME),
        "source": "own",
    }
    _save(session, draft, [*draft.items, item])
    return item


def update_item(
    session: Session, draft: QuestionnaireDraft, key: str, *, text: str, easy_read: str | None, help: str | None
) -> dict[str, Any]:
    """Change a statement's wording in this draft only (the bank's copy stays as it is)."""
    if any(item["key"] != key and item["text"].casefold() == text.casefold() for item in draft.items):
        raise RuleError("text", "Another statement in the questionnaire already says this")
    items = [
        {**item, "text": text, "easy_read": easy_read or None, "help": help or None} if item["key"] == key else item
        for item in draft.items
    ]
    _save(session, draft, items)
    return next(item for item in items if item["key"] == key)


def move_item(session: Session, draft: QuestionnaireDraft, key: str, offset: int) -> None:
    """Move an item up (-1) or down (+1); at either end it stays where it is."""
    items = list(draft.items)
    index = next((i for i, item in enumerate(items) if item["key"] == key), None)
    if index is None:
        raise RuleError("items", "That statement is no longer in the questionnaire")
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    _save(session, draft, items)


def remove_item(session: Session, draft: QuestionnaireDraft, key: str) -> dict[str, Any] | None:
    removed = next((item for item in draft.items if item["key"] == key), None)
    _save(session, draft, [item for item in draft.items if item["key"] != key])
    return removed


def update_details(
    session: Session, draft: QuestionnaireDraft, *, title: str, description: str, audiences: list[str], scale: str
) -> QuestionnaireDraft:
    if scale not in BUILDER_SCALES:
        raise RuleError("scale", "Select a scale from the list")
    if scale != draft.scale:  # a newly chosen scale is for every statement
        items = [{**item, "scale": None} for item in draft.items]
    else:
        items = list(draft.items)
    draft.title, draft.description, draft.audiences, draft.scale = title, description, audiences, scale
    return _save(session, draft, items)


def draft_to_file(draft: QuestionnaireDraft, version: int) -> dict[str, Any]:
    """The draft as an instrument file: runs of items from one theme become that theme, in order."""
    themes: list[dict[str, Any]] = []
    theme_keys: set[str] = set()
    for item in draft.items:
        if not themes or themes[-1]["title"] != item["theme"]:
            key = slug(item.get("theme_key") or item["theme"], taken=theme_keys)
            theme_keys.add(key)
            themes.append({"key": key, "title": item["theme"], "items": []})
        entry = {name: item[name] for name in ("key", "text", "easy_read", "help", "scale") if item.get(name)}
        themes[-1]["items"].append({**entry, "tags": item["tags"]})
    return {
        "key": draft.key,
        "version": version,
        "kind": Kind.i_statements.value,
        "title": draft.title,
        "description": draft.description,
        "audiences": draft.audiences,
        "scale": draft.scale,
        "themes": themes,
    }


def save_draft(session: Session, draft: QuestionnaireDraft, user_id: int | None) -> Stored:
    """Store the draft as the area's next version (or find that version already stored), then drop the draft."""
    if not draft.items:
        raise RuleError("items", "Add at least one statement before saving")
    if Audience.young_people.value in draft.audiences:
        missing = [str(number) for number, item in enumerate(draft.items, start=1) if not item.get("easy_read")]
        if missing:
            listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
            raise RuleError(
                "items",
                "Young people will answer, so every statement needs an easy-read version. "
                f"Use Change to add one to statement{'s' if len(missing) > 1 else ''} {listed}.",
            )
    scope = area_scope(draft.area_id)
    latest = latest_version(session, scope, draft.key)
    try:
        checked = InstrumentFile.model_validate(draft_to_file(draft, latest or 1))
    except ValidationError as error:
        messages = "; ".join(str(detail["msg"]).removeprefix("Value error, ") for detail in error.errors())
        raise RuleError("items", f"This questionnaire cannot be saved yet: {messages}") from error
    current = find_instrument(session, scope, draft.key, latest) if latest else None
    if current is not None and current.content_hash != content_hash(checked):
        checked = checked.model_copy(update={"version": latest + 1})
    # Unchanged content finds the stored version and makes no new one.
    stored = store_instrument(session, checked, source="builder", area_id=draft.area_id, user_id=user_id)
    session.delete(draft)
    session.flush()
    return stored
