"""A survey's results to take away: every answer row by row, the protected summary, and a workbook of both.

Row-level output (answers.csv, the workbook's Data sheet, the API's answer lines) numbers each
response 1, 2, 3… instead of showing its database id, keeps only the month it was sent, never holds
anything a person wrote in their own words, and writes an answer about the person that fewer
respondents than the area's threshold gave as "fewer than N", so no small group can be picked out.
Every count in the summary comes from app/insights/results.py, already protected.

Row-level output is read in keyset-paged batches of plain tuples (never ORM objects, never a list of
every row), so a survey of any size goes out in constant memory.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.insights import results
from app.insights.results import DIMENSION_LABELS, VALUE_LABELS, Row, SurveyResults
from app.instruments.models import Item, Theme
from app.instruments.scales import Scale
from app.surveys.models import AboutYou, Answer, Response, Survey
from app.surveys.responses import ABOUT_YOU_CHOICES, PREFER_NOT_TO_SAY

BATCH_ROWS = 5000  # answers read at a time: a few hundred responses
SUPPRESSED = "suppressed"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SKIPPED = "Skipped"


def formula_safe(value: str) -> str:
    """Text a spreadsheet will show as text: one that starts like a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


# What a row-level export needs to know, read once -------------------------------------------------


@dataclass(frozen=True)
class Statement:
    id: int
    position: int
    theme_key: str
    key: str
    text: str
    scale: Scale

    def answer(self, code: str | None) -> tuple[str, str, bool, bool]:
        """(code, label, on the scale, positive) for a stored answer; a skipped one has no code."""
        if code is None:
            return "", SKIPPED, False, False
        for point in self.scale.points:
            if point.code == code:
                return code, point.label, True, code in self.scale.positive
        label = next((point.label for point in self.scale.outside if point.code == code), code)
        return code, label, False, False


@dataclass(frozen=True)
class Plan:
    survey_id: int
    threshold: int
    questions: tuple[str, ...]  # the about-you questions the survey asked, in its order
    written: dict[str, dict[str, str]]  # question -> stored value -> what the export writes
    statements: tuple[Statement, ...]  # in the questionnaire's order

    def about_you(self, answers: Mapping[str, str]) -> tuple[str, ...]:
        """The person's about-you answers as written: a small group's value recoded, an unanswered one empty."""
        values = []
        for question in self.questions:
            value = answers.get(question)
            values.append("" if value is None else self.written[question].get(value, self.small_label))
        return tuple(values)

    @property
    def small_label(self) -> str:
        return f"fewer than {self.threshold}"


def threshold_of(session: Session, survey: Survey) -> int:
    area = session.get(Area, survey.area_id)
    assert area is not None
    return area.suppression_threshold


def about_you_tallies(session: Session, survey: Survey) -> dict[str, dict[str, int]]:
    """How many of the survey's respondents gave each answer to each about-you question (unanswered left out).

    Raw counts: used only to decide which values to recode, never written out.
    """
    tallies: dict[str, dict[str, int]] = {}
    for question in survey.about_you:
        value = col(Response.about_you)[question].as_string()
        query = select(value, func.count()).where(Response.survey_id == survey.id, value.is_not(None)).group_by(value)
        tallies[question] = {str(answer): int(number) for answer, number in session.exec(query)}
    return tallies


def possible_values(survey: Survey, question: str) -> set[str]:
    """Every answer the question offered: a reader who knows them could spot the one that is missing."""
    choices = survey.localities if question == AboutYou.locality else ABOUT_YOU_CHOICES.get(AboutYou(question), ())
    return {*choices, PREFER_NOT_TO_SAY}


def recoding(survey: Survey, tallies: dict[str, dict[str, int]], threshold: int) -> dict[str, dict[str, str]]:
    """For each question, what to write for each value given: itself, or a label that hides a small group.

    A value fewer than `threshold` people gave is written "fewer than N". When that leaves just one
    value hidden and every other answer the question offered is shown, anyone could tell which one
    it is, so the next smallest value is hidden with it, under a label that says so.
    """
    written: dict[str, dict[str, str]] = {}
    for question, tally in tallies.items():
        small = {value for value, number in tally.items() if number < threshold}
        label = f"fewer than {threshold}"
        shown = set(tally) - small
        if len(small) == 1 and shown and possible_values(survey, question) - small <= shown:
            small.add(min(shown, key=lambda value: (tally[value], value)))
            label = f"fewer than {threshold}, with the next smallest group"
        written[question] = {value: formula_safe(label if value in small else value) for value in tally}
    return written


