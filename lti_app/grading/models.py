"""Line items (a gradebook column in the LMS) and scores waiting for, or delivered to, it.

A score row is written in the same transaction as the coach's release: it is the durable record
of what the gradebook must show. The worker (grading/sync.py) sends the newest ``version`` of a
row and records ``sent_version``; a regrade bumps ``version`` and ``timestamp`` (strictly later
than the one sent before, AGS 2.0 §3.4.7: a platform ignores an older timestamp).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import Enum

from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.roster.models import Course, Person


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in enum_class]


class LineItem(Base):
    """A gradebook column of a course in the LMS, as Driehoek knows it.

    ``url`` is the line item's own URL at the LMS once known: from the launch's AGS claim
    (``lineitem``), found among the course's line items by resource link or ``resource_id``,
    or created by us (never a second one for the same resource).
    """

    __tablename__ = "grading_line_item"
    __table_args__ = (
        UniqueConstraint("course_id", "resource_id"),
        Index("ix_grading_line_item_course_link", "course_id", "resource_link_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    # What the tool calls this column (AGS resourceId) and its kind (AGS tag).
    resource_id: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str] = mapped_column(String(100), default="")
    label: Mapped[str] = mapped_column(String(300), default="")
    score_maximum: Mapped[float] = mapped_column(Float, default=20.0)
    # The LMS's resource link that carries it (AGS resourceLinkId), once a launch told us.
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()


class SyncState(enum.StrEnum):
    PENDING = "pending"  # released, not yet in the gradebook (also between retries)
    SENT = "sent"  # the newest version is in the gradebook since sent_at
    FAILED = "failed"  # the LMS refused it for a reason no retry fixes, or out of attempts
    NO_AGS = "no_ags"  # the course's LMS offers no grade service: nothing can be sent


class ScoreSync(Base):
    """The score one student should have in one line item, and how far it got."""

    __tablename__ = "grading_score"
    __table_args__ = (
        UniqueConstraint("line_item_id", "person_id"),
        Index("ix_grading_score_state", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(
        ForeignKey("grading_line_item.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    activity_progress: Mapped[str] = mapped_column(String(30), default="Completed")
    grading_progress: Mapped[str] = mapped_column(String(30), default="FullyGraded")
    # The AGS timestamp of the newest version: strictly increasing per row.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where a coach reviews this submission (Canvas's submission extension, submission review).
    review_url: Mapped[str] = mapped_column(String(1000), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    sent_version: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[SyncState] = mapped_column(
        Enum(SyncState, native_enum=False, length=20, values_callable=_values),
        default=SyncState.PENDING,
    )
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A send in flight: which worker, since when (so two workers never send one row at once).
    sending_by: Mapped[str | None] = mapped_column(String(200))
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    line_item: Mapped[LineItem] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
