"""Who hears of a journal's hand-in and review (notices, lti_app/notifications/notices.py).

- A student hands in: the placement's coach (or, without one, the course's coaches) is told. It
  waits for them, in the daily digest too, until they release a grade or ask for a resubmission.
- The coach asks for a resubmission: the student is told; it waits for her until she hands in
  again.
- The coach releases a grade: the student is told (news, done once mailed). Nothing of the grade
  is in the mail: the button opens the assignment's page, where she reads it.
A hand-in without a placement (she has none in the course) has nobody to name and tells nobody.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.journals.models import JournalReview
from lti_app.notifications.notices import NoticeKind, settle, tell
from lti_app.roster.models import Membership, Person, Role


def about(review: JournalReview) -> str:
    return f"journal_review:{review.id}"


def _coaches(session: Session, review: JournalReview) -> list[str]:
    placement = review.placement
    if placement is None:
        return []
    if placement.coach_id is not None:
        return [f"person:{placement.coach_id}"]
    found = session.scalars(
        select(Membership.person_id).where(
            Membership.course_id == placement.course_id,
            Membership.role.in_([Role.COACH, Role.COORDINATOR]),
            Membership.active.is_(True),
        )
    )
    return [f"person:{person_id}" for person_id in found]


def handed_in(session: Session, review: JournalReview) -> None:
    """After the student handed in (again): her coach is told; her own request is done."""
    settle(session, about=about(review), kind=NoticeKind.JOURNAL_RESUBMIT)
    if review.placement is None:
        return
    for coach in _coaches(session, review):
        tell(
            session,
            recipient=coach,
            kind=NoticeKind.JOURNAL_HANDED_IN,
            placement=review.placement,
            about=about(review),
            link=("journals.review", {"review_id": review.id}),
            details={"assignment": review.assignment.title},
            actor=f"person:{review.student_id}",
        )


def resubmission_asked(session: Session, review: JournalReview, coach_id: int) -> None:
    """The coach sent it back: nothing waits for the coaches; the student is told."""
    settle(session, about=about(review), kind=NoticeKind.JOURNAL_HANDED_IN)
    _tell_student(session, review, NoticeKind.JOURNAL_RESUBMIT, coach_id)


def released(session: Session, review: JournalReview, coach_id: int) -> None:
    """A grade released (or released again): the student is told; the coaches are done."""
    settle(session, about=about(review), kind=NoticeKind.JOURNAL_HANDED_IN)
    settle(session, about=about(review), kind=NoticeKind.JOURNAL_RESUBMIT)
    _tell_student(session, review, NoticeKind.JOURNAL_GRADED, coach_id)


def _tell_student(session: Session, review: JournalReview, kind: NoticeKind, coach_id: int) -> None:
    if review.placement is None:
        return
    coach = session.get(Person, coach_id)
    tell(
        session,
        recipient=f"person:{review.student_id}",
        kind=kind,
        placement=review.placement,
        about=about(review),
        link=("journals.assignment_student", {"assignment_id": review.assignment_id}),
        details={
            "assignment": review.assignment.title,
            "actor": coach.display_name if coach is not None else "",
        },
        actor=f"person:{coach_id}",
    )
