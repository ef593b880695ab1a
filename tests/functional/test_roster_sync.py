"""The roster sync as a coach meets it: started by a launch or a button, run by the worker."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.worker import run_due
from lti_app.roster.models import Course, Role
from lti_app.roster.service import count_members
from lti_app.roster.sync import latest_sync
from tests.functional.test_nrps import COURSE_SIZE, course, course_roster, roster_lms  # noqa: F401
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS


def _sync_jobs(app: Flask) -> list[Job]:
    with app.app_context():
        return list(db.session().scalars(select(Job).where(Job.kind == "roster.sync")))


def _run_worker(app: Flask) -> int:
    with app.app_context():
        return run_due(app.extensions["db_sessionmaker"], "test-worker")


def test_a_coach_launch_queues_one_sync_and_the_worker_brings_in_the_whole_roster(
    app: Flask, course: int
) -> None:
    jobs = _sync_jobs(app)
    assert [j.state for j in jobs] == [JobState.QUEUED]
    assert _run_worker(app) == 1
    done = _sync_jobs(app)[0]
    assert done.state is JobState.DONE
    result = done.result or {}
    assert result["seen"] + result["skipped"] == COURSE_SIZE  # observers and the like skipped
    with app.app_context():
        counts = count_members(db.session(), course)
    assert sum(counts.values()) == result["seen"]
    assert counts[Role.STUDENT] > 2400


def test_coach_launches_do_not_sync_more_often_than_the_setting(
    app: Flask, course: int, launched: Any, coach: Person
) -> None:
    _run_worker(app)
    assert launched(coach).status == 200
    assert launched(coach).status == 200
    assert len(_sync_jobs(app)) == 1


def test_a_student_launch_does_not_sync(app: Flask, launched: Any, student: Person) -> None:
    assert launched(student).status == 200
    assert _sync_jobs(app) == []


def test_the_coach_starts_a_sync_and_follows_its_progress(
    app: Flask, course: int, browser: FlaskBrowser
) -> None:
    _run_worker(app)  # the launch's own sync
    page = browser.get(browser.base + "/coach/roster/sync/1")
    assert page.status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    started = browser.post(browser.base + "/coach/roster/sync", {"csrf_token": token.group(1)})
    assert started.status == 303
    status_url = started.location
    waiting = browser.get(browser.base + status_url)
    assert "wordt opgehaald" in waiting.text and 'http-equiv="refresh"' in waiting.text
    _run_worker(app)
    seen = _sync_jobs(app)[-1].result["seen"]  # type: ignore[index]
    finished = browser.get(browser.base + status_url)
    assert f"Klaar: {seen} deelnemers" in finished.text
    assert 'http-equiv="refresh"' not in finished.text


def test_a_student_may_not_start_a_sync(
    app: Flask, launched: Any, student: Person, browser: FlaskBrowser
) -> None:
    page = launched(student)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    refused = browser.post(browser.base + "/coach/roster/sync", {"csrf_token": token.group(1)})
    assert refused.status == 403
    assert _sync_jobs(app) == []


def test_sync_status_of_another_course_is_not_shown(
    app: Flask, course: int, lms: TestLMS, browser: FlaskBrowser
) -> None:
    # A coach of course-2 opens Driehoek from there: that launch queues course-2's sync.
    other_coach = Person("coach-2", "Wim Claes", [INSTRUCTOR], "wim@hogeschool.example")
    other_browser = FlaskBrowser(app.test_client())
    other_course = {"context_id": "course-2", "context_title": "Stage LO", "context_label": "LO"}
    assert launch(other_browser, lms, other_coach, context=other_course).status == 200
    with app.app_context():
        s = db.session()
        course_2 = s.scalars(select(Course).where(Course.context_id == "course-2")).one()
        assert course_2.id != course
        theirs = latest_sync(s, course_2)
        ours = latest_sync(s, s.get(Course, course))
    assert theirs is not None and ours is not None and theirs.id != ours.id

    status = "/coach/roster/sync/{}"
    shown = other_browser.get(browser.base + status.format(theirs.id))
    assert shown.status == 200 and "Stage LO" in shown.text  # the job is there, for its course
    assert browser.get(browser.base + status.format(ours.id)).status == 200
    refused = browser.get(browser.base + status.format(theirs.id))
    assert refused.status == 404
    assert "Stage LO" not in refused.text
    assert other_browser.get(browser.base + status.format(ours.id)).status == 404


def test_a_student_who_leaves_the_course_keeps_their_placement_and_stays_in_the_pipeline(
    app: Flask, course: int, roster_lms: Any, browser: FlaskBrowser
) -> None:
    from lti_app.placements.models import Placement
    from lti_app.roster.models import Course, Person
    from tests import factories

    _run_worker(app)
    leaver = next(m for m in roster_lms.members if m["roles"] == [LEARNER])
    with app.app_context():
        s = db.session()
        person = s.scalars(select(Person).where(Person.sub == leaver["user_id"])).one()
        with factories.bound(s):
            factories.PlacementFactory(course=s.get(Course, course), student=person)
        s.commit()
    roster_lms.members = [m for m in roster_lms.members if m is not leaver]

    with app.app_context():
        s = db.session()
        from lti_app.roster.sync import request_sync

        request_sync(s, s.get(Course, course))  # the coach's "fetch now"
        s.commit()
    _run_worker(app)

    with app.app_context():
        s = db.session()
        kept = s.scalars(select(Placement).where(Placement.student_id == person.id)).one()
        assert kept.course_id == course
    page = browser.get(browser.base + "/coach?q=" + leaver["name"].split()[0])
    assert page.status == 200
    assert leaver["name"] in page.text
    assert "niet meer in de cursus" in page.text


def test_a_coach_is_told_when_the_lms_shares_no_roster(
    app: Flask, course: int, browser: FlaskBrowser
) -> None:
    from lti_app.roster.models import Course

    with app.app_context():
        s = db.session()
        s.get(Course, course).nrps_url = None  # type: ignore[union-attr]
        s.commit()
    page = browser.get(browser.base + "/coach")
    assert "deelt de klaslijst niet met Driehoek" in page.text
    assert "Klaslijst nu ophalen" not in page.text
