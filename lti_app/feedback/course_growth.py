"""The course at a glance for its coach: per student with an approved placement, the latest level
of each competency (from her submitted forms), how many forms and when the last came, and
whether an active placement has gone quiet.

Four statements whatever the number of students or forms: the placements with their students,
the forms (without their answers), the template versions they use, and each placement's latest
level per competency, ranked in SQL from the levels written when a form was submitted
(growth.latest_levels, marked when a form is submitted): decoding every form's answers was most
of the page's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from lti_app.feedback.blocks import Competency, Level
from lti_app.feedback.growth import (
    axis,
    current_submitted,
    day_of,
    framework_competencies,
    quiet,
    templates_of,
)
from lti_app.feedback.levels import latest_levels
from lti_app.feedback.models import FeedbackForm
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Person


class Latest(NamedTuple):
    """A competency's latest level (a light Point: a course view has thousands)."""

    form_id: int
    day: date
    label: str
    value: int


@dataclass(slots=True)
class StudentGrowth:
    person_id: int
    name: str
    placement_id: int  # where her name leads: the placement with the latest form, else the first
    latest: dict[str, Latest] = field(default_factory=dict)  # competency key → latest level
    form_count: int = 0
    last_day: date | None = None
    last_form: int = 0  # the id of the form of last_day (the highest on that day)
    quiet: bool = False
    # Each approved placement: (id, start, end), to tell whether one has gone quiet.
    periods: list[tuple[int, date | None, date | None]] = field(default_factory=list)


@dataclass(frozen=True)
class CourseGrowth:
    competencies: list[Competency]  # columns: those with a level for anyone, framework order
    levels: list[Level]
    students: list[StudentGrowth]  # by name


def _name(row: Any) -> str:
    """Person.display_name, from a row of columns."""
    return row.name or " ".join(p for p in (row.given_name, row.family_name) if p) or row.sub


def course_growth(
    session: Session, course_id: int, language: str, *, today: date, quiet_weeks: int
) -> CourseGrowth:
    approved = select(Placement.id).where(
        Placement.course_id == course_id, Placement.state == PlacementState.APPROVED
    )
    students: dict[int, StudentGrowth] = {}
    placement_student: dict[int, StudentGrowth] = {}
    for row in session.execute(
        select(Placement.id, Placement.start_date, Placement.end_date, Placement.student_id)
        .add_columns(Person.name, Person.given_name, Person.family_name, Person.sub)
        .join(Person, Placement.student_id == Person.id)
        .where(Placement.id.in_(approved))
        .order_by(Placement.id)
    ):
        student = students.get(row.student_id)
        if student is None:
            student = students[row.student_id] = StudentGrowth(row.student_id, _name(row), row.id)
        student.periods.append((row.id, row.start_date, row.end_date))
        placement_student[row.id] = student

    last_of: dict[int, date] = {}  # placement → its last form's day
    current = and_(FeedbackForm.placement_id.in_(approved), current_submitted())
    for row in session.execute(
        select(
            FeedbackForm.placement_id,
            func.count().label("forms"),
            func.max(FeedbackForm.lesson_date).label("last_lesson"),
            # A form without a lesson date counts from the day it was submitted.
            func.max(case((FeedbackForm.lesson_date.is_(None), FeedbackForm.submitted_at))).label(
                "last_submitted"
            ),
            func.max(FeedbackForm.id).label("last_id"),
        )
        .where(current)
        .group_by(FeedbackForm.placement_id)
    ):
        student = placement_student[row.placement_id]
        day = max(
            d
            for d in (
                row.last_lesson,
                day_of(None, row.last_submitted) if row.last_submitted else None,
            )
            if d is not None
        )
        last_of[row.placement_id] = day
        student.form_count += row.forms
        # Her name leads to the placement of her last form (the newest day, then the newest).
        if student.last_day is None or (day, row.last_id) > (student.last_day, student.last_form):
            student.last_day, student.last_form = day, row.last_id
            student.placement_id = row.placement_id
    templates = templates_of(
        session, select(FeedbackForm.template_id).where(current).distinct(), language, items=False
    )

    labels = {  # (template, level key) → its label, for thousands of cells
        (template_id, key): level.label
        for template_id, template in templates.items()
        for key, level in template.levels.items()
    }
    for placement_id, competency, form_id, key, value, day, template_id in session.execute(
        latest_levels(approved)
    ):
        latest = placement_student[placement_id].latest
        known = latest.get(competency)
        if known is not None and (known.day, known.form_id) > (day, form_id):
            continue  # another placement of hers has a newer one
        latest[competency] = Latest(form_id, day, labels.get((template_id, key), key), value)

    for student in students.values():
        student.quiet = any(
            quiet(last_of.get(placement_id), start, end, today=today, weeks=quiet_weeks)
            for placement_id, start, end in student.periods
        )
    rated = {key for s in students.values() for key in s.latest}
    return CourseGrowth(
        competencies=[
            c for c in framework_competencies(templates.values(), language) if c.key in rated
        ],
        levels=axis(templates.values(), language),
        students=sorted(students.values(), key=lambda s: (s.name.casefold(), s.person_id)),
    )
