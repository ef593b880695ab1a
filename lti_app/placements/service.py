"""A placement's life cycle: created by a coach, or proposed by a student → approved or returned;
its mentors (each with the subject they teach on it), and who may see it.

Functions take a session and leave committing to the caller. Every change to a placement writes
a ChangeRecord: who (``person:<id>``), what (action), and each changed field before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lti_app.placements import telling
from lti_app.placements.models import (
    ChangeRecord,
    Placement,
    PlacementMentor,
    PlacementState,
    Track,
)
from lti_app.roster.models import Course, Membership, Person, Role
from lti_app.schools.mentors import MentorDetails, mentor_for
from lti_app.schools.models import Mentor

# A placement's own fields, in the order a ChangeRecord lists them.
FIELDS = (
    "state",
    "return_reason",
    "student_id",
    "school_id",
    "coach_id",
    "track",
    "start_date",
    "end_date",
    "subjects",
    "grade_levels",
    "planned_observation_hours",
    "planned_co_teaching_hours",
    "planned_own_lessons",
    "planned_hours",
    "risk_analysis_done",
    "workstation_sheet_needed",
    "insurance_reference",
    "lio_appointment",
    "lio_teaching_hours",
)
# What a coach may set, and the part of it a student proposes.
COACH_FIELDS = frozenset(FIELDS) - {"state", "return_reason", "student_id"}
STUDENT_FIELDS = frozenset(
    {
        "school_id",
        "track",
        "start_date",
        "end_date",
        "subjects",
        "grade_levels",
        "lio_appointment",
        "lio_teaching_hours",
    }
)
signals = Namespace()
# Sent by whoever changed a placement's details (the coach's edit page), with the placement as
# sender and session=, actor=, actor_name=: what names the placement elsewhere (an unsigned
# agreement's text) follows, without this package knowing what that is.
placement_changed = signals.signal("placement-changed")
# Asked by the coach's edit page before it shows the form (the placement's id as sender,
# session=): a listener answers what saving a change would put at stake (signatures an
# unsigned agreement's new text would void), so the form says so, and whose, before saving.
placement_edit_at_stake = signals.signal("placement-edit-at-stake")
LIO_MIN_TEACHING_HOURS = 500  # uren-leraar per year below which a LIO-baan is topped up with stage


class PlacementError(Exception):
    """A change the placement's life cycle does not allow (e.g. approving an approved one)."""


def actor_of(person: Person) -> str:
    return f"person:{person.id}"


# -- rules shared by the forms and the CSV import ---------------------------------------------


def period_problem(start: date | None, end: date | None) -> Any:
    if start and end and end < start:
        return _l("The end date is before the start date.")
    return None


def lio_problems(track: Track | str | None, appointment: str, hours: int | None) -> dict[str, Any]:
    """What a LIO-baan lacks, by field. Other tracks need nothing."""
    if track != Track.LIO:
        return {}
    problems: dict[str, Any] = {}
    if not appointment.strip():
        problems["lio_appointment"] = _l("A LIO-baan needs the appointment (ambt and school).")
    if hours is None:
        problems["lio_teaching_hours"] = _l("A LIO-baan needs the teaching hours per year.")
    elif hours < 0:
        problems["lio_teaching_hours"] = _l("Teaching hours cannot be negative.")
    return problems


# -- mentors ------------------------------------------------------------------------------------


def college_of(session: Session, placement: Placement) -> int:
    """The college a placement belongs to: its course's platform's."""
    course = placement.course or session.get(Course, placement.course_id)
    assert course is not None
    return course.platform.college_id


def _set_mentors(
    session: Session, placement: Placement, mentors: Sequence[MentorDetails], overwrite: bool
) -> None:
    """The placement's mentors as given, each with the subject typed for this placement; the
    same mentor's links to other placements keep theirs."""
    college_id = college_of(session, placement)
    wanted = {
        mentor_for(session, college_id, m, overwrite=overwrite).id: (m.subject or "").strip()
        for m in mentors
    }
    for link in list(placement.mentor_links):
        if link.mentor_id not in wanted:
            placement.mentor_links.remove(link)
    links = {link.mentor_id: link for link in placement.mentor_links}
    for mentor_id, subject in wanted.items():
        if mentor_id not in links:
            links[mentor_id] = PlacementMentor(mentor=session.get(Mentor, mentor_id))
            placement.mentor_links.append(links[mentor_id])
        links[mentor_id].subject = subject[:200]


# -- placements ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Track | PlacementState):
        return value.value
    return value


def _snapshot(placement: Placement) -> dict[str, Any]:
    values = {name: _plain(getattr(placement, name)) for name in FIELDS}
    values["mentors"] = [
        f"{link.mentor.name} <{link.mentor.email}>{f' · {link.subject}' if link.subject else ''}"
        for link in placement.mentor_links
    ]
    return values


