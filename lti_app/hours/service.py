"""The hours log: the student logs days and lessons; the mentor approves a week or rejects one entry.

Every change is kept as a ChangeRecord (entity "hour_entry") with its actor, so logged hours are
never lost without a trace. Approved entries are final; pending and rejected ones the student
may still correct (a corrected rejected entry is pending again) or delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.hours import telling
from lti_app.hours.models import HourEntry, HourKind, HourState
from lti_app.placements.models import ChangeRecord, Placement, PlacementState
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor

MAX_MINUTES_PER_DAY = 24 * 60
MAX_NOTE_LENGTH = 2000
MAX_REASON_LENGTH = 1000


class HoursError(Exception):
    """A change the hours log refuses; ``message`` tells the person why, ``field`` where."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass(frozen=True)
class HourInput:
    day: date
    kind: HourKind
    minutes: int
    note: str = ""


def _record(
    session: Session, entry_id: int, action: str, actor: str, changes: dict[str, Any]
) -> None:
    session.add(
        ChangeRecord(
            entity="hour_entry", entity_id=entry_id, action=action, actor=actor, changes=changes
        )
    )


def _snapshot(entry: HourEntry) -> dict[str, Any]:
    return {
        "placement_id": entry.placement_id,
        "day": entry.day.isoformat(),
        "kind": str(entry.kind),
        "minutes": entry.minutes,
        "note": entry.note,
        "state": str(entry.state),
    }


# -- the student's changes ----------------------------------------------------------------------


NOT_APPROVED = _l(
    "Your coach has not approved this placement yet. You log hours here once it is approved."
)


def _check(
    session: Session,
    placement: Placement,
    data: HourInput,
    today: date,
    exclude_id: int | None = None,
) -> None:
    if placement.state != PlacementState.APPROVED:
        # Its mentor cannot see it yet, so nobody could approve these hours.
        raise HoursError(NOT_APPROVED)
    if not 0 < data.minutes <= MAX_MINUTES_PER_DAY:
        raise HoursError(_l("Enter a duration between 1 minute and 24 hours."), "amount")
    if data.day > today:
        raise HoursError(_l("You can only log hours for today or earlier."), "day")
    if placement.start_date and data.day < placement.start_date:
        raise HoursError(
            _l(
                "This day is before your placement starts (%(date)s). If the period is wrong, ask your coach.",
                date=placement.start_date.isoformat(),
            ),
            "day",
        )
    if placement.end_date and data.day > placement.end_date:
        raise HoursError(
            _l(
                "This day is after your placement ends (%(date)s). If the period is wrong, ask your coach.",
                date=placement.end_date.isoformat(),
            ),
            "day",
        )
    if len(data.note) > MAX_NOTE_LENGTH:
        raise HoursError(_l("The note is too long."), "note")
    query = select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
        HourEntry.placement_id == placement.id,
        HourEntry.day == data.day,
        HourEntry.state != HourState.REJECTED,
    )
    if exclude_id is not None:
        query = query.where(HourEntry.id != exclude_id)
    logged = int(session.scalar(query) or 0)
    if logged + data.minutes > MAX_MINUTES_PER_DAY:
        raise HoursError(
            _l("Together with what you logged that day, this is more than 24 hours."), "amount"
        )


def log_hours(
    session: Session, placement: Placement, student: Person, data: HourInput, today: date
) -> HourEntry:
    """A new pending entry on the student's own placement.

    :raise HoursError: the duration, day or note is not acceptable (the message says why).
    """
    _check(session, placement, data, today)
    entry = HourEntry(
        placement_id=placement.id,
        day=data.day,
        kind=data.kind,
        minutes=data.minutes,
        note=data.note.strip(),
        state=HourState.PENDING,
    )
    session.add(entry)
    session.flush()
    _record(session, entry.id, "created", student.get_id(), _snapshot(entry))
    session.flush()
    return entry


