"""The durable job queue: one row per piece of work that a worker process does later."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lti_app.db import Base, UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for run_after (also between retries)
    RUNNING = "running"  # claimed by the worker in locked_by
    DONE = "done"
    FAILED = "failed"  # gave up: out of attempts, or an error that no retry can fix


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)
# The same predicate in SQL: the dedupe index and the enqueue's ON CONFLICT clause must match.
UNFINISHED_SQL = "state IN ('queued', 'running')"

DEFAULT_MAX_ATTEMPTS = 8


class Job(Base):
    """Work for the worker: ``kind`` names the handler, ``payload`` is its JSON input.

    ``dedupe_key`` is unique among unfinished jobs, so enqueueing "roster-sync:course:5" while one
    waits hands back the waiting job instead of queueing a second.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_state_run_after", "state", "run_after"),
        Index(
            "uq_job_dedupe_key_unfinished",
            "dedupe_key",
            unique=True,
            postgresql_where=text(UNFINISHED_SQL),
            sqlite_where=text(UNFINISHED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState,
            native_enum=False,
            length=20,
            values_callable=lambda states: [s.value for s in states],
        ),
        default=JobState.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_ATTEMPTS)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"
