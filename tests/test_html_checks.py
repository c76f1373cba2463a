"""The page checker itself: each kind of problem it exists to catch is caught."""

import pytest

from tests.html_checks import PageProblem, check_html


def page(body: str, title: str = "<title>A page</title>") -> str:
    return f"<!DOCTYPE html><html lang='en'><head>{title}</head><body>{body}</body></html>"


def test_a_good_page_passes() -> None:
    check_html(
        page(
            '<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t">'
            '<label for="a">A</label><input id="a" name="a"><label>B <input name="b"></label>'
            '<input name="c" aria-label="C"><button>Go</button></form><a href="#a">to a</a>'
        ),
        "/good",
    )


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        (page("<p>no title</p>", title=""), "no <title>"),
        (page('<p id="x"></p><p id="x"></p>'), "id 'x' is used 2 times"),
        (page('<form action="/x" method="get"><input name="q"></form>'), "<input name='q'> has no label"),
        (page('<select name="s"></select>'), "<select name='s'> has no label"),
        (page("<form method='get'></form>"), "has no action"),
        (page("<form method='post' action='/x'></form>"), "has no CSRF token"),
        (page("<p aria-describedby='nope'></p>"), "missing id 'nope'"),
        (page("<a href='#gone'>x</a>"), "has no target"),
        ("<p>not a document</p>", "not valid HTML"),
        (page("<p>unclosed <b>bold</p>"), "not valid HTML"),
    ],
)
def test_each_problem_is_caught(html: str, problem: str) -> None:
    with pytest.raises(PageProblem, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_html(html, "/bad")


def test_fragments_need_no_title() -> None:
    check_html('<div><label for="a">A</label><input id="a" name="a"></div>', "/fragment", fragment=True)
