"""Grades on their way to the LMS gradebook: a course's line items, and the score row that a
coach's release writes in the release's own transaction (grading/sync.py sends it).

No HTTP here: what the LMS must show is written first, and a retrying job delivers it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.grading.models import LineItem, ScoreSync, SyncState
from lti_app.jobs.models import Job
from lti_app.jobs.service import enqueue
from lti_app.roster.models import Course, Person

SEND_KIND = "grading.send"
# Per version: backoff from 10 s to an hour makes 15 attempts about seven hours of trying;
# after that the coach sees "failed" and can send it again.
SEND_ATTEMPTS = 15
DEFAULT_TAG = "reflectiejournaal"
TIMESTAMP_STEP = timedelta(milliseconds=1)
JOURNAL_RESOURCE_PREFIX = "driehoek-journal-"


def journal_resource_id(assignment_id: int) -> str:
    """The AGS ``resourceId`` of a journal assignment's gradebook column."""
    return f"{JOURNAL_RESOURCE_PREFIX}{assignment_id}"


def journal_assignment_id(resource_id: object) -> int | None:
    """The assignment id a journal resource id names, or None for anything else."""
    if not isinstance(resource_id, str) or not resource_id.startswith(JOURNAL_RESOURCE_PREFIX):
        return None
    digits = resource_id[len(JOURNAL_RESOURCE_PREFIX) :]
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


def find_or_make_line_item(
    session: Session,
    *,
    course: Course,
    resource_id: str,
    label: str,
    score_maximum: float,
    tag: str = DEFAULT_TAG,
) -> tuple[LineItem, bool]:
    """The course's line item for ``resource_id`` and whether this call made it (flushed, not
    committed). Of two first uses at once (two coaches, a release and a deep link), one makes
    the row and the other finds it: the unique (course_id, resource_id) decides."""
    found = _line_item(session, course.id, resource_id)
    if found is not None:
        return found, False
    item = LineItem(
        course_id=course.id,
        resource_id=resource_id,
        tag=tag,
        label=label[:300],
        score_maximum=score_maximum,
    )
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        found = _line_item(session, course.id, resource_id)
        if found is None:
            raise
        return found, False
    return item, True


def _line_item(session: Session, course_id: int, resource_id: str) -> LineItem | None:
    return session.scalars(
        select(LineItem).where(LineItem.course_id == course_id, LineItem.resource_id == resource_id)
    ).first()


def line_item_for(
    session: Session,
    *,
    course: Course,
    resource_id: str,
    label: str,
    score_maximum: float,
    tag: str = DEFAULT_TAG,
) -> LineItem:
    """The course's line item for ``resource_id``, made if missing (no HTTP; the caller commits).

    A label or maximum that changed is updated here; the LMS's column keeps what it was made
    with (a coach renames a gradebook column in the LMS).
    """
    item, made = find_or_make_line_item(
        session,
        course=course,
        resource_id=resource_id,
        label=label,
        score_maximum=score_maximum,
        tag=tag,
    )
    if not made:
        item.label, item.score_maximum, item.tag = label[:300], score_maximum, tag
    session.flush()
    return item


def ags_offered(line_item: LineItem) -> bool:
    """Whether the LMS told us where to send this column's scores (or where to find it)."""
    return bool(line_item.url or line_item.course.ags_lineitems_url)


def release_score(
    session: Session,
    *,
    line_item: LineItem,
    student: Person,
    score_given: float | None,
    score_maximum: float,
    comment: str,
    released_by: Person | None,
    review_url: str,
    activity_progress: str = "Completed",
    grading_progress: str = "FullyGraded",
) -> ScoreSync:
    """Write (or update) the student's score row and queue its delivery; the caller commits.

    A new version each time, with an AGS timestamp strictly later than the previous one (the
    platform ignores an older one). State PENDING, or NO_AGS when the LMS offers no grade
    service for this course: then nothing is queued and the coach is told.
    """
    now = utcnow()
    row = session.scalars(
        select(ScoreSync)
        .where(ScoreSync.line_item_id == line_item.id, ScoreSync.person_id == student.id)
        .with_for_update()
    ).first()
    if row is None:
        row = ScoreSync(
            line_item=line_item,
            person=student,
            version=1,
            sent_version=0,
            timestamp=now,
            attempts=0,
        )
        session.add(row)
    else:
        row.version += 1
        row.timestamp = max(now, row.timestamp + TIMESTAMP_STEP)
    row.score_given = score_given
    row.score_maximum = score_maximum
    row.comment = comment or ""
    row.activity_progress = activity_progress
    row.grading_progress = grading_progress
    row.review_url = review_url or ""
    row.released_by_id = released_by.id if released_by is not None else None
    row.released_at = now
    row.attempts = 0
    if row.next_try_at is None or row.next_try_at <= now:
        row.last_error = ""
        row.next_try_at = None
    # else: the platform asked us to wait (Retry-After, or our backoff): the new version waits too.
    row.state = SyncState.PENDING if ags_offered(line_item) else SyncState.NO_AGS
    session.flush()
    if row.state is SyncState.PENDING:
        queue_send(session, row)
    return row


def queue_send(session: Session, row: ScoreSync) -> Job:
    """The job that sends the row's newest version (one per version; the caller commits)."""
    job = enqueue(
        session,
        SEND_KIND,
        {"score_id": row.id, "version": row.version},
        dedupe_key=f"grading.score:{row.id}:{row.version}",
        max_attempts=SEND_ATTEMPTS,
    )
    if job.run_after > utcnow() and job.attempts > 0 and job.locked_by is None:
        job.run_after = utcnow()  # a resend: waiting out the backoff is what it is meant to skip
    return job


def resend(session: Session, row: ScoreSync) -> Job | None:
    """Queue the newest version again (after a failure, or when the coach asks); the caller
    commits. None when the LMS offers no grade service: there is nothing to send to."""
    row.state = SyncState.PENDING if ags_offered(row.line_item) else SyncState.NO_AGS
    if row.state is SyncState.NO_AGS:
        return None
    row.attempts = 0
    row.last_error = ""
    row.next_try_at = None
    if row.sent_version >= row.version:
        # In the gradebook already, and the coach asks again (a column emptied by hand in the
        # LMS): the same grade once more, with a later timestamp so the platform takes it.
        row.version += 1
        row.timestamp = max(utcnow(), row.timestamp + TIMESTAMP_STEP)
    session.flush()
    return queue_send(session, row)
