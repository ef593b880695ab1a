"""The grading queue: per assignment of a course, everything handed in and waiting for the coach
(oldest first, resubmissions marked), with counts of the rest; and a review's neighbours in it,
for next/previous.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lti_app.journals.models import JournalAssignment, JournalReview, ReviewState
from lti_app.roster.models import Person


@dataclass(frozen=True)
class Waiting:
    review_id: int
    student: str
    submitted_at: datetime | None
    attempt: int

    @property
    def resubmission(self) -> bool:
        return self.attempt > 1


@dataclass
class AssignmentQueue:
    assignment: JournalAssignment
    waiting: list[Waiting] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    # Finished but not released (or changed since): the coach may still release these.
    unreleased: list[Waiting] = field(default_factory=list)

    @property
    def resubmissions(self) -> int:
        return sum(1 for w in self.waiting if w.resubmission)


def _waiting_query(assignment_ids: list[int]) -> Select[JournalReview, Person]:
    return (
        select(JournalReview, Person)
        .join(Person, Person.id == JournalReview.student_id)
        .where(
            JournalReview.assignment_id.in_(assignment_ids),
            JournalReview.state == ReviewState.SUBMITTED,
        )
        .order_by(JournalReview.submitted_at, JournalReview.id)
    )


def course_queue(session: Session, assignments: list[JournalAssignment]) -> list[AssignmentQueue]:
    """The queue of each of the given assignments (of one course), in their order."""
    queues = {a.id: AssignmentQueue(a) for a in assignments}
    if not queues:
        return []
    ids = list(queues)
    for review, person in session.execute(_waiting_query(ids)):
        queues[review.assignment_id].waiting.append(
            Waiting(review.id, person.display_name, review.submitted_at, review.attempt)
        )
    rows = session.execute(
        select(JournalReview, Person)
        .join(Person, Person.id == JournalReview.student_id)
        .where(JournalReview.assignment_id.in_(ids))
        .order_by(JournalReview.graded_at, JournalReview.id)
    )
    for review, person in rows:
        queue = queues[review.assignment_id]
        queue.counts[str(review.state)] += 1
        if review.released_at is not None:
            queue.counts["released"] += 1
        if review.state == ReviewState.GRADED and (
            review.released_at is None
            or review.grade != review.released_grade
            or review.comment != review.released_comment
        ):
            queue.unreleased.append(
                Waiting(review.id, person.display_name, review.submitted_at, review.attempt)
            )
    return list(queues.values())


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None
    position: int | None  # 1-based place in the waiting list, None when not waiting
    total: int


def neighbours(session: Session, review: JournalReview) -> Neighbours:
    """The reviews before and after this one in its assignment's waiting list; from a review
    that is not waiting (graded, asked back), "next" is the oldest one waiting."""
    ids = list(
        session.scalars(
            select(JournalReview.id)
            .where(
                JournalReview.assignment_id == review.assignment_id,
                JournalReview.state == ReviewState.SUBMITTED,
            )
            .order_by(JournalReview.submitted_at, JournalReview.id)
        )
    )
    if review.id not in ids:
        return Neighbours(None, ids[0] if ids else None, None, len(ids))
    i = ids.index(review.id)
    return Neighbours(
        ids[i - 1] if i > 0 else None,
        ids[i + 1] if i + 1 < len(ids) else None,
        i + 1,
        len(ids),
    )
