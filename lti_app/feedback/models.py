"""The competency framework, form templates, feedback requests, forms and attachments.

Framework and template rows are never changed: a coordinator's saved edit adds a version, and a
form keeps the template version (and through it the framework version) it was made with, so a
submitted form reads exactly as it did when it was submitted.

A form is a draft while its author types (every autosave bumps ``revision``; a save that names an
older revision is refused rather than overwriting what another device saved) and read-only once
submitted. A correction is a new form of the same ``series_id`` with the next ``version``; the one
it replaces gets ``superseded_at`` and stays readable.

The JSON shapes (read through lti_app/feedback/blocks.py):
- ``CompetencyFramework.competencies``: ``[{"key": "fg1", "group": "fg" | "attitude",
  "title": {"nl": …, "en": …}, "indicators": {"nl": [...], "en": [...]}}]``
- ``FeedbackTemplate.scale``: ``[{"key": "kwaliteit", "value": 4, "label": {"nl": …, "en": …}}]``
  from the highest level down; "not observed" is always offered besides and has no value.
- ``FeedbackTemplate.blocks``: ``[{"key": "b1", "type": "scale" | "text" | "checklist" |
  "heading", "label": {…}, "help": {…}, "competency": "fg1" | None, "required": bool,
  "options": [{"key": …, "label": {…}}]}]``
- ``FeedbackForm.answers``: ``{block key: scale level key or "not_observed" | text |
  [checked option keys]}`` plus ``{"<block key>:comment": text}`` for a scale item's comment.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import Enum

from lti_app.colleges.models import Programme
from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in enum_class]


class FormKind(enum.StrEnum):
    LESSON_OBSERVATION = "lesson_observation"
    LESSON_PLAN = "lesson_plan"
    MIDTERM = "midterm"
    FINAL = "final"  # with the mentor's advice, which the coach sees when grading
    VISIT = "visit"  # the coach's visit report


class FilledBy(enum.StrEnum):
    MENTOR = "mentor"
    COACH = "coach"


class CompetencyFramework(Base):
    """One version of a programme's competency framework (rows are never updated)."""

    __tablename__ = "competency_framework"
    __table_args__ = (UniqueConstraint("programme_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    competencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()


class FeedbackTemplate(Base):
    """One version of one kind of form of a programme (rows are never updated)."""

    __tablename__ = "feedback_template"
    __table_args__ = (UniqueConstraint("programme_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FormKind] = mapped_column(
        Enum(FormKind, native_enum=False, length=30, values_callable=_values)
    )
    version: Mapped[int] = mapped_column(Integer)
    # The framework version its scale items name competencies of.
    framework_id: Mapped[int] = mapped_column(ForeignKey("competency_framework.id"))
    filled_by: Mapped[FilledBy] = mapped_column(
        Enum(FilledBy, native_enum=False, length=20, values_callable=_values)
    )
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # {"nl": …, "en": …}
    scale: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
    framework: Mapped[CompetencyFramework] = relationship()


class RequestState(enum.StrEnum):
    OPEN = "open"  # waiting for the mentor
    ANSWERED = "answered"  # a form was submitted for it
    WITHDRAWN = "withdrawn"  # the student took it back


class FeedbackRequest(Base):
    """A student asks a mentor of her placement for feedback on a lesson."""

    __tablename__ = "feedback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    kind: Mapped[FormKind] = mapped_column(
        Enum(FormKind, native_enum=False, length=30, values_callable=_values),
        default=FormKind.LESSON_OBSERVATION,
    )
    lesson_date: Mapped[date | None] = mapped_column(Date)
    class_name: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    focus: Mapped[list[str]] = mapped_column(JSON, default=list)  # competency keys
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[RequestState] = mapped_column(
        Enum(RequestState, native_enum=False, length=20, values_callable=_values),
        default=RequestState.OPEN,
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    placement: Mapped[Placement] = relationship()


class FormState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class FeedbackForm(Base):
    """One version of a feedback form on a placement, by a mentor or (a visit) by the coach."""

    __tablename__ = "feedback_form"
    __table_args__ = (
        CheckConstraint(
            "(author_mentor_id IS NULL) <> (author_person_id IS NULL)", name="one_author"
        ),
        UniqueConstraint("series_id", "version"),
        Index("ix_feedback_form_placement_state", "placement_id", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_request.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("feedback_template.id"))
    author_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"), index=True)
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    lesson_date: Mapped[date | None] = mapped_column(Date)
    class_name: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # +1 on every save; a save based on an older revision is a conflict, never an overwrite.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[FormState] = mapped_column(
        Enum(FormState, native_enum=False, length=20, values_callable=_values),
        default=FormState.DRAFT,
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Corrections: every version of one form shares series_id (the first version's id).
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The student's response and the follow-up actions she noted.
    student_response: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    placement: Mapped[Placement] = relationship()
    template: Mapped[FeedbackTemplate] = relationship()
    request: Mapped[FeedbackRequest | None] = relationship(foreign_keys=[request_id])
    author_mentor: Mapped[Mentor | None] = relationship()
    author_person: Mapped[Person | None] = relationship()

    @property
    def author_name(self) -> str:
        if self.author_mentor is not None:
            return self.author_mentor.display_name
        return self.author_person.display_name if self.author_person is not None else ""


class FeedbackAttachment(Base):
    """A file on a placement (a lesson plan with a request, a photo with a form), its bytes kept
    in the database like the signed PDFs, so every app server sees them."""

    __tablename__ = "feedback_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    # What it belongs to: a request (the lesson plan) or a form; neither while being uploaded.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_request.id"), index=True)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_form.id"), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(60))  # person:<id> or mentor:<id>
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackLevel(Base):
    """The level a submitted form gives one competency (growth.py's point: its scale items on
    that competency together, "not observed" left out), written when the form is submitted, so
    the course view reads levels in SQL instead of decoding every form's answers.

    ``latest`` marks, per placement and competency, the newest level (day, then form id) among
    the placement's current submitted forms; growth.record_levels sets it again for the whole
    placement whenever one of its forms is submitted, so a correction moves it (a replaced
    version's rows stay, never latest)."""

    __tablename__ = "feedback_level"
    __table_args__ = (Index("ix_feedback_level_placement_latest", "placement_id", "latest"),)

    form_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_form.id", ondelete="CASCADE"), primary_key=True
    )
    competency: Mapped[str] = mapped_column(String(100), primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("feedback_template.id"))  # its form's
    level: Mapped[str] = mapped_column(String(100))  # the key in the form's template's scale
    value: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # the lesson's date, else the Brussels date submitted
    latest: Mapped[bool] = mapped_column(Boolean, default=False)
