"""The course at a glance for its coach: per student with an approved placement, the latest level
of each competency (from her submitted forms), how many forms and when the last came, and
whether an active placement has gone quiet.

Three statements whatever the number of students or forms: the placements with their students,
the forms, the template versions they use (growth.py reads the last two).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.feedback.blocks import Competency, Level
from lti_app.feedback.growth import (
    Point,
    axis,
    day_of,
    form_rows,
    framework_competencies,
    points_of,
    quiet,
    templates_of,
)
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Person


@dataclass(slots=True)
class StudentGrowth:
    person_id: int
    name: str
    placement_id: int  # where her name leads: the placement with the latest form, else the first
    latest: dict[str, Point] = field(default_factory=dict)  # competency key → latest point
    form_count: int = 0
    last_day: date | None = None
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
    forms = form_rows(session, approved)
    templates = templates_of(session, (f.template_id for f in forms), language)

    def when(form: Any) -> tuple[date, int]:
        return day_of(form.lesson_date, form.submitted_at), form.id

    # Newest first: a competency's first point is its latest, later ones are skipped.
    for form in sorted(forms, key=when, reverse=True):
        student = placement_student[form.placement_id]
        day = day_of(form.lesson_date, form.submitted_at)
        student.form_count += 1
        if student.last_day is None or day > student.last_day:
            student.last_day, student.placement_id = day, form.placement_id
        last_of.setdefault(form.placement_id, day)
        template = templates[form.template_id]
        if all(key in student.latest for key, _items in template.rated):
            continue  # newer forms gave every level this one could: its answers stay unread
        student.latest.update(points_of(form, template, student.latest))

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
