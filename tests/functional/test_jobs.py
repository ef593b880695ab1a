"""The durable job queue (lti_app/jobs/): what the people waiting on background work notice.

A job queued runs once and keeps its result; a failure comes back later with its error shown and
gives up after its attempts; a second request for work already waiting does not queue it twice;
a job whose worker died is taken over; progress shows while a job runs; and several workers on
one database never run one job twice. Mail delivery through real workers is in test_mail.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.jobs import Job, JobError, JobState, PermanentJobError, enqueue, job_handler
from lti_app.jobs.service import HANDLERS, FailureHook, Handler
from lti_app.jobs.worker import claim_next, run_due, run_job
from lti_app.notifications.notice_mail import DIGEST_JOB
from tests.conftest import SECRET, TOOL_BASE
from tests.servers import ROOT, child_env, missing_service, wait_for

MakeSession = Callable[[], Session]


@pytest.fixture
def make_session(app: Flask) -> MakeSession:
    return app.extensions["db_sessionmaker"]  # type: ignore[no-any-return]


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    """Register handlers for this test's job kinds; they are forgotten afterwards."""
    kinds: list[str] = []

    def _register(kind: str, handler: Handler, on_failure: FailureHook | None = None) -> None:
        job_handler(kind, on_failure=on_failure)(handler)
        kinds.append(kind)

    yield _register
    for kind in kinds:
        HANDLERS.pop(kind, None)


def queue(make_session: MakeSession, kind: str, payload: Any = None, **kwargs: Any) -> int:
    with make_session() as s:
        job = enqueue(s, kind, payload, **kwargs)
        s.commit()
        return job.id


def load(make_session: MakeSession, job_id: int) -> Job:
    with make_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def work(app: Flask, worker: str = "worker-1", **kwargs: Any) -> int:
    with app.app_context():
        return run_due(app.extensions["db_sessionmaker"], worker, **kwargs)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


# -- running, retrying, giving up ---------------------------------------------------------------


