"""`flask --app lti_app jobs …`: run the worker, see what the queue holds, retry a failed job."""

from __future__ import annotations

import signal
from datetime import datetime, timedelta
from types import FrameType

import click
from flask import Flask, current_app

from lti_app import db
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import JobError, recent_jobs, retry_job
from lti_app.jobs.worker import DEFAULT_POLL_SECONDS, Worker


def register(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Background jobs (mail, roster sync, grade passback)."""

    @jobs_group.command("run")
    @click.option("--once", is_flag=True, help="Run what is due now, then exit.")
    @click.option(
        "--poll-seconds",
        type=click.FloatRange(min=0.05),
        default=DEFAULT_POLL_SECONDS,
        show_default=True,
        envvar="JOBS_POLL_SECONDS",
        help="How often an idle worker looks for due jobs.",
    )
    @click.option(
        "--lease-seconds",
        type=click.IntRange(min=10),
        default=600,
        show_default=True,
        envvar="JOBS_LEASE_SECONDS",
        help="After this long without a sign of life, a running job is taken over.",
    )
    @click.option("--worker-id", default=None, help="Name in locked_by (default host:pid:random).")
    def jobs_run(
        once: bool, poll_seconds: float, lease_seconds: int, worker_id: str | None
    ) -> None:
        """The worker: run due jobs until SIGTERM (the job at hand finishes first)."""
        worker = Worker(
            current_app.extensions["db_sessionmaker"],
            worker_id=worker_id,
            poll_seconds=poll_seconds,
            lease=timedelta(seconds=lease_seconds),
        )

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            # Only a flag: writing output here could re-enter a write the loop is doing.
            worker.stop()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        click.echo(f"Worker {worker.worker_id} started.")
        try:
            ran = worker.run(once=once)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        how = "on request" if worker.stopping else "with nothing left to do"
        click.echo(f"Worker {worker.worker_id} stopped {how} after {ran} job(s).")

    @jobs_group.command("list")
    @click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
    @click.option(
        "--state",
        "states",
        multiple=True,
        type=click.Choice([s.value for s in JobState]),
        help="Only jobs in this state (may be repeated).",
    )
    @click.option("--kind", default=None, help="Only jobs of this kind, e.g. mail.send.")
    def jobs_list(limit: int, states: tuple[str, ...], kind: str | None) -> None:
        """The newest jobs with their state, attempts, progress and last error."""
        jobs = recent_jobs(
            db.session(), limit=limit, states=[JobState(s) for s in states], kind=kind
        )
        if not jobs:
            click.echo("No jobs.")
            return
        click.echo("id\tkind\tstate\tattempts\trun after (UTC)\tprogress\tlast error")
        for job in jobs:
            click.echo(_describe(job))

    @jobs_group.command("retry")
    @click.argument("job_id", type=int)
    def jobs_retry(job_id: int) -> None:
        """Queue a failed job again, with a fresh set of attempts."""
        session = db.session()
        try:
            job = retry_job(session, job_id)
        except JobError as exc:
            raise click.UsageError(str(exc)) from exc
        session.commit()
        click.echo(f"Job {job.id} ({job.kind}) queued again.")


def _describe(job: Job) -> str:
    progress = ""
    if job.progress:
        done, total = job.progress.get("done"), job.progress.get("total")
        progress = f"{done}/{total}" if total is not None else str(done)
    return "\t".join(
        [
            str(job.id),
            job.kind,
            job.state.value,
            f"{job.attempts}/{job.max_attempts}",
            _when(job.run_after),
            progress or "-",
            job.last_error or "-",
        ]
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
