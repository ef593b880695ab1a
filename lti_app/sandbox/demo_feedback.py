"""Sofie's semester of feedback in the demo course: a dozen submitted forms (lesson
observations, lesson-plan feedback, the mid-term evaluation, two visit reports) whose levels
grow from Werkpunt to Kwaliteit, so a newcomer sees the growth chart and the coach's course view
filled. Dates count back from ``clock.today()``, weekdays only, all in the past.

The forms are written as a submitted form is stored (the programme's current template of each
kind, saved as version 1 on first use), by her mentor Els and, for visits, by the coach.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback import versions
from lti_app.feedback.levels import record_levels
from lti_app.feedback.models import FeedbackForm, FormKind, FormState
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor

# A semester: the placement starts this many days before today, the forms fall inside it.
SEMESTER_DAYS = 126
FORMS = 12

OBS, PLAN, MID, VISIT = (
    FormKind.LESSON_OBSERVATION,
    FormKind.LESSON_PLAN,
    FormKind.MIDTERM,
    FormKind.VISIT,
)
# (kind, level of the first rated items, of the others): a semester that grows.
SEMESTER: tuple[tuple[FormKind, str, str], ...] = (
    (PLAN, "werkpunt", "knelpunt"),
    (OBS, "werkpunt", "knelpunt"),
    (OBS, "werkpunt", "werkpunt"),
    (VISIT, "werkpunt", "voldoende"),
    (OBS, "voldoende", "werkpunt"),
    (PLAN, "voldoende", "voldoende"),
    (MID, "voldoende", "werkpunt"),
    (OBS, "voldoende", "voldoende"),
    (OBS, "kwaliteit", "voldoende"),
    (VISIT, "voldoende", "kwaliteit"),
    (OBS, "kwaliteit", "voldoende"),
    (OBS, "kwaliteit", "kwaliteit"),
)
TEXTS = {
    "strengths": "Duidelijke instructie; je spreekt de klas rustig en met humor aan.",
    "growth": "Differentieer meer: de snelle leerlingen zaten de laatste tien minuten stil.",
    "actions": "Volgende les een uitbreidingsopdracht klaarleggen.",
    "observations": "Goed voorbereide les; de klas werkte geconcentreerd mee.",
}


def weekday_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def semester_start(today: date) -> date:
    return today - timedelta(days=SEMESTER_DAYS)


def answers_for(blocks: list[dict[str, Any]], first: str, other: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    rated = 0
    for block in blocks:
        if block["type"] == "scale":
            # Every fourth item not observed: a lesson never shows everything.
            answers[block["key"]] = "not_observed" if rated % 4 == 3 else (first, other)[rated % 2]
            rated += 1
        elif block["type"] == "text" and block["key"] in TEXTS:
            answers[block["key"]] = TEXTS[block["key"]]
        elif block["type"] == "checklist":
            answers[block["key"]] = [o["key"] for o in block.get("options", [])][: 3 + rated]
    return answers


def give_feedback(session: Session, placement: Placement, mentor: Mentor, coach: Person) -> None:
    """The semester's twelve forms on ``placement``, oldest first."""
    programme = versions.programme_of(session, placement.course)
    assert programme is not None, "the demo course names its programme"
    today = clock.today()
    start = semester_start(today)
    step = (SEMESTER_DAYS - 4) / (FORMS - 1)
    for i, (kind, first, other) in enumerate(SEMESTER):
        template = versions.template_for(session, programme, kind)
        lesson = weekday_before(start + timedelta(days=2 + round(i * step)))
        lesson = min(lesson, weekday_before(today - timedelta(days=1)))
        written = datetime.combine(lesson, time(16, 30), clock.BRUSSELS)
        by_coach = kind == FormKind.VISIT
        form = FeedbackForm(
            placement_id=placement.id,
            template_id=template.id,
            author_mentor_id=None if by_coach else mentor.id,
            author_person_id=coach.id if by_coach else None,
            lesson_date=lesson,
            class_name="4ECa",
            subject="Economie",
            answers=answers_for(template.blocks, first, other),
            revision=3,
            state=FormState.SUBMITTED,
            submitted_at=min(written, clock.now()),
            created_at=min(written, clock.now()),
        )
        session.add(form)
        session.flush()
        form.series_id = form.id
        record_levels(session, form)
    session.flush()
