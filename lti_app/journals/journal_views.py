"""The journal of one placement: the student's entries (drafts first, then submitted, with their
dates), a new entry from a prompt set, the downloads of her journal.

Who opens it: a student, on a phone between lessons or on a laptop in the evening, from the link
on her home. She came to continue a draft or to start a reflection on today's lesson; she gives
up when she cannot find the draft she began, or when she fears what she wrote is gone. So the
drafts come first, each with when it was last saved.
A coach, on a laptop, following forty students: she opens it from a student's row to read what
was submitted (never the drafts) and wants the entries in order with their dates, nothing else.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_babel import get_locale
from sqlalchemy import select

from lti_app import db
from lti_app.journals import prompts as prompt_store
from lti_app.journals import writing
from lti_app.journals.access import placement_and_reader, student_or_coach
from lti_app.journals.blueprint import bp
from lti_app.journals.models import EntryState, JournalAssignment
from lti_app.journals.sanitize import clean_html

# Stored answers are rendered `{{ html|clean_html|safe }}`: cleaned again at read time.
bp.add_app_template_filter(clean_html, "clean_html")


def language() -> str:
    return str(get_locale() or "nl").split("_")[0]


@bp.route("/journals/placements/<int:placement_id>")
@student_or_coach
def journal(placement_id: int) -> Any:
    """:raise 404: no such placement, or not the signed-in person's journal to read."""
    placement, reader = placement_and_reader(placement_id)
    s = db.session()
    entries = writing.entries_of(s, placement.id)
    if not reader.student:  # the coach: what was submitted (a revised entry as last submitted)
        entries = [e for e in entries if e.state == EntryState.SUBMITTED or reader.may_read(e)]
    sets = []
    if reader.student:
        try:
            current = prompt_store.current_prompts(s, writing.programme_id_of(s, placement))
            sets = prompt_store.prompt_sets(current, language())
            s.commit()  # the defaults, saved as version 1 on first use
        except writing.NoProgramme:
            s.rollback()
    titles = {}
    for entry in entries:
        found = prompt_store.prompt_set(entry.prompts, entry.prompt_set, language())
        titles[entry.id] = found.title if found else entry.prompt_set
    return (
        render_template(
            "journals/journal.html",
            asked=asked_of(placement) if reader.student else [],
            placement=placement,
            reader=reader,
            drafts=[e for e in entries if e.state == EntryState.DRAFT] if reader.student else [],
            submitted=[e for e in entries if e.state == EntryState.SUBMITTED or not reader.student],
            set_titles=titles,
            sets=sets,
        ),
        200,
        {"Cache-Control": "no-store"},
    )


def asked_of(placement: Any) -> list[tuple[JournalAssignment, str | None]]:
    """What the course's coaches ask (open assignments, soonest due first), each with the link
    to its page (progress, handing in, the released grade) once that page exists."""
    found = db.session().scalars(
        select(JournalAssignment)
        .where(
            JournalAssignment.course_id == placement.course_id,
            JournalAssignment.archived_at.is_(None),
        )
        .order_by(JournalAssignment.due_date.is_(None), JournalAssignment.due_date)
    )
    return [(a, url_for("journals.assignment_student", assignment_id=a.id)) for a in found]
