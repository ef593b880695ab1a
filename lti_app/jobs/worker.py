"""The worker: claims due jobs one at a time, runs their handlers, records the outcome.

Several workers may share one database. A claim is one short transaction that moves a job from
queued to running under this worker's id: on PostgreSQL the candidate row is locked with
``FOR UPDATE SKIP LOCKED`` (workers pass each other by instead of queueing on one row); on SQLite
the ``UPDATE … WHERE state = 'queued'`` itself decides, as only one writer can win it. Every
later write about the job is conditional on the claim still being this worker's, so a worker
whose lease expired (it stalled or died) can no longer finish a job another worker took over.
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_app.db import utcnow
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import (
    HANDLERS,
    JobError,
    JobLost,
    PermanentJobError,
    Registration,
    RetryLater,
    error_text,
    retry_delay,
)

log = logging.getLogger(__name__)

# The modules whose @job_handler functions this worker runs. A worker claims only jobs of kinds
# it knows, so a job of a newer kind waits for a worker that does rather than failing.
# Modules that register job handlers (or, for invitations, what mail must forget once sent).
HANDLER_MODULES = (
    "lti_app.notifications.service",
    "lti_app.notifications.notice_mail",
    "lti_app.roster.sync",
    "lti_app.guests.invitations",
    "lti_app.agreements.reminders",  # digests queued before they were folded into the notices
    "lti_app.grading.sync",
)

DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_POLL_SECONDS = 2.0

Clock = Callable[[], datetime]


def load_handlers() -> None:
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _due(now: datetime, lease: timedelta) -> Any:
    return or_(
        and_(Job.state == JobState.QUEUED, Job.run_after <= now),
        # Its worker stopped renewing the lease: died, killed, or lost the database.
        and_(Job.state == JobState.RUNNING, Job.locked_at < now - lease),
    )


def claim_next(
    session: Session,
    worker_id: str,
    *,
    kinds: list[str] | None = None,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Job | None:
    """Claim the job that is due longest, commit the claim, and return it (or None)."""
    now = now or utcnow()
    kinds = sorted(HANDLERS) if kinds is None else kinds
    if not kinds:
        return None
    due = _due(now, lease)
    for _ in range(10):
        candidate = session.scalars(
            select(Job.id)
            .where(due, Job.kind.in_(kinds))
            .order_by(Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if candidate is None:
            session.rollback()
            return None
        claimed = session.scalars(
            update(Job)
            .where(Job.id == candidate, due)
            .values(
                state=JobState.RUNNING,
                locked_by=worker_id,
                locked_at=now,
                attempts=Job.attempts + 1,
                updated_at=now,
            )
            .returning(Job),
            execution_options={"synchronize_session": False, "populate_existing": True},
        ).first()
        session.commit()
        if claimed is not None:
            return claimed
        # Another worker won this one (SQLite); look again.
    return None


def _owned(job: Job, worker_id: str) -> Any:
    return and_(
        Job.id == job.id,
        Job.state == JobState.RUNNING,
        Job.locked_by == worker_id,
        Job.attempts == job.attempts,
    )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class _Progress:
    """The callback a handler gets: records progress, renews the lease, commits the work so far."""

    def __init__(self, session: Session, job: Job, worker_id: str, clock: Clock):
        self._session, self._job, self._worker_id, self._clock = session, job, worker_id, clock

    def __call__(self, done: int, total: int | None = None) -> None:
        now = self._clock()
        result = self._session.execute(
            update(Job)
            .where(_owned(self._job, self._worker_id))
            .values(progress={"done": done, "total": total}, locked_at=now, updated_at=now),
            execution_options={"synchronize_session": False},
        )
        if _rowcount(result) != 1:
            self._session.rollback()
            raise JobLost(f"job {self._job.id} was taken over by another worker")
        self._session.commit()


def run_job(
    make_session: Callable[[], Session],
    job: Job,
    worker_id: str,
    *,
    clock: Clock = utcnow,
) -> JobState | None:
    """Run one claimed job to its next state; None when another worker took it over meanwhile."""
    registration = HANDLERS[job.kind]
    with make_session() as session:
        try:
            if job.attempts > job.max_attempts:
                # Claimed once more after the last attempt's worker vanished mid-job.
                raise PermanentJobError("the worker stopped during the last attempt")
            result = registration.run(
                session, dict(job.payload), _Progress(session, job, worker_id, clock)
            )
        except JobLost:
            session.rollback()
            log.warning("job %s (%s): lost to another worker", job.id, job.kind)
            return None
        except Exception as exc:
            session.rollback()
            # A JobError is an expected failure with its own message; anything else is a bug
            # in a handler, and its traceback is what the operator needs.
            log.warning(
                "job %s (%s) attempt %s failed: %s",
                job.id,
                job.kind,
                job.attempts,
                error_text(exc),
                exc_info=not isinstance(exc, JobError),
            )
            return _record_failure(session, job, worker_id, registration, exc, clock())
        now = clock()
        finished = session.execute(
            update(Job)
            .where(_owned(job, worker_id))
            .values(
                state=JobState.DONE,
                result=result,
                finished_at=now,
                updated_at=now,
                locked_by=None,
                locked_at=None,
            ),
            execution_options={"synchronize_session": False},
        )
        if _rowcount(finished) != 1:
            session.rollback()
            log.warning("job %s (%s): lost to another worker before finishing", job.id, job.kind)
            return None
        session.commit()
        log.info("job %s (%s) done after %s attempt(s)", job.id, job.kind, job.attempts)
        return JobState.DONE


def _record_failure(
    session: Session,
    job: Job,
    worker_id: str,
    registration: Registration,
    exc: Exception,
    now: datetime,
) -> JobState | None:
    message = error_text(exc)
    gave_up = isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts
    values: dict[str, Any] = {
        "last_error": message,
        "locked_by": None,
        "locked_at": None,
        "updated_at": now,
    }
    if gave_up:
        values.update(state=JobState.FAILED, finished_at=now)
    else:
        wait = exc.after if isinstance(exc, RetryLater) else retry_delay(job.attempts)
        values.update(state=JobState.QUEUED, run_after=now + wait)
    statement = update(Job).where(_owned(job, worker_id)).values(**values)
    options = {"synchronize_session": False}
    if _rowcount(session.execute(statement, execution_options=options)) != 1:
        session.rollback()
        return None
    if registration.on_failure is not None:
        try:
            registration.on_failure(session, dict(job.payload), message, gave_up)
        except Exception:
            log.exception("job %s (%s): its failure hook failed", job.id, job.kind)
            session.rollback()
            session.execute(statement, execution_options=options)
    session.commit()
    if gave_up:
        log.error("job %s (%s) failed for good: %s", job.id, job.kind, message)
    return values["state"]


def run_due(
    make_session: Callable[[], Session],
    worker_id: str,
    limit: int = 100,
    *,
    lease: timedelta = DEFAULT_LEASE,
    clock: Clock = utcnow,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Claim and run due jobs one by one, at most ``limit``; return how many ran.

    Handlers run inside the caller's app context (the CLI provides one).
    """
    load_handlers()
    ran = 0
    while ran < limit and not should_stop():
        with make_session() as session:
            job = claim_next(session, worker_id, now=clock(), lease=lease)
        if job is None:
            break
        run_job(make_session, job, worker_id, clock=clock)
        ran += 1
    return ran


