"""The coach's pipeline: one row per student of the course with their placements, mentors,
invitations, hours and agreements, read at the top of the house from every capability's tables.

A fixed number of statements whatever the course's size (see ``pipeline``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Integer, case, cast, func, or_, select, union
from sqlalchemy import null as sa_null
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.guests.models import GuestSession, InvitationState, MentorInvitation
from lti_app.hours.models import HourEntry, HourState
from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail
from lti_app.pipeline.needs import AgreementFacts, Need, course_agreements, needs_you
from lti_app.placements.models import Placement, PlacementMentor, PlacementState, Track
from lti_app.roster.models import Membership, Person, Role
from lti_app.schools.models import Mentor, School


def folded(value: str) -> str:
    """Lower case without accents, for searching names (Anaïs finds anais)."""
    if value.isascii():  # most names: nothing to decompose (and casefold is lower)
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join([c for c in decomposed if not unicodedata.combining(c)])


# Which of a student's placements most needs attention: the first of these states.
_ATTENTION = {PlacementState.PROPOSED: 0, PlacementState.RETURNED: 1, PlacementState.APPROVED: 2}


@dataclass(slots=True)
class PipelineMentor:
    name: str
    email: str
    invitation: str  # an InvitationState value ("active": signed in), or "not_invited"
    subject: str = ""  # what this mentor teaches on this placement


@dataclass(slots=True)
class PipelinePlacement:
    id: int
    state: PlacementState
    track: Track
    school_id: int
    school_name: str
    school_city: str
    start_date: date | None
    end_date: date | None
    planned_hours: int
    approved_minutes: int = 0
    pending_minutes: int = 0
    mentors: list[PipelineMentor] = field(default_factory=list)
    agreement: AgreementFacts | None = None  # the newest agreement

    @property
    def agreement_state(self) -> str:
        """The newest agreement's AgreementState value, or "none"."""
        return self.agreement.state if self.agreement else "none"

    @property
    def agreement_signed(self) -> int:
        """Valid signatures on the newest agreement's own text (of 3)."""
        return self.agreement.signed if self.agreement else 0

    @property
    def logged_minutes(self) -> int:
        return self.approved_minutes + self.pending_minutes


@dataclass(slots=True)
class PipelineRow:
    person_id: int
    name: str
    email: str
    active: bool  # an active student membership; students who left stay, greyed
    placements: list[PipelinePlacement] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The student's state at a glance: the placement that most needs attention."""
        focus = self.focus
        return focus.state.value if focus else "none"

    @property
    def focus(self) -> PipelinePlacement | None:
        """The placement that most needs attention (where the student's name leads)."""
        placements = self.placements
        if len(placements) < 2:
            return placements[0] if placements else None
        return min(placements, key=lambda p: _ATTENTION[p.state])


@dataclass
class PipelineFilter:
    state: str = ""  # none, proposed, returned, approved
    track: str = ""
    school_id: int | None = None
    search: str = ""
    agreement: str = ""  # an AgreementState value, or "none": placements without an agreement

    @property
    def active(self) -> bool:
        return bool(
            self.state or self.track or self.school_id or self.agreement or self.search.strip()
        )

    def matches(self, row: PipelineRow) -> bool:
        if self.state == "none" and row.placements:
            return False
        if self.state not in ("", "none") and all(p.state != self.state for p in row.placements):
            return False
        if self.track and not any(p.track == self.track for p in row.placements):
            return False
        if self.school_id and not any(p.school_id == self.school_id for p in row.placements):
            return False
        if self.agreement and not any(
            p.agreement_state == self.agreement and p.state == PlacementState.APPROVED
            for p in row.placements
        ):
            return False
        if not self.words:
            return True
        haystack = folded(f"{row.name} {row.email}")
        return all(w in haystack for w in self.words)

    @cached_property
    def words(self) -> list[str]:
        return folded(self.search).split()


@dataclass
class Pipeline:
    rows: list[PipelineRow]  # students with a placement, after the filter
    unplaced: list[PipelineRow]  # students without one, after the filter (folded into one line)
    needs: dict[str, list[Need]]  # what needs the coach by kind (whatever the filter), see needs
    total: int  # students before the filter
    counts: dict[str, int]  # students per state, before the filter
    schools: list[tuple[int, str]]  # schools of this course's placements, for the filter


def _display_name(name: str | None, given: str | None, family: str | None, sub: str) -> str:
    """Person.display_name, from its columns."""
    return name or " ".join(p for p in (given, family) if p) or sub


def _pipeline_invitation(
    state: InvitationState,
    expires_at: datetime,
    mail_state: MailState | None,
    address_bounced: bool,
    now: datetime,
) -> str:
    """As mentor_access.invitation_state decides, from the columns the pipeline's query reads."""
    waiting = state in (InvitationState.SENT, InvitationState.OPENED)
    if waiting and (
        mail_state == MailState.BOUNCED or (address_bounced and mail_state != MailState.SENT)
    ):
        return InvitationState.BOUNCED.value
    return _effective_invitation(state, expires_at, now)


def _mentor_state(
    invitation: tuple[InvitationState, datetime, MailState | None, bool] | None,
    *,
    signed_in: bool,
    now: datetime,
) -> str:
    """What is true of a mentor's access to a placement. Having got in (through any link, also
    a general one they asked for), being signed in now, or having decided on this placement's
    hours is "signed in", whatever became of the placement's own invitation; otherwise the
    latest invitation (the placement's, else a general one) says where it stands."""
    if signed_in:
        return InvitationState.ACTIVE.value
    if invitation is None:
        return "not_invited"
    return _pipeline_invitation(*invitation, now)


