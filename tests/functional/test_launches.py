"""Valid launches from a platform (lti1p3platform), as students, coaches and coordinators meet them.

Each launch goes through the real OIDC login, a token signed by the test LMS and the tool's
redirects, ending on the page the person sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from lti_app import create_app
from lti_app.lti.state import DatabaseStateStore
from lti_app.roster.models import Course, Membership, Person, Role
from tests.conftest import settings
from tests.launching import FlaskBrowser, launch, login
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, LIS
from tests.lms import Person as LmsPerson

TEACHING_ASSISTANT = LIS + "membership/Instructor#TeachingAssistant"
MENTOR = LIS + "membership#Mentor"
TABLES = ("person", "course", "membership")


def rows(app: Flask) -> dict[str, int]:
    with app.extensions["db_engine"].connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def stored(app: Flask, sub: str) -> tuple[Person, Course, Membership]:
    """The person with this sub, their one course and membership, as the database has them."""
    with app.extensions["db_sessionmaker"]() as s:
        person = s.scalars(select(Person).where(Person.sub == sub)).one()
        membership = s.scalars(select(Membership).where(Membership.person_id == person.id)).one()
        course = s.get(Course, membership.course_id)
        assert course is not None
        return person, course, membership


def new_browser(app: Flask, language: str | None = None) -> FlaskBrowser:
    client = app.test_client()
    if language:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return FlaskBrowser(client)


def path_of(page: Any) -> str:
    return str(page.url).removeprefix("http://tool.test")


# -- who lands where ----------------------------------------------------------------------------


def test_student_lands_on_their_home_with_their_name_and_course(launched, student) -> None:
    page = launched(student)

    assert page.status == 200, page.text[:800]
    assert path_of(page) == "/student"
    assert "Lotte Janssens" in page.text
    assert "Stage SO" in page.text


def test_student_may_not_open_the_coach_page(launched, browser, student) -> None:
    launched(student)

    assert browser.get(browser.base + "/coach").status == 403


def test_coach_sees_the_students_who_launched_before(app: Flask, lms, coach) -> None:
    lotte = LmsPerson("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example")
    jonas = LmsPerson("student-2", "Jonas De Smet", [LEARNER], "jonas@student.example")
    elsewhere = LmsPerson("student-3", "Mira Claes", [LEARNER])
    launch(new_browser(app), lms, lotte)
    launch(new_browser(app), lms, jonas)
    other_course = {"context_id": "course-2", "context_title": "Stage LO", "context_label": "LO"}
    launch(new_browser(app), lms, elsewhere, context=other_course)

    page = launch(new_browser(app), lms, coach)

    assert page.status == 200, page.text[:800]
    assert path_of(page) == "/coach"
    assert "Stage SO" in page.text
    assert "Lotte Janssens" in page.text
    assert "jonas@student.example" in page.text
    assert "Mira Claes" not in page.text  # a student of another course


def test_coach_sees_no_students_before_any_launched(launched) -> None:
    page = launched(LmsPerson("coach-1", "An Peeters", [INSTRUCTOR], locale="en-GB"))

    assert path_of(page) == "/coach"
    assert "Lotte" not in page.text
    assert "No students known yet." in page.text


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param([TEACHING_ASSISTANT], id="TeachingAssistant-sub-role"),
        pytest.param(["Instructor"], id="short-name-Instructor"),
        pytest.param([INSTRUCTOR], id="full-Instructor-URI"),
    ],
)
def test_instructor_roles_land_on_the_coach_page(
    app: Flask, lms, launched, student, roles: list[str]
) -> None:
    launch(new_browser(app), lms, student)
    person = LmsPerson("ta-1", "Bram Wouters", roles)

    page = launched(person)

    assert page.status == 200, page.text[:800]
    assert path_of(page) == "/coach"
    assert "Lotte Janssens" in page.text
    assert stored(app, "ta-1")[2].role == Role.COACH


def test_institution_administrator_is_a_coordinator_who_manages_registrations(
    app: Flask, lms, launched, browser
) -> None:
    admin = LmsPerson("admin-1", "Els Maes", [ADMIN])

    page = launched(admin)

    assert page.status == 200, page.text[:800]
    assert path_of(page) == "/coach"
    assert "/admin/registrations" in page.text
    registrations = browser.get(browser.base + "/admin/registrations")
    assert registrations.status == 200
    assert lms.issuer in registrations.text
    assert stored(app, "admin-1")[2].role == Role.COORDINATOR


def test_student_may_not_open_registrations(app: Flask, lms) -> None:
    browser = new_browser(app)
    page = launch(browser, lms, LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale="en"))
    assert path_of(page) == "/student"
    assert "/admin/registrations" not in page.text

    refused = browser.get(browser.base + "/admin/registrations")

    assert refused.status == 403
    assert "You may not open this page" in refused.text
    assert lms.issuer not in refused.text


def test_coach_may_not_open_registrations(launched, browser, coach) -> None:
    launched(coach)

    assert browser.get(browser.base + "/admin/registrations").status == 403


def test_role_the_tool_does_not_know_is_refused_and_nothing_written(
    app: Flask, lms, client: FlaskClient, browser
) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    parent = LmsPerson("mentor-1", "Piet Janssens", [MENTOR])

    page = launch(browser, lms, parent)

    assert page.status == 403, page.text[:800]
    assert "Driehoek is for students, coaches and coordinators of this course." in page.text
    assert "Traceback" not in page.text
    assert rows(app) == {"person": 0, "course": 0, "membership": 0}
    assert browser.get(browser.base + "/home").status == 401


# -- what the first and later launches write ----------------------------------------------------


def test_first_launch_creates_person_course_and_membership(app: Flask, launched, student) -> None:
    assert rows(app) == {"person": 0, "course": 0, "membership": 0}

    launched(student)

    assert rows(app) == {"person": 1, "course": 1, "membership": 1}
    person, course, membership = stored(app, "student-1")
    assert (person.name, person.email, person.locale) == (
        "Lotte Janssens",
        "lotte@student.example",
        "nl-BE",
    )
    assert (course.context_id, course.title, course.label) == ("course-1", "Stage SO", "SO")
    assert membership.role == Role.STUDENT
    assert membership.lti_roles == [LEARNER]
    assert membership.last_launch_at is not None


def test_second_launch_updates_name_email_course_title_and_locale(app: Flask, lms, student) -> None:
    launch(new_browser(app), lms, student)
    renamed = LmsPerson(
        "student-1", "Lotte Peeters", [LEARNER], "lotte.peeters@ho.example", "en-GB"
    )
    retitled = {"context_id": "course-1", "context_title": "Stage SO 2", "context_label": "SO2"}

    page = launch(new_browser(app), lms, renamed, context=retitled)

    assert page.status == 200, page.text[:800]
    assert "Lotte Peeters" in page.text
    assert "Stage SO 2" in page.text
    assert rows(app) == {"person": 1, "course": 1, "membership": 1}
    person, course, _ = stored(app, "student-1")
    assert (person.name, person.email, person.locale) == (
        "Lotte Peeters",
        "lotte.peeters@ho.example",
        "en-GB",
    )
    assert (course.title, course.label) == ("Stage SO 2", "SO2")


def test_student_who_becomes_a_coach_in_the_course_keeps_one_membership(
    app: Flask, lms, student
) -> None:
    launch(new_browser(app), lms, student)
    promoted = LmsPerson(student.sub, student.name, [INSTRUCTOR], student.email)

    page = launch(new_browser(app), lms, promoted)

    assert path_of(page) == "/coach"
    assert rows(app) == {"person": 1, "course": 1, "membership": 1}
    assert stored(app, student.sub)[2].role == Role.COACH


def test_same_sub_from_two_courses_is_one_person_in_two_courses(app: Flask, lms, student) -> None:
    launch(new_browser(app), lms, student)
    other_course = {"context_id": "course-2", "context_title": "Stage LO", "context_label": "LO"}
    launch(new_browser(app), lms, student, context=other_course)

    assert rows(app) == {"person": 1, "course": 2, "membership": 2}
    with app.extensions["db_sessionmaker"]() as s:
        titles = s.scalars(select(Course.title).order_by(Course.title)).all()
        assert titles == ["Stage LO", "Stage SO"]
        assert s.scalar(select(func.count()).select_from(Membership)) == 2


# -- language -----------------------------------------------------------------------------------


ENGLISH = ("en", "My placement")
DUTCH = ("nl", "Mijn stage")


@pytest.mark.parametrize(
    ("locale", "browser_language", "expected"),
    [
        pytest.param("en-GB", "nl", ENGLISH, id="en-GB-is-English"),
        pytest.param("nl-BE", "en", DUTCH, id="nl-BE-is-Dutch"),
        pytest.param("en", "nl", ENGLISH, id="en-is-English"),
        pytest.param("nl_BE", "en", DUTCH, id="nl_BE-is-Dutch"),
    ],
)
def test_launch_locale_chooses_the_interface_language(
    app: Flask, lms, locale: str, browser_language: str, expected: tuple[str, str]
) -> None:
    # The browser asks for the other language: the platform's locale must win.
    lang, heading = expected
    person = LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale=locale)
    page = launch(new_browser(app, browser_language), lms, person)

    assert page.status == 200, page.text[:800]
    assert f'<html lang="{lang}">' in page.text
    assert heading in page.text


def test_launch_locale_the_tool_does_not_speak_falls_back_to_the_browser(app: Flask, lms) -> None:
    person = LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale="fr-BE")
    page = launch(new_browser(app, "en"), lms, person)

    assert '<html lang="en">' in page.text


# -- several app servers ------------------------------------------------------------------------


@pytest.fixture
def app_servers(
    request: pytest.FixtureRequest, app: Flask, database_url: str, instance_dir: Path
) -> Iterator[tuple[Flask, Flask]]:
    """Two app servers on one database (and, for "redis", one Redis), as behind a balancer."""
    extra = {"REDIS_URL": request.getfixturevalue("redis_db")} if request.param == "redis" else {}
    servers = tuple(create_app(settings(database_url, instance_dir, **extra)) for _ in range(2))
    yield servers  # type: ignore[misc]
    for server in servers:
        server.extensions["db_engine"].dispose()


@pytest.mark.parametrize("app_servers", ["database", "redis"], indirect=True)
def test_login_on_one_app_server_and_launch_on_another(
    app: Flask, app_servers: tuple[Flask, Flask], lms, student
) -> None:
    first, second = (FlaskBrowser(server.test_client()) for server in app_servers)
    auth_query = login(first, lms, student)
    form = lms.authorize(auth_query, student)
    cookie = "lti1p3-" + form["state"]
    second.client.set_cookie(cookie, first.client.get_cookie(cookie).value)
    with app.extensions["db_engine"].connect() as conn:
        in_database = conn.execute(text("SELECT count(*) FROM launch_state")).scalar_one()
    # The login's state waits in the shared store: the database, or Redis when configured.
    assert (in_database > 0) == isinstance(
        app_servers[0].extensions["state_store"], DatabaseStateStore
    )

    page = second.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    while page.status in (302, 303):
        page = second.get(second.base + page.location)

    assert page.status == 200, page.text[:800]
    assert path_of(page) == "/student"
    assert "Lotte Janssens" in page.text
    replay = first.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    assert replay.status == 400
    assert rows(app) == {"person": 1, "course": 1, "membership": 1}


# -- the cookie fallback ------------------------------------------------------------------------


def test_a_browser_that_dropped_the_state_cookie_gets_in_through_a_new_window(
    app: Flask, lms, student
) -> None:
    """The iframe lost its cookie; the page offers a new window that completes the launch."""
    import html
    import re

    framed = new_browser(app)
    auth = login(framed, lms, student)
    form = lms.authorize(auth, student)
    framed.client.delete_cookie("lti1p3-" + form["state"])
    blocked = framed.post(
        form["launch_url"], {"id_token": form["id_token"], "state": form["state"]}
    )
    assert blocked.status == 400
    assert "Open Driehoek in een nieuw venster" in blocked.text  # Dutch by default
    assert rows(app) == {"person": 0, "course": 0, "membership": 0}

    action = re.search(r'<form method="post" action="([^"]+)" target="_blank">', blocked.text)
    assert action is not None and action.group(1) == "/lti/continue"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', blocked.text))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    assert fields["login_hint"] == student.sub and fields["iss"] == lms.issuer

    window = new_browser(app)  # a new top-level window: first-party cookies work
    redirect = window.post(window.base + "/lti/continue", fields)
    assert redirect.status == 302 and redirect.location.startswith(lms.url("/auth"))
    from urllib.parse import parse_qsl, urlsplit

    second = lms.authorize(dict(parse_qsl(urlsplit(redirect.location).query)), student)
    page = window.post(
        second["launch_url"], {"id_token": second["id_token"], "state": second["state"]}
    )
    while page.status in (302, 303):
        page = window.get(window.base + page.location)
    assert page.status == 200 and path_of(page) == "/student"
    assert "Lotte" in page.text