def _record(
    session: Session,
    placement: Placement,
    action: str,
    actor: str,
    before: Mapping[str, Any],
) -> ChangeRecord | None:
    after = _snapshot(placement)
    changes = {
        key: {"before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    }
    if not changes and action == "updated":
        return None  # saved without changing anything: nothing to record
    record = ChangeRecord(
        entity="placement", entity_id=placement.id, action=action, actor=actor, changes=changes
    )
    session.add(record)
    return record


def _apply(placement: Placement, values: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key, value in values.items():
        if key not in allowed:
            raise ValueError(f"{key} may not be set here")
        setattr(placement, key, value.strip() if isinstance(value, str) else value)
    if placement.track != Track.LIO:
        # LIO details belong to a LIO-baan only; a track changed away from LIO drops them.
        placement.lio_appointment = ""
        placement.lio_teaching_hours = None


def create_placement(
    session: Session,
    *,
    course_id: int,
    student_id: int,
    values: Mapping[str, Any],
    mentors: Sequence[MentorDetails],
    actor: Person,
    action: str = "created",
) -> Placement:
    """A coach creates (or imports) an approved placement; the coach defaults to ``actor``."""
    placement = Placement(
        course_id=course_id,
        student_id=student_id,
        state=PlacementState.APPROVED,
        coach_id=actor.id,
        created_by_id=actor.id,
        return_reason="",
    )
    _apply(placement, values, COACH_FIELDS)
    return _insert(session, placement, mentors, action, actor, overwrite=True)


def propose_placement(
    session: Session,
    *,
    course_id: int,
    student: Person,
    values: Mapping[str, Any],
    mentors: Sequence[MentorDetails],
) -> Placement:
    """A student proposes their school and mentor; a coach approves or returns it."""
    placement = Placement(
        course_id=course_id,
        student_id=student.id,
        state=PlacementState.PROPOSED,
        created_by_id=student.id,
        return_reason="",
    )
    _apply(placement, values, STUDENT_FIELDS)
    return _insert(session, placement, mentors, "proposed", student, overwrite=False)


def _insert(
    session: Session,
    placement: Placement,
    mentors: Sequence[MentorDetails],
    action: str,
    actor: Person,
    *,
    overwrite: bool,
) -> Placement:
    session.add(placement)
    _set_mentors(session, placement, mentors, overwrite)
    session.flush()
    _record(session, placement, action, actor_of(actor), {})
    return placement


def update_placement(
    session: Session,
    placement: Placement,
    *,
    values: Mapping[str, Any],
    mentors: Sequence[MentorDetails],
    actor: Person,
) -> Placement:
    """A coach edits a placement in any state; its state stays as it was."""
    before = _snapshot(placement)
    _apply(placement, values, COACH_FIELDS)
    _set_mentors(session, placement, mentors, overwrite=True)
    session.flush()
    _record(session, placement, "updated", actor_of(actor), before)
    return placement


def repropose_placement(
    session: Session,
    placement: Placement,
    *,
    values: Mapping[str, Any],
    mentors: Sequence[MentorDetails],
    student: Person,
) -> Placement:
    """The student edits their proposal (still proposed, or returned) and proposes it again.

    :raise PlacementError: the placement is approved; only a coach changes it now.
    """
    if placement.state == PlacementState.APPROVED:
        raise PlacementError("an approved placement is changed by a coach")
    before = _snapshot(placement)
    _apply(placement, values, STUDENT_FIELDS)
    placement.state = PlacementState.PROPOSED
    _set_mentors(session, placement, mentors, overwrite=False)
    session.flush()
    _record(session, placement, "proposed", actor_of(student), before)
    telling.proposed_again(session, placement)
    return placement


def approve_placement(session: Session, placement: Placement, actor: Person) -> Placement:
    """:raise PlacementError: the placement is not awaiting approval."""
    if placement.state != PlacementState.PROPOSED:
        raise PlacementError(f"cannot approve a {placement.state} placement")
    before = _snapshot(placement)
    placement.state = PlacementState.APPROVED
    placement.return_reason = ""
    if placement.coach_id is None:
        placement.coach_id = actor.id
    session.flush()
    _record(session, placement, "approved", actor_of(actor), before)
    telling.approved(session, placement, actor)
    return placement


def return_placement(
    session: Session, placement: Placement, reason: str, actor: Person
) -> Placement:
    """Send a proposal back to the student with a reason they will read.

    :raise PlacementError: the placement is not awaiting approval, or no reason was given.
    """
    if placement.state != PlacementState.PROPOSED:
        raise PlacementError(f"cannot return a {placement.state} placement")
    if not reason.strip():
        raise PlacementError("a returned proposal needs a reason")
    before = _snapshot(placement)
    placement.state = PlacementState.RETURNED
    placement.return_reason = reason.strip()
    session.flush()
    _record(session, placement, "returned", actor_of(actor), before)
    telling.returned(session, placement, actor)
    return placement


def get_placement(session: Session, placement_id: int) -> Placement | None:
    return session.scalars(
        select(Placement)
        .where(Placement.id == placement_id)
        .options(
            joinedload(Placement.school),
            joinedload(Placement.student),
            joinedload(Placement.coach),
            selectinload(Placement.mentor_links).joinedload(PlacementMentor.mentor),
        )
    ).first()


def placements_of_student(session: Session, course_id: int, student_id: int) -> list[Placement]:
    return list(
        session.scalars(
            select(Placement)
            .where(Placement.course_id == course_id, Placement.student_id == student_id)
            .options(
                joinedload(Placement.school),
                selectinload(Placement.mentor_links).joinedload(PlacementMentor.mentor),
            )
            .order_by(Placement.created_at, Placement.id)
        )
    )


def course_people(
    session: Session, course_id: int, roles: Iterable[Role], *, active_only: bool = True
) -> list[Person]:
    """People of the course with one of ``roles``, by name."""
    statement = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course_id, Membership.role.in_(list(roles)))
        .order_by(func.lower(Person.name), Person.id)
    )
    if active_only:
        statement = statement.where(Membership.active.is_(True))
    return list(session.scalars(statement))


def is_student_of(session: Session, course_id: int, person_id: int) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.course_id == course_id,
                Membership.person_id == person_id,
                Membership.role == Role.STUDENT,
                Membership.active.is_(True),
            )
        )
        is not None
    )
