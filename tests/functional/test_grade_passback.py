"""Grades that reach the LMS gradebook (issue 11, "Grade passback that cannot be lost").

The platform is tests/ags.py: lti1p3platform's token endpoint and an AGS gradebook on the
TestLMS's real HTTP server, which counts every score it receives and answers from a script of
faults (500, 429 with Retry-After, a hang past the tool's timeout) when a test says so. The
course is known to Driehoek through a real coach launch (its AGS claim names the line items
container); scores are released by calling ``release_score`` as the coach's release does, and
the real worker (lti_app.jobs.worker) delivers them, with the app's clock moved instead of
waiting.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lti_app import clock, db
from lti_app.grading import status as grading_status
from lti_app.grading.models import LineItem, ScoreSync, SyncState
from lti_app.grading.service import SEND_KIND, line_item_for, release_score
from lti_app.grading.sync import score_body
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.worker import claim_next, run_job
from lti_app.roster.models import Course, Person
from tests.ags import AgsPlatform, Fault
from tests.guests import csrf
from tests.lms import LEARNER, TestLMS
from tests.lms import Person as LmsPerson

T0 = datetime(2026, 12, 8, 9, 42, tzinfo=UTC)
RESOURCE = "driehoek-journal-7"
REVIEW_URL = "http://tool.test/journals/assignments/7/students/1"


@pytest.fixture
def platform(app: Flask, lms: TestLMS, client: FlaskClient) -> AgsPlatform:
    lms.registration.set_tool_key_set(client.get("/.well-known/jwks.json").json)
    app.config["HTTP_TIMEOUT_SECONDS"] = 1  # a hang costs a second, not ten
    return AgsPlatform(lms)


@pytest.fixture
def frozen() -> Iterator[Callable[[timedelta], datetime]]:
    """The app's clock, stopped at T0; ``advance(delta)`` moves it on."""
    clock.freeze(T0)

    def advance(delta: timedelta) -> datetime:
        clock.freeze(clock.now() + delta)
        return clock.now()

    yield advance
    clock.thaw()


@pytest.fixture
def course(app: Flask, launched: Any, coach: LmsPerson, platform: AgsPlatform) -> int:
    """course-1, opened by its coach: Driehoek knows its AGS line items container."""
    assert launched(coach).status == 200
    with app.app_context():
        course = db.session().scalars(select(Course)).one()
        assert course.ags_lineitems_url == platform.container_url
        return course.id


def students(app: Flask, lms: TestLMS, count: int) -> list[str]:
    """Students of the course as the roster knows them (their LMS ``sub``)."""
    subs = [f"student-{n:03d}" for n in range(1, count + 1)]
    with app.app_context():
        s = db.session()
        s.add_all(Person(issuer=lms.issuer, sub=sub, name=f"Student {sub[-3:]}") for sub in subs)
        s.commit()
    return subs


def release(
    app: Flask,
    course_id: int,
    sub: str,
    score: float | None,
    *,
    comment: str = "Sterke reflectie.",
    commit: bool = True,
    **fields: Any,
) -> int:
    """The coach releases ``sub``'s grade; returns the score row's id."""
    with app.app_context():
        s = db.session()
        course = s.get(Course, course_id)
        assert course is not None
        item = line_item_for(
            s, course=course, resource_id=RESOURCE, label="Reflectiejournaal", score_maximum=20
        )
        student = s.scalars(select(Person).where(Person.sub == sub)).one()
        row = release_score(
            s,
            line_item=item,
            student=student,
            score_given=score,
            score_maximum=20,
            comment=comment,
            released_by=None,
            review_url=REVIEW_URL,
            **fields,
        )
        row_id = row.id
        if commit:
            s.commit()
        else:
            s.rollback()
        return row_id


def make_session(app: Flask) -> Callable[[], Session]:
    return app.extensions["db_sessionmaker"]  # type: ignore[no-any-return]


def work(app: Flask, worker: str = "worker-1") -> int:
    """Run the grade jobs that are due now; how many ran."""
    ran = 0
    with app.app_context():
        while True:
            with make_session(app)() as s:
                job = claim_next(s, worker, kinds=[SEND_KIND])
            if job is None:
                return ran
            run_job(make_session(app), job, worker)
            ran += 1


