"""A course's programme: asked once of a coach at the course's first launch, when the LMS link
names none; a coordinator may change it later; students and mentors may not touch it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import db
from lti_app.colleges.models import Programme
from lti_app.roster.models import Course
from tests.conftest import TOOL_BASE
from tests.guests import add_mentor, csrf, english_client, sign_in_mentor, text
from tests.launching import FlaskBrowser, launch
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, Person, TestLMS

COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", "en")
COORDINATOR = Person("coord-1", "Koen Maes", [INSTRUCTOR, ADMIN], "koen@hogeschool.example", "en")
STUDENT = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", "en")


def _launch(app: Flask, lms: TestLMS, person: Person) -> tuple[FlaskClient, str]:
    """Launch without following the last redirect: where does the launch send this person?"""
    client = english_client(app)
    page = launch(FlaskBrowser(client), lms, person)
    return client, page.url


def _programme(app: Flask) -> str | None:
    with app.app_context():
        course = db.session().scalars(select(Course)).one()
        return course.programme.name if course.programme else None


def _choose(client: FlaskClient, **data: str) -> object:
    page = text(client.get("/course/programme"))
    return client.post("/course/programme", data={"csrf_token": csrf(page), **data})


def test_a_coach_names_the_programme_once_then_only_a_coordinator_changes_it(app: Flask) -> None:
    lms = TestLMS(tool_base=TOOL_BASE, programme=None)  # the LMS link names no programme
    try:
        from lti_app.lti.registration import add_platform

        with app.app_context():
            add_platform(db.session(), **lms.tool_registration())
            db.session().commit()
        coach, landed = _launch(app, lms, COACH)
        assert landed.endswith("/course/programme")  # asked at the first launch
        saved = _choose(coach, programme="another", new_name="  Educatief   graduaat ")
        assert saved.status_code == 303  # type: ignore[attr-defined]
        assert _programme(app) == "Educatief graduaat"
        assert _launch(app, lms, COACH)[1].endswith("/coach")  # not asked again

        # The coach may not change it any more; the page says which programme it is.
        page = text(coach.get("/course/programme"))
        assert "This course belongs to Educatief graduaat." in page
        assert _choose(coach, programme="another", new_name="Iets anders").status_code == 403  # type: ignore[attr-defined]
        assert _programme(app) == "Educatief graduaat"

        coordinator, _ = _launch(app, lms, COORDINATOR)
        changed = _choose(coordinator, programme="another", new_name="Verkorte bachelor")
        assert changed.status_code == 303  # type: ignore[attr-defined]
        assert _programme(app) == "Verkorte bachelor"
        with app.app_context():
            names = sorted(db.session().scalars(select(Programme.name)))
        assert names == ["Educatief graduaat", "Verkorte bachelor"]

        # An empty new name is refused, what was chosen stays.
        empty = _choose(coordinator, programme="another", new_name=" ")
        assert empty.status_code == 422  # type: ignore[attr-defined]
        assert "Name the programme." in text(empty)
        assert _programme(app) == "Verkorte bachelor"
    finally:
        lms.close()


def test_students_and_mentors_may_not_name_a_programme(app: Flask, lms: TestLMS) -> None:
    student, _ = _launch(app, lms, STUDENT)
    token = csrf(text(student.get("/student")))
    before = _programme(app)
    refused = student.post(
        "/course/programme", data={"csrf_token": token, "programme": "another", "new_name": "X"}
    )
    assert refused.status_code == 403
    assert student.get("/course/programme").status_code == 403

    add_mentor(app, "els@sint-jozef.example", "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, "els@sint-jozef.example")
    assert mentor.get("/course/programme").status_code == 403
    assert english_client(app).get("/course/programme").status_code == 401
    assert _programme(app) == before