def _lock(session: Session, entry: HourEntry) -> HourEntry:
    # Read again under a row lock: a mentor deciding on it at the same moment goes first or after.
    locked = session.scalars(
        select(HourEntry)
        .where(HourEntry.id == entry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def update_entry(
    session: Session,
    entry: HourEntry,
    placement: Placement,
    student: Person,
    data: HourInput,
    today: date,
) -> HourEntry:
    """Correct a pending or rejected entry; a rejected one becomes pending again (resubmitted).

    :raise HoursError: the entry is approved already, or the new values are not acceptable.
    """
    entry = _lock(session, entry)
    if entry.state == HourState.APPROVED:
        raise HoursError(_l("Your mentor approved this entry already; it can no longer change."))
    _check(session, placement, data, today, exclude_id=entry.id)
    before = _snapshot(entry)
    entry.day, entry.kind, entry.minutes = data.day, data.kind, data.minutes
    entry.note = data.note.strip()
    action = "updated"
    if entry.state == HourState.REJECTED:
        action = "resubmitted"
        entry.state = HourState.PENDING
        entry.decided_at = None
        entry.decided_by_mentor_id = None
    after = _snapshot(entry)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    _record(session, entry.id, action, student.get_id(), changes)
    session.flush()
    telling.corrected(session, placement.id)
    return entry


def delete_entry(session: Session, entry: HourEntry, student: Person) -> None:
    """Remove a pending or rejected entry (what it said stays in its change record).

    :raise HoursError: the entry is approved already.
    """
    entry = _lock(session, entry)
    if entry.state == HourState.APPROVED:
        raise HoursError(_l("Your mentor approved this entry already; it can no longer change."))
    placement_id = entry.placement_id
    _record(session, entry.id, "deleted", student.get_id(), _snapshot(entry))
    session.delete(entry)
    session.flush()
    telling.corrected(session, placement_id)


# -- the mentor's decisions ---------------------------------------------------------------------


@dataclass(frozen=True)
class WeekDecision:
    approved: int
    skipped: int  # changed or decided since the mentor's page showed them


def approve_week(
    session: Session,
    placement: Placement,
    mentor: Mentor,
    monday: date,
    entry_ids: Iterable[int],
    seen_at: datetime,
    *,
    now: datetime | None = None,
) -> WeekDecision:
    """Approve the pending entries of one week that the mentor saw.

    Only the entries listed (those on the mentor's page), still pending and unchanged since
    ``seen_at``: an entry the student added or corrected meanwhile waits for the mentor to see it.
    """
    now = now or utcnow()
    ids = sorted(set(entry_ids))
    if not ids:
        return WeekDecision(0, 0)
    entries = list(
        session.scalars(
            select(HourEntry)
            .where(
                HourEntry.id.in_(ids),
                HourEntry.placement_id == placement.id,
                HourEntry.day >= monday,
                HourEntry.day <= monday + timedelta(days=6),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    approved = 0
    for entry in entries:
        if entry.state != HourState.PENDING or entry.updated_at > seen_at:
            continue
        entry.state = HourState.APPROVED
        entry.reject_reason = ""
        entry.decided_by_mentor_id = mentor.id
        entry.decided_at = now
        _record(
            session,
            entry.id,
            "approved",
            mentor.get_id(),
            {
                "state": [str(HourState.PENDING), str(HourState.APPROVED)],
                "week": monday.isoformat(),
            },
        )
        approved += 1
    session.flush()
    return WeekDecision(approved, len(ids) - approved)


def reject_entry(
    session: Session,
    placement: Placement,
    entry: HourEntry,
    mentor: Mentor,
    reason: str,
    *,
    now: datetime | None = None,
) -> HourEntry:
    """Send one entry back to the student with the mentor's reason.

    :raise HoursError: no reason given, or the entry is no longer pending.
    """
    reason = reason.strip()
    if not reason:
        raise HoursError(_l("Tell the student why, so they can correct it."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise HoursError(_l("The reason is too long."), "reason")
    if entry.placement_id != placement.id:
        raise HoursError(_l("This entry does not belong to this placement."))
    entry = _lock(session, entry)
    if entry.state != HourState.PENDING:
        raise HoursError(_l("This entry was decided on already, or changed: look at it again."))
    entry.state = HourState.REJECTED
    entry.reject_reason = reason
    entry.decided_by_mentor_id = mentor.id
    entry.decided_at = now or utcnow()
    _record(
        session,
        entry.id,
        "rejected",
        mentor.get_id(),
        {"state": [str(HourState.PENDING), str(HourState.REJECTED)], "reason": reason},
    )
    session.flush()
    telling.returned(session, placement, mentor, reason)
    return entry


def entry_history(session: Session, entry_id: int) -> list[ChangeRecord]:
    return list(
        session.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.entity == "hour_entry", ChangeRecord.entity_id == entry_id)
            .order_by(ChangeRecord.at, ChangeRecord.id)
        )
    )
