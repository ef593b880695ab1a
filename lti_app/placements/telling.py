"""What a student hears of their proposal (notices, lti_app/notifications/notices.py): the
coach approved it, or sent it back with a reason. A returned proposal waits for the student,
in their daily digest too, until they propose it again. The coach who decided is not told.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lti_app.notifications.notices import NoticeKind, settle, tell
from lti_app.placements.models import Placement
from lti_app.roster.models import Person


def about(placement: Placement) -> str:
    return f"placement:{placement.id}"


def _tell_student(
    session: Session, placement: Placement, kind: NoticeKind, coach: Person, endpoint: str
) -> None:
    details = {"actor": coach.display_name}
    if kind == NoticeKind.PLACEMENT_RETURNED:
        details["reason"] = placement.return_reason
    tell(
        session,
        recipient=f"person:{placement.student_id}",
        kind=kind,
        placement=placement,
        about=about(placement),
        link=(endpoint, {"placement_id": placement.id}),
        details=details,
        actor=coach.get_id(),
    )


def approved(session: Session, placement: Placement, coach: Person) -> None:
    _tell_student(
        session, placement, NoticeKind.PLACEMENT_APPROVED, coach, "placements.my_placement"
    )


def returned(session: Session, placement: Placement, coach: Person) -> None:
    """Told with the reason; the button opens the proposal to complete it."""
    _tell_student(
        session, placement, NoticeKind.PLACEMENT_RETURNED, coach, "placements.edit_proposal"
    )


def proposed_again(session: Session, placement: Placement) -> None:
    settle(session, about=about(placement), kind=NoticeKind.PLACEMENT_RETURNED)
