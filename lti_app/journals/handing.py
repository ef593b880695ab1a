"""Handing in an assignment: how far a student is (entries submitted of those asked, the final
reflection), and the hand-in itself: OPEN or RESUBMIT → SUBMITTED, one attempt more.

A hand-in is one conditional UPDATE, so a double click or a second tab hands in once; the
review row is made at the first hand-in (never by only looking), or at the coach's first visit
of the student's review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.journals import telling
from lti_app.journals.models import (
    EntryState,
    JournalAssignment,
    JournalEntry,
    JournalReview,
    ReviewState,
)
from lti_app.placements.models import Placement, PlacementState

HANDABLE = (ReviewState.OPEN, ReviewState.RESUBMIT)


@dataclass(frozen=True)
class Progress:
    entries: int  # submitted entries, not counting the final reflection
    required: int
    final: bool  # a submitted final reflection
    final_required: bool

    @property
    def complete(self) -> bool:
        return self.entries >= self.required and (self.final or not self.final_required)

    @property
    def shown_entries(self) -> int:
        """ "4/6": more than asked reads as done, not as 8/6."""
        return min(self.entries, self.required)

    def missing(self) -> list[str]:
        """What is still missing, one sentence each (empty when complete)."""
        said = []
        short = self.required - self.entries
        if short > 0:
            said.append(
                ngettext(
                    "%(num)d more submitted reflection is asked.",
                    "%(num)d more submitted reflections are asked.",
                    short,
                )
            )
        if self.final_required and not self.final:
            said.append(_("The final reflection has not been submitted yet."))
        return said


def submitted_entries(session: Session, course_id: int, student_id: int) -> list[JournalEntry]:
    """The student's submitted entries on her placements in the course, oldest first."""
    return list(
        session.scalars(
            select(JournalEntry)
            .join(Placement, Placement.id == JournalEntry.placement_id)
            .where(
                Placement.course_id == course_id,
                JournalEntry.student_id == student_id,
                JournalEntry.state == EntryState.SUBMITTED,
            )
            .order_by(JournalEntry.is_final, JournalEntry.submitted_at, JournalEntry.id)
        )
    )


def progress(session: Session, assignment: JournalAssignment, student_id: int) -> Progress:
    rows = session.execute(
        select(JournalEntry.is_final, func.count())
        .join(Placement, Placement.id == JournalEntry.placement_id)
        .where(
            Placement.course_id == assignment.course_id,
            JournalEntry.student_id == student_id,
            JournalEntry.state == EntryState.SUBMITTED,
        )
        .group_by(JournalEntry.is_final)
    ).all()
    counted = {bool(is_final): int(n) for is_final, n in rows}
    return Progress(
        entries=counted.get(False, 0),
        required=assignment.entries_required,
        final=counted.get(True, 0) > 0,
        final_required=assignment.final_required,
    )


def student_placement(session: Session, course_id: int, student_id: int) -> Placement | None:
    """The student's approved placement in the course (the newest, if several)."""
    return session.scalars(
        select(Placement)
        .where(
            Placement.course_id == course_id,
            Placement.student_id == student_id,
            Placement.state == PlacementState.APPROVED,
        )
        .order_by(Placement.id.desc())
    ).first()


def review_of(session: Session, assignment_id: int, student_id: int) -> JournalReview | None:
    return session.scalars(
        select(JournalReview).where(
            JournalReview.assignment_id == assignment_id, JournalReview.student_id == student_id
        )
    ).first()


def review_made(session: Session, assignment: JournalAssignment, student_id: int) -> JournalReview:
    """The student's review of the assignment, made (OPEN) if there is none yet; a concurrent
    maker's row is taken rather than a second one (the caller commits)."""
    found = review_of(session, assignment.id, student_id)
    if found is not None:
        return found
    placement = student_placement(session, assignment.course_id, student_id)
    try:
        with session.begin_nested():
            made = JournalReview(
                assignment_id=assignment.id,
                student_id=student_id,
                placement_id=placement.id if placement else None,
                state=ReviewState.OPEN,
                attempt=0,
                rubric_points={},
                comment="",
                resubmit_reason="",
                released_comment="",
            )
            session.add(made)
    except IntegrityError:
        found = review_of(session, assignment.id, student_id)
        assert found is not None
        return found
    return made


class NotHandable(Exception):
    """The review is already handed in (waiting, or graded)."""


def hand_in(
    session: Session, assignment: JournalAssignment, student_id: int, *, now: datetime
) -> JournalReview:
    """Hand the student's work in: SUBMITTED, attempt + 1, submitted now (the caller commits).

    :raise NotHandable: it is already handed in or graded.
    """
    review = review_made(session, assignment, student_id)
    placement = student_placement(session, assignment.course_id, student_id)
    done = session.execute(
        update(JournalReview)
        .where(JournalReview.id == review.id, JournalReview.state.in_(HANDABLE))
        .values(
            state=ReviewState.SUBMITTED,
            attempt=JournalReview.attempt + 1,
            submitted_at=now,
            placement_id=placement.id if placement else review.placement_id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise NotHandable(review.id)
    session.refresh(review)
    telling.handed_in(session, review)
    return review