class Worker:
    """The loop behind `flask jobs run`: run what is due, sleep, repeat until told to stop.

    ``stop()`` (the CLI calls it on SIGTERM and SIGINT) lets the job at hand finish first.
    """

    def __init__(
        self,
        make_session: sessionmaker[Session],
        *,
        worker_id: str | None = None,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        lease: timedelta = DEFAULT_LEASE,
        batch: int = 100,
    ):
        self.make_session = make_session
        self.worker_id = worker_id or default_worker_id()
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.batch = batch
        self.ran = 0
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def run(self, *, once: bool = False) -> int:
        """Run until stopped; with ``once``, until nothing is due. Returns the jobs run."""
        failures = 0
        while not self._stopping:
            try:
                ran = run_due(
                    self.make_session,
                    self.worker_id,
                    self.batch,
                    lease=self.lease,
                    should_stop=lambda: self._stopping,
                )
                failures = 0
            except Exception:
                if once:
                    raise
                # The database is away; wait longer each time, a minute at most.
                failures += 1
                log.exception("worker %s: could not run jobs", self.worker_id)
                self._sleep(min(60.0, self.poll_seconds * 2**failures))
                continue
            self.ran += ran
            if ran == 0:
                if once:
                    break
                self._sleep(self.poll_seconds)
        return self.ran

    def _sleep(self, seconds: float) -> None:
        # Short naps rather than one long one: a stop signal is noticed within 0.1 s.
        deadline = time.monotonic() + seconds
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.1, left))
