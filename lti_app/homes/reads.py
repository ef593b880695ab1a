"""What the student's home reads: exactly what it shows, as plain columns, in at most three
statements whatever she has (the course with her placements, their mentors, their agreements).

Every launch of a student lands on her home, so this is read on every launch. The ORM's objects,
lazy and selectin loads cost more than the page's rendering; these reads build no ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementState,
    DocumentState,
    Party,
    Signature,
)
from lti_app.agreements.parties import due_parties
from lti_app.homes.next_step import PlacementFacts
from lti_app.hours.models import HourEntry, HourState
from lti_app.placements.models import Placement, PlacementMentor
from lti_app.roster.models import Course
from lti_app.schools.models import Mentor, School


@dataclass(frozen=True, slots=True)
class HomeCourse:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class HomeAgreement:
    """A placement's newest agreement, as its link on the home shows it."""

    id: int
    state: str  # an AgreementState value


@dataclass(slots=True)
class HomePlacement:
    id: int
    state: str  # a PlacementState value
    track: str  # a Track value
    start_date: date | None
    end_date: date | None
    return_reason: str
    school_name: str
    returned_hours: int
    mentors: list[str] = field(default_factory=list)
    agreement: HomeAgreement | None = None  # the newest (any state)
    agreement_to_sign: int | None = None
    voided_by: str | None = None

    def facts(self) -> PlacementFacts:
        return PlacementFacts(
            placement_id=self.id,
            state=self.state,
            start=self.start_date,
            end=self.end_date,
            agreement_to_sign=self.agreement_to_sign,
            voided_by=self.voided_by if self.agreement_to_sign else None,
            returned_hours=self.returned_hours,
        )


@dataclass(slots=True)
class _Signature:
    party: Party
    voided_at: datetime | None
    void_reason: str


@dataclass(slots=True)
class _Document:
    """What ``due_parties`` reads of a document: its state and its signatures."""

    state: DocumentState
    signatures: list[_Signature] = field(default_factory=list)


@dataclass(slots=True)
class _Agreement:
    id: int
    placement_id: int
    state: AgreementState
    signing_order: list[list[str]]
    documents: list[_Document] = field(default_factory=list)


_RETURNED = (
    select(func.count(HourEntry.id))
    .where(HourEntry.placement_id == Placement.id, HourEntry.state == HourState.REJECTED)
    .correlate(Placement)
    .scalar_subquery()
)

# The course, and her placements in it (none: one row of NULLs), oldest first.
_PLACEMENTS = (
    select(
        Course.title,
        Placement.id,
        Placement.state,
        Placement.track,
        Placement.start_date,
        Placement.end_date,
        Placement.return_reason,
        School.name,
        _RETURNED,
    )
    .select_from(Course)
    .outerjoin(
        Placement,
        and_(Placement.course_id == Course.id, Placement.student_id == bindparam("student_id")),
    )
    .outerjoin(School, School.id == Placement.school_id)
    .where(Course.id == bindparam("course_id"))
    .order_by(Placement.created_at, Placement.id)
)

_MENTORS = (
    select(PlacementMentor.placement_id, Mentor.name, Mentor.email)
    .join(Mentor, Mentor.id == PlacementMentor.mentor_id)
    .where(PlacementMentor.placement_id.in_(bindparam("ids", expanding=True)))
    .order_by(PlacementMentor.id)
)

# Every agreement of her placements, newest first, with its documents and their signatures.
_AGREEMENTS = (
    select(
        Agreement.id,
        Agreement.placement_id,
        Agreement.state,
        Agreement.signing_order,
        AgreementDocument.id,
        AgreementDocument.state,
        Signature.party,
        Signature.voided_at,
        Signature.void_reason,
    )
    .outerjoin(AgreementDocument, AgreementDocument.agreement_id == Agreement.id)
    .outerjoin(Signature, Signature.document_id == AgreementDocument.id)
    .where(Agreement.placement_id.in_(bindparam("ids", expanding=True)))
    .order_by(Agreement.id.desc(), AgreementDocument.number, AgreementDocument.id, Signature.id)
)


def student_home_data(
    session: Session, course_id: int, student_id: int
) -> tuple[HomeCourse | None, list[HomePlacement]]:
    """The course (None when it is gone) and her placements in it, with what the home shows."""
    rows = session.execute(_PLACEMENTS, {"course_id": course_id, "student_id": student_id}).all()
    if not rows:
        return None, []
    course = HomeCourse(course_id, rows[0][0] or "")
    placements = [
        HomePlacement(
            id=pid,
            state=_value(state),
            track=_value(track),
            start_date=start,
            end_date=end,
            return_reason=reason or "",
            school_name=school or "",
            returned_hours=int(returned or 0),
        )
        for _title, pid, state, track, start, end, reason, school, returned in rows
        if pid is not None
    ]
    if not placements:
        return course, []
    by_id = {p.id: p for p in placements}
    ids = list(by_id)
    for placement_id, name, email in session.execute(_MENTORS, {"ids": ids}):
        by_id[placement_id].mentors.append(name or email)
    for agreement in _agreements(session, ids):
        placement = by_id[agreement.placement_id]
        if placement.agreement is None:  # newest first
            placement.agreement = HomeAgreement(agreement.id, _value(agreement.state))
        _note_signature_due(placement, agreement)
    return course, placements


def _agreements(session: Session, ids: Sequence[int]) -> list[_Agreement]:
    found: dict[int, _Agreement] = {}
    documents: dict[int, _Document] = {}
    for row in session.execute(_AGREEMENTS, {"ids": list(ids)}):
        agreement_id, placement_id, state, order, document_id, document_state = row[:6]
        agreement = found.get(agreement_id)
        if agreement is None:
            agreement = found[agreement_id] = _Agreement(
                agreement_id, placement_id, state, order or []
            )
        if document_id is None:
            continue
        document = documents.get(document_id)
        if document is None:
            document = documents[document_id] = _Document(document_state)
            agreement.documents.append(document)
        party, voided_at, void_reason = row[6:]
        if party is not None:
            document.signatures.append(_Signature(party, voided_at, void_reason or ""))
    return list(found.values())


def _note_signature_due(placement: HomePlacement, agreement: _Agreement) -> None:
    """The first (newest) awaiting or active agreement with a document that waits for her
    signature, and who voided her earlier signature on it (None when she never signed it)."""
    if placement.agreement_to_sign is not None or agreement.state not in (
        AgreementState.AWAITING_SIGNATURES,
        AgreementState.ACTIVE,
    ):
        return
    for document in agreement.documents:
        if Party.STUDENT in due_parties(cast(Any, document), agreement.signing_order):
            voided = [s for s in document.signatures if s.party == Party.STUDENT and s.voided_at]
            placement.agreement_to_sign = agreement.id
            placement.voided_by = voided[-1].void_reason if voided else None
            return


def _value(member: Any) -> str:
    return str(getattr(member, "value", member))