def test_a_queued_job_runs_once_and_keeps_its_result(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    seen: list[dict[str, Any]] = []

    def count_hours(session: Session, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
        seen.append(payload)
        return {"hours": payload["hours"] * 2}

    register("test.hours", count_hours)
    job_id = queue(make_session, "test.hours", {"hours": 21})
    assert load(make_session, job_id).state == JobState.QUEUED

    assert work(app) == 1
    assert work(app) == 0

    job = load(make_session, job_id)
    assert seen == [{"hours": 21}]
    assert job.state == JobState.DONE
    assert job.result == {"hours": 42}
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.locked_by is None


def test_a_job_waits_until_its_time_comes(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    register("test.later", lambda s, p, progress: None)
    later = utcnow() + timedelta(hours=1)
    job_id = queue(make_session, "test.later", run_after=later)

    assert work(app) == 0
    assert work(app, clock=at(later - timedelta(seconds=1))) == 0
    assert load(make_session, job_id).state == JobState.QUEUED
    assert work(app, clock=at(later)) == 1
    assert load(make_session, job_id).state == JobState.DONE


def test_a_failed_job_comes_back_later_with_its_error_shown_until_it_succeeds(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    calls: list[int] = []

    def flaky(session: Session, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) < 3:
            raise JobError("the LMS answered 503")
        return {"synced": True}

    register("test.flaky", flaky)
    job_id = queue(make_session, "test.flaky")
    t0 = utcnow()

    assert work(app, clock=at(t0)) == 1
    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.last_error) == (JobState.QUEUED, 1, "the LMS answered 503")
    first_wait = job.run_after - t0
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=10)
    assert job.locked_by is None

    assert work(app, clock=at(job.run_after - timedelta(seconds=1))) == 0  # not yet
    t1 = job.run_after
    assert work(app, clock=at(t1)) == 1
    job = load(make_session, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 2)
    assert timedelta(seconds=10) <= job.run_after - t1 <= timedelta(seconds=20)

    assert work(app, clock=at(job.run_after)) == 1
    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.result) == (JobState.DONE, 3, {"synced": True})
    assert len(calls) == 3


def test_a_job_gives_up_after_its_last_attempt(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    failures: list[tuple[str, bool]] = []

    def broken(session: Session, payload: dict[str, Any], progress: Any) -> None:
        raise KeyError("course")

    def on_failure(session: Session, payload: dict[str, Any], error: str, gave_up: bool) -> None:
        failures.append((error, gave_up))

    register("test.broken", broken, on_failure)
    job_id = queue(make_session, "test.broken", max_attempts=3)
    now = utcnow()
    for _ in range(3):
        assert work(app, clock=at(now)) == 1
        now = load(make_session, job_id).run_after

    job = load(make_session, job_id)
    assert job.state == JobState.FAILED
    assert job.attempts == 3
    assert job.last_error == "KeyError: 'course'"
    assert job.finished_at is not None
    assert failures == [("KeyError: 'course'", False)] * 2 + [("KeyError: 'course'", True)]
    assert work(app, clock=at(now + timedelta(days=1))) == 0


def test_a_job_that_no_retry_can_fix_fails_at_once(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    def bad_payload(session: Session, payload: dict[str, Any], progress: Any) -> None:
        raise PermanentJobError("course 5 no longer exists")

    register("test.gone", bad_payload)
    job_id = queue(make_session, "test.gone")
    assert work(app) == 1

    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.last_error) == (
        JobState.FAILED,
        1,
        "course 5 no longer exists",
    )


def test_a_failed_attempt_undoes_what_the_handler_wrote(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    def half_done(session: Session, payload: dict[str, Any], progress: Any) -> None:
        enqueue(session, "test.follow-up", {"from": "half_done"})
        raise JobError("the LMS went away halfway")

    register("test.half", half_done)
    queue(make_session, "test.half")
    assert work(app) == 1

    with make_session() as s:
        assert s.scalars(select(Job.kind)).all() == ["test.half"]


def test_a_worker_leaves_kinds_it_cannot_run_waiting(app: Flask, make_session: MakeSession) -> None:
    job_id = queue(make_session, "grading.sync-from-a-newer-release")
    assert work(app) == 0
    job = load(make_session, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)


# -- dedupe -------------------------------------------------------------------------------------


def test_asking_again_for_work_that_waits_returns_the_waiting_job(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    register("test.sync", lambda s, p, progress: None)
    first = queue(make_session, "test.sync", {"course": 5}, dedupe_key="roster-sync:course:5")
    again = queue(make_session, "test.sync", {"course": 5}, dedupe_key="roster-sync:course:5")
    other = queue(make_session, "test.sync", {"course": 6}, dedupe_key="roster-sync:course:6")
    assert again == first
    assert other != first

    # Claimed (running) counts as unfinished too.
    with make_session() as s:
        claimed = claim_next(s, "worker-1")
        assert claimed is not None and claimed.id == first
    assert queue(make_session, "test.sync", dedupe_key="roster-sync:course:5") == first

    with app.app_context():
        run_job(make_session, claimed, "worker-1")
    assert load(make_session, first).state == JobState.DONE

    # Once it is done, the next request is new work.
    fresh = queue(make_session, "test.sync", dedupe_key="roster-sync:course:5")
    assert fresh not in (first, other)
    with make_session() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 3


def test_simultaneous_requests_for_the_same_work_queue_it_once(
    app: Flask, make_session: MakeSession
) -> None:
    barrier = threading.Barrier(8)
    ids: list[int] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            barrier.wait()
            ids.append(queue(make_session, "test.sync", dedupe_key="roster-sync:course:9"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert len(ids) == 8 and len(set(ids)) == 1
    with make_session() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 1


# -- leases and progress ------------------------------------------------------------------------


def test_a_job_whose_worker_died_is_taken_over_after_the_lease(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    runs: list[str] = []
    register("test.sync", lambda s, p, progress: runs.append("ran") or {"run": len(runs)})
    job_id = queue(make_session, "test.sync")
    t0 = utcnow()
    with make_session() as s:
        dead = claim_next(s, "worker-that-died", now=t0)  # claimed, then the process was killed
    assert dead is not None

    assert work(app, clock=at(t0 + timedelta(minutes=9))) == 0
    assert load(make_session, job_id).locked_by == "worker-that-died"

    assert work(app, clock=at(t0 + timedelta(minutes=11))) == 1
    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.result) == (JobState.DONE, 2, {"run": 1})

    # The first worker was only stalled; when it wakes up, it cannot finish the job again.
    with app.app_context():
        assert run_job(make_session, dead, "worker-that-died") is None
    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.result) == (JobState.DONE, 2, {"run": 1})


def test_a_job_whose_worker_keeps_dying_gives_up(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    register("test.fatal", lambda s, p, progress: None)
    job_id = queue(make_session, "test.fatal", max_attempts=2)
    now = utcnow()
    for n in range(2):
        with make_session() as s:
            assert claim_next(s, f"worker-{n}", now=now) is not None  # and dies
        now += timedelta(minutes=11)

    assert work(app, clock=at(now)) == 1
    job = load(make_session, job_id)
    assert job.state == JobState.FAILED
    assert job.last_error == "the worker stopped during the last attempt"


def test_progress_shows_while_the_job_runs_and_keeps_it_alive(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    seen: dict[str, Any] = {}

    def long_sync(session: Session, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
        now[0] = t0 + timedelta(minutes=9)
        progress(500, 2500)
        with make_session() as other:
            seen["progress"] = load(make_session, job_id).progress
            # Nine minutes in, but it just reported: not taken over at minute 15 ...
            seen["at 15"] = claim_next(other, "worker-2", now=t0 + timedelta(minutes=15))
            # ... only once it has been silent for longer than the lease.
            seen["at 20"] = claim_next(other, "worker-2", now=t0 + timedelta(minutes=20))
        progress(1000, 2500)  # too late: it belongs to worker-2 now
        seen["went on"] = True
        return {}

    register("test.long", long_sync)
    job_id = queue(make_session, "test.long")
    t0 = utcnow()
    now = [t0]

    assert work(app, clock=lambda: now[0]) == 1

    assert seen["progress"] == {"done": 500, "total": 2500}
    assert seen["at 15"] is None
    assert seen["at 20"] is not None and seen["at 20"].id == job_id
    assert "went on" not in seen
    job = load(make_session, job_id)
    assert (job.state, job.locked_by, job.progress) == (
        JobState.RUNNING,
        "worker-2",
        {"done": 500, "total": 2500},
    )


# -- several workers ----------------------------------------------------------------------------


def test_workers_in_parallel_run_every_job_exactly_once(
    app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    ran: list[int] = []
    lock = threading.Lock()

    def record(session: Session, payload: dict[str, Any], progress: Any) -> None:
        time.sleep(0.002)
        with lock:
            ran.append(payload["n"])

    register("test.record", record)
    with make_session() as s:
        for n in range(60):
            enqueue(s, "test.record", {"n": n})
        s.commit()

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            work(app, f"worker-{i}", limit=1000)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors
    assert sorted(ran) == list(range(60))
    with make_session() as s:
        states = s.execute(select(Job.state, Job.attempts)).all()
    assert set(states) == {(JobState.DONE, 1)}


@pytest.fixture
def postgres(database_url: str) -> str:
    """The suite's database when it is PostgreSQL; the test is skipped on SQLite (CI runs it
    in its PostgreSQL pass and deselects it in the SQLite one: -m "not postgres_only")."""
    if not database_url.startswith("postgresql"):
        missing_service("needs PostgreSQL as the suite's database (TEST_DATABASE_URL)")
    return database_url


@pytest.mark.postgres_only
def test_a_worker_passes_by_a_job_another_worker_has_locked(
    postgres: str, app: Flask, make_session: MakeSession, register: Callable[..., None]
) -> None:
    register("test.sync", lambda s, p, progress: None)
    first = queue(make_session, "test.sync", run_after=utcnow() - timedelta(minutes=1))
    second = queue(make_session, "test.sync")

    with make_session() as holder:
        # Another worker is in the middle of claiming the first job.
        holder.execute(select(Job).where(Job.id == first).with_for_update())
        done = threading.Event()

        def other_worker() -> None:
            work(app, "worker-2", limit=1)
            done.set()

        thread = threading.Thread(target=other_worker)
        thread.start()
        assert done.wait(timeout=10), "the worker waited for the locked job instead of passing by"
        thread.join()
        holder.rollback()

    assert load(make_session, first).state == JobState.QUEUED
    assert load(make_session, second).state == JobState.DONE


# -- the CLI ------------------------------------------------------------------------------------


def test_jobs_list_shows_state_progress_and_errors(app: Flask, make_session: MakeSession) -> None:
    with make_session() as s:
        waiting = enqueue(s, "roster.sync", {"course": 5})
        failed = enqueue(s, "mail.send", {"mail_id": 1})
        failed.state, failed.attempts, failed.last_error = JobState.FAILED, 8, "server refused"
        running = enqueue(s, "roster.sync", {"course": 6})
        running.state, running.attempts = JobState.RUNNING, 1
        running.progress = {"done": 500, "total": 2500}
        s.commit()
        ids = (waiting.id, failed.id, running.id)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines()}
    assert lines[str(ids[0])][1:4] == ["roster.sync", "queued", "0/8"]
    assert lines[str(ids[1])][1:4] == ["mail.send", "failed", "8/8"]
    assert lines[str(ids[1])][-1] == "server refused"
    assert lines[str(ids[2])][2] == "running"
    assert lines[str(ids[2])][5] == "500/2500"

    only_failed = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert [line.split("\t")[0] for line in only_failed.output.splitlines()[1:]] == [str(ids[1])]


def test_jobs_list_on_an_empty_queue(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.exit_code == 0
    assert result.output.strip() == "No jobs."


def test_jobs_retry_queues_a_failed_job_with_fresh_attempts(
    app: Flask, make_session: MakeSession
) -> None:
    with make_session() as s:
        failed = enqueue(s, "mail.send", {"mail_id": 1}, dedupe_key="mail:1")
        failed.state, failed.attempts, failed.finished_at = JobState.FAILED, 8, utcnow()
        done = enqueue(s, "mail.send", {"mail_id": 2})
        done.state = JobState.DONE
        s.commit()
        failed_id, done_id = failed.id, done.id

    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "retry", str(failed_id)])
    assert result.exit_code == 0, result.output
    job = load(make_session, failed_id)
    assert (job.state, job.attempts, job.finished_at) == (JobState.QUEUED, 0, None)

    refused = runner.invoke(args=["jobs", "retry", str(done_id)])
    assert refused.exit_code == 2
    assert "only failed jobs are retried" in refused.output
    assert load(make_session, done_id).state == JobState.DONE


def test_the_worker_process_stops_cleanly_on_sigterm(
    app: Flask, database_url: str, make_session: MakeSession
) -> None:
    # A digest for someone who is gone: a real job, done at once without mail or network.
    job_id = queue(make_session, DIGEST_JOB, {"recipient": "person:999999"})
    settings = {
        "DRIEHOEK_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BASE_URL": TOOL_BASE,
    }
    worker = [sys.executable, "-m", "flask", "--app", "lti_app", "jobs", "run"]
    # An hour between looks at the queue: a worker that slept it out would never stop in time.
    process = subprocess.Popen(
        [*worker, "--poll-seconds", "3600"],
        cwd=ROOT,
        env=child_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Once the job is done, the worker has looked at the queue and idles until its next look.
        wait_for(
            lambda: process.poll() is not None or load(make_session, job_id).finished_at,
            timeout=60,
            failure=lambda: f"the worker did not finish job {job_id} within 60 s",
        )
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{process.communicate()}")
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("still running 60 s after SIGTERM: it waits out its hour-long poll")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped on request after 1 job(s)" in out, (out, err)
    job = load(make_session, job_id)
    assert (job.state, job.attempts, job.locked_by) == (JobState.DONE, 1, None)
