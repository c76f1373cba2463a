"""The statement file format: one YAML file per instrument, checked by these models.

The JSON Schema published in docs/ is generated from `InstrumentFile`, so editors can check files
as they write them; a test keeps the published copy in step.
"""

import re
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from app.instruments.scales import SCALES, CommentPrompt
from app.instruments.vocabulary import TAGS, Audience, Kind

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

MAX_THEMES = 30
MAX_ITEMS = 200
PLACEHOLDER = re.compile(r"\{([^}]*)\}")
ALLOWED_PLACEHOLDERS = {"subject"}


def known_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    return scale


class ItemFile(BaseModel):
    """One statement, question or criterion."""

    model_config = ConfigDict(extra="forbid", title="Item")

    key: Key = Field(description="Stable across versions: waves are compared by it")
    text: Text = Field(description="What the respondent reads. Ladder items may use {subject}.")
    easy_read: Text | None = Field(default=None, description="Short, concrete, first person; one idea")
    help: LongText | None = Field(default=None, description="Optional help shown under the text")
    scale: str | None = Field(default=None, description="A named scale; defaults to the instrument's")
    tags: list[str] = Field(default_factory=list, description="framework:value, for example pfa:employment")
    comments: list[CommentPrompt] | None = Field(
        default=None, description="Words asked for beside the rating; defaults to the scale's"
    )

    @field_validator("scale")
    @classmethod
    def _known_item_scale(cls, scale: str | None) -> str | None:
        return None if scale is None else known_scale(scale)

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            framework, _, value = tag.partition(":")
            if framework not in TAGS or value not in TAGS[framework]:
                known = ", ".join(f"{f}:{v}" for f, values in TAGS.items() for v in values)
                raise ValueError(f"unknown tag {tag!r}; use one of {known}")
        if len(set(tags)) != len(tags):
            raise ValueError("a tag is listed twice")
        return tags

    @field_validator("text", "easy_read")
    @classmethod
    def _placeholders(cls, text: str | None) -> str | None:
        for name in PLACEHOLDER.findall(text or ""):
            if name not in ALLOWED_PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}}; only {{subject}} is allowed")
        return text


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Theme")

    key: Key
    title: Text
    description: LongText | None = None
    items: list[ItemFile] = Field(min_length=1, max_length=MAX_ITEMS)


class InstrumentFile(BaseModel):
    """A whole instrument, as written in a statements/ file or uploaded."""

    model_config = ConfigDict(extra="forbid", title="Coproduce instrument")

    key: Key = Field(description="Stable name of the instrument, for example parent-carers")
    version: int = Field(ge=1, le=10_000, description="Raise it whenever the content changes")
    kind: Kind
    title: Text
    description: LongText
    audiences: list[Audience] = Field(min_length=1)
    scale: str = Field(description="The default scale for its items")
    themes: list[ThemeFile] = Field(min_length=1, max_length=MAX_THEMES)

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, scale: str) -> str:
        return known_scale(scale)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        theme_keys = [theme.key for theme in self.themes]
        if duplicates := {key for key in theme_keys if theme_keys.count(key) > 1}:
            problems.append(f"theme keys used twice: {', '.join(sorted(duplicates))}")
        item_keys = [item.key for theme in self.themes for item in theme.items]
        if len(item_keys) > MAX_ITEMS:
            problems.append(f"{len(item_keys)} items; the most an instrument can have is {MAX_ITEMS}")
        if duplicates := {key for key in item_keys if item_keys.count(key) > 1}:
            problems.append(f"item keys used twice: {', '.join(sorted(duplicates))}")
        if Audience.young_people in self.audiences:
            missing = [item.key for theme in self.themes for item in theme.items if not item.easy_read]
            if missing:
                problems.append(f"items for young people need easy_read text: {', '.join(missing)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def items(self) -> list[ItemFile]:
        return [item for theme in self.themes for item in theme.items]
