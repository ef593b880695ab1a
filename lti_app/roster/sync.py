"""Roster sync as a job: started on a coach's launch (at most every ROSTER_SYNC_MINUTES) or on demand.

The job asks the LMS (NRPS, through lti.services) and writes what it learned; its progress and
result stay on the job row, so the coach's page can show them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.jobs.models import Job
from lti_app.jobs.service import JobError, PermanentJobError, ProgressCallback, enqueue, job_handler
from lti_app.lti.services import LtiServiceError, service_client
from lti_app.roster.models import Course
from lti_app.roster.service import sync_roster

KIND = "roster.sync"


def _key(course: Course) -> str:
    return f"roster-sync:course:{course.id}"


def latest_sync(session: Session, course: Course) -> Job | None:
    """The newest roster sync of the course, finished or not."""
    return session.scalars(
        select(Job).where(Job.dedupe_key == _key(course)).order_by(Job.id.desc()).limit(1)
    ).first()


def request_sync(
    session: Session, course: Course, *, min_interval: timedelta | None = None
) -> Job | None:
    """Queue a sync unless one waits already (or, with ``min_interval``, ran that recently).

    Returns the job that will bring the roster up to date, or None when the LMS offers no
    roster service for this course. The caller commits.
    """
    if not course.nrps_url:
        return None
    if min_interval is not None:
        latest = latest_sync(session, course)
        if latest is not None and latest.created_at > utcnow() - min_interval:
            return latest
    return enqueue(session, KIND, {"course_id": course.id}, dedupe_key=_key(course), max_attempts=5)


@job_handler(KIND)
def run_sync(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    course = session.get(Course, int(payload["course_id"]))
    if course is None:
        raise PermanentJobError("course no longer exists")
    try:
        with service_client(session, course.platform) as client:
            summary = sync_roster(session, course, client, progress=progress)
    except LtiServiceError as exc:
        if exc.retryable:
            raise JobError(f"roster service: {exc.reason}") from exc
        raise PermanentJobError(f"roster service: {exc.reason}") from exc
    return asdict(summary)
