"""The accessibility statement and privacy notice: editable text with a plain default.

Text is written in a small, safe markup: blank lines between paragraphs, `## ` for a heading,
`- ` for a bullet, and `[words](https://...)` or `[words](mailto:...)` for a link. Nothing else
is interpreted, and everything is escaped.
"""

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlmodel import Session

from app.core.schema import utcnow
from app.pages.models import SitePage


@dataclass(frozen=True)
class PageDefault:
    title: str
    body: str


DEFAULT_PAGES: dict[str, PageDefault] = {
    "accessibility": PageDefault(
        title="Accessibility statement",
        body="""\
{service} is run by {organisation}. We want as many people as possible to be able to use it: parent carers, \
young people, children with help, and the staff who work with them.

## How you should be able to use this service

You should be able to:

- change colours, contrast and fonts with your browser or device settings
- zoom in up to 400% and the text still fits on the screen
- use every page with a keyboard alone
- use every page with a screen reader or speech recognition
- use every page on a small phone screen
- use every page with JavaScript switched off

## How accessible this service is

We build every page with tested accessible patterns and check each kind of page automatically for problems \
on every change. Automated checks do not find everything, so we also test by hand.

We know of no parts of this service that fail the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA. \
If you find one, please tell us.

## Tell us about a problem or ask for another format

If you cannot use part of this service, or you need information in another format such as easy read, large \
print or audio, contact {organisation}. Tell us the web address of the page and what the problem is.

## Enforcement

The Equality and Human Rights Commission enforces the accessibility regulations in England. If you are not \
happy with how we answer your complaint, contact the [Equality Advisory and Support Service](https://www.equalityadvisoryservice.com/).

## Technical information

This statement covers the service as installed at this address. The organisation that runs it should review \
and edit this statement, including the date it was last checked.
""",
    ),
    "privacy": PageDefault(
        title="Privacy notice",
        body="""\
This notice explains what {service}, run by {organisation}, keeps about you, why, and for how long.

## If you answer a survey or take part in an event

You do not need an account. Unless a survey tells you otherwise before you start, your answers are anonymous: \
we do not ask for your name, and we do not store your network (IP) address or details of your device with \
your answers.

Results are only shown or shared as totals for groups. When a group is too small for a person to be \
recognised, its numbers are hidden.

Each survey says how long its answers are kept. After that they are deleted.

While you answer, one cookie remembers your place and whether you chose easy read, and your answers wait on \
our server until you send them. Answers you have not sent are never counted. If you save them to come back \
later, they are kept until the survey closes, then deleted.

At an event, the same cookie remembers that your phone has joined, so you can lock it or lose the \
connection and carry on where you were. Your answers count as soon as you send them, and you can change them \
until the facilitator closes that activity. Ideas you write are read by the facilitator first, and only \
the ones they approve are shown to the room. Each event says how long its answers are kept.

## If you work for a partner organisation and have a staff account

We keep your name, work email address, role and area so that you can sign in and see the right information. \
We keep a scrambled record of failed sign-in attempts for a short time to protect accounts from guessing; \
it does not hold your email or network address in a readable form.

We use one cookie, which keeps you signed in and protects forms from misuse. It is deleted when you sign out \
or after a few hours. We do not use cookies for analytics or advertising.

## Your rights

You can ask to see the information held about you, to have it corrected or deleted, and to complain about how \
it is used. Contact {organisation} first. You can also complain to the \
[Information Commissioner's Office](https://ico.org.uk/make-a-complaint/).
""",
    ),
}


@dataclass(frozen=True)
class PageText:
    slug: str
    title: str
    body: str
    edited: bool


def get_page(session: Session, slug: str, *, service: str, organisation: str) -> PageText | None:
    """The stored text, or the default filled in with this instance's names; None for an unknown page."""
    default = DEFAULT_PAGES.get(slug)
    if default is None:
        return None
    page = session.get(SitePage, slug)
    if page is not None:
        return PageText(slug, page.title, page.body, edited=True)
    names = {"service": service, "organisation": organisation or f"the organisation that runs {service}"}
    return PageText(slug, default.title, default.body.format(**names), edited=False)


def save_page(session: Session, slug: str, *, title: str, body: str, user_id: int | None) -> SitePage:
    page = session.get(SitePage, slug) or SitePage(slug=slug, title=title, body=body)
    page.title, page.body, page.updated_at, page.updated_by_id = title, body, utcnow(), user_id
    session.add(page)
    session.flush()
    return page


_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")


def _inline(text: str) -> Markup:
    parts: list[Markup] = []
    position = 0
    for match in _LINK.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a class="govuk-link" href="{}">{}</a>').format(match.group(2), match.group(1)))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def render_text(body: str) -> Markup:
    """Turn the page markup into GOV.UK-styled HTML. Everything is escaped; links must be web or email."""
    html: list[Markup] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            items = Markup("").join(Markup("<li>{}</li>").format(_inline(line[2:])) for line in lines)
            html.append(Markup('<ul class="govuk-list govuk-list--bullet">{}</ul>').format(items))
        elif len(lines) == 1 and lines[0].startswith("## "):
            html.append(Markup('<h2 class="govuk-heading-m">{}</h2>').format(_inline(lines[0][3:])))
        else:
            html.append(Markup('<p class="govuk-body">{}</p>').format(_inline(" ".join(lines))))
    return Markup("\n").join(html)
