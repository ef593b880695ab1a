"""What a student hears of feedback (notices, lti_app/notifications/notices.py): a mentor (or the
coach) submitted a form on her placement, or corrected one. News, not a task: it is done once
mailed, and a correction of the same form replaces a notice not mailed yet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lti_app.feedback.models import FeedbackForm
from lti_app.notifications.notices import NoticeKind, tell


def about(form: FeedbackForm) -> str:
    return f"feedback:{form.series_id or form.id}"


def given(session: Session, form: FeedbackForm, actor: str) -> None:
    """After ``form`` was submitted by ``actor`` (its author's key)."""
    tell(
        session,
        recipient=f"person:{form.placement.student_id}",
        kind=NoticeKind.FEEDBACK_GIVEN,
        placement=form.placement,
        about=about(form),
        link=("feedback.form", {"form_id": form.id}),
        details={"actor": form.author_name, "correction": form.version if form.version > 1 else 0},
        actor=actor,
    )
