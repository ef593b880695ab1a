"""Placements domain logic: the schools directory, mentors, a placement's life cycle
(created by a coach, or proposed by a student → approved or returned) and the coach's pipeline.

Functions take a session and leave committing to the caller. Every change to a placement writes
a ChangeRecord: who (``person:<id>``), what (action), and each changed field before and after.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, case, cast, func, or_, select, union
from sqlalchemy import null as sa_null
from sqlalchemy.orm import Session, joinedload, selectinload

from lti_app.db import utcnow
from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail
from lti_app.placements.models import (
    ChangeRecord,
    GuestSession,
    HourEntry,
    HourState,
    InvitationState,
    Mentor,
    MentorInvitation,
    Placement,
    PlacementMentor,
    PlacementState,
    School,
    Track,
)
from lti_app.roster.models import Course, Membership, Person, Role

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
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
LIO_MIN_TEACHING_HOURS = 500  # uren-leraar per year below which a LIO-baan is topped up with stage


class PlacementError(Exception):
    """A change the placement's life cycle does not allow (e.g. approving an approved one)."""


@dataclass
class SchoolDetails:
    name: str
    institution_number: str | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    contact_name: str = ""
    contact_email: str | None = None
    contact_phone: str = ""


@dataclass
class MentorDetails:
    email: str
    name: str = ""
    subject: str = ""


def actor_of(person: Person) -> str:
    return f"person:{person.id}"


def normalise_email(value: str) -> str:
    return value.strip().lower()


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value.strip()))


def folded(value: str) -> str:
    """Lower case without accents, for searching names (Anaïs finds anais)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


# -- schools ------------------------------------------------------------------------------------


def normalise_institution_number(raw: str | None) -> str | None:
    """Spaces and dots people type (``030 395``) removed; blank means none."""
    value = re.sub(r"[\s.]", "", raw or "")
    return value or None


def school_with_number(session: Session, college_id: int, number: str | None) -> School | None:
    number = normalise_institution_number(number)
    if number is None:
        return None
    return session.scalars(
        select(School).where(School.college_id == college_id, School.institution_number == number)
    ).first()


def get_school(session: Session, school_id: int, college_id: int) -> School | None:
    """A school of the college's directory (None for another college's)."""
    school = session.get(School, school_id)
    return school if school is not None and school.college_id == college_id else None


def search_schools(
    session: Session, college_id: int, query: str = "", limit: int | None = None
) -> list[School]:
    """The college's schools whose name, city or instellingsnummer contains ``query``, by name."""
    statement = (
        select(School)
        .where(School.college_id == college_id)
        .order_by(func.lower(School.name), School.city, School.id)
    )
    words = query.split()
    for word in words:
        pattern = word.lower()
        statement = statement.where(
            or_(
                func.lower(School.name).contains(pattern, autoescape=True),
                func.lower(School.city).contains(pattern, autoescape=True),
                func.lower(School.postal_code).contains(pattern, autoescape=True),
                func.coalesce(School.institution_number, "").contains(pattern, autoescape=True),
            )
        )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_schools(session: Session, college_id: int) -> int:
    statement = select(func.count()).select_from(School).where(School.college_id == college_id)
    return int(session.scalar(statement) or 0)


def _school_values(details: SchoolDetails) -> dict[str, Any]:
    return {
        "name": details.name.strip(),
        "institution_number": normalise_institution_number(details.institution_number),
        "street": details.street.strip(),
        "postal_code": details.postal_code.strip(),
        "city": details.city.strip(),
        "contact_name": details.contact_name.strip(),
        "contact_email": (details.contact_email or "").strip() or None,
        "contact_phone": details.contact_phone.strip(),
    }


def create_school(session: Session, college_id: int, details: SchoolDetails) -> School:
    """A new school in the college's directory. The caller has checked the instellingsnummer is
    free (the database's unique constraint catches a race)."""
    school = School(college_id=college_id, **_school_values(details))
    session.add(school)
    session.flush()
    return school


def update_school(session: Session, school: School, details: SchoolDetails) -> School:
    for key, value in _school_values(details).items():
        setattr(school, key, value)
    session.flush()
    return school


# -- mentors ------------------------------------------------------------------------------------


def college_of(session: Session, placement: Placement) -> int:
    """The college a placement belongs to: its course's platform's."""
    course = placement.course or session.get(Course, placement.course_id)
    assert course is not None
    return course.platform.college_id


def mentor_for(
    session: Session, college_id: int, details: MentorDetails, *, overwrite: bool = True
) -> Mentor:
    """The college's mentor with this e-mail address (one row per college and lower-cased
    address), created if new.

    With ``overwrite`` (a coach typed it) a given name replaces the stored one; otherwise (a
    student's proposal) it only fills a blank name. The subject is not the mentor's: it goes on
    the placement's link (``_set_mentors``).
    """
    email = normalise_email(details.email)
    mentor = session.scalars(
        select(Mentor).where(Mentor.college_id == college_id, Mentor.email == email)
    ).first()
    name = details.name.strip()
    if mentor is None:
        mentor = Mentor(college_id=college_id, email=email, name=name)
        session.add(mentor)
        session.flush()
        return mentor
    if name and (overwrite or not mentor.name):
        mentor.name = name
    return mentor


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


@dataclass
class HistoryEntry:
    at: datetime
    action: str
    actor: str
    fields: list[str]
    reason: str = ""


