"""The job queue's domain logic: handlers by kind, enqueueing, retry timing, reading jobs back.

Enqueueing adds the job to the caller's session and does not commit: the job exists exactly when
the change that asked for it does (write the row first, let a retrying job act on it).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.jobs.models import (
    DEFAULT_MAX_ATTEMPTS,
    UNFINISHED,
    UNFINISHED_SQL,
    Job,
    JobState,
)

RETRY_BASE_SECONDS = 10
RETRY_CAP_SECONDS = 60 * 60
ERROR_TEXT_LENGTH = 500


class JobError(Exception):
    """A failure whose message is safe to store and show: the job is tried again later."""


class PermanentJobError(JobError):
    """A failure no retry can fix (bad payload, record gone): the job fails at once."""


class RetryLater(JobError):
    """Try again ``after`` this long, not after the usual backoff (a platform's Retry-After,
    a record another worker is busy with). Counts as an attempt like any failure."""

    def __init__(self, message: str, after: timedelta):
        super().__init__(message)
        self.after = max(after, timedelta(0))


class JobLost(Exception):
    """This worker no longer owns the job (its lease expired and another worker took it)."""


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int | None = None) -> None: ...


Handler = Callable[[Session, dict[str, Any], ProgressCallback], dict[str, Any] | None]
# Called in the transaction that records a failed attempt: (session, payload, error, gave_up).
FailureHook = Callable[[Session, dict[str, Any], str, bool], None]


@dataclass(frozen=True)
class Registration:
    kind: str
    run: Handler
    on_failure: FailureHook | None = None


HANDLERS: dict[str, Registration] = {}


def job_handler(
    kind: str, *, on_failure: FailureHook | None = None
) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``.

    It is called as ``handler(session, payload, progress)`` in a session of its own; what it
    changes commits together with the job's completion, or not at all when it raises. It may
    return a small JSON dict, kept as the job's result. ``progress(done, total)`` makes progress
    visible, extends the job's lease and commits the work so far, so a long handler calls it
    every few minutes and must be safe to run again from the start (jobs run at least once).
    """

    def register(handler: Handler) -> Handler:
        known = HANDLERS.get(kind)
        if known is not None and known.run is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        HANDLERS[kind] = Registration(kind, handler, on_failure)
        return handler

    return register


def retry_delay(
    attempts: int,
    *,
    base: float = RETRY_BASE_SECONDS,
    cap: float = RETRY_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: about 10 s · 2^(attempts−1).

    The wait lies between half and all of that (capped at an hour), so a thousand mails that
    failed together while the mail server was down do not all come back in the same second.
    """
    ceiling = min(cap, base * 2 ** min(max(attempts - 1, 0), 32))
    return timedelta(seconds=ceiling / 2 + rand() * ceiling / 2)


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_SECRET_ASSIGNMENT = re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)=\S+")


def error_text(exc: BaseException) -> str:
    """One short line about a failure, for the job row: never a password or a token."""
    message = str(exc).strip()
    if not isinstance(exc, JobError):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    message = message.splitlines()[0] if message else type(exc).__name__
    message = _URL_CREDENTIALS.sub(r"\1***@", message)
    message = _SECRET_ASSIGNMENT.sub(r"\1=***", message)
    if len(message) > ERROR_TEXT_LENGTH:
        message = message[: ERROR_TEXT_LENGTH - 1] + "…"
    return message


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job to the caller's session (the caller commits).

    With ``dedupe_key``, while an unfinished job holds that key, that job is returned and
    nothing new is queued.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    values: dict[str, Any] = {
        "kind": kind,
        "payload": dict(payload or {}),
        "dedupe_key": dedupe_key,
        "state": JobState.QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or utcnow(),
    }
    if dedupe_key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
        return job
    # INSERT … ON CONFLICT DO NOTHING on the partial unique index: of two concurrent enqueues
    # with one key, one inserts and the other waits for it and then finds it.
    for _ in range(3):
        inserted = session.scalars(
            _insert_unless_waiting(session, values).returning(Job),
            execution_options={"populate_existing": True},
        ).first()
        if inserted is not None:
            return inserted
        waiting = session.scalars(
            select(Job).where(Job.dedupe_key == dedupe_key, Job.state.in_(UNFINISHED))
        ).first()
        if waiting is not None:
            return waiting
        # It finished between our insert and our look: try inserting again.
    raise RuntimeError(f"could not enqueue {kind} with dedupe key {dedupe_key!r}")


def _insert_unless_waiting(session: Session, values: dict[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(Job).values(**values)
        return pg.on_conflict_do_nothing(
            index_elements=[Job.dedupe_key], index_where=text(UNFINISHED_SQL)
        )
    if dialect == "sqlite":
        lite = sqlite.insert(Job).values(**values)
        return lite.on_conflict_do_nothing(
            index_elements=[Job.dedupe_key], index_where=text(UNFINISHED_SQL)
        )
    raise NotImplementedError(f"jobs on {dialect} are not supported")


def get_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def recent_jobs(
    session: Session,
    *,
    limit: int = 20,
    states: Sequence[JobState] = (),
    kind: str | None = None,
) -> list[Job]:
    """The newest jobs first, optionally only some states or one kind."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if states:
        query = query.where(Job.state.in_(states))
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query))


def retry_job(session: Session, job_id: int) -> Job:
    """Queue a failed job again with a fresh set of attempts (the caller commits).

    :raise JobError: the job does not exist, has not failed, or a newer job with the same
        dedupe key is waiting.
    """
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise JobError(f"job {job_id} does not exist")
    if job.state != JobState.FAILED:
        raise JobError(f"job {job_id} is {job.state}, only failed jobs are retried")
    if job.dedupe_key is not None:
        newer = session.scalars(
            select(Job.id).where(Job.dedupe_key == job.dedupe_key, Job.state.in_(UNFINISHED))
        ).first()
        if newer is not None:
            raise JobError(
                f"job {job_id} was not retried: job {newer} with the same key is waiting"
            )
    job.state = JobState.QUEUED
    job.attempts = 0
    job.run_after = utcnow()
    job.finished_at = None
    session.flush()
    return job
