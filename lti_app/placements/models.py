"""Schools (workplaces), placements, school mentors (external guests), invitations, guest
sessions and hours.

A placement ties one student of a course to a school, one or more mentors and a coach. Mentors
have no LMS account: a mentor is one person across placements and courses, known by e-mail.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.roster.models import Course, Person


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in enum_class]


class Track(enum.StrEnum):
    STAGE = "stage"
    WORKPLACE_LEARNING = "werkplekleren"
    LIO = "lio"


class PlacementState(enum.StrEnum):
    """proposed (by the student) → approved, or returned with a reason (and proposed again)."""

    PROPOSED = "proposed"
    RETURNED = "returned"
    APPROVED = "approved"


class InvitationState(enum.StrEnum):
    SENT = "sent"
    OPENED = "opened"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    BOUNCED = "bounced"


class HourKind(enum.StrEnum):
    OBSERVATION = "observation"
    CO_TEACHING = "co_teaching"
    OWN_LESSON = "own_lesson"
    OTHER = "other"


class HourState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class School(Base):
    """A workplace, reused across courses and years."""

    __tablename__ = "school"
    # The Flemish instellingsnummer: unique in a college's directory when given (NULLs do not
    # collide); two colleges keep directories of their own.
    __table_args__ = (UniqueConstraint("college_id", "institution_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    institution_number: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Mentor(Base):
    """A school mentor: an external guest of one college, across its placements and courses."""

    __tablename__ = "mentor"
    # A guest of one college: a teacher who mentors for two colleges has two guest identities,
    # so nothing one college writes about them is shown to the other.
    __table_args__ = (UniqueConstraint("college_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    name: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # No subject here: what a mentor teaches is said per placement (PlacementMentor.subject),
    # so two students naming the same mentor each keep their own.
    locale: Mapped[str] = mapped_column(String(10), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def get_id(self) -> str:
        """Flask-Login identity: kept apart from LMS people by its prefix."""
        return f"mentor:{self.id}"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    is_authenticated = True
    is_active = True
    is_anonymous = False


class Placement(Base):
    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    track: Mapped[Track] = mapped_column(
        Enum(Track, native_enum=False, length=20, values_callable=_values)
    )
    state: Mapped[PlacementState] = mapped_column(
        Enum(PlacementState, native_enum=False, length=20, values_callable=_values),
        default=PlacementState.APPROVED,
    )
    return_reason: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    subjects: Mapped[str] = mapped_column(String(300), default="")
    grade_levels: Mapped[str] = mapped_column(String(200), default="")
    planned_observation_hours: Mapped[int] = mapped_column(Integer, default=0)
    planned_co_teaching_hours: Mapped[int] = mapped_column(Integer, default=0)
    planned_own_lessons: Mapped[int] = mapped_column(Integer, default=0)
    planned_hours: Mapped[int] = mapped_column(Integer, default=0)
    risk_analysis_done: Mapped[bool] = mapped_column(Boolean, default=False)
    workstation_sheet_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_reference: Mapped[str] = mapped_column(String(100), default="")
    lio_appointment: Mapped[str] = mapped_column(String(200), default="")
    lio_teaching_hours: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    student: Mapped[Person] = relationship(foreign_keys=[student_id])
    coach: Mapped[Person | None] = relationship(foreign_keys=[coach_id])
    school: Mapped[School] = relationship()
    mentor_links: Mapped[list[PlacementMentor]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="PlacementMentor.id"
    )


class PlacementMentor(Base):
    __tablename__ = "placement_mentor"
    __table_args__ = (UniqueConstraint("placement_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    # The subject this mentor teaches the student of this placement: the placement's, not the
    # mentor's (one mentor can teach Wiskunde to one student and Fysica to another).
    subject: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    placement: Mapped[Placement] = relationship(back_populates="mentor_links")
    mentor: Mapped[Mentor] = relationship()


class MentorInvitation(Base):
    """A personal sign-in link for a mentor. Only the SHA-256 of its token is stored."""

    __tablename__ = "mentor_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[InvitationState] = mapped_column(
        Enum(InvitationState, native_enum=False, length=20, values_callable=_values),
        default=InvitationState.SENT,
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_id: Mapped[int | None] = mapped_column(Integer)  # the OutgoingMail that carried it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[Mentor] = relationship()
    placement: Mapped[Placement | None] = relationship()


class GuestSession(Base):
    """A mentor signed in on one device, kept on the server so that it can be ended.

    The browser holds a random secret; only its SHA-256 is stored. Ended (sign-out, or "sign
    out everywhere" by the mentor or a coach) or past ``expires_at``, it signs nobody in.
    """

    __tablename__ = "guest_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    # The link that signed this device in.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("mentor_invitation.id"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Enough to tell one's own devices apart ("Chrome", "Android"); not the whole User-Agent.
    browser: Mapped[str] = mapped_column(String(40), default="")
    system: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(60))  # mentor:<id>, person:<id>, system

    mentor: Mapped[Mentor] = relationship()


class HourEntry(Base):
    """A day or lesson the student logs; the mentor approves a week or rejects with a reason."""

    __tablename__ = "hour_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[HourKind] = mapped_column(
        Enum(HourKind, native_enum=False, length=20, values_callable=_values)
    )
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[HourState] = mapped_column(
        Enum(HourState, native_enum=False, length=20, values_callable=_values),
        default=HourState.PENDING,
    )
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChangeRecord(Base):
    """Every change to a placement, an hour entry or an invitation: who, what, when, before/after."""

    __tablename__ = "change_record"
    __table_args__ = (Index("ix_change_record_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))  # placement, hour_entry, invitation
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # created, updated, approved, rejected, …
    actor: Mapped[str] = mapped_column(String(60))  # person:<id>, mentor:<id>, system
    changes: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
