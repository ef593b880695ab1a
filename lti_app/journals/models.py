"""Prompt sets, journal entries and their versions, assignments, reviews and entry comments.

Prompt-set rows are never changed: a coordinator's saved edit adds a version per programme, and
an entry keeps the version it was written with, so a submitted entry reads as it did.

An entry is a draft while its student types (every autosave bumps ``revision``; a save naming an
older revision is refused, never merged) and read-only once submitted, until the coach asks for
a resubmission. Every submission writes a ``JournalEntryVersion``: the version history.

A ``JournalReview`` is one student's hand-in of one assignment: the coach's rubric points, grade
and comment are drafts until released; what the student sees (and what goes to the gradebook)
is the ``released_*`` copy.

The JSON shapes:
- ``JournalPrompts.sets``: ``[{"key": "alact" | "starr" | "free" | …, "title": {"nl": …, "en": …},
  "intro": {…}, "prompts": [{"key": "p1", "label": {…}, "help": {…}}]}]``
- ``JournalEntry.answers``: ``{prompt key: sanitised HTML}``
- ``JournalEntry.competencies``: ``[competency key of the programme's framework]``
- ``JournalAssignment.rubric``: ``[{"key": "r1", "label": str, "points": number}]``
- ``JournalReview.rubric_points`` / ``released_rubric_points``: ``{rubric key: number}``
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import Enum

from lti_app.colleges.models import Programme
from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.feedback.models import FeedbackForm
from lti_app.grading.models import LineItem
from lti_app.placements.models import Placement
from lti_app.roster.models import Course, Person


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in enum_class]


class JournalPrompts(Base):
    """One version of a programme's reflection prompt sets (rows are never updated)."""

    __tablename__ = "journal_prompts"
    __table_args__ = (UniqueConstraint("programme_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    sets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()


class EntryState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class JournalEntry(Base):
    """One reflection of a student on a placement."""

    __tablename__ = "journal_entry"
    __table_args__ = (Index("ix_journal_entry_placement_state", "placement_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    prompts_id: Mapped[int] = mapped_column(ForeignKey("journal_prompts.id"))
    prompt_set: Mapped[str] = mapped_column(String(40))  # a key of prompts.sets
    title: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Started from feedback received: the form, and the growth point quoted from it.
    feedback_form_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_form.id", ondelete="SET NULL"), index=True
    )
    starting_point: Mapped[str] = mapped_column(Text, default="")
    # The final reflection an assignment may ask for, besides its entries.
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[EntryState] = mapped_column(
        Enum(EntryState, native_enum=False, length=20, values_callable=_values),
        default=EntryState.DRAFT,
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    placement: Mapped[Placement] = relationship()
    student: Mapped[Person] = relationship()
    prompts: Mapped[JournalPrompts] = relationship()
    feedback_form: Mapped[FeedbackForm | None] = relationship()


class JournalEntryVersion(Base):
    """What an entry said when it was submitted (once per submission; never changed)."""

    __tablename__ = "journal_entry_version"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[JournalEntry] = relationship()


class JournalAssignment(Base):
    """What a coach asks of a course's students: so many entries and a final reflection by a
    date, judged with a rubric, out of a maximum score."""

    __tablename__ = "journal_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    entries_required: Mapped[int] = mapped_column(Integer, default=6)
    final_required: Mapped[bool] = mapped_column(Boolean, default=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    max_score: Mapped[float] = mapped_column(Float, default=20.0)
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Its gradebook column, once deep linking made one or a grade needed one.
    line_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("grading_line_item.id", ondelete="SET NULL"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    line_item: Mapped[LineItem | None] = relationship()


class ReviewState(enum.StrEnum):
    OPEN = "open"  # the student is still writing (or has not handed in)
    SUBMITTED = "submitted"  # handed in: waiting in the coach's grading queue
    RESUBMIT = "resubmit"  # the coach asked for a resubmission
    GRADED = "graded"  # the coach finished the review (released or not)


class JournalReview(Base):
    """One student's hand-in of one assignment, and the coach's review of it."""

    __tablename__ = "journal_review"
    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id"),
        Index("ix_journal_review_queue", "assignment_id", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("journal_assignment.id", ondelete="CASCADE")
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    state: Mapped[ReviewState] = mapped_column(
        Enum(ReviewState, native_enum=False, length=20, values_callable=_values),
        default=ReviewState.OPEN,
    )
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # +1 at every hand-in
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resubmit_reason: Mapped[str] = mapped_column(Text, default="")
    # The coach's working copy.
    rubric_points: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    grade: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the student sees, copied at release.
    released_rubric_points: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    released_grade: Mapped[float | None] = mapped_column(Float)
    released_comment: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[JournalAssignment] = relationship()
    student: Mapped[Person] = relationship(foreign_keys=[student_id])
    placement: Mapped[Placement | None] = relationship()


class EntryComment(Base):
    """A coach's comment on one entry in a review; the student sees it once released."""

    __tablename__ = "journal_entry_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("journal_review.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entry.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    review: Mapped[JournalReview] = relationship()
    entry: Mapped[JournalEntry] = relationship()
    author: Mapped[Person | None] = relationship()
