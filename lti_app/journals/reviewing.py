"""The coach's review of one hand-in, without the web: the working copy (rubric points, grade,
overall comment, a comment per entry), asking for a resubmission, and the release that copies
the working copy to what the student sees and hands the score to the gradebook sync in the same
transaction.

Comments: per review and entry there is at most one released row (what the student reads) and
at most one unreleased row (the coach's working copy). Editing a released comment writes a new
unreleased row; the release replaces the released one with it. So the student never reads a
word the coach has not released.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.feedback.editing import Errors
from lti_app.grading.models import ScoreSync
from lti_app.grading.service import journal_resource_id, line_item_for, release_score
from lti_app.journals import telling
from lti_app.journals.assignments import number, shown_number
from lti_app.journals.models import (
    EntryComment,
    JournalAssignment,
    JournalReview,
    ReviewState,
)
from lti_app.roster.models import Person

COMMENT_MAX = 10_000
REASON_MAX = 2_000


# -- comments ----------------------------------------------------------------------------------


@dataclass
class EntryComments:
    draft: EntryComment | None = None
    released: EntryComment | None = None

    @property
    def working(self) -> str:
        """What the coach's box shows: her unreleased words, else the released ones."""
        if self.draft is not None:
            return self.draft.body
        return self.released.body if self.released is not None else ""

    @property
    def unreleased_change(self) -> bool:
        return self.draft is not None and (
            self.released is None or self.draft.body != self.released.body
        )


def comments_of(session: Session, review_id: int) -> dict[int, EntryComments]:
    found: dict[int, EntryComments] = {}
    for c in session.scalars(
        select(EntryComment).where(EntryComment.review_id == review_id).order_by(EntryComment.id)
    ):
        slot = found.setdefault(c.entry_id, EntryComments())
        if c.released_at is None:
            slot.draft = c
        else:
            slot.released = c
    return found


def set_comment(
    session: Session,
    review: JournalReview,
    entry_id: int,
    body: str,
    *,
    author_id: int | None,
    existing: dict[int, EntryComments],
) -> None:
    """The coach's working comment on one entry (released comments are never changed here)."""
    slot = existing.setdefault(entry_id, EntryComments())
    if slot.working == body:
        return
    if slot.draft is None:
        if not body and slot.released is None:
            return
        slot.draft = EntryComment(
            review_id=review.id, entry_id=entry_id, author_id=author_id, body=body
        )
        session.add(slot.draft)
    else:
        slot.draft.body = body
        slot.draft.author_id = author_id


def released_comments(session: Session, review_id: int) -> list[EntryComment]:
    """What the student reads: released comments only, in entry order."""
    return list(
        session.scalars(
            select(EntryComment)
            .where(EntryComment.review_id == review_id, EntryComment.released_at.is_not(None))
            .where(EntryComment.body != "")
            .order_by(EntryComment.entry_id)
        )
    )


def _release_comments(session: Session, review: JournalReview, now: datetime) -> None:
    for slot in comments_of(session, review.id).values():
        if slot.draft is None:
            continue
        if slot.released is not None:
            session.delete(slot.released)
        slot.draft.released_at = now


# -- the working copy --------------------------------------------------------------------------


@dataclass
class Grading:
    """The coach's form as typed (text kept for the page) and as read."""

    points: dict[str, str]
    grade: str
    comment: str
    comments: dict[int, str]
    reason: str = ""


def grading_from(review: JournalReview, comments: dict[int, EntryComments]) -> Grading:
    return Grading(
        points={k: shown_number(float(v)) for k, v in (review.rubric_points or {}).items()},
        grade=shown_number(review.grade),
        comment=review.comment,
        comments={entry_id: slot.working for entry_id, slot in comments.items()},
        reason=review.resubmit_reason,
    )


def read_grading(
    form: Mapping[str, str], assignment: JournalAssignment, entry_ids: list[int]
) -> Grading:
    return Grading(
        points={
            str(r["key"]): (form.get(f"points-{r['key']}") or "").strip() for r in assignment.rubric
        },
        grade=(form.get("grade") or "").strip(),
        comment=(form.get("comment") or "").strip(),
        comments={i: (form.get(f"comment-{i}") or "").strip() for i in entry_ids},
        reason=(form.get("reason") or "").strip(),
    )


@dataclass(frozen=True)
class Checked:
    points: dict[str, float]
    grade: float | None


