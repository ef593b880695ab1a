"""Who reaches an assignment or a review (a view helper: it reads the signed-in person and their
course from the session).

- a coach or coordinator of the session's course: the course's assignments and every review of
  them;
- a student of the session's course: the course's assignments, and of reviews only her own,
  only through what ``handing`` shows her (never the coach's working copy).
Anything of another course or college is 404: nothing says it exists.
"""

from __future__ import annotations

from flask import abort, session
from flask_login import current_user

from lti_app import db
from lti_app.journals import assignments
from lti_app.journals.models import JournalAssignment, JournalReview
from lti_app.roster.models import Course, Person, Role

COACH_ROLES = (Role.COACH, Role.COORDINATOR)


def signed_in_person() -> Person:
    """:raise 403: a guest (a mentor), not a person launched from the LMS."""
    user = current_user._get_current_object()
    if not isinstance(user, Person):
        abort(403)
    return user


def coach_course() -> Course | None:
    """The coach's course of this session (None: the session names none).

    :raise 403: not a coach or coordinator of the session's course.
    """
    signed_in_person()
    if session.get("role") not in COACH_ROLES:
        abort(403)
    course_id = session.get("course_id")
    return db.session().get(Course, course_id) if course_id else None


def coach_assignment(assignment_id: int) -> JournalAssignment:
    """:raise 404: no such assignment in the coach's course."""
    course = coach_course()
    found = assignments.assignment_in(db.session(), assignment_id, course.id) if course else None
    if found is None:
        abort(404)
    return found


def coach_review(review_id: int) -> JournalReview:
    """:raise 404: no such review, or one of another course's assignment."""
    review = db.session().get(JournalReview, review_id)
    course = coach_course()
    if (
        review is None
        or course is None
        or review.assignment.course_id != course.id
        or review.assignment.archived_at is not None
    ):
        abort(404)
    return review


def student_assignment(assignment_id: int) -> tuple[JournalAssignment, Person]:
    """The assignment as the signed-in student sees it.

    :raise 404: not a student of the assignment's course in this session.
    """
    person = signed_in_person()
    course_id = session.get("course_id")
    found = (
        assignments.assignment_in(db.session(), assignment_id, int(course_id))
        if course_id and session.get("role") == Role.STUDENT
        else None
    )
    if found is None:
        abort(404)
    return found, person