def deliver(app: Flask, advance: Callable[[timedelta], datetime], rounds: int = 40) -> None:
    """Let the worker run, moving the clock to each next due job, until no grade job waits."""
    for _ in range(rounds):
        work(app)
        with make_session(app)() as s:
            due = s.scalar(
                select(func.min(Job.run_after)).where(
                    Job.kind == SEND_KIND, Job.state == JobState.QUEUED
                )
            )
        if due is None:
            return
        advance(max(due - clock.now(), timedelta(0)))
    pytest.fail("grade jobs still waiting after 40 rounds")


def row(app: Flask, row_id: int) -> ScoreSync:
    with make_session(app)() as s:
        found = s.get(ScoreSync, row_id)
        assert found is not None
        return found


def status_text(app: Flask, row_id: int) -> str:
    """The status partial as the coach's pages include it, in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        status = grading_status.score_status(db.session(), row_id)
        html = render_template("grading/_status.html", status=status, next="/journals/queue")
    return " ".join(html.split())


# -- a grade arrives --------------------------------------------------------------------------------


def test_a_released_grade_arrives_in_the_gradebook_with_what_ags_asks(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 15.5, comment="Sterke reflectie op je klasmanagement.")
    assert "waiting to be sent" in status_text(app, score_id)

    deliver(app, frozen)

    [column] = platform.line_items
    assert (column["resourceId"], column["tag"], column["label"], column["scoreMaximum"]) == (
        RESOURCE,
        "reflectiejournaal",
        "Reflectiejournaal",
        20,
    )
    [received] = platform.received
    assert received.line_item == column["id"]
    assert received.content_type == "application/vnd.ims.lis.v1.score+json"
    assert received.score == {
        "userId": sub,
        "scoreGiven": 15.5,
        "scoreMaximum": 20,
        "comment": "Sterke reflectie op je klasmanagement.",
        "timestamp": "2026-12-08T09:42:00.000+00:00",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    sent = row(app, score_id)
    assert (sent.state, sent.sent_version, sent.sent_at) == (SyncState.SENT, 1, T0)
    assert sent.sending_by is None
    assert "in the gradebook since 8 Dec 10:42" in status_text(app, score_id)  # Brussels time


def test_a_grade_without_a_number_is_sent_without_score_given(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    release(app, course, sub, None, grading_progress="PendingManual", activity_progress="Submitted")
    deliver(app, frozen)
    [score] = platform.scores_for(sub)
    assert "scoreGiven" not in score
    assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "PendingManual")


def test_an_existing_column_is_found_by_resource_link_then_by_resource_id_never_made_twice(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    platform.page_size = 1  # the column is on the last page of three
    platform.add_line_item(resourceId="other", resourceLinkId="link-x")
    platform.add_line_item(label="made by the teacher")
    by_link = platform.add_line_item(resourceLinkId="resource-link-1", label="Journal (LMS)")
    a, b = students(app, lms, 2)
    release(app, course, a, 12)
    with app.app_context():
        s = db.session()
        s.execute(update(LineItem).values(resource_link_id="resource-link-1"))
        s.commit()

    deliver(app, frozen)

    assert len(platform.line_items) == 3  # nothing created
    assert {r.line_item for r in platform.received} == {by_link}

    # Another course's column, known by our resource id only.
    with app.app_context():
        s = db.session()
        s.execute(update(LineItem).values(url=None, resource_link_id=None))
        s.commit()
    by_resource = platform.add_line_item(resourceId=RESOURCE)
    release(app, course, b, 14)
    deliver(app, frozen)
    assert len(platform.line_items) == 4
    assert platform.gradebook()[(by_resource, b)]["scoreGiven"] == 14


def test_two_workers_resolving_one_new_column_create_it_once(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    subs = students(app, lms, 12)
    for sub in subs:
        release(app, course, sub, 10)

    run_workers(app, 3)

    assert len(platform.line_items) == 1
    assert sorted(r.score["userId"] for r in platform.received) == subs


# -- failures, retries, exactly once ----------------------------------------------------------------


def test_through_500_429_and_timeouts_a_grade_arrives_exactly_once_honouring_retry_after(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    platform.faults = [Fault(500), Fault.too_many("120"), Fault.hang(1.5), Fault(503)]
    score_id = release(app, course, sub, 16)

    assert work(app) == 1
    failed = row(app, score_id)
    assert (failed.state, failed.attempts, failed.last_error) == (
        SyncState.PENDING,
        1,
        "HTTP 500 Internal Server Error",
    )
    assert failed.next_try_at is not None and failed.next_try_at > T0
    assert (
        "failed: the learning platform answered HTTP 500 Internal Server Error, next try at 8 Dec 10:42"
        in status_text(app, score_id)
    )
    assert work(app) == 0  # not before its time
    frozen(failed.next_try_at - clock.now())

    assert work(app) == 1  # the 429
    limited = row(app, score_id)
    assert limited.last_error == "HTTP 429 Too Many Requests"
    assert limited.next_try_at == clock.now() + timedelta(seconds=120)
    with make_session(app)() as s:
        job = s.scalars(select(Job).where(Job.kind == SEND_KIND)).one()
        assert job.run_after == clock.now() + timedelta(seconds=120)
    frozen(timedelta(seconds=119))
    assert work(app) == 0
    frozen(timedelta(seconds=1))

    assert work(app) == 1  # the hang: cut off at the tool's timeout
    assert row(app, score_id).last_error == "no answer from the platform in time"

    deliver(app, frozen)  # the 503, then the platform takes it

    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [16]
    assert [status for status, _ in platform.refused] == [500, 429, 504, 503]
    done = row(app, score_id)
    assert (done.state, done.sent_version, done.attempts, done.last_error) == (
        SyncState.SENT,
        1,
        0,
        "",
    )


def test_a_refusal_no_retry_fixes_fails_with_the_reason_and_the_coach_can_resend(
    app: Flask,
    course: int,
    platform: AgsPlatform,
    frozen: Any,
    lms: TestLMS,
    client: FlaskClient,
) -> None:
    [sub] = students(app, lms, 1)
    platform.refuse_scores = (400, {"Content-Type": "application/json"}, b'{"error":"no user"}')
    score_id = release(app, course, sub, 11)

    deliver(app, frozen)

    failed = row(app, score_id)
    assert (failed.state, failed.last_error) == (SyncState.FAILED, "HTTP 400 Bad Request")
    assert platform.received == []
    shown = status_text(app, score_id)
    assert (
        "failed: the learning platform answered HTTP 400 Bad Request" in shown
        and "Send again" in shown
    )

    # The coach (signed in to this course by the launch of the fixture) sends it again.
    platform.refuse_scores = None
    token = csrf(client.get("/coach").get_data(as_text=True))
    answer = client.post(
        f"/grading/scores/{score_id}/resend",
        data={"csrf_token": token, "next": "/journals/queue"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/journals/queue")
    assert "waiting to be sent" in status_text(app, score_id)
    deliver(app, frozen)
    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [11]
    assert row(app, score_id).state is SyncState.SENT


def test_resend_refuses_another_course_a_foreign_next_and_a_missing_token(
    app: Flask,
    course: int,
    platform: AgsPlatform,
    frozen: Any,
    lms: TestLMS,
    client: FlaskClient,
) -> None:
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 11)
    token = csrf(client.get("/coach").get_data(as_text=True))
    assert client.post(f"/grading/scores/{score_id}/resend").status_code == 400  # no CSRF token
    assert (
        client.post(f"/grading/scores/{score_id + 1}/resend", data={"csrf_token": token})
    ).status_code == 404
    with app.app_context():
        s = db.session()
        other = Course(platform_id=s.get(Course, course).platform_id, context_id="course-2")  # type: ignore[union-attr]
        s.add(other)
        s.flush()
        s.execute(update(LineItem).values(course_id=other.id))
        s.commit()
    refused = client.post(f"/grading/scores/{score_id}/resend", data={"csrf_token": token})
    assert refused.status_code == 404
    with app.app_context():
        s = db.session()
        s.execute(update(LineItem).values(course_id=course))
        s.commit()
    away = client.post(
        f"/grading/scores/{score_id}/resend",
        data={"csrf_token": token, "next": "//evil.example/x"},
    )
    assert away.status_code == 303 and "evil" not in away.headers["Location"]


def test_a_student_cannot_resend(
    app: Flask, course: int, platform: AgsPlatform, lms: TestLMS, launched: Any, client: FlaskClient
) -> None:
    student = LmsPerson("student-001", "Lotte Janssens", [LEARNER])
    assert launched(student).status == 200  # the client is now the student's browser
    score_id = release(app, course, student.sub, 9)
    app.config["WTF_CSRF_ENABLED"] = False  # past the token: the permission is what refuses
    assert client.post(f"/grading/scores/{score_id}/resend").status_code == 403
    assert row(app, score_id).version == 1


def test_out_of_attempts_the_grade_shows_failed(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    platform.faults = [Fault(502)] * 15
    score_id = release(app, course, sub, 13)
    deliver(app, frozen)
    failed = row(app, score_id)
    assert failed.state is SyncState.FAILED
    assert "HTTP 502 Bad Gateway" in failed.last_error
    assert platform.received == []
    assert "Send again" in status_text(app, score_id)


# -- regrades: the newest only ------------------------------------------------------------------------


def test_a_regrade_updates_the_gradebook_with_a_later_timestamp(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 12)
    deliver(app, frozen)
    release(app, course, sub, 17, comment="Herwerkt: nu sterk.")  # same moment on the clock
    deliver(app, frozen)

    first, second = platform.scores_for(sub)
    assert (first["scoreGiven"], second["scoreGiven"]) == (12, 17)
    assert second["timestamp"] > first["timestamp"]  # 1 ms later although the clock stood still
    [(_, shown)] = platform.gradebook().items()
    assert (shown["scoreGiven"], shown["comment"]) == (17, "Herwerkt: nu sterk.")
    assert (row(app, score_id).version, row(app, score_id).sent_version) == (2, 2)


def test_regrades_before_the_worker_ran_send_only_the_newest_once(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    for grade in (8, 10, 14):
        score_id = release(app, course, sub, grade)
        frozen(timedelta(minutes=1))
    deliver(app, frozen)
    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [14]
    assert row(app, score_id).sent_version == 3


def test_a_regrade_while_a_retry_waits_is_what_arrives(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    platform.faults = [Fault.too_many("30")]
    release(app, course, sub, 9)
    work(app)
    release(app, course, sub, 12)
    assert work(app) == 1  # the regrade's job waits for the platform's Retry-After as well
    assert platform.received == []
    deliver(app, frozen)
    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [12]


# -- never lost, never twice -------------------------------------------------------------------------


def test_a_worker_killed_in_the_middle_of_a_send_loses_nothing(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 15)
    # A worker claims the job and the score row, then its process is killed before it sends.
    with make_session(app)() as s:
        dead = claim_next(s, "worker-killed", kinds=[SEND_KIND])
        assert dead is not None
        s.execute(
            update(ScoreSync)
            .where(ScoreSync.id == score_id)
            .values(sending_by="worker-killed", sending_since=clock.now())
        )
        s.commit()
    assert "waiting to be sent" in status_text(app, score_id)

    frozen(timedelta(minutes=4))
    assert work(app, "worker-2") == 0  # the job's lease holds
    frozen(timedelta(minutes=7))
    deliver(app, frozen)

    assert [s["scoreGiven"] for s in platform.scores_for(sub)] == [15]
    assert row(app, score_id).state is SyncState.SENT


def test_a_worker_that_finds_the_score_claimed_comes_back_and_never_sends_it_twice(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 15)
    with make_session(app)() as s:
        s.execute(
            update(ScoreSync)
            .where(ScoreSync.id == score_id)
            .values(sending_by="another-worker", sending_since=clock.now())
        )
        s.commit()
    assert work(app) == 1
    with make_session(app)() as s:
        job = s.scalars(select(Job).where(Job.kind == SEND_KIND)).one()
    assert (job.state, job.last_error) == (JobState.QUEUED, "another worker is sending this score")
    assert job.run_after == clock.now() + timedelta(seconds=5)
    assert platform.received == []
    # The other worker sent it and recorded so.
    with make_session(app)() as s:
        s.execute(
            update(ScoreSync)
            .where(ScoreSync.id == score_id)
            .values(sending_by=None, sending_since=None, sent_version=1, state=SyncState.SENT)
        )
        s.commit()
    deliver(app, frozen)
    assert platform.received == []


def run_workers(app: Flask, count: int) -> None:
    """``count`` workers (threads, each with its own connections) until nothing is due."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(30):
                if work(app, f"worker-{n}") == 0:
                    with make_session(app)() as s:
                        waiting = s.scalar(
                            select(func.count())
                            .select_from(Job)
                            .where(Job.kind == SEND_KIND, Job.state.in_(["queued", "running"]))
                        )
                    if not waiting:
                        return
                    clock.freeze(clock.now() + timedelta(seconds=6))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_workers_in_parallel_never_send_one_score_twice(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    subs = students(app, lms, 24)
    platform.delay = 0.02  # sends in flight overlap
    # No hang here: on a busy machine a one-second timeout would cut off an answer the platform
    # gave late, and the send that follows (same score, same timestamp, as designed) would count
    # as a second one. Only the workers' claims are under test.
    app.config["HTTP_TIMEOUT_SECONDS"] = 30
    for i, sub in enumerate(subs):
        release(app, course, sub, 10)
        if i % 2 == 0:
            release(app, course, sub, 18)  # a regrade right away: two jobs for one row at once

    run_workers(app, 4)

    received = Counter(r.score["userId"] for r in platform.received)
    assert received == dict.fromkeys(subs, 1)  # the newest only, once
    book = platform.gradebook()
    assert {sub: s["scoreGiven"] for (_, sub), s in book.items()} == {
        sub: 18 if i % 2 == 0 else 10 for i, sub in enumerate(subs)
    }
    with make_session(app)() as s:
        states = Counter(s.scalars(select(ScoreSync.state)))
    assert states == {SyncState.SENT: 24}


# -- only what was released, and only where AGS is ---------------------------------------------------


def test_a_grade_not_released_is_never_sent(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    [sub] = students(app, lms, 1)
    # The release failed (its transaction rolled back): no score row, no job.
    release(app, course, sub, 19, commit=False)
    deliver(app, frozen)
    assert platform.received == []
    with make_session(app)() as s:
        assert s.scalar(select(func.count()).select_from(ScoreSync)) == 0
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == SEND_KIND)) == 0


