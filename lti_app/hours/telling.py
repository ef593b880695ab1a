"""What a student hears of their hours (notices, lti_app/notifications/notices.py): the mentor
sent entries back to be corrected, with the count and the reason. It waits for the student, in
their daily digest too, until no entry of that placement is returned any more.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.hours.models import HourEntry, HourState
from lti_app.notifications.notices import NoticeKind, settle, tell
from lti_app.placements.models import Placement
from lti_app.schools.models import Mentor


def about(placement_id: int) -> str:
    return f"hours:{placement_id}"


def _returned(session: Session, placement_id: int) -> int:
    count = session.scalar(
        select(func.count(HourEntry.id)).where(
            HourEntry.placement_id == placement_id, HourEntry.state == HourState.REJECTED
        )
    )
    return int(count or 0)


def returned(session: Session, placement: Placement, mentor: Mentor, reason: str) -> None:
    """After the mentor returned an entry: one notice per placement, with how many entries wait
    now (several returned within minutes come in one mail) and the latest reason."""
    tell(
        session,
        recipient=f"person:{placement.student_id}",
        kind=NoticeKind.HOURS_RETURNED,
        placement=placement,
        about=about(placement.id),
        link=("hours.log", {"placement_id": placement.id}),
        details={
            "actor": mentor.display_name,
            "count": _returned(session, placement.id),
            "reason": reason,
        },
        actor=mentor.get_id(),
    )


def corrected(session: Session, placement_id: int) -> None:
    """After the student corrected or removed an entry: done once none is returned any more."""
    if _returned(session, placement_id) == 0:
        settle(session, about=about(placement_id), kind=NoticeKind.HOURS_RETURNED)
