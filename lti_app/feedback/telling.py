"""Who hears of feedback (notices, lti_app/notifications/notices.py).

- A student asks a mentor for feedback on a lesson: the mentor she asked is told. It waits for
  the mentor, in their daily digest too, until a form answers it or the student withdraws it; the
  button opens the placement's feedback page.
- A mentor (or the coach) submitted a form on her placement, or corrected one: the student is
  told. News, not a task: it is done once mailed, and a correction of the same form replaces a
  notice not mailed yet.
Every mail names the college, the course, the student and the school.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lti_app.feedback.models import FeedbackForm, FeedbackRequest
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


def form_about(form: FeedbackForm) -> str:
    return f"feedback:{form.series_id or form.id}"


def given(session: Session, form: FeedbackForm, actor: str) -> None:
    """After ``form`` was submitted by ``actor`` (its author's key)."""
    tell(
        session,
        recipient=f"person:{form.placement.student_id}",
        kind=NoticeKind.FEEDBACK_GIVEN,
        placement=form.placement,
        about=form_about(form),
        link=("feedback.form", {"form_id": form.id}),
        details={"actor": form.author_name, "correction": form.version if form.version > 1 else 0},
        actor=actor,
    )
