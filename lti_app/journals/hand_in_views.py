"""The student's side of an assignment: what is asked and by when, how far she is, handing in,
and — once her coach released it — the grade, rubric points and comments.

Who opens it: the student, on a phone or a laptop, from her journal or her course, to check what
is still due, to hand in, and later to read her grade. She fears two things: losing what she
wrote (so handing in never touches her entries, and an incomplete hand-in first asks, saying
exactly what is missing), and reading a grade before it is final (so this page, and everything
else she can open, shows only what the coach released: never a draft grade, rubric point or
comment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_app import clock, db
from lti_app.core.formats import long_date
from lti_app.journals import handing, reviewing
from lti_app.journals.assignments import shown_number
from lti_app.journals.blueprint import bp
from lti_app.journals.models import JournalAssignment, JournalReview, ReviewState
from lti_app.journals.review_access import student_assignment
from lti_app.security import Permission, requires


def what_is_asked(assignment: JournalAssignment) -> str:
    """ "6 reflections and a final reflection by 14 March 2027"."""
    n = assignment.entries_required
    due = assignment.due_date
    if assignment.final_required:
        if due is not None:
            return ngettext(
                "%(num)d reflection and a final reflection by %(date)s",
                "%(num)d reflections and a final reflection by %(date)s",
                n,
                date=long_date(due),
            )
        return ngettext(
            "%(num)d reflection and a final reflection",
            "%(num)d reflections and a final reflection",
            n,
        )
    if due is not None:
        return ngettext(
            "%(num)d reflection by %(date)s",
            "%(num)d reflections by %(date)s",
            n,
            date=long_date(due),
        )
    return ngettext("%(num)d reflection", "%(num)d reflections", n)


def _page(assignment: JournalAssignment, student_id: int, **extra: Any) -> Any:
    s = db.session()
    review = handing.review_of(s, assignment.id, student_id)
    placement = handing.student_placement(s, assignment.course_id, student_id)
    released = review is not None and review.released_at is not None
    comments = reviewing.released_comments(s, review.id) if review is not None else []
    return render_template(
        "journals/assignment_student.html",
        assignment=assignment,
        asked=what_is_asked(assignment),
        overdue=_overdue(assignment.due_date, review),
        progress=handing.progress(s, assignment, student_id),
        review=review,
        state=review.state if review is not None else ReviewState.OPEN,
        may_hand_in=placement is not None and (review is None or review.state in handing.HANDABLE),
        placement=placement,
        journal_url=url_for("journals.journal", placement_id=placement.id) if placement else None,
        released=released,
        rows=reviewing.released_rows(review) if review is not None and released else [],
        comments=comments,
        entry_url=lambda entry_id: url_for("journals.entry", entry_id=entry_id),
        shown_number=shown_number,
        **extra,
    )


def _overdue(due: date | None, review: JournalReview | None) -> bool:
    waiting = review is None or review.state in handing.HANDABLE
    return due is not None and waiting and clock.today() > due


@bp.route("/journals/assignments/<int:assignment_id>/mine")
@requires(Permission.WRITE_JOURNAL)
def assignment_student(assignment_id: int) -> Any:
    """:raise 404: not a student of the assignment's course."""
    assignment, person = student_assignment(assignment_id)
    return _page(assignment, person.id)


@bp.route("/journals/assignments/<int:assignment_id>/hand-in", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def hand_in(assignment_id: int) -> Any:
    """Hand in; an incomplete hand-in first shows what is missing and asks to confirm.

    :raise 404: not a student of the assignment's course.
    """
    assignment, person = student_assignment(assignment_id)
    s = db.session()
    back = url_for(".assignment_student", assignment_id=assignment.id)
    if handing.student_placement(s, assignment.course_id, person.id) is None:
        flash(_("You can hand in once your placement in this course is approved."), "error")
        return redirect(back, code=303)
    progress = handing.progress(s, assignment, person.id)
    if not progress.complete and request.form.get("confirm") != "1":
        return _page(assignment, person.id, confirming=True, missing=progress.missing())
    try:
        review = handing.hand_in(s, assignment, person.id, now=clock.now())
    except handing.NotHandable:
        s.rollback()
        flash(_("This is already handed in: your coach has it."), "ok")
        return redirect(back, code=303)
    s.commit()
    if review.attempt > 1:
        flash(_("Handed in again. Your coach sees it in the grading queue."), "ok")
    else:
        flash(_("Handed in. Your coach sees it in the grading queue."), "ok")
    return redirect(back, code=303)
