"""The named, shared answer scales. Wording is ours; the rungs and stages are facts from the field.

A scale lists its points from the most positive to the least, then answers that sit outside it
("don't know", "does not apply"): counted, but never in a percentage's denominator. Some scales
also ask for words beside the rating (the evidence for a development stage, the comment on an
audit criterion).
"""

from pydantic import BaseModel, ConfigDict, Field


class Point(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    label: str = Field(max_length=80)
    meaning: str | None = Field(default=None, max_length=200)
    face: str | None = Field(default=None, description="For smiley scales: which face to draw beside the words")
    score: int | None = Field(default=None, description="Position on the scale; None for answers outside it")


class CommentPrompt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)
    label: str = Field(max_length=120)
    hint: str | None = Field(default=None, max_length=300)
    required: bool = False


class Scale(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    version: int
    title: str
    points: tuple[Point, ...]
    outside: tuple[Point, ...] = ()
    positive: tuple[str, ...] = Field(description="Codes counted as a positive answer in indicators")
    comments: tuple[CommentPrompt, ...] = ()

    def codes(self) -> list[str]:
        return [point.code for point in (*self.points, *self.outside)]


DONT_KNOW = Point(code="dont_know", label="Don't know")
DOES_NOT_APPLY = Point(code="does_not_apply", label="Does not apply to me")

SCALES: dict[str, Scale] = {
    scale.key: scale
    for scale in [
        Scale(
            key="agree5",
            version=1,
            title="Agree or disagree (5 points)",
            points=(
                Point(code="strongly_agree", label="Strongly agree", score=5),
                Point(code="agree", label="Agree", score=4),
                Point(code="neither", label="Neither agree nor disagree", score=3),
                Point(code="disagree", label="Disagree", score=2),
                Point(code="strongly_disagree", label="Strongly disagree", score=1),
            ),
            outside=(DONT_KNOW, DOES_NOT_APPLY),
            positive=(
                "strongly_agree",
                "agree",
            ),
        ),
        Scale(
            key="smiley5",
            version=1,
            title="Faces with words (5 points)",
            points=(
                Point(code="really_happy", label="Really happy", face="grin", score=5),
                Point(code="happy", label="Happy", face="smile", score=4),
                Point(code="ok", label="OK", face="straight", score=3),
                Point(code="unhappy", label="Unhappy", face="frown", score=2),
                Point(code="really_unhappy", label="Really unhappy", face="sad", score=1),
            ),
            outside=(Point(code="dont_know", label="I don't know"), Point(code="not_for_me", label="Not for me")),
            positive=(
                "really_happy",
                "happy",
            ),
        ),
        Scale(
            key="smiley3",
            version=1,
            title="Faces with words (3 points)",
            points=(
                Point(code="happy", label="Happy", face="smile", score=3),
                Point(code="ok", label="OK", face="straight", score=2),
                Point(code="unhappy", label="Unhappy", face="frown", score=1),
            ),
            outside=(Point(code="dont_know", label="I don't know"), Point(code="not_for_me", label="Not for me")),
            positive=("happy",),
        ),
        Scale(
            key="ladder5",
            version=1,
            title="Ladder of participation (5 rungs)",
            points=(
                Point(
                    code="devolving",
                    label="Devolving",
                    meaning="Families decide, with our resources behind them.",
                    score=5,
                ),
                Point(
                    code="collaborating",
                    label="Collaborating",
                    meaning="We decide together, as equal partners.",
                    score=4,
                ),
                Point(
                    code="involving",
                    label="Involving",
                    meaning="Families' views shape the options we consider.",
                    score=3,
                ),
                Point(
                    code="consulting",
                    label="Consulting",
                    meaning="We ask for families' views, then we decide.",
                    score=2,
                ),
                Point(code="informing", label="Informing", meaning="We tell families what is happening.", score=1),
            ),
            outside=(DONT_KNOW,),
            positive=(
                "devolving",
                "collaborating",
            ),
            comments=(CommentPrompt(key="why", label="Why do you say that? (optional)"),),
        ),
        Scale(
            key="ds4",
            version=1,
            title="Development stage (DS1 to DS4)",
            points=(
                Point(
                    code="ds4",
                    label="DS4",
                    meaning="Fully in place, and its impact is checked and evaluated regularly.",
                    score=4,
                ),
                Point(code="ds3", label="DS3", meaning="Fully in place.", score=3),
                Point(code="ds2", label="DS2", meaning="Being developed.", score=2),
                Point(code="ds1", label="DS1", meaning="Neither in place nor being developed.", score=1),
            ),
            positive=(
                "ds3",
                "ds4",
            ),
            comments=(
                CommentPrompt(key="evidence", label="Evidence", hint="What shows this is the right stage?"),
                CommentPrompt(
                    key="action",
                    label="Action needed to improve",
                    hint="What would move this up a stage, and who will do it?",
                ),
            ),
        ),
        Scale(
            key="yes_limited_no",
            version=1,
            title="Yes, limited or no",
            points=(
                Point(code="yes", label="Yes", meaning="Fully meets the criterion.", score=3),
                Point(code="limited", label="Limited", meaning="Partly meets it, or only in places.", score=2),
                Point(code="no", label="No", meaning="Does not meet it.", score=1),
            ),
            positive=("yes",),
            comments=(CommentPrompt(key="comment", label="Comment", hint="What did you find? Where?"),),
        ),
    ]
}
