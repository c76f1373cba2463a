"""Checks every HTML page the test client fetches (after notifications-admin's client_request).

Cheap, and they catch a whole class of accessibility bugs: a page that does not parse, has no
title, repeats an id, has an unlabelled field, or a form without an action or CSRF token.
"""

import xml.etree.ElementTree as ET
from collections import Counter

import html5lib

UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageProblem(AssertionError):
    pass


def check_html(html: str, url: str, *, fragment: bool = False) -> ET.Element:
    """Check a whole page, or an htmx fragment (which has no <title> of its own)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        document = parser.parseFragment(html) if fragment else parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        raise PageProblem(f"{url}: not valid HTML: {error}") from error
    checks = [_ids, _labels, _forms] + ([] if fragment else [_title, _references])
    problems = [problem for check in checks for problem in check(document)]
    if problems:
        raise PageProblem(f"{url}:\n  " + "\n  ".join(problems))
    return document


def _title(document: ET.Element) -> list[str]:
    title = document.find(".//head/title")
    if title is None or not "".join(title.itertext()).strip():
        return ["the page has no <title>"]
    return []


def _ids(document: ET.Element) -> list[str]:
    counts = Counter(element.get("id") for element in document.iter() if element.get("id"))
    return [f"id {name!r} is used {count} times" for name, count in counts.items() if count > 1]


def _labels(document: ET.Element) -> list[str]:
    labelled = {label.get("for") for label in document.iter("label")}
    wrapped = {id(field) for label in document.iter("label") for field in label.iter() if field is not label}
    problems = []
    for field in document.iter():
        if field.tag not in {"input", "select", "textarea"}:
            continue
        if field.tag == "input" and field.get("type", "text") in UNLABELLED_INPUT_TYPES:
            continue
        named = field.get("aria-label") or field.get("aria-labelledby")
        if not (named or field.get("id") in labelled or id(field) in wrapped):
            problems.append(f"<{field.tag} name={field.get('name')!r}> has no label")
    return problems


def _forms(document: ET.Element) -> list[str]:
    problems = []
    for form in document.iter("form"):
        if not form.get("action"):
            problems.append("a <form> has no action")
        if form.get("method", "get").lower() == "post":
            tokens = [field for field in form.iter("input") if field.get("name") == "csrf_token" and field.get("value")]
            if not tokens:
                problems.append(f"the form posting to {form.get('action')!r} has no CSRF token")
    return problems


def _references(document: ET.Element) -> list[str]:
    ids = {element.get("id") for element in document.iter() if element.get("id")}
    problems = []
    for element in document.iter():
        for attribute in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for target in (element.get(attribute) or "").split():
                if target not in ids:
                    problems.append(f"{attribute} points at missing id {target!r}")
        href = element.get("href") or ""
        if element.tag == "a" and href.startswith("#") and len(href) > 1 and href[1:] not in ids:
            problems.append(f"link to {href!r} has no target")
    return problems
