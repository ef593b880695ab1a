"""A coach sees where each member's role came from, and corrects a role (student <-> coach).

The rules:

- A coach (or coordinator) of the course corrects members of that course only, and never her own
  role: she would lock herself out of her own course, or give herself something.
- Between student and coach only. Coordinator comes from the LMS's administrator roles: nobody
  is made one here, and a coordinator's role is not corrected here.
- A correction never contradicts the person's own launch. When her own latest launch said she is
  a coach (Instructor in the LMS), she is not made a student here; when it said student, she is
  not made a coach here: that is changed in the LMS. So a correction is for people Driehoek knows
  only from the roster, or whose roster role differs from what their launch said.
- A correction outranks the roster: a later roster sync keeps it (``service._roster_role``).
- The person's own later launch rules: it sets the role her LTI roles give, and the correction
  becomes history.
- A correction changes where someone is listed (the course's students, its coaches). What a
  person may do in Driehoek always comes from her own launch, so no coach can give anyone more
  rights than the LMS gives them.
- Every correction is kept as a ``RoleChange``: who changed whose role, from what to what, when.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lti_app.roster.models import Membership, Person, Role, RoleChange, RoleSource

CORRECTABLE = (Role.STUDENT, Role.COACH)
HISTORY = 50  # the latest corrections the page lists


class Refusal(enum.StrEnum):
    """Why a member's role may not be corrected here."""

    OWN = "own"  # her own role
    COORDINATOR = "coordinator"  # coordinator comes from the LMS only
    LAUNCH_SAYS = "launch_says"  # her own launch says otherwise: change it in the LMS


class CorrectionRefused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.value)
        self.refusal = refusal


def corrected_role(membership: Membership) -> Role | None:
    """The role a correction would give (the other of student and coach), or None."""
    if membership.role == Role.STUDENT:
        return Role.COACH
    if membership.role == Role.COACH:
        return Role.STUDENT
    return None


def refusal(membership: Membership, by_person_id: int) -> Refusal | None:
    """Why ``membership`` may not be corrected by ``by_person_id``, or None when it may."""
    if membership.person_id == by_person_id:
        return Refusal.OWN
    to = corrected_role(membership)
    if to is None:
        return Refusal.COORDINATOR
    if membership.launch_role is not None and membership.launch_role != to:
        return Refusal.LAUNCH_SAYS
    return None


def get_membership(session: Session, course_id: int, membership_id: int) -> Membership | None:
    """A membership of this course (never of another one), with its person."""
    return session.scalars(
        select(Membership)
        .options(joinedload(Membership.person))
        .where(Membership.id == membership_id, Membership.course_id == course_id)
    ).first()


def correct_role(
    session: Session, membership: Membership, to: Role, by_person_id: int
) -> RoleChange:
    """Give ``membership`` the role ``to`` as a coach's correction, and record who did it.

    The caller commits.

    :raise CorrectionRefused: the rules above do not allow it.
    :raise ValueError: ``to`` is not the role a correction of this member would give.
    """
    why = refusal(membership, by_person_id)
    if why is not None:
        raise CorrectionRefused(why)
    if to is not corrected_role(membership):
        raise ValueError(f"a {membership.role} is not corrected to {to}")
    change = RoleChange(
        membership_id=membership.id,
        from_role=membership.role,
        to_role=to,
        changed_by_id=by_person_id,
    )
    membership.role = to
    membership.role_source = RoleSource.COACH
    session.add(change)
    session.flush()
    return change


def latest_changes(session: Session, course_id: int) -> list[RoleChange]:
    """The course's corrections, newest first."""
    return list(
        session.scalars(
            select(RoleChange)
            .join(Membership, RoleChange.membership_id == Membership.id)
            .options(
                joinedload(RoleChange.membership).joinedload(Membership.person),
                joinedload(RoleChange.changed_by),
            )
            .where(Membership.course_id == course_id)
            .order_by(RoleChange.at.desc(), RoleChange.id.desc())
            .limit(HISTORY)
        ).unique()
    )


def last_correction_by(changes: list[RoleChange]) -> dict[int, Person | None]:
    """Per membership, who made its latest correction (``changes`` newest first)."""
    found: dict[int, Person | None] = {}
    for change in changes:
        found.setdefault(change.membership_id, change.changed_by)
    return found
