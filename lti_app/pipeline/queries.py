"""The pipeline's statements, built once per process with the course (and the moment) as bound
parameters: building SQLAlchemy statements (and their cache keys) for every page cost more than
running some of them. ``queries().x`` is executed with ``{"course_id": ..., "now": ...}``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from lti_app.feedback.growth import facts_query
from lti_app.guests.models import GuestSession, MentorInvitation
from lti_app.hours.models import HourEntry, HourState
from lti_app.journals.models import EntryState, JournalEntry
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
        # And its feedback facts (submitted forms, the last one's moment), joined in as well.
        feedback = facts_query(course_placements).subquery()
        # And its journal: entries submitted, drafts, the last submission (index on
        # journal_entry (placement_id, state)).
        journal = (
            select(
                JournalEntry.placement_id,
                func.sum(case((JournalEntry.state == EntryState.SUBMITTED, 1), else_=0)).label(
                    "submitted"
                ),
                func.sum(case((JournalEntry.state == EntryState.DRAFT, 1), else_=0)).label(
                    "drafts"
                ),
                func.max(JournalEntry.submitted_at).label("last"),
            )
            .where(JournalEntry.placement_id.in_(course_placements))
            .group_by(JournalEntry.placement_id)
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
                feedback.c.forms,
                feedback.c.last,
                journal.c.submitted,
                journal.c.drafts,
                journal.c.last.label("journal_last"),
            )
            .join(School, Placement.school_id == School.id)
            .join(Person, Placement.student_id == Person.id)
            .outerjoin(hours, hours.c.placement_id == Placement.id)
            .outerjoin(feedback, feedback.c.placement_id == Placement.id)
            .outerjoin(journal, journal.c.placement_id == Placement.id)
            .where(Placement.course_id == course_id)
            .order_by(Placement.start_date.is_(None), Placement.start_date, Placement.id)
        )
        self.mentors = _mentors(course_placements)
        self.agreements = agreements_query(course_placements)


def _mentors(course_placements: Any) -> Any:
    """Each placement's mentors (in the order they were added) with what the page shows of
    their access, in one statement: whether they are signed in (see ``_mentor_state``) and the
    latest invitation that speaks for them — the placement's own, else the latest general link
    (one a mentor asked for, not tied to a placement: placement_id NULL) — with what the mail
    server said of its mail and of the mentor's address (a bounce happens without us, so it is
    joined in). Correlated subqueries probe an index per mentor of the course (a few hundred),
    where separate statements read every invitation and decided hour of the course."""
    link = PlacementMentor
    mine = aliased(MentorInvitation)
    general = aliased(MentorInvitation)
    used = aliased(MentorInvitation)
    own_latest = (
        select(func.max(mine.id))
        .where(mine.placement_id == link.placement_id, mine.mentor_id == link.mentor_id)
        .correlate(link)
        .scalar_subquery()
    )
    general_latest = (
        select(func.max(general.id))
        .where(general.placement_id.is_(None), general.mentor_id == link.mentor_id)
        .correlate(link)
        .scalar_subquery()
    )
    # Got in through any link, holds a live guest session (at ``now``), or decided on this
    # placement's hours: one probe of the index on hour_entry per mentor. As a scalar LIMIT 1,
    # not EXISTS: PostgreSQL would hash an EXISTS, reading all hour entries of the college.
    decided = (
        select(HourEntry.decided_by_mentor_id)
        .where(
            HourEntry.placement_id == link.placement_id,
            HourEntry.decided_by_mentor_id == link.mentor_id,
        )
        .limit(1)
        .correlate(link)
        .scalar_subquery()
    )
    signed_in = or_(
        exists().where(used.mentor_id == link.mentor_id, used.used_at.is_not(None)).correlate(link),
        exists()
        .where(
            GuestSession.mentor_id == link.mentor_id,
            GuestSession.ended_at.is_(None),
            GuestSession.expires_at > bindparam("now"),
        )
        .correlate(link),
        decided.is_not(None),
    )
    links = (
        select(
            link.id,
            link.placement_id,
            link.mentor_id,
            link.subject,
            func.coalesce(own_latest, general_latest).label("invitation_id"),
            signed_in.label("signed_in"),
        )
        .where(link.placement_id.in_(course_placements))
        .subquery()
    )
    return (
        select(
            links.c.placement_id,
            Mentor.name,
            Mentor.email,
            links.c.subject,
            links.c.signed_in,
            MentorInvitation.state,
            MentorInvitation.expires_at,
            OutgoingMail.state,
            BouncedAddress.address.is_not(None),
        )
        .join(Mentor, links.c.mentor_id == Mentor.id)
        .outerjoin(MentorInvitation, MentorInvitation.id == links.c.invitation_id)
        .outerjoin(OutgoingMail, OutgoingMail.id == MentorInvitation.mail_id)
        .outerjoin(BouncedAddress, BouncedAddress.address == func.lower(Mentor.email))
        .order_by(links.c.id)
    )


@cache
def queries() -> Queries:
    """The statements, built on first use (the models are mapped by then)."""
    return Queries()
