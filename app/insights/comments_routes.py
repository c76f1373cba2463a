"""Staff pages for free text: read and tag a survey's comments, look after the area's tags, export CSV.

Staff who can see the survey read its comments (admins too, as they read surveys); only the area's
facilitators and commissioners tag them and change tags. None of this is linked from a public page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import Session

from app.accounts.auth import Staff, require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep, get_session
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.security import flash
from app.core.templating import is_htmx, redirect, render
from app.insights import comments
from app.insights.models import CommentTag
from app.surveys.models import Survey
from app.surveys.service import get_visible_survey

router = APIRouter()
SurveyRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]
# An export is read while it is sent, after the route has returned: its session lasts until the
# response is sent (FastAPI's default scope), where SessionDep's closes when the route returns.
ExportSession = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class View:
    """Which comments a page shows: from the filter form and the pages' links, sent back by tag forms."""

    theme: str = ""  # a theme key; "": every theme
    tagged: str = ""  # a tag's id, "none" for comments with no tag; "": any
    page: int = 1

    @classmethod
    def sent_back(cls, data: dict[str, str]) -> "View":
        """The view a tag form came from. It only makes the address to go back to, so it is tidied, not checked."""
        theme, tagged, page = data.get("theme", ""), data.get("tagged", ""), data.get("page", "")
        return cls(
            theme if theme.replace("-", "").isalnum() else "",
            tagged if tagged == "none" or tagged.isdigit() else "",
            int(page) if page.isdigit() and len(page) < 7 else 1,
        )

    def url(self, survey: Survey, page: int | None = None) -> str:
        query = {"theme": self.theme, "tagged": self.tagged, "page": str(page or self.page)}
        query = {key: value for key, value in query.items() if value and (key, value) != ("page", "1")}
        return f"/surveys/{survey.id}/comments" + (f"?{urlencode(query)}" if query else "")


def _survey(session: Session, user: User, survey_id: int) -> Survey:
    return found(get_visible_survey(session, user, survey_id))


def _refs(request: Request) -> comments.CommentRefs:
    return comments.CommentRefs(request.app.state.secret_key)


def _tag(session: Session, survey: Survey, tag_id: int) -> CommentTag:
    return found(comments.get_tag(session, survey.area_id, tag_id))


def pagination(paged: comments.Paged[Any], url: Callable[[int], str], label: str) -> dict[str, Any] | None:
    """The GOV.UK pagination component's settings: first, last and the pages either side of this one."""
    if paged.pages == 1:
        return None
    shown = sorted({1, paged.pages, *range(max(1, paged.number - 1), min(paged.pages, paged.number + 1) + 1)})
    items: list[dict[str, Any]] = []
    for before, number in zip([0, *shown], shown, strict=False):
        if number - before > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": url(number), "current": number == paged.number})
    return {
        "items": items,
        "previous": {"href": url(paged.number - 1)} if paged.number > 1 else None,
        "next": {"href": url(paged.number + 1)} if paged.number < paged.pages else None,
        "landmarkLabel": label,
    }


def _comments_page(
    request: Request, user: User, session: Session, survey: Survey, view: View, form: Form, status_code: int = 200
) -> Response:
    themes = comments.survey_themes(session, survey)
    tags = comments.tag_uses(session, survey)
    # Unknown filter values are ignored rather than refused: they come from a GET form or a shared link.
    theme = view.theme if view.theme in {choice.key for choice in themes} else ""
    tagged = view.tagged if view.tagged in {"none", *(str(tag.id) for tag in tags)} else ""
    filters = comments.CommentFilters(theme or None, int(tagged) if tagged.isdigit() else None, tagged == "none")
    paged = comments.read_comments(session, survey, filters, view.page, refs=_refs(request))
    shown = View(theme, tagged, paged.number)
    context = {
        "survey": survey,
        "paged": paged,
        "themes": themes,
        "tags": tags,
        "view": shown,
        "all_comments": sum(choice.comments for choice in themes),
        "pagination": pagination(paged, lambda number: shown.url(survey, number), "Pages of comments"),
        "can_tag": user.role in (Role.facilitator, Role.commissioner),
        "form": form,
        "notice": "",
        "focus": "",
    }
    return render(request, "insights/comments.html", context, status_code=status_code)


