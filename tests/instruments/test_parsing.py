import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.instruments.parsing import MAX_FILE_BYTES, InstrumentFileError, Problem, parse_instrument
from app.instruments.schema import InstrumentFile

GOOD = """\
key: sample
version: 1
kind: i_statements
title: A sample
description: For tests.
audiences: [parent_carers]
scale: agree5
themes:
  - key: info
    title: Information
    items:
      - key: find-support
        text: I know where to find support.
        tags: [local-offer:accessible, cycle:understand]
      - key: feel-heard
        text: I feel heard.
        scale: smiley5
"""


def problems(content: str | bytes) -> list[Problem]:
    with pytest.raises(InstrumentFileError) as caught:
        parse_instrument(content)
    return caught.value.problems


def test_a_good_file_parses() -> None:
    instrument = parse_instrument(GOOD)
    assert instrument.key == "sample"
    assert [item.key for item in instrument.items()] == ["find-support", "feel-heard"]


def test_every_problem_is_listed_with_its_line_and_field() -> None:
    bad = GOOD.replace("key: sample", "key: Not A Key").replace("version: 1", "version: one")
    bad = bad.replace(
        "        tags: [local-offer:accessible, cycle:understand]", "        tags: [pfa:flying]\n        colour: red"
    )
    found = {(problem.line, problem.field) for problem in problems(bad)}
    assert found == {
        (1, "key"),
        (2, "version"),
        (14, "themes[1].items[1].tags"),
        (15, "themes[1].items[1].colour"),
    }
    messages = " ".join(problem.message for problem in problems(bad))
    assert "lower-case letters" in messages and "whole number" in messages
    assert "unknown tag 'pfa:flying'" in messages and "not part of the format" in messages


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("scale: agree5", "scale: agree9"), "unknown scale 'agree9'"),
        (("key: feel-heard", "key: find-support"), "item keys used twice: find-support"),
        (("audiences: [parent_carers]", "audiences: [young_people]"), "need easy_read text"),
        (("I feel heard.", "I feel heard by {who}."), "unknown placeholder {who}"),
        (("kind: i_statements", "kind: quiz"), "Input should be"),
        (("title: A sample\n", "title: A sample\ntitle: Again\n"), "appears twice"),
    ],
)
def test_content_rules(change: tuple[str, str], message: str) -> None:
    assert message in " ".join(str(problem) for problem in problems(GOOD.replace(*change)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("key: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "set of named values"),
        ("---\nkey: a\n---\nkey: b\n", "not valid YAML"),
        (b"\xff\xfe\x00k", "not UTF-8"),
        ("x" * (MAX_FILE_BYTES + 1), "larger than"),
        ("key: !!python/object/apply:os.system ['echo hacked']\n", "tag"),
        ("key: !!python/name:os.system\n", "tag"),
        ("key: !!binary aGVsbG8=\n", "tag"),
        ("? [a, b]\n: complex key\n", "plain words"),
        (
            "a: &x [1,1,1,1,1,1,1,1,1]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y]\n"
            "d: &w [*z,*z,*z,*z,*z,*z,*z,*z,*z]\ne: [*w,*w,*w,*w,*w,*w,*w,*w,*w]\n",
            "too large",
        ),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "too large or too deeply nested"),
    ],
    ids=[
        "empty",
        "broken",
        "list",
        "two-documents",
        "binary",
        "huge",
        "python-object",
        "python-name",
        "binary-tag",
        "complex-key",
        "alias-bomb",
        "deep",
    ],
)
def test_hostile_or_broken_files_get_a_problem_not_a_crash(content: str | bytes, message: str) -> None:
    assert message in " ".join(str(problem) for problem in problems(content))


def test_the_shipped_format_round_trips() -> None:
    instrument = parse_instrument(GOOD)
    again = parse_instrument(yaml.safe_dump(instrument.model_dump(mode="json", exclude_none=True)))
    assert again == instrument


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable + "äé€\u2028", max_size=400))
def test_any_text_gets_an_instrument_or_a_problem(text: str) -> None:
    try:
        assert isinstance(parse_instrument(text), InstrumentFile)
    except InstrumentFileError as error:
        assert error.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_any_structure_gets_an_instrument_or_a_problem(value: object) -> None:
    try:
        parse_instrument(yaml.safe_dump(value))
    except InstrumentFileError as error:
        assert error.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(GOOD.splitlines()), yaml_values)
def test_a_good_file_with_one_field_mangled_gets_an_instrument_or_a_problem(line: str, value: object) -> None:
    name = line.strip().lstrip("- ").partition(":")[0]
    mangled = GOOD.replace(line, line.partition(":")[0] + ": " + yaml.safe_dump(value, default_flow_style=True).strip())
    try:
        parse_instrument(mangled)
    except InstrumentFileError as error:
        assert error.problems, name


def test_the_published_json_schema_matches_the_models() -> None:
    """docs/instrument.schema.json is for editors; regenerate it with `coproduce statements schema`."""
    import json

    from app.core.settings import PROJECT_ROOT

    published = json.loads((PROJECT_ROOT / "docs" / "instrument.schema.json").read_text())
    assert published == InstrumentFile.model_json_schema()
