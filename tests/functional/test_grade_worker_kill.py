"""A real worker process killed (SIGKILL) while its send hangs at the platform: on restart
nothing is lost and the grade arrives once.

Worker 1 (``flask jobs run``) claims the job and the score and posts the score; the platform
hangs on it (and, like a gateway that gave up, never applies it). Worker 1 is killed mid-send.
Worker 2 starts eleven minutes later on the app's clock (``CLOCK_SHIFT_SECONDS``): the job's
lease and the score's claim have run out, so it takes both over and the score arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.grading.models import ScoreSync, SyncState
from tests.ags import AgsPlatform, Fault
from tests.conftest import SECRET, TOOL_BASE
from tests.functional.test_grade_passback import course, platform, release, students  # noqa: F401
from tests.lms import TestLMS
from tests.servers import ROOT, child_env, missing_service, wait_for

WORKER = [sys.executable, "-m", "flask", "--app", "lti_app", "jobs", "run", "--poll-seconds", "0.2"]


@pytest.fixture
def workers(database_url: str) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(shift_seconds: int = 0) -> subprocess.Popen[str]:
        # On top of the run's own shift (TEST_CLOCK): the worker agrees with this process on
        # "now", then moves on by ``shift_seconds``.
        suite_shift = int(os.environ.get("CLOCK_SHIFT_SECONDS") or 0)
        settings = {
            "DRIEHOEK_ENV": "test",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "BASE_URL": TOOL_BASE,
            "HTTP_TIMEOUT_SECONDS": "30",
            "CLOCK_SHIFT_SECONDS": str(suite_shift + shift_seconds),
        }
        process = subprocess.Popen(
            WORKER,
            cwd=ROOT,
            env=child_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _row(app: Flask, score_id: int) -> ScoreSync:
    with app.app_context():
        found = db.session().scalars(select(ScoreSync).where(ScoreSync.id == score_id)).one()
        db.session().expunge(found)
        return found


def test_a_worker_killed_while_its_send_hangs_loses_nothing_on_restart(
    app: Flask, course: int, platform: AgsPlatform, lms: TestLMS, workers: Any
) -> None:
    [sub] = students(app, lms, 1)
    platform.faults = [Fault.hang(15)]
    score_id = release(app, course, sub, 15)

    first = workers()
    wait_for(
        lambda: platform.refused,
        timeout=60,
        failure=lambda: "worker 1 never posted the score",
    )
    claimed = _row(app, score_id)
    assert claimed.sending_by is not None  # in flight
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert platform.received == []

    second = workers(shift_seconds=11 * 60)
    done = wait_for(
        lambda: (r := _row(app, score_id)).state is SyncState.SENT and r,
        timeout=90,
        failure=lambda: f"not sent after the restart: {_row(app, score_id).__dict__}",
    )
    second.send_signal(signal.SIGTERM)
    assert done.sent_version == 1 and done.sending_by is None
    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [15]


@pytest.mark.postgres_only
def test_two_worker_processes_on_postgresql_never_send_one_score_twice(
    database_url: str, app: Flask, course: int, platform: AgsPlatform, lms: TestLMS, workers: Any
) -> None:
    if not database_url.startswith("postgresql"):
        missing_service("needs PostgreSQL as the suite's database (TEST_DATABASE_URL)")
    subs = students(app, lms, 30)
    platform.delay = 0.02  # sends in flight overlap
    for i, sub in enumerate(subs):
        release(app, course, sub, 10)
        if i % 2 == 0:
            release(app, course, sub, 18)  # two jobs for one row, side by side in the queue

    running = [workers(), workers()]
    wait_for(
        lambda: len({r.score["userId"] for r in platform.received}) == len(subs),
        timeout=120,
        failure=lambda: f"{len(platform.received)} of {len(subs)} scores after 120 s",
    )
    wait_for(
        lambda: _states(app) == {SyncState.SENT: len(subs)},
        timeout=60,
        failure=lambda: f"score states: {_states(app)}",
    )
    for process in running:
        process.send_signal(signal.SIGTERM)

    assert sorted(r.score["userId"] for r in platform.received) == subs  # each once
    assert {user: score["scoreGiven"] for (_item, user), score in platform.gradebook().items()} == {
        sub: 18 if i % 2 == 0 else 10 for i, sub in enumerate(subs)
    }


def _states(app: Flask) -> dict[SyncState, int]:
    with app.app_context():
        return dict(Counter(db.session().scalars(select(ScoreSync.state))))
