"""Reading an instrument file safely, with every problem tied to a line and a field.

YAML is composed into nodes (never constructed into objects), then turned into plain values by
hand, so tags that try to build Python objects, duplicate keys, alias bombs and deep nesting are
all answered with a problem to fix, never a crash or a hang.
"""

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.instruments.schema import InstrumentFile

MAX_FILE_BYTES = 512 * 1024
MAX_VALUES = 20_000
MAX_DEPTH = 30
ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
FRIENDLY = {
    "missing": "This is required but missing.",
    "extra_forbidden": "This is not part of the format. Check the spelling of the name.",
    "string_type": "This should be text.",
    "int_type": "This should be a whole number.",
    "int_parsing": "This should be a whole number.",
    "list_type": "This should be a list.",
    "model_type": "This should be a set of named values.",
    "string_pattern_mismatch": "Use lower-case letters, numbers and single hyphens only, like parent-carers.",
    "string_too_long": None,  # pydantic's message gives the limit: keep it
}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InstrumentFileError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class _Reader:
    """Turns composed YAML nodes into plain values, remembering the line each value came from."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self._scalars = SafeConstructor()

    def read(self, node: Node, path: Path = (), depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_VALUES or depth > MAX_DEPTH:
            raise InstrumentFileError(
                [Problem(node.start_mark.line + 1, "", "The file is too large or too deeply nested.")]
            )
        self.lines[path] = node.start_mark.line + 1
        if node.tag not in ALLOWED_TAGS:
            self.problems.append(
                Problem(node.start_mark.line + 1, _dotted(path), f"The YAML tag {node.tag} is not allowed.")
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.read(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            return self._scalars.construct_object(node)
        except (ConstructorError, ValueError) as error:
            self.problems.append(Problem(node.start_mark.line + 1, _dotted(path), f"Cannot read this value: {error}"))
            return None

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                self.problems.append(Problem(line, _dotted(path), "Names before a colon must be plain words."))
                continue
            key = str(key_node.value)
            if key in result:
                self.problems.append(Problem(line, _dotted((*path, key)), "This name appears twice here."))
                continue
            result[key] = self.read(value_node, (*path, key), depth + 1)
        return result


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _line_for(lines: dict[Path, int], loc: Path) -> int | None:
    """The line of the deepest part of `loc` the file actually has."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _message(error: Any) -> str:
    friendly = FRIENDLY.get(error["type"])
    message = friendly or str(error["msg"])
    return message.removeprefix("Value error, ")


def parse_instrument(content: str | bytes) -> InstrumentFile:
    """The instrument in `content`, or InstrumentFileError listing every problem found."""
    if len(content) > MAX_FILE_BYTES:
        raise InstrumentFileError([Problem(None, "", f"The file is larger than {MAX_FILE_BYTES // 1024} KB.")])
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InstrumentFileError([Problem(None, "", "The file is not UTF-8 text.")]) from error
    try:
        root = yaml.compose(content, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = getattr(error, "problem", None) or str(error)
        raise InstrumentFileError([Problem(line, "", f"This is not valid YAML: {detail}.")]) from error
    except (RecursionError, MemoryError) as error:
        raise InstrumentFileError([Problem(None, "", "The file is too large or too deeply nested.")]) from error
    if root is None:
        raise InstrumentFileError([Problem(None, "", "The file is empty.")])
    reader = _Reader()
    data = reader.read(root)
    if reader.problems:
        raise InstrumentFileError(reader.problems)
    if not isinstance(data, dict):
        raise InstrumentFileError([Problem(1, "", "The file must be a set of named values, starting with key:.")])
    try:
        return InstrumentFile.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(_line_for(reader.lines, tuple(detail["loc"])), _dotted(tuple(detail["loc"])), _message(detail))
            for detail in error.errors(include_url=False)
        ]
        raise InstrumentFileError(problems) from error