def check_grading(grading: Grading, assignment: JournalAssignment) -> tuple[Checked, Errors]:
    """Points within each row's, a grade within the maximum; a blank grade is the rubric's
    total (capped at the maximum) once any points are given."""
    errors: Errors = {}
    points: dict[str, float] = {}
    for row in assignment.rubric:
        key = str(row["key"])
        raw = grading.points.get(key, "")
        if not raw:
            continue
        try:
            value = number(raw)
        except ValueError:
            errors[f"points-{key}"] = _l("Enter a number, e.g. 4 or 3,5.")
            continue
        if value > float(row["points"]):
            errors[f"points-{key}"] = _l(
                "At most %(most)s points for this row.", most=shown_number(float(row["points"]))
            )
            continue
        points[key] = value
    grade: float | None = None
    if grading.grade:
        try:
            grade = number(grading.grade)
        except ValueError:
            errors["grade"] = _l("Enter a number, e.g. 15 or 14,5.")
        else:
            if grade > assignment.max_score:
                errors["grade"] = _l(
                    "At most %(most)s: the assignment's maximum score.",
                    most=shown_number(assignment.max_score),
                )
    elif points:
        grade = min(float(sum(points.values())), assignment.max_score)
    if len(grading.comment) > COMMENT_MAX:
        errors["comment"] = _l("At most %(limit)d characters.", limit=COMMENT_MAX)
    if len(grading.reason) > REASON_MAX:
        errors["reason"] = _l("At most %(limit)d characters.", limit=REASON_MAX)
    for entry_id, body in grading.comments.items():
        if len(body) > COMMENT_MAX:
            errors[f"comment-{entry_id}"] = _l("At most %(limit)d characters.", limit=COMMENT_MAX)
    return Checked(points, grade), errors


def save_working_copy(
    session: Session,
    review: JournalReview,
    grading: Grading,
    checked: Checked,
    *,
    coach_id: int,
    now: datetime,
) -> None:
    """The coach's draft: nothing of it reaches the student (the caller commits)."""
    review.rubric_points = dict(checked.points)
    review.grade = checked.grade
    review.comment = grading.comment
    if review.state != ReviewState.RESUBMIT:
        # A reason typed but not sent is kept as typed; the student reads a reason only while
        # she is asked to hand in again (then it changes only by asking again).
        review.resubmit_reason = grading.reason
    review.graded_by_id = coach_id
    review.updated_at = now
    existing = comments_of(session, review.id)
    for entry_id, body in grading.comments.items():
        set_comment(session, review, entry_id, body, author_id=coach_id, existing=existing)
    session.flush()


def mark_graded(review: JournalReview, *, now: datetime) -> None:
    """Finished, not released: it leaves the waiting queue; the student sees nothing of it."""
    review.state = ReviewState.GRADED
    review.graded_at = now


def unreleased_changes(review: JournalReview, comments: dict[int, EntryComments]) -> bool:
    """Something in the working copy the student does not see yet (after a release: a regrade)."""
    if review.released_at is None:
        return review.grade is not None or bool(review.comment) or bool(review.rubric_points)
    return (
        review.grade != review.released_grade
        or review.comment != review.released_comment
        or dict(review.rubric_points or {}) != dict(review.released_rubric_points or {})
        or any(slot.unreleased_change for slot in comments.values())
    )


# -- resubmission and release ------------------------------------------------------------------


def ask_resubmission(
    session: Session, review: JournalReview, reason: str, *, now: datetime, coach_id: int
) -> None:
    """Back to the student with a reason; the comments on her entries go with it (released),
    the grade does not (the caller commits)."""
    review.state = ReviewState.RESUBMIT
    review.resubmit_reason = reason
    review.updated_at = now
    _release_comments(session, review, now)
    telling.resubmission_asked(session, review, coach_id)


class NothingToRelease(Exception):
    """A release without a grade."""


def release(
    session: Session,
    review: JournalReview,
    *,
    coach: Person,
    review_url: str,
    now: datetime,
) -> ScoreSync:
    """Copy the working copy to what the student sees and write the gradebook's score row, in
    the caller's transaction (the caller commits both, or neither).

    :raise NothingToRelease: the review has no grade.
    """
    if review.grade is None:
        raise NothingToRelease(review.id)
    assignment = review.assignment
    review.released_grade = review.grade
    review.released_rubric_points = dict(review.rubric_points or {})
    review.released_comment = review.comment
    review.released_at = now
    review.released_by_id = coach.id
    review.state = ReviewState.GRADED
    review.graded_at = review.graded_at or now
    review.updated_at = now
    _release_comments(session, review, now)
    line_item = line_item_for(
        session,
        course=assignment.course,
        resource_id=journal_resource_id(assignment.id),
        label=assignment.title,
        score_maximum=assignment.max_score,
    )
    assignment.line_item_id = line_item.id
    score = release_score(
        session,
        line_item=line_item,
        student=review.student,
        score_given=review.grade,
        score_maximum=assignment.max_score,
        comment=review.comment,
        released_by=coach,
        review_url=review_url,
    )
    telling.released(session, review, coach.id)
    session.flush()
    return score


# -- what the student sees ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReleasedRow:
    label: str
    points: float | None
    out_of: float


def released_rows(review: JournalReview) -> list[ReleasedRow]:
    """The released rubric points, labelled with the assignment's current rows."""
    given: dict[str, Any] = review.released_rubric_points or {}
    return [
        ReleasedRow(
            str(r["label"]),
            float(given[str(r["key"])]) if str(r["key"]) in given else None,
            float(r["points"]),
        )
        for r in review.assignment.rubric
    ]