def history(session: Session, entity_id: int, entity: str = "placement") -> list[HistoryEntry]:
    """What happened to a placement (or another ``entity``), newest first, with the actors'
    names (people from the LMS and mentors alike)."""
    records = list(
        session.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.entity == entity, ChangeRecord.entity_id == entity_id)
            .order_by(ChangeRecord.at.desc(), ChangeRecord.id.desc())
        )
    )
    wanted: dict[str, set[int]] = {"person": set(), "mentor": set()}
    for r in records:
        kind, _, raw = r.actor.partition(":")
        if kind in wanted and raw.isdigit():
            wanted[kind].add(int(raw))
    names: dict[str, str] = {}
    if wanted["person"]:
        for person in session.scalars(select(Person).where(Person.id.in_(wanted["person"]))):
            names[person.get_id()] = person.display_name
    if wanted["mentor"]:
        for mentor in session.scalars(select(Mentor).where(Mentor.id.in_(wanted["mentor"]))):
            names[mentor.get_id()] = mentor.display_name
    entries = []
    for r in records:
        change = (
            r.changes.get("return_reason") if r.action == "returned" else r.changes.get("reason")
        )
        if isinstance(change, dict):
            reason = str(change.get("after") or "")
        else:
            reason = str(change or "") if isinstance(change, str) else ""
        entries.append(
            HistoryEntry(r.at, r.action, names.get(r.actor, r.actor), sorted(r.changes), reason)
        )
    return entries


# -- the coach's pipeline -----------------------------------------------------------------------


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
    agreement_state: str = "none"  # the newest agreement's AgreementState value, or "none"
    agreement_signed: int = 0  # valid signatures on that agreement's own text (of 3)

    @property
    def logged_hours(self) -> float:
        return (self.approved_minutes + self.pending_minutes) / 60

    @property
    def pending_hours(self) -> float:
        return self.pending_minutes / 60


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
        if not self.placements:
            return "none"
        order = (PlacementState.PROPOSED, PlacementState.RETURNED, PlacementState.APPROVED)
        return min((p.state for p in self.placements), key=order.index).value


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
    rows: list[PipelineRow]  # after the filter
    total: int  # students before the filter
    counts: dict[str, int]  # students per state, before the filter
    schools: list[tuple[int, str]]  # schools of this course's placements, for the filter


def _display_name(row: Any) -> str:
    """Person.display_name, for a row of columns."""
    return row.name or " ".join(p for p in (row.given_name, row.family_name) if p) or row.sub


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
    rows: Iterable[Any] = session.execute(union(used, live, decided))
    return {(row[0], row[1]) for row in rows}


def _effective_invitation(state: InvitationState, expires_at: datetime, now: datetime) -> str:
    if state in (InvitationState.SENT, InvitationState.OPENED) and expires_at <= now:
        return InvitationState.EXPIRED.value
    return state.value


def pipeline(session: Session, course_id: int, wanted: PipelineFilter) -> Pipeline:
    """One row per student of the course (including those who left, and anyone holding a
    placement here), with their placements, mentors, invitations and hours.

    A fixed number of statements whatever the course's size: students, placements (with school
    and student), mentors, latest invitations, hour totals, agreement states — each one query for
    the whole course.
    """
    # Plain rows rather than ORM objects: for 300 students the difference is most of the time.
    memberships = session.execute(
        select(Membership.active, Person.id, Person.name, Person.given_name)
        .add_columns(Person.family_name, Person.sub, Person.email)
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.course_id == course_id, Membership.role == Role.STUDENT)
    )
    rows: dict[int, PipelineRow] = {
        m.id: PipelineRow(m.id, _display_name(m), m.email or "", m.active) for m in memberships
    }
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
        )
        .join(School, Placement.school_id == School.id)
        .join(Person, Placement.student_id == Person.id)
        .where(Placement.course_id == course_id)
        .order_by(Placement.start_date.is_(None), Placement.start_date, Placement.id)
    )
    by_id: dict[int, PipelinePlacement] = {}
    for p in placements:
        item = PipelinePlacement(
            id=p.id,
            state=p.state,
            track=p.track,
            school_id=p.school_id,
            school_name=p.school_name,
            school_city=p.school_city,
            start_date=p.start_date,
            end_date=p.end_date,
            planned_hours=p.planned_hours,
        )
        by_id[p.id] = item
        row = rows.get(p.student_id)
        if row is None:  # holds a placement here but is not (or no longer) a student member
            row = rows[p.student_id] = PipelineRow(
                p.student_id, _display_name(p), p.email or "", False
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

    for placement_id, approved, pending in session.execute(
        select(
            HourEntry.placement_id,
            func.sum(case((HourEntry.state == HourState.APPROVED, HourEntry.minutes), else_=0)),
            func.sum(case((HourEntry.state == HourState.PENDING, HourEntry.minutes), else_=0)),
        )
        .join(Placement, HourEntry.placement_id == Placement.id)
        .where(Placement.course_id == course_id)
        .group_by(HourEntry.placement_id)
    ):
        by_id[placement_id].approved_minutes = int(approved or 0)
        by_id[placement_id].pending_minutes = int(pending or 0)

    from lti_app.agreements.service import course_agreement_states

    for placement_id, (state, signed) in course_agreement_states(session, course_id).items():
        by_id[placement_id].agreement_state = state
        by_id[placement_id].agreement_signed = signed

    everyone = sorted(rows.values(), key=lambda r: (not r.active, folded(r.name), r.person_id))
    counts: dict[str, int] = {"none": 0, **{s.value: 0 for s in PlacementState}}
    for row in everyone:
        counts[row.state] += 1
    schools = sorted(
        {(p.school_id, p.school_name) for p in by_id.values()}, key=lambda s: folded(s[1])
    )
    return Pipeline(
        rows=[r for r in everyone if wanted.matches(r)],
        total=len(everyone),
        counts=counts,
        schools=schools,
    )