@router.get("/surveys/{survey_id}/comments", response_class=HTMLResponse)
def comments_page(
    request: Request, survey_id: int, user: Staff, session: SessionDep, theme: str = "", tagged: str = "", page: int = 1
) -> Response:
    survey = _survey(session, user, survey_id)
    return _comments_page(request, user, session, survey, View(theme, tagged, page), Form({}))


def _comment_id(session: Session, survey: Survey, refs: comments.CommentRefs, data: dict[str, str]) -> int:
    comment_id = refs.comment_id(data.get("comment", ""))
    if comment_id is None:
        raise HTTPException(status_code=400)  # the form was not one of ours
    found(comments.find_comment(session, survey, comment_id, refs=refs))
    return comment_id


def _after_change(
    request: Request,
    user: User,
    session: Session,
    survey: Survey,
    comment_id: int,
    data: dict[str, str],
    form: Form,
    notice: str = "",
) -> Response:
    """htmx: the comment again, with what changed (or the problem), where focus goes next. Without
    JavaScript: back to the same page of comments at the same comment, or the page with the problem."""
    refs = _refs(request)
    view = View.sent_back(data)
    ref = refs.ref(comment_id)
    status_code = 200 if form.ok else 400
    if is_htmx(request):
        context = {
            "survey": survey,
            "comment": found(comments.find_comment(session, survey, comment_id, refs=refs)),
            "tags": comments.tag_uses(session, survey),
            "view": view,
            "can_tag": True,
            "form": form,
            "notice": notice,
            "focus": next(iter(form.errors), f"notice-{ref}"),
        }
        return render(request, "insights/comments_item.html", context, status_code=status_code)
    if not form.ok:
        return _comments_page(request, user, session, survey, view, form, status_code=status_code)
    flash(request, notice)
    return redirect(request, f"{view.url(survey)}#comment-{ref}")


@router.post("/surveys/{survey_id}/comments/tag", response_class=HTMLResponse)
def tag_comment(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep, data: FormData) -> Response:
    """Add a tag to a comment: one the area has, or a new one."""
    survey = _survey(session, user, survey_id)
    refs = _refs(request)
    comment_id = _comment_id(session, survey, refs, data)
    ref = refs.ref(comment_id)
    # Field names carry the comment's reference: each comment on the page has its own form and fields.
    form = Form({f"tag-{ref}": data.get("tag", ""), f"name-{ref}": data.get("name", "")})
    name = form.text(f"name-{ref}", label="the new tag", max_length=comments.MAX_TAG_NAME, required=False)
    chosen = form.raw(f"tag-{ref}")
    tag = form.attempt(
        lambda: found(
            comments.choose_tag(
                session, survey.area_id, tag_id=int(chosen) if chosen.isdigit() else None, new_name=name
            )
        ),
        field=f"name-{ref}",  # the one field every tag form has (the list is there only when the area has tags)
    )
    if tag is None:
        return _after_change(request, user, session, survey, comment_id, data, form)
    added = comments.add_tag(session, comment_id, tag)
    notice = f"Tag {tag.name} added." if added else f"This comment already has the tag {tag.name}."
    return _after_change(request, user, session, survey, comment_id, data, form, notice)


@router.post("/surveys/{survey_id}/comments/untag", response_class=HTMLResponse)
def untag_comment(
    request: Request, survey_id: int, user: SurveyRunner, session: SessionDep, data: FormData
) -> Response:
    survey = _survey(session, user, survey_id)
    comment_id = _comment_id(session, survey, _refs(request), data)
    chosen = data.get("tag", "")
    if not chosen.isdigit():
        raise HTTPException(status_code=400)
    tag = _tag(session, survey, int(chosen))
    removed = comments.remove_tag(session, comment_id, tag)
    notice = f"Tag {tag.name} removed." if removed else f"This comment does not have the tag {tag.name}."
    return _after_change(request, user, session, survey, comment_id, data, Form({}), notice)


def _csv(rows: Any, survey: Survey, name: str) -> StreamingResponse:
    filename = f"survey-{survey.public_code}-{name}.csv"
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/surveys/{survey_id}/comments.csv")
def comments_csv(survey_id: int, user: Staff, session: ExportSession) -> StreamingResponse:
    survey = _survey(session, user, survey_id)
    return _csv(comments.comments_csv(session, survey), survey, "comments")


