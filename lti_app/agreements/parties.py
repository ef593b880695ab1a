"""Who signs for which party, whose turn it is, and what is waiting for someone's signature.

The student signs for themself; the school signs through one of the placement's mentors or the
school's contact person (aanspreekpunt), both guests; the college through a coach or
coordinator of the course. Views say which of these the signed-in person is; this module turns
that into parties and never looks at the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementState,
    DocumentState,
    Party,
)
from lti_app.placements.models import Placement, PlacementMentor
from lti_app.roster.models import Membership, Person, Role
from lti_app.schools.models import Mentor


@dataclass(frozen=True)
class Signer:
    """Someone who may sign, as the signature will record them."""

    key: str  # person:<id> or mentor:<id>
    name: str
    email: str
    role: str  # student, mentor, contact, coach, coordinator
    party: Party


def school_signer(
    mentor: Mentor, placement: Placement, agreement: Agreement | None = None
) -> Signer | None:
    """The school's signer when this guest is a mentor of the placement, or the contact person
    the coach asked to sign this agreement for the school."""
    if any(link.mentor_id == mentor.id for link in placement.mentor_links):
        role = "mentor"
    elif agreement is not None and agreement.school_contact_id == mentor.id:
        role = "contact"
    else:
        return None
    return Signer(mentor.get_id(), mentor.display_name, mentor.email, role, Party.SCHOOL)


def person_signer(person: Person, placement: Placement, course_role: Role | None) -> Signer | None:
    """The student of the placement, or a coach or coordinator of its course (``course_role``
    is what the person is in the placement's course, None when not in it)."""
    if course_role == Role.STUDENT and placement.student_id == person.id:
        return Signer(
            person.get_id(), person.display_name, person.email or "", "student", Party.STUDENT
        )
    if course_role in (Role.COACH, Role.COORDINATOR):
        return Signer(
            person.get_id(),
            person.display_name,
            person.email or "",
            course_role.value,
            Party.COLLEGE,
        )
    return None


def signed_parties(document: AgreementDocument) -> set[Party]:
    return {s.party for s in document.signatures if s.voided_at is None}


def due_parties(document: AgreementDocument, steps: list[list[str]]) -> set[Party]:
    """The parties whose turn it is: the unsigned ones of the first step not fully signed."""
    if document.state != DocumentState.SIGNING:
        return set()
    signed = signed_parties(document)
    for step in steps:
        waiting = {Party(p) for p in step} - signed
        if waiting:
            return waiting
    return set()


# -- who is reminded --------------------------------------------------------------------------


def reminder_keys(
    session: Session, placement: Placement, agreement: Agreement, party: Party
) -> list[str]:
    """Whom to remind of a signature due from ``party`` (person:<id> / mentor:<id>)."""
    if party == Party.STUDENT:
        return [f"person:{placement.student_id}"]
    if party == Party.SCHOOL:
        keys = [f"mentor:{link.mentor_id}" for link in placement.mentor_links]
        if agreement.school_contact_id and f"mentor:{agreement.school_contact_id}" not in keys:
            keys.append(f"mentor:{agreement.school_contact_id}")
        return keys
    if placement.coach_id is not None:
        return [f"person:{placement.coach_id}"]
    coaches = session.scalars(
        select(Membership.person_id).where(
            Membership.course_id == placement.course_id,
            Membership.role.in_([Role.COACH, Role.COORDINATOR]),
            Membership.active.is_(True),
        )
    )
    return [f"person:{pid}" for pid in coaches]


# -- what is waiting for someone --------------------------------------------------------------


def _signing_documents(session: Session, placement_filter: object) -> list[AgreementDocument]:
    return list(
        session.scalars(
            select(AgreementDocument)
            .join(Agreement, AgreementDocument.agreement_id == Agreement.id)
            .join(Placement, Agreement.placement_id == Placement.id)
            .where(
                AgreementDocument.state == DocumentState.SIGNING,
                Agreement.state.in_([AgreementState.AWAITING_SIGNATURES, AgreementState.ACTIVE]),
                placement_filter,  # type: ignore[arg-type]
            )
            .options(
                selectinload(AgreementDocument.signatures),
                selectinload(AgreementDocument.agreement)
                .selectinload(Agreement.placement)
                .selectinload(Placement.student),
                selectinload(AgreementDocument.agreement)
                .selectinload(Agreement.placement)
                .selectinload(Placement.school),
                selectinload(AgreementDocument.agreement)
                .selectinload(Agreement.placement)
                .selectinload(Placement.course),
            )
            .order_by(AgreementDocument.id)
        )
    )


def waiting_for(session: Session, key: str) -> list[AgreementDocument]:
    """Documents whose signature is due now from the person or guest ``key``, for reminders.

    A person is reminded as the placement's student or its coach (any coach of the course when
    the placement has none); a guest as a mentor of the placement, or as the school's contact
    person whom the coach asked to sign that agreement.
    """
    kind, _, raw = key.partition(":")
    if not raw.isdigit():
        return []
    ident = int(raw)
    if kind == "mentor":
        mentored = select(PlacementMentor.placement_id).where(PlacementMentor.mentor_id == ident)
        documents = _signing_documents(
            session, or_(Placement.id.in_(mentored), Agreement.school_contact_id == ident)
        )
        return [d for d in documents if Party.SCHOOL in due_parties(d, d.agreement.signing_order)]
    if kind != "person":
        return []
    staff_courses = select(Membership.course_id).where(
        Membership.person_id == ident,
        Membership.role.in_([Role.COACH, Role.COORDINATOR]),
        Membership.active.is_(True),
    )
    documents = _signing_documents(
        session,
        or_(
            Placement.student_id == ident,
            Placement.coach_id == ident,
            (Placement.coach_id.is_(None) & Placement.course_id.in_(staff_courses)),
        ),
    )
    result = []
    for d in documents:
        due = due_parties(d, d.agreement.signing_order)
        placement = d.agreement.placement
        if (Party.STUDENT in due and placement.student_id == ident) or (
            Party.COLLEGE in due and placement.student_id != ident
        ):
            result.append(d)
    return result
