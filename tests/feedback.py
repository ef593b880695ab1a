"""Helpers for feedback tests: forms made straight in the database (for pages that read them),
as a mentor would have submitted them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask

from lti_app import clock, db
from lti_app.feedback import versions
from lti_app.feedback.levels import record_levels
from lti_app.feedback.models import FeedbackForm, FormKind, FormState
from lti_app.placements.models import Placement
from lti_app.roster.models import Course


def programme_of_placement(app: Flask, placement_id: int) -> Any:
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        course = s.get(Course, placement.course_id)
        assert course is not None
        return versions.programme_of(s, course)


def add_form(
    app: Flask,
    placement_id: int,
    *,
    mentor_id: int | None = None,
    person_id: int | None = None,
    kind: FormKind = FormKind.LESSON_OBSERVATION,
    answers: dict[str, Any] | None = None,
    submitted: bool = True,
    lesson_date: date | None = None,
    days_ago: int = 1,
) -> int:
    """A form on the placement by ``mentor_id`` (or ``person_id``, a coach), submitted unless
    ``submitted`` is False; the programme's current template of ``kind``. Returns its id."""
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        programme = versions.programme_of(s, placement.course)
        assert programme is not None, "the course needs a programme"
        template = versions.template_for(s, programme, kind)
        when = clock.now() - timedelta(days=days_ago)
        form = FeedbackForm(
            placement_id=placement_id,
            template_id=template.id,
            author_mentor_id=mentor_id,
            author_person_id=person_id,
            lesson_date=lesson_date or when.date(),
            class_name="3B",
            subject="Wiskunde",
            answers=answers
            if answers is not None
            else {"goals": "voldoende", "strengths": "Duidelijke instructie."},
            revision=1,
            state=FormState.SUBMITTED if submitted else FormState.DRAFT,
            submitted_at=when if submitted else None,
        )
        s.add(form)
        s.flush()
        form.series_id = form.id
        if submitted:
            record_levels(s, form)
        s.commit()
        return form.id


def add_attachment(
    app: Flask,
    placement_id: int,
    *,
    form_id: int | None = None,
    request_id: int | None = None,
    uploaded_by: str = "system",
    filename: str = "lesplan.pdf",
    content: bytes = b"%PDF-1.4\n% a lesson plan\n%%EOF\n",
) -> int:
    """An attachment of a form or request, stored as an upload would have stored it (the kind
    told from ``content``). Returns its id."""
    from lti_app.feedback import attachments

    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        stored = attachments.store(
            s,
            placement,
            filename,
            content,
            uploaded_by,
            max_bytes=10 * attachments.MB,
            request_id=request_id,
            form_id=form_id,
        )
        s.commit()
        return stored.id