@router.get("/surveys/{survey_id}/rating-comments", response_class=HTMLResponse)
def rating_comments_page(
    request: Request, survey_id: int, user: Staff, session: SessionDep, theme: str = "", page: int = 1
) -> Response:
    survey = _survey(session, user, survey_id)
    themes = comments.rating_comment_themes(session, survey)
    chosen = theme if theme in {choice.key for choice in themes} else ""
    paged = comments.read_rating_comments(session, survey, chosen or None, page)

    def url(number: int) -> str:
        query = {key: value for key, value in (("theme", chosen), ("page", str(number))) if value and value != "1"}
        return f"/surveys/{survey.id}/rating-comments" + (f"?{urlencode(query)}" if query else "")

    context = {
        "survey": survey,
        "paged": paged,
        "themes": themes,
        "theme": chosen,
        "all_comments": sum(choice.comments for choice in themes),
        "pagination": pagination(paged, url, "Pages of words beside ratings"),
    }
    return render(request, "insights/comments_ratings.html", context)


@router.get("/surveys/{survey_id}/rating-comments.csv")
def rating_comments_csv(survey_id: int, user: Staff, session: ExportSession) -> StreamingResponse:
    survey = _survey(session, user, survey_id)
    return _csv(comments.rating_comments_csv(session, survey), survey, "rating-comments")


# The area's tags, reached from any of its surveys' comments pages.


def _tags_page(request: Request, session: Session, survey: Survey, form: Form, status_code: int = 200) -> Response:
    context = {"survey": survey, "tags": comments.tag_uses(session, survey), "form": form}
    return render(request, "insights/comments_tags.html", context, status_code=status_code)


@router.get("/surveys/{survey_id}/comments/tags", response_class=HTMLResponse)
def tags_page(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    return _tags_page(request, session, _survey(session, user, survey_id), Form({}))


@router.post("/surveys/{survey_id}/comments/tags", response_class=HTMLResponse)
def new_tag(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, user, survey_id)
    form = Form(data)
    name = form.text("name", label="the tag", max_length=comments.MAX_TAG_NAME)
    tag = form.attempt(lambda: comments.create_tag(session, survey.area_id, name))
    if tag is None:
        return _tags_page(request, session, survey, form, status_code=400)
    flash(request, f"Tag {tag.name} added. Use it on comments from any of the area's surveys.")
    return redirect(request, f"/surveys/{survey.id}/comments/tags")


def _rename_page(request: Request, survey: Survey, tag: CommentTag, form: Form, status_code: int = 200) -> Response:
    return render(
        request, "insights/comments_tag.html", {"survey": survey, "tag": tag, "form": form}, status_code=status_code
    )


@router.get("/surveys/{survey_id}/comments/tags/{tag_id}", response_class=HTMLResponse)
def rename_tag_page(request: Request, survey_id: int, tag_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    tag = _tag(session, survey, tag_id)
    return _rename_page(request, survey, tag, Form({"name": tag.name}))


@router.post("/surveys/{survey_id}/comments/tags/{tag_id}", response_class=HTMLResponse)
def rename_tag(
    request: Request, survey_id: int, tag_id: int, user: SurveyRunner, session: SessionDep, data: FormData
) -> Response:
    survey = _survey(session, user, survey_id)
    tag = _tag(session, survey, tag_id)
    form = Form(data)
    name = form.text("name", label="the tag's new name", max_length=comments.MAX_TAG_NAME)
    if form.attempt(lambda: comments.rename_tag(session, tag, name)) is None:
        return _rename_page(request, survey, tag, form, status_code=400)
    flash(request, f"Tag renamed to {tag.name}, on every comment it is on.")
    return redirect(request, f"/surveys/{survey.id}/comments/tags")


@router.get("/surveys/{survey_id}/comments/tags/{tag_id}/delete", response_class=HTMLResponse)
def delete_tag_page(request: Request, survey_id: int, tag_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    tag = _tag(session, survey, tag_id)
    use = next(use for use in comments.tag_uses(session, survey) if use.id == tag.id)
    return render(request, "insights/comments_tag_delete.html", {"survey": survey, "tag": use})


@router.post("/surveys/{survey_id}/comments/tags/{tag_id}/delete", response_class=HTMLResponse)
def delete_tag(request: Request, survey_id: int, tag_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    tag = _tag(session, survey, tag_id)
    name = tag.name
    comments.delete_tag(session, tag)
    flash(request, f"Tag {name} deleted. The comments it was on are still here.")
    return redirect(request, f"/surveys/{survey.id}/comments/tags")
