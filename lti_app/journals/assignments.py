"""What a coach asks of a course's students in their journals: the assignment's editor without
the web (its fields as posted, the rubric's rows, checking them) and saving it.

A rubric row's key is stable: a saved row keeps its key in every edit, so the points a review
gave it keep meaning the same row; a new row gets a key no row of the assignment had.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback.editing import Errors, apply_action, count, fresh_key, one_line
from lti_app.journals.models import JournalAssignment, JournalReview
from lti_app.placements.forms import parse_day

TITLE_MAX = 200
INSTRUCTIONS_MAX = 5000
LABEL_MAX = 200
MAX_ENTRIES = 50
MAX_SCORE = 1000.0
DEFAULT_MAX = 20.0
_KEY = re.compile(r"^r[0-9]{1,4}$")


def number(raw: str) -> float:
    """A number as typed here: "15,5" or "15.5".

    :raise ValueError: not a number.
    """
    text = raw.strip().replace(",", ".")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise ValueError(raw)
    return float(text)


def shown_number(value: float | None) -> str:
    """15.0 → "15", 15.5 → "15.5": how a score is written back into a field or on a page."""
    if value is None:
        return ""
    return f"{value:g}"


@dataclass
class Posted:
    """The editor as the coach typed it: every value kept as text, so a page with an error shows
    exactly what was typed."""

    title: str = ""
    instructions: str = ""
    entries_required: str = "6"
    final_required: bool = True
    due_date: str = ""
    max_score: str = ""
    rubric: list[dict[str, str]] = field(default_factory=list)


def posted_from(assignment: JournalAssignment) -> Posted:
    return Posted(
        title=assignment.title,
        instructions=assignment.instructions,
        entries_required=str(assignment.entries_required),
        final_required=assignment.final_required,
        due_date=assignment.due_date.isoformat() if assignment.due_date else "",
        max_score=shown_number(assignment.max_score),
        rubric=[
            {"key": str(r["key"]), "label": str(r["label"]), "points": shown_number(r["points"])}
            for r in assignment.rubric
        ],
    )


def read_posted(form: Mapping[str, str]) -> Posted:
    rows = []
    for i in range(count(form, "r-count")):
        p = f"r-{i}-"
        rows.append(
            {
                "key": one_line(form.get(p + "key")),
                "label": one_line(form.get(p + "label")),
                "points": (form.get(p + "points") or "").strip(),
            }
        )
    return Posted(
        title=one_line(form.get("title")),
        instructions=(form.get("instructions") or "").strip(),
        entries_required=(form.get("entries_required") or "").strip(),
        final_required=form.get("final_required") == "1",
        due_date=_as_picked((form.get("due_date") or "").strip()),
        max_score=(form.get("max_score") or "").strip(),
        rubric=rows,
    )


def _as_picked(raw: str) -> str:
    """A typed date as the date picker writes it (2027-03-14), so the field shows it again;
    text that is no date stays as typed, for its message."""
    try:
        day = parse_day(raw)
    except ValueError:
        return raw
    return day.isoformat() if day else ""


def apply_row_action(posted: Posted, action: str) -> bool:
    """``add`` or ``remove:<i>`` (``up``/``down`` too): True when the editor is shown again."""
    return apply_action(posted.rubric, action, {"key": "", "label": "", "points": ""})


@dataclass(frozen=True)
class Values:
    title: str
    instructions: str
    entries_required: int
    final_required: bool
    due_date: date | None
    max_score: float
    rubric: list[dict[str, Any]]


def check(posted: Posted, *, known_keys: set[str]) -> tuple[Values | None, Errors]:
    """The values to save, or the problems found, keyed by field name."""
    errors: Errors = {}
    if not posted.title:
        errors["title"] = _l("Give the assignment a title, e.g. Reflectiejournaal stage 1.")
    elif len(posted.title) > TITLE_MAX:
        errors["title"] = _l("At most %(limit)d characters.", limit=TITLE_MAX)
    if len(posted.instructions) > INSTRUCTIONS_MAX:
        errors["instructions"] = _l("At most %(limit)d characters.", limit=INSTRUCTIONS_MAX)
    entries = 0
    if not posted.entries_required.isdigit() or int(posted.entries_required) > MAX_ENTRIES:
        errors["entries_required"] = _l(
            "Enter a whole number from 0 to %(most)d.", most=MAX_ENTRIES
        )
    else:
        entries = int(posted.entries_required)
    due: date | None = None
    try:
        due = parse_day(posted.due_date)
    except ValueError:
        errors["due_date"] = _l("This is not a date. Enter it like 14/03/2027.")
    rubric = _check_rubric(posted.rubric, errors, known_keys)
    total = sum(float(r["points"]) for r in rubric)
    maximum = total or DEFAULT_MAX
    if posted.max_score:
        try:
            maximum = number(posted.max_score)
        except ValueError:
            errors["max_score"] = _l("Enter a number, e.g. 20 or 17,5.")
        else:
            if not 0 < maximum <= MAX_SCORE:
                errors["max_score"] = _l(
                    "Enter a maximum above 0 and at most %(most)d.", most=int(MAX_SCORE)
                )
    if errors:
        return None, errors
    return (
        Values(
            title=posted.title,
            instructions=posted.instructions,
            entries_required=entries,
            final_required=posted.final_required,
            due_date=due,
            max_score=maximum,
            rubric=rubric,
        ),
        {},
    )


def _check_rubric(
    rows: list[dict[str, str]], errors: Errors, known_keys: set[str]
) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    taken = set(known_keys) | {r["key"] for r in rows if r["key"]}
    for i, row in enumerate(rows):
        p = f"r-{i}-"
        if row["key"] and (row["key"] not in known_keys or not _KEY.match(row["key"])):
            errors[p + "label"] = _l("This row is unknown. Reload the page and try again.")
            continue
        if not row["label"]:
            errors[p + "label"] = _l("Say what this row judges, e.g. Depth of reflection.")
        elif len(row["label"]) > LABEL_MAX:
            errors[p + "label"] = _l("At most %(limit)d characters.", limit=LABEL_MAX)
        try:
            points = number(row["points"])
        except ValueError:
            errors[p + "points"] = _l("Enter the row's points, e.g. 5 or 2,5.")
            continue
        if not 0 < points <= MAX_SCORE:
            errors[p + "points"] = _l(
                "Enter points above 0 and at most %(most)d.", most=int(MAX_SCORE)
            )
            continue
        key = row["key"] or fresh_key("r", taken)
        taken.add(key)
        checked.append({"key": key, "label": row["label"], "points": points})
    return checked


def known_keys(assignment: JournalAssignment | None) -> set[str]:
    return {str(r["key"]) for r in assignment.rubric} if assignment else set()


def rubric_total(rubric: list[dict[str, Any]]) -> float:
    return float(sum(float(r["points"]) for r in rubric))


# -- reading and saving ------------------------------------------------------------------------


def course_assignments(session: Session, course_id: int) -> list[JournalAssignment]:
    return list(
        session.scalars(
            select(JournalAssignment)
            .where(
                JournalAssignment.course_id == course_id, JournalAssignment.archived_at.is_(None)
            )
            .order_by(JournalAssignment.due_date.is_(None), JournalAssignment.due_date)
            .order_by(JournalAssignment.id)
        )
    )


def assignment_in(session: Session, assignment_id: int, course_id: int) -> JournalAssignment | None:
    """The assignment, if it is one of the course's (None for another course's)."""
    assignment = session.get(JournalAssignment, assignment_id)
    if assignment is None or assignment.course_id != course_id or assignment.archived_at:
        return None
    return assignment


def released_count(session: Session, assignment_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(JournalReview)
            .where(
                JournalReview.assignment_id == assignment_id,
                JournalReview.released_at.is_not(None),
            )
        )
        or 0
    )


def save(
    session: Session,
    assignment: JournalAssignment | None,
    *,
    course_id: int,
    values: Values,
    actor_id: int | None,
) -> JournalAssignment:
    """A new assignment of the course, or the changed one (the caller commits)."""
    if assignment is None:
        assignment = JournalAssignment(course_id=course_id, created_by_id=actor_id)
        session.add(assignment)
    assignment.title = values.title
    assignment.instructions = values.instructions
    assignment.entries_required = values.entries_required
    assignment.final_required = values.final_required
    assignment.due_date = values.due_date
    assignment.max_score = values.max_score
    assignment.rubric = [dict(r) for r in values.rubric]
    assignment.updated_at = clock.now()
    session.flush()
    return assignment


def changes_for_released(assignment: JournalAssignment, values: Values) -> list[str]:
    """What an edit means for grades already released (empty when nothing they show changes)."""
    said: list[str] = []
    if values.max_score != assignment.max_score:
        said.append(
            str(
                _l(
                    "The maximum score changes from %(old)s to %(new)s. Released grades keep "
                    "their score: release a grade again to send it out of the new maximum.",
                    old=shown_number(assignment.max_score),
                    new=shown_number(values.max_score),
                )
            )
        )
    old_rubric = [(r["key"], r["label"], float(r["points"])) for r in assignment.rubric]
    new_rubric = [(r["key"], r["label"], float(r["points"])) for r in values.rubric]
    if old_rubric != new_rubric:
        said.append(
            str(
                _l(
                    "The rubric changes. Students keep seeing the points they were released "
                    "for rows that remain; a removed row no longer shows."
                )
            )
        )
    if (
        values.entries_required != assignment.entries_required
        or values.final_required != assignment.final_required
    ):
        said.append(
            str(
                _l(
                    "What is asked changes. Work already handed in and graded stays as it is; "
                    "students who have not handed in yet see the new requirement."
                )
            )
        )
    return said
