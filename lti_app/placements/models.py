"""Placements: one student of a course at a school, with one or more mentors and a coach; and
the change record every capability writes (who changed what, when, before and after).
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
from lti_app.schools.models import Mentor, School


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """An enum column's stored values (its members' values, not their names)."""
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


class Placement(Base):
    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    track: Mapped[Track] = mapped_column(
        Enum(Track, native_enum=False, length=20, values_callable=enum_values)
    )
    state: Mapped[PlacementState] = mapped_column(
        Enum(PlacementState, native_enum=False, length=20, values_callable=enum_values),
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