def test_a_course_without_ags_says_so_and_sends_nothing(
    app: Flask, course: int, platform: AgsPlatform, frozen: Any, lms: TestLMS
) -> None:
    with app.app_context():
        s = db.session()
        s.execute(update(Course).values(ags_lineitems_url=None))
        s.commit()
    [sub] = students(app, lms, 1)
    score_id = release(app, course, sub, 15)
    deliver(app, frozen)
    assert row(app, score_id).state is SyncState.NO_AGS
    assert platform.received == [] and platform.token_requests == 0
    assert "this learning platform does not receive grades from Driehoek" in status_text(
        app, score_id
    )


# -- Canvas ------------------------------------------------------------------------------------------


def test_canvas_gets_its_submission_extension_pointing_at_the_review(app: Flask) -> None:
    score = ScoreSync(
        score_given=15,
        score_maximum=20,
        comment="",
        timestamp=T0,
        activity_progress="Completed",
        grading_progress="FullyGraded",
        review_url=REVIEW_URL,
        version=1,
        sent_version=0,
    )
    first = score_body(score, "abc", on_canvas=True)
    assert first["https://canvas.instructure.com/lti/submission"] == {
        "new_submission": True,
        "submission_type": "basic_lti_launch",
        "submission_data": REVIEW_URL,
    }
    score.version, score.sent_version = 2, 1
    regrade = score_body(score, "abc", on_canvas=True)
    assert regrade["https://canvas.instructure.com/lti/submission"]["new_submission"] is False
    assert "https://canvas.instructure.com/lti/submission" not in score_body(
        score, "abc", on_canvas=False
    )


def test_the_reason_a_grade_failed_reads_in_the_coachs_language(app: Flask) -> None:
    """The worker stores its reason in English (for the log as well); the coach reads it in
    Dutch, with the LMS's own status line as the LMS said it."""
    from flask_babel import force_locale

    stored = {
        "grade not delivered: no answer from the platform in time": (
            "geen antwoord van het leerplatform"
        ),
        "HTTP 429 Too Many Requests": "HTTP 429 Too Many Requests",
        "grade refused: the platform refused an access token (HTTP 401)": "HTTP 401",
        "something the platform said": "something the platform said",
    }
    with app.test_request_context(), force_locale("nl"):
        for text, expected in stored.items():
            shown = grading_status.shown_reason(text)
            assert expected in shown, (text, shown)
            assert "grade not delivered" not in shown and "grade refused" not in shown
        assert grading_status.shown_reason("HTTP 500 Internal Server Error").startswith(
            "het leerplatform antwoordde"
        )
