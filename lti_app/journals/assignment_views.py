"""The coach's journal assignments of a course: the list, a new one, and editing one.

Who opens it: a coach (stagebegeleider), on a laptop, at the start of a placement period and
now and then after, to say what the course's students must hand in: "six reflections and a final
reflection by 14 March", judged with a rubric out of a maximum score. She follows forty
students, so she sets it once per course, not per student. She gives up when a date typed the
way she writes it (14/03/2027) is refused without saying why, when one bad field throws away
the rubric she just typed, or when she cannot tell what an edit does to grades she already
released. So: the date is typed or picked; a bad field shows its message next to it with
everything typed kept; rubric rows are added and removed by buttons that post the whole form
(no JavaScript needed); editing an assignment with released grades says what changes.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lti_app import clock, db
from lti_app.feedback.editing import Errors, shown
from lti_app.journals import assignments
from lti_app.journals.blueprint import bp
from lti_app.journals.models import JournalAssignment
from lti_app.journals.review_access import coach_assignment, coach_course, signed_in_person
from lti_app.security import Permission, requires


@bp.route("/journals/assignments", endpoint="assignments")
@requires(Permission.REVIEW_JOURNALS)
def assignment_list() -> Any:
    """:raise 403: not a coach of the session's course."""
    course = coach_course()
    s = db.session()
    listed = assignments.course_assignments(s, course.id) if course else []
    return render_template(
        "journals/assignments.html",
        course=course,
        assignments=listed,
        shown_number=assignments.shown_number,
        posted=assignments.Posted(),
        errors={},
    )


@bp.route("/journals/assignments", methods=["POST"])
@requires(Permission.REVIEW_JOURNALS)
def new_assignment() -> Any:
    """:raise 403: not a coach; 404: the session names no course."""
    course = coach_course()
    if course is None:
        abort(404)
    posted = assignments.read_posted(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        if not assignments.apply_row_action(posted, action):
            abort(400)
        return _form(None, posted, {})
    values, errors = assignments.check(posted, known_keys=set())
    if values is None:
        return _form(None, posted, errors, status=422)
    s = db.session()
    made = assignments.save(
        s, None, course_id=course.id, values=values, actor_id=signed_in_person().id
    )
    s.commit()
    flash(_("The assignment %(title)s is set.", title=made.title), "ok")
    return redirect(url_for(".assignments"), code=303)


@bp.route("/journals/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@requires(Permission.REVIEW_JOURNALS)
def edit_assignment(assignment_id: int) -> Any:
    """:raise 404: no such assignment in the coach's course."""
    assignment = coach_assignment(assignment_id)
    s = db.session()
    if request.method == "GET":
        return _form(assignment, assignments.posted_from(assignment), {})
    posted = assignments.read_posted(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        if not assignments.apply_row_action(posted, action):
            abort(400)
        return _form(assignment, posted, {})
    values, errors = assignments.check(posted, known_keys=assignments.known_keys(assignment))
    if values is None:
        return _form(assignment, posted, errors, status=422)
    released = assignments.released_count(s, assignment.id)
    said = assignments.changes_for_released(assignment, values) if released else []
    assignments.save(s, assignment, course_id=assignment.course_id, values=values, actor_id=None)
    s.commit()
    flash(_("The assignment is saved."), "ok")
    for sentence in said:
        flash(sentence, "ok")
    return redirect(url_for(".assignments"), code=303)


def _form(
    assignment: JournalAssignment | None,
    posted: assignments.Posted,
    errors: Errors,
    status: int = 200,
) -> Any:
    course = coach_course()
    released = assignments.released_count(db.session(), assignment.id) if assignment else 0
    template = "journals/assignment_form.html" if assignment else "journals/assignments.html"
    listed = (
        assignments.course_assignments(db.session(), course.id) if course and not assignment else []
    )
    return (
        render_template(
            template,
            course=course,
            assignment=assignment,
            assignments=listed,
            posted=posted,
            errors=shown(errors),
            released=released,
            today=clock.today(),
            shown_number=assignments.shown_number,
        ),
        status,
    )
