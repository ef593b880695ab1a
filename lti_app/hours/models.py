"""The hours a student logs at a placement, approved per week by the mentor."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.placements.models import enum_values


class HourKind(enum.StrEnum):
    OBSERVATION = "observation"
    CO_TEACHING = "co_teaching"
    OWN_LESSON = "own_lesson"
    OTHER = "other"


class HourState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class HourEntry(Base):
    """A day or lesson the student logs; the mentor approves a week or rejects with a reason."""

    __tablename__ = "hour_entry"
    # The coach's pipeline reads its totals and deciders from this index alone (migration 0011).
    __table_args__ = (
        Index("ix_hour_entry_pipeline", "placement_id", "decided_by_mentor_id", "state", "minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[HourKind] = mapped_column(
        Enum(HourKind, native_enum=False, length=20, values_callable=enum_values)
    )
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[HourState] = mapped_column(
        Enum(HourState, native_enum=False, length=20, values_callable=enum_values),
        default=HourState.PENDING,
    )
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
