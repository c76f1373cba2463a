"""The content we ship: every file is valid, the sizes the field needs, and easy read held to a bar."""

import re

import pytest

from app.core.settings import PROJECT_ROOT
from app.instruments.parsing import parse_instrument
from app.instruments.schema import InstrumentFile

STATEMENTS = PROJECT_ROOT / "statements"
# The plain, everyday words longer than ten letters that easy read may still use.
LONG_WORDS_ALLOWED = {"understand", "everything", "something", "sometimes", "everyone", "important"}
ABBREVIATIONS = re.compile(r"\b(EHC|EHCP|SEND|SEN|PfA|CAMHS|ICB|LA|GP)\b")


def load(name: str) -> InstrumentFile:
    return parse_instrument((STATEMENTS / f"{name}.yaml").read_bytes())


def easy_read_problems(text: str) -> list[str]:
    """Why `text` is not easy read: at most 2 sentences of at most 12 words, short common words."""
    problems = []
    sentences = [sentence for sentence in re.split(r"(?<=[.?!])\s+", text.strip()) if sentence]
    if len(sentences) > 2:
        problems.append(f"{len(sentences)} sentences")
    for sentence in sentences:
        words = re.findall(r"[A-Za-z']+", sentence)
        if len(words) > 12:
            problems.append(f"{len(words)} words in {sentence!r}")
        long = [word for word in words if len(word) > 10 and word.lower() not in LONG_WORDS_ALLOWED]
        if long:
            problems.append(f"long words {long}")
    if ABBREVIATIONS.search(text):
        problems.append("an abbreviation")
    return problems


@pytest.mark.parametrize(
    ("name", "smallest", "largest"),
    [
        ("parent-carers", 30, 40),
        ("young-people", 25, 35),
        ("easy-read", 15, 20),
        ("professionals", 15, 25),
        ("local-offer-audit", 25, 35),
        ("development-stages", 10, 25),
        ("ladder-of-participation", 2, 2),
    ],
)
def test_each_instrument_has_the_size_the_field_needs(name: str, smallest: int, largest: int) -> None:
    if not (STATEMENTS / f"{name}.yaml").exists():
        pytest.fail(f"statements/{name}.yaml is missing")
    assert smallest <= len(load(name).items()) <= largest


def test_every_young_peoples_statement_has_easy_read_that_meets_the_bar() -> None:
    failures = {item.key: easy_read_problems(item.easy_read or "") for item in load("young-people").items()}
    assert {key: problems for key, problems in failures.items() if problems} == {}


def test_easy_read_statements_meet_the_bar() -> None:
    failures = {item.key: easy_read_problems(item.text) for item in load("easy-read").items()}
    assert {key: problems for key, problems in failures.items() if problems} == {}


def test_the_easy_read_bar_can_fail() -> None:
    assert easy_read_problems("I know where to find the EHC plan information that my family really needs now.")
    assert easy_read_problems("One. Two. Three.")
    assert easy_read_problems("Professionals communicate.")
    assert not easy_read_problems("People listen to me.")


def test_the_four_preparing_for_adulthood_outcomes_are_covered_for_young_people() -> None:
    tags = {tag for item in load("young-people").items() for tag in item.tags}
    assert {"pfa:employment", "pfa:independent-living", "pfa:community", "pfa:health"} <= tags


def test_families_and_professionals_can_be_compared_theme_by_theme() -> None:
    families = {theme.key for theme in load("parent-carers").themes}
    professionals = {theme.key for theme in load("professionals").themes}
    assert professionals <= families, f"professional themes with no family theme: {professionals - families}"
