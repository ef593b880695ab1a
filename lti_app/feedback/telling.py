"""What a mentor hears of a feedback request (notices, lti_app/notifications/notices.py): the
student asks them for feedback on a lesson. It waits for the mentor, in their daily digest too,
until a form answers it or the student withdraws it. The mail names the college, the course, the
student and the school; its button opens the placement's feedback page.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lti_app.feedback.models import FeedbackRequest
from lti_app.notifications.notices import NoticeKind, settle, tell
from lti_app.placements.models import Placement


def about(request: FeedbackRequest) -> str:
    return f"feedback_request:{request.id}"


def _lesson(request: FeedbackRequest) -> str:
    """The lesson as the mail shows it: numbers, readable in either language."""
    parts = [request.lesson_date.strftime("%d/%m/%Y")] if request.lesson_date else []
    parts += [p for p in (request.class_name, request.subject) if p]
    return " · ".join(parts)


def requested(session: Session, request: FeedbackRequest, placement: Placement) -> None:
    """After the student asked: the mentor she asked is told (not the other mentors)."""
    tell(
        session,
        recipient=f"mentor:{request.mentor_id}",
        kind=NoticeKind.FEEDBACK_REQUESTED,
        placement=placement,
        about=about(request),
        link=("feedback.placement", {"placement_id": placement.id}),
        details={"actor": placement.student.display_name, "lesson": _lesson(request)},
        actor=f"person:{request.created_by_id}",
    )


def closed(session: Session, request: FeedbackRequest) -> None:
    """Answered or withdrawn: nothing waits for the mentor any more."""
    settle(session, about=about(request), kind=NoticeKind.FEEDBACK_REQUESTED)
