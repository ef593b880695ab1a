"""Durable background jobs: a queue in the database and the worker (`flask --app lti_app jobs run`).

A capability enqueues work in the same transaction as the change that needs it
(``enqueue(session, "mail.send", {...})``) and registers what runs it with
``@job_handler("mail.send")``; the worker retries failures with growing waits.
"""

from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import (
    JobError,
    PermanentJobError,
    ProgressCallback,
    RetryLater,
    enqueue,
    get_job,
    job_handler,
)

__all__ = [
    "Job",
    "JobError",
    "JobState",
    "PermanentJobError",
    "ProgressCallback",
    "RetryLater",
    "enqueue",
    "get_job",
    "job_handler",
]