def _signed_in(
    session: Session, course_placements: Any, course_mentors: Any, now: datetime
) -> set[tuple[int | None, int]]:
    """(None, mentor) for the course's mentors who ever got in through a link or hold a live
    guest session; (placement, mentor) for those who decided on hours of that placement. One
    statement for the whole course."""
    # A NULL placement typed as one: PostgreSQL will not UNION untyped NULL with an integer.
    no_placement = cast(sa_null(), Integer)
    used = select(no_placement.label("placement_id"), MentorInvitation.mentor_id).where(
        MentorInvitation.mentor_id.in_(course_mentors), MentorInvitation.used_at.is_not(None)
    )
    live = select(no_placement, GuestSession.mentor_id).where(
        GuestSession.mentor_id.in_(course_mentors),
        GuestSession.ended_at.is_(None),
        GuestSession.expires_at > now,
    )
    decided = select(HourEntry.placement_id, HourEntry.decided_by_mentor_id).where(
        HourEntry.placement_id.in_(course_placements),
        HourEntry.decided_by_mentor_id.is_not(None),
    )
    # DISTINCT in the branch: a mentor decides on many entries of a placement; the union would
    # otherwise sort all of them (read from the index on hour_entry, not the table).
    decided = decided.distinct()
    rows: Iterable[Any] = session.execute(union(used, live, decided))
    return {(row[0], row[1]) for row in rows}


def _effective_invitation(state: InvitationState, expires_at: datetime, now: datetime) -> str:
    if state in (InvitationState.SENT, InvitationState.OPENED) and expires_at <= now:
        return InvitationState.EXPIRED.value
    return state.value


def pipeline(
    session: Session, course_id: int, wanted: PipelineFilter, *, stale_days: int = 7
) -> Pipeline:
    """One row per student of the course (including those who left, and anyone holding a
    placement here), with their placements, mentors, invitations and hours.

    A fixed number of statements whatever the course's size: students, placements (with school
    and student), mentors, latest invitations, hour totals, agreement states — each one query for
    the whole course. ``stale_days``: an agreement nobody signed for longer needs the coach.
    """
    # Plain rows rather than ORM objects: for 300 students the difference is most of the time.
    memberships = session.execute(
        select(Membership.active, Person.id, Person.name, Person.given_name)
        .add_columns(Person.family_name, Person.sub, Person.email)
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.course_id == course_id, Membership.role == Role.STUDENT)
    )
    # Read as tuples: a Row's attribute access, 300 rows times a dozen columns, adds up.
    rows: dict[int, PipelineRow] = {
        person_id: PipelineRow(
            person_id, _display_name(name, given, family, sub), email or "", active
        )
        for active, person_id, name, given, family, sub, email in memberships
    }
    # Each placement's hour totals joined in (not a statement of their own), read from the index
    # on hour_entry (placement_id, decided_by_mentor_id, state, minutes) alone.
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
        .where(
            HourEntry.placement_id.in_(select(Placement.id).where(Placement.course_id == course_id))
        )
        .group_by(HourEntry.placement_id)
        .subquery()
    )
    placements = session.execute(
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
    by_id: dict[int, PipelinePlacement] = {}
    for (
        placement_id,
        state,
        track,
        school_id,
        school_name,
        school_city,
        start_date,
        end_date,
        planned_hours,
        student_id,
        name,
        given,
        family,
        sub,
        email,
        approved,
        pending,
    ) in placements:
        item = by_id[placement_id] = PipelinePlacement(
            placement_id,
            state,
            track,
            school_id,
            school_name,
            school_city,
            start_date,
            end_date,
            planned_hours,
            int(approved or 0),
            int(pending or 0),
        )
        row = rows.get(student_id)
        if row is None:  # holds a placement here but is not (or no longer) a student member
            row = rows[student_id] = PipelineRow(
                student_id, _display_name(name, given, family, sub), email or "", False
            )
        row.placements.append(item)

    course_placements = select(Placement.id).where(Placement.course_id == course_id)
    course_mentors = select(PlacementMentor.mentor_id).where(
        PlacementMentor.placement_id.in_(course_placements)
    )
    # The latest invitation per placement and mentor, and per mentor the latest general link
    # (one a mentor asked for, not tied to a placement: placement_id NULL, grouped as one).
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
    # One query, with what the mail server said of its mail and of the mentor's address (a
    # bounce happens without us, so it is joined in).
    invitations = {
        (placement_id, mentor_id): (state, expires_at, mail_state, address_bounced)
        for placement_id, mentor_id, state, expires_at, mail_state, address_bounced in (
            session.execute(
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
        )
    }
    now = utcnow()
    signed_in = _signed_in(session, course_placements, course_mentors, now)
    for placement_id, mentor_id, name, email, subject in session.execute(
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
    ):
        state = _mentor_state(
            invitations.get((placement_id, mentor_id)) or invitations.get((None, mentor_id)),
            signed_in=(None, mentor_id) in signed_in or (placement_id, mentor_id) in signed_in,
            now=now,
        )
        by_id[placement_id].mentors.append(PipelineMentor(name or email, email, state, subject))

    for placement_id, facts in course_agreements(session, course_placements).items():
        by_id[placement_id].agreement = facts

    everyone = sorted(rows.values(), key=lambda r: (not r.active, folded(r.name), r.person_id))
    counts: dict[str, int] = {"none": 0, **{s.value: 0 for s in PlacementState}}
    for row in everyone:
        counts[row.state] += 1
    schools = sorted(
        {(p.school_id, p.school_name) for p in by_id.values()}, key=lambda s: folded(s[1])
    )
    shown = [r for r in everyone if wanted.matches(r)]
    return Pipeline(
        rows=[r for r in shown if r.placements],
        unplaced=[r for r in shown if not r.placements],
        needs=needs_you(everyone, now, stale_days),
        total=len(everyone),
        counts=counts,
        schools=schools,
    )