def plan(session: Session, survey: Survey) -> Plan:
    assert survey.id is not None
    threshold = threshold_of(session, survey)
    scales = results.load_scales(session, survey.instrument_id)
    query = (
        select(Item.id, Theme.key, Item.key, Item.text)
        .join(Theme, col(Theme.id) == col(Item.theme_id))
        .where(Item.instrument_id == survey.instrument_id)
        .order_by(col(Theme.position), col(Item.position))
    )
    statements = tuple(
        Statement(item_id, index, theme_key, key, text, scales[item_id])
        for index, (item_id, theme_key, key, text) in enumerate(session.exec(query))
        if item_id is not None
    )
    tallies = about_you_tallies(session, survey)
    return Plan(survey.id, threshold, tuple(survey.about_you), recoding(survey, tallies, threshold), statements)


# Reading responses in batches ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRecord:
    number: int  # 1, 2, 3… in the order responses arrived: never the database id
    month: str  # YYYY-MM
    easy_read: bool
    about_you: tuple[str, ...]  # as written (see Plan.about_you)
    answers: list[tuple[int, str | None]]  # (item id, choice) in the questionnaire's order


def response_batches(session: Session, plan: Plan) -> Iterator[list[ResponseRecord]]:
    """Every response of the survey, oldest first, with its answers: a batch of a few thousand answers at a time,
    read by keyset (the last response id seen), as plain rows straight from the database connection."""
    per_batch = max(1, BATCH_ROWS // max(1, len(plan.statements)))
    position = {statement.id: statement.position for statement in plan.statements}
    connection = session.connection()
    last_id, number = 0, 0
    while True:
        batch = connection.execute(
            select(Response.id, Response.submitted_at, Response.easy_read, Response.about_you)
            .where(Response.survey_id == plan.survey_id, col(Response.id) > last_id)
            .order_by(col(Response.id))
            .limit(per_batch)
        ).all()
        if not batch:
            return
        answers: dict[int, list[tuple[int, str | None]]] = {row[0]: [] for row in batch}
        query = select(Answer.response_id, Answer.item_id, Answer.choice).where(col(Answer.response_id).in_(answers))
        for response_id, item_id, choice in connection.execute(query).all():
            if item_id in position:
                answers[response_id].append((item_id, choice))
        records = []
        for response_id, submitted_at, easy_read, about_you in batch:
            number += 1
            given = sorted(answers[response_id], key=lambda answer: position[answer[0]])
            records.append(ResponseRecord(number, _month(submitted_at), easy_read, plan.about_you(about_you), given))
        yield records
        last_id = batch[-1][0]


def response_records(session: Session, plan: Plan) -> Iterator[ResponseRecord]:
    for batch in response_batches(session, plan):
        yield from batch


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def answer_columns(plan: Plan) -> list[str]:
    return [
        "response_number",
        "month_submitted",
        "easy_read",
        *(f"about_you_{question}" for question in plan.questions),
        "theme_key",
        "statement_key",
        "statement_text",
        "answer_code",
        "answer_label",
        "on_scale",
        "positive",
    ]


def _line(values: Iterable[object]) -> str:
    """One CSV row as text, quoted as the csv module quotes, without its line ending."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def answers_csv(session: Session, survey: Survey) -> Iterator[str]:
    """answers.csv, a batch at a time: one row per answer, the header first (with a byte-order mark for Excel).

    A row is the response's number, then what is said about the person, then the answer. The last two
    repeat across a million rows but have only a few hundred forms each, so each form is written
    as CSV text once and the rows are joined from them.
    """
    how = plan(session, survey)
    by_id = {statement.id: statement for statement in how.statements}
    answers: dict[tuple[int, str | None], str] = {}
    people: dict[tuple[str, bool, tuple[str, ...]], str] = {}

    def answer(item_id: int, choice: str | None) -> str:
        text = answers.get((item_id, choice))
        if text is None:
            statement = by_id[item_id]
            code, label, on_scale, positive = statement.answer(choice)
            words = (statement.theme_key, statement.key, statement.text, code, label)
            text = answers[(item_id, choice)] = "," + _line(
                [*map(formula_safe, words), yes_no(on_scale), yes_no(positive)]
            )
        return text

    def person(record: ResponseRecord) -> str:
        key = (record.month, record.easy_read, record.about_you)
        text = people.get(key)
        if text is None:
            text = people[key] = "," + _line([record.month, yes_no(record.easy_read), *record.about_you])
        return text

    yield "\ufeff" + _line(answer_columns(how)) + "\r\n"
    for batch in response_batches(session, how):
        yield "".join(
            f"{record.number}{person(record)}{answer(item_id, choice)}\r\n"
            for record in batch
            for item_id, choice in record.answers
        )


def answer_lines(session: Session, survey: Survey) -> Iterator[str]:
    """The API's answers: one JSON object a line, one line per response, under the same rules as answers.csv."""
    how = plan(session, survey)
    keys = {statement.id: statement.key for statement in how.statements}
    for batch in response_batches(session, how):
        lines = (
            json.dumps(
                {
                    "response": record.number,
                    "month": record.month,
                    "easy_read": record.easy_read,
                    "about_you": dict(zip(how.questions, record.about_you, strict=True)),
                    "answers": {keys[item_id]: choice for item_id, choice in record.answers if item_id in keys},
                },
                separators=(",", ":"),
            )
            for record in batch
        )
        yield "".join(line + "\n" for line in lines)


# The protected summary ------------------------------------------------------------------------------

Cell = int | float | str


def all_results(session: Session, survey: Survey) -> list[SurveyResults]:
    """The whole area's results, then one breakdown for each about-you question the survey asked."""
    return [results.survey_results(session, survey, dimension) for dimension in (None, *survey.about_you)]


def answer_codes(outcomes: SurveyResults) -> list[str]:
    """Every answer code of the questionnaire's scales, in the order the scales list them."""
    codes: dict[str, None] = {}
    for item in outcomes.items:
        codes.update((code, None) for code in item.scale.codes())
    return list(codes)


def summary_columns(codes: Sequence[str], *, breakdown: bool = True) -> list[str]:
    group = ["breakdown", "breakdown_value"] if breakdown else []
    figures = ["n", "rated", "positive", "percent_positive", "ci95_low_percent", "ci95_high_percent"]
    head = ["row_type", "theme_key", "theme_title", "statement_key", "statement_text"]
    return [*head, *group, *figures, *(f"count_{code}" for code in codes)]


def _count(value: int | None) -> Cell:
    return SUPPRESSED if value is None else value


def _figures(row: Row) -> list[Cell]:
    """n, rated, positive, then the percentage and its interval: "suppressed" where hidden, empty if nobody rated."""
    counts: list[Cell] = [_count(row.total), _count(row.rated), _count(row.positive)]
    if row.rated is None or row.positive is None:
        return [*counts, SUPPRESSED, SUPPRESSED, SUPPRESSED]
    if row.proportion is None:
        return [*counts, "", "", ""]
    share = row.proportion
    return [*counts, *(round(value * 100, 1) for value in (share.value, share.low, share.high))]


def summary_rows(
    outcomes: list[SurveyResults], codes: Sequence[str], *, whole_area: bool = True, groups: bool = True
) -> Iterator[list[Cell]]:
    """Summary rows: for each theme (people, not answers) and then each of its statements, the whole area's
    row (`whole_area`) and then every breakdown's rows (`groups`). Breakdown columns only with `groups`."""
    for theme_index, theme in enumerate(outcomes[0].themes):
        theme_head: list[Cell] = [formula_safe(theme.key), formula_safe(theme.title)]
        entries: list[tuple[str, list[Cell], list[Sequence[Row]]]] = []
        if theme.summary:
            rows: list[Sequence[Row]] = [outcome.themes[theme_index].summary for outcome in outcomes]
            entries.append(("theme (people)", [*theme_head, "", ""], rows))
        for item_index, item in enumerate(theme.items):
            rows = [outcome.themes[theme_index].items[item_index].rows for outcome in outcomes]
            entries.append(("statement", [*theme_head, formula_safe(item.key), formula_safe(item.text)], rows))
        for row_type, head, per_outcome in entries:
            chosen = [(outcomes[0], per_outcome[0][0])] if whole_area else []
            if groups:
                chosen += [
                    (outcome, row)
                    for outcome, rows in zip(outcomes[1:], per_outcome[1:], strict=True)
                    for row in rows[1:]
                ]
            for outcome, row in chosen:
                group = _group(outcome, row) if groups else []
                shares = {share.code: _count(share.count) for share in row.shares}
                answers = [shares.get(code, "") for code in codes]
                yield [row_type, *head, *group, *_figures(row), *answers]


def _group(outcome: SurveyResults, row: Row) -> list[Cell]:
    if outcome.dimension is None:
        return ["Whole area", "Everyone"]
    return [DIMENSION_LABELS[AboutYou(outcome.dimension)], formula_safe(row.label)]


def summary_csv(session: Session, survey: Survey) -> str:
    """summary.csv: every theme and statement, the whole area's row first and then each breakdown's rows."""
    outcomes = all_results(session, survey)
    codes = answer_codes(outcomes[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(summary_columns(codes))
    writer.writerows(summary_rows(outcomes, codes))
    return "\ufeff" + buffer.getvalue()


def value_label(question: str, value: str) -> str:
    """How a stored about-you value reads (localities are the area's own words)."""
    return value if question == AboutYou.locality else VALUE_LABELS.get(value, value)


def methods(outcome: SurveyResults) -> list[str]:
    """The methods in plain English, for the workbook's Notes and the API."""
    threshold = outcome.threshold
    return [
        f"Responses: {outcome.responses:,}. n is how many people answered a statement, including "
        "\u201cdon\u2019t know\u201d and \u201cdoes not apply\u201d; rated is how many gave an answer on the scale.",
        "Percent positive is the share of rated answers that were positive (for example, strongly agree or agree). "
        "Answers outside the scale are counted in n but left out of the percentage.",
        "The 95% interval (low to high) is a Wilson score interval: the true figure for everyone the people who "
        "answered stand for is very likely to lie inside it. Fewer answers give a wider interval.",
        "Theme rows count people, not answers: someone counts as positive about a theme when more than half of the "
        "statements they rated in it were positive.",
        f"To protect people, a count from 1 to {threshold - 1} is never shown: it says \u201csuppressed\u201d. So "
        "does any other count that would let a hidden one be worked out by adding or subtracting. The whole area's "
        "figures are the same in every breakdown, so setting two tables side by side reveals nothing more.",
        f"In the row-by-row data, an answer about the person that fewer than {threshold} people gave is written "
        f"\u201cfewer than {threshold}\u201d, so no small group can be picked out. Responses are numbered in the "
        "order they arrived and dated to the month. Nothing anyone wrote in their own words is included.",
    ]


# The workbook ----------------------------------------------------------------------------------------

MAX_SHEET_ROWS = 1_048_576  # a spreadsheet's limit, the header row included
BOLD = Font(bold=True)


def _header(sheet: WriteOnlyWorksheet, names: Sequence[str], widths: dict[int, int] | None = None) -> None:
    for index, width in (widths or {}).items():
        _width(sheet, _letter(index), width)
    sheet.freeze_panes = "A2"
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = BOLD
        cells.append(cell)
    sheet.append(cells)


def _width(sheet: WriteOnlyWorksheet, column: str, width: int) -> None:
    sheet.column_dimensions[column].width = width  # type: ignore[attr-defined]  # there at run time; not in the stubs


def _letter(index: int) -> str:
    """A spreadsheet column's letters from its 0-based number: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def write_workbook(session: Session, survey: Survey, target: IO[bytes], *, made_by: str) -> None:
    """results.xlsx into `target`: Summary, By group, Data (a row per response) and Notes, written row by row."""
    outcomes = all_results(session, survey)
    codes = answer_codes(outcomes[0])
    book = Workbook(write_only=True)
    widths = {1: 24, 2: 30, 3: 24, 4: 60}

    summary = book.create_sheet("Summary")
    _header(summary, summary_columns(codes, breakdown=False), widths)
    for row in summary_rows(outcomes, codes, groups=False):
        summary.append(row)

    by_group = book.create_sheet("By group")
    _header(by_group, summary_columns(codes), widths | {5: 20, 6: 24})
    asked = False
    for row in summary_rows(outcomes, codes, whole_area=False):
        by_group.append(row)
        asked = True
    if not asked:
        by_group.append(["This survey asked nothing about the people who answered, so there is no breakdown."])

    how = plan(session, survey)
    stopped = _write_data(book.create_sheet("Data"), session, how)
    _write_notes(book.create_sheet("Notes"), outcomes[0], made_by=made_by, stopped_at=stopped)
    book.save(target)


def _write_data(sheet: WriteOnlyWorksheet, session: Session, how: Plan) -> int | None:
    """One row per response, one column per statement (the answer's words). Returns where it stopped, if it did."""
    questions = [DIMENSION_LABELS[AboutYou(question)] for question in how.questions]
    _header(sheet, ["Response", "Month sent", "Easy read", *questions, *(s.key for s in how.statements)])
    words = {
        (statement.id, point.code): formula_safe(point.label)
        for statement in how.statements
        for point in (*statement.scale.points, *statement.scale.outside)
    }
    columns = {statement.id: index for index, statement in enumerate(how.statements)}

    def cells(record: ResponseRecord) -> list[Cell | None]:
        about = [value_label(question, value) for question, value in zip(how.questions, record.about_you, strict=True)]
        answers: list[Cell | None] = [None for _ in how.statements]
        for item_id, choice in record.answers:
            if item_id in columns and choice is not None:
                answers[columns[item_id]] = words.get((item_id, choice), formula_safe(choice))
        return [record.number, record.month, yes_no(record.easy_read), *about, *answers]

    used = 1
    records = response_records(session, how)
    for record in records:
        if used == MAX_SHEET_ROWS - 1 and next(records, None) is not None:
            sheet.append(
                [
                    f"This sheet stops here, at a spreadsheet's limit of {MAX_SHEET_ROWS:,} rows: it holds the "
                    f"first {record.number - 1:,} responses. answers.csv holds every response."
                ]
            )
            return record.number - 1
        sheet.append(cells(record))
        used += 1
    return None


def _write_notes(sheet: WriteOnlyWorksheet, outcome: SurveyResults, *, made_by: str, stopped_at: int | None) -> None:
    survey, instrument = outcome.survey, outcome.instrument
    _width(sheet, "A", 120)
    wrap = Alignment(wrap_text=True, vertical="top")
    title = WriteOnlyCell(sheet, value=formula_safe(f"{survey.title}: results"))
    title.font = Font(bold=True, size=14)
    lines = [
        formula_safe(
            f"Wave {survey.wave} of the questionnaire \u201c{instrument.title}\u201d (version {instrument.version}), "
            f"made by {made_by} on {datetime.now().strftime('%-d %B %Y')}."
        ),
        "Summary has the whole area's figures for each theme and statement; By group has them for each answer to "
        "the questions about the person; Data has one row per response; these notes say how the figures were made.",
        *methods(outcome),
        f"The smallest count shown is {outcome.threshold} (the area's threshold).",
        f"Data is a spreadsheet: it can hold at most {MAX_SHEET_ROWS - 1:,} responses. Beyond that, answers.csv "
        "is the complete file.",
    ]
    if stopped_at is not None:
        lines.append(f"This survey has more responses than that: Data holds the first {stopped_at:,} only.")
    sheet.append([title])
    for line in lines:
        cell = WriteOnlyCell(sheet, value=line)
        cell.alignment = wrap
        sheet.append([cell])
