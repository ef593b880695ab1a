"""The pipeline's statements, built once per process with the course (and the moment) as bound
parameters: building SQLAlchemy statements (and their cache keys) for every page cost more than
running some of them. ``queries().x`` is executed with ``{"course_id": ..., "now": ...}``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, cast, func, or_, select, union
from sqlalchemy import null as sa_null

from lti_app.feedback.growth import facts_query
from lti_app.guests.models import GuestSession, MentorInvitation
from lti_app.hours.models import HourEntry, HourState
from lti_app.notifications.models import BouncedAddress, OutgoingMail
from lti_app.pipeline.needs import agreements_query
from lti_app.placements.models import Placement, PlacementMentor
from lti_app.roster.models import Membership, Person, Role
from lti_app.schools.models import Mentor, School


class Queries:
    """One statement for each of the pipeline's reads, for the whole course (see service.py)."""

    def __init__(self) -> None:
        course_id = bindparam("course_id", type_=Integer)
        course_placements = select(Placement.id).where(Placement.course_id == course_id)
        course_mentors = select(PlacementMentor.mentor_id).where(
            PlacementMentor.placement_id.in_(course_placements)
        )
        # Plain rows rather than ORM objects: for 300 students the difference is most of the time.
        self.memberships = (
            select(Membership.active, Person.id, Person.name, Person.given_name)
            .add_columns(Person.family_name, Person.sub, Person.email)
            .join(Person, Membership.person_id == Person.id)
            .where(Membership.course_id == course_id, Membership.role == Role.STUDENT)
        )
        # Each placement's hour totals joined in (not a statement of their own), read from the
        # index on hour_entry (placement_id, decided_by_mentor_id, state, minutes) alone.
        hours = (
            select(
                HourEntry.placement_id,
                func.sum(
                    case((HourEntry.state == HourState.APPROVED, HourEntry.minutes), else_=0)
                ).label("approved"),
                func.sum(
                    case((HourEntry.state == HourState.PENDING, HourEntry.minutes), else_=0)
                ).label("pending"),
            )
            .where(HourEntry.placement_id.in_(course_placements))
            .group_by(HourEntry.placement_id)
            .subquery()
        )
        self.placements = (
            select(Placement.id, Placement.state, Placement.track, Placement.school_id)
            .add_columns(
                School.name.label("school_name"),
                School.city.label("school_city"),
                Placement.start_date,
                Placement.end_date,
                Placement.planned_hours,
                Placement.student_id,
                Person.name,
                Person.given_name,
                Person.family_name,
                Person.sub,
                Person.email,
                hours.c.approved,
                hours.c.pending,
            )
            .join(School, Placement.school_id == School.id)
            .join(Person, Placement.student_id == Person.id)
            .outerjoin(hours, hours.c.placement_id == Placement.id)
            .where(Placement.course_id == course_id)
            .order_by(Placement.start_date.is_(None), Placement.start_date, Placement.id)
        )
        # The latest invitation per placement and mentor, and per mentor the latest general link
        # (one a mentor asked for, not tied to a placement: placement_id NULL, grouped as one),
        # with what the mail server said of its mail and of the mentor's address (a bounce
        # happens without us, so it is joined in).
        latest = (
            select(func.max(MentorInvitation.id))
            .where(
                or_(
                    MentorInvitation.placement_id.in_(course_placements),
                    (MentorInvitation.placement_id.is_(None))
                    & MentorInvitation.mentor_id.in_(course_mentors),
                )
            )
            .group_by(MentorInvitation.placement_id, MentorInvitation.mentor_id)
        )
        self.invitations = (
            select(
                MentorInvitation.placement_id,
                MentorInvitation.mentor_id,
                MentorInvitation.state,
                MentorInvitation.expires_at,
                OutgoingMail.state,
                BouncedAddress.address.is_not(None),
            )
            .join(Mentor, MentorInvitation.mentor_id == Mentor.id)
            .outerjoin(OutgoingMail, OutgoingMail.id == MentorInvitation.mail_id)
            .outerjoin(BouncedAddress, BouncedAddress.address == func.lower(Mentor.email))
            .where(MentorInvitation.id.in_(latest.scalar_subquery()))
        )
        self.signed_in = _signed_in(course_placements, course_mentors)
        self.mentors = (
            select(
                PlacementMentor.placement_id,
                Mentor.id,
                Mentor.name,
                Mentor.email,
                PlacementMentor.subject,
            )
            .join(Mentor, PlacementMentor.mentor_id == Mentor.id)
            .where(PlacementMentor.placement_id.in_(course_placements))
            .order_by(PlacementMentor.id)
        )
        self.agreements = agreements_query(course_placements)
        self.feedback = facts_query(course_placements)


def _signed_in(course_placements: Any, course_mentors: Any) -> Any:
    """(None, mentor) for the course's mentors who ever got in through a link or hold a live
    guest session (at ``now``); (placement, mentor) for those who decided on hours of that
    placement."""
    # A NULL placement typed as one: PostgreSQL will not UNION untyped NULL with an integer.
    no_placement = cast(sa_null(), Integer)
    used = select(no_placement.label("placement_id"), MentorInvitation.mentor_id).where(
        MentorInvitation.mentor_id.in_(course_mentors), MentorInvitation.used_at.is_not(None)
    )
    live = select(no_placement, GuestSession.mentor_id).where(
        GuestSession.mentor_id.in_(course_mentors),
        GuestSession.ended_at.is_(None),
        GuestSession.expires_at > bindparam("now"),
    )
    decided = select(HourEntry.placement_id, HourEntry.decided_by_mentor_id).where(
        HourEntry.placement_id.in_(course_placements),
        HourEntry.decided_by_mentor_id.is_not(None),
    )
    # DISTINCT in the branch: a mentor decides on many entries of a placement; the union would
    # otherwise sort all of them (read from the index on hour_entry, not the table).
    return union(used, live, decided.distinct())


@cache
def queries() -> Queries:
    """The statements, built on first use (the models are mapped by then)."""
    return Queries()
