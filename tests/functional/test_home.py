"""/home, where `/` sends a signed-in person: each to their own start page.

Students, coaches and coordinators come in by a real LTI launch, a mentor by a sign-in link,
each in a browser of their own; someone who is not signed in is told so.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.guests import add_mentor, english_client, sign_in_mentor, text
from tests.launching import FlaskBrowser, Page, launch, login
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, LIS, Person, TestLMS

STUDENT = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", "en")
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", "en")
COORDINATOR = Person("coordinator-1", "Sofie Maes", [ADMIN], "sofie@hogeschool.example", "en")
OBSERVER = Person("observer-1", "Mark Janssens", [LIS + "membership#Mentor"], locale="en")
ELS = "els.mertens@sint-jozef.example"

REGISTRATIONS = "Learning platforms and registrations"  # on the coach's page for coordinators


def launched_client(app: Flask, lms: TestLMS, person: Person) -> FlaskClient:
    """A browser of its own, launched as ``person``; the launch's own redirect is not followed,
    so the only way to a start page in these tests is /home."""
    client = english_client(app)
    page = launch(FlaskBrowser(client), lms, person, follow=False)
    assert page.status == 303, page.text[:800]
    return client


def landing(client: FlaskClient, path: str = "/home") -> tuple[str, str]:
    """Where ``path`` sends this browser, and the text of the page it lands on."""
    response = client.get(path)
    assert response.status_code == 302, (path, response.status_code, text(response)[:800])
    target = response.headers["Location"]
    page = client.get(target)
    assert page.status_code == 200, (target, page.status_code, text(page)[:800])
    return target, text(page)


@pytest.mark.parametrize(
    ("person", "start", "title"),
    [
        pytest.param(STUDENT, "/student", "My placement", id="student"),
        pytest.param(COACH, "/coach", "Course overview", id="coach-Instructor"),
        pytest.param(COORDINATOR, "/coach", "Course overview", id="coordinator-Administrator"),
    ],
)
def test_a_launched_person_goes_home_to_their_own_start_page(
    app: Flask, lms: TestLMS, person: Person, start: str, title: str
) -> None:
    client = launched_client(app, lms, person)

    target, page = landing(client)

    assert target == start
    assert f"<title>{title} · Driehoek</title>" in page
    assert (REGISTRATIONS in page) == (person is COORDINATOR)  # the coordinator's own links


def test_a_signed_in_mentor_goes_home_to_the_mentor_portal(app: Flask) -> None:
    add_mentor(app, ELS, "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)

    target, page = landing(mentor)

    assert target == "/mentor"
    assert "<title>My students · Driehoek</title>" in page


def test_someone_not_signed_in_is_told_so_at_home(app: Flask) -> None:
    response = english_client(app).get("/home")
    assert response.status_code == 401
    assert "You are not signed in" in text(response)


def test_a_refused_launch_signs_nobody_in(app: Flask, lms: TestLMS) -> None:
    # An LMS "Mentor" (a parent or observer) has no role in Driehoek: the launch is refused,
    # so no session without a role exists to reach /home's last branch.
    client = english_client(app)
    refused = launch(FlaskBrowser(client), lms, OBSERVER)
    assert refused.status == 403, refused.text[:800]

    assert client.get("/home").status_code == 401


def _launch_as_observer(browser: FlaskBrowser, lms: TestLMS) -> Page:
    """Lotte again, but the LMS now gives her a role Driehoek does not accept."""
    return launch(browser, lms, Person(STUDENT.sub, STUDENT.name, OBSERVER.roles, locale="en"))


def _replay_the_first_launch(browser: FlaskBrowser, lms: TestLMS) -> Page:
    """A launch whose token was spent already: refused before anyone is known."""
    form = lms.authorize(login(browser, lms, STUDENT), STUDENT)
    fields = {"id_token": form["id_token"], "state": form["state"]}
    assert browser.post(form["launch_url"], fields).status == 303
    return browser.post(form["launch_url"], fields)


def test_a_refused_launch_ends_the_session_of_whoever_was_signed_in(
    app: Flask, lms: TestLMS
) -> None:
    client = launched_client(app, lms, STUDENT)
    elsewhere = launched_client(app, lms, STUDENT)  # Lotte on her phone too
    assert client.get("/student").status_code == 200

    refused = _launch_as_observer(FlaskBrowser(client), lms)

    assert refused.status == 403, refused.text[:800]
    assert "Lotte Janssens" not in refused.text  # the refusal greets nobody
    for path in ("/student", "/home", "/hours"):
        assert client.get(path).status_code == 401, path
    # Only this browser's session ended.
    assert elsewhere.get("/student").status_code == 200


def _post_junk_from_another_site(browser: FlaskBrowser, lms: TestLMS) -> Page:
    """Any page on the internet can post to the launch URL; its token proves nothing."""
    return browser.post(browser.base + "/lti/launch", {"id_token": "x.y.z", "state": "nope"})


@pytest.mark.parametrize(
    "not_a_launch",
    [
        pytest.param(_replay_the_first_launch, id="replayed-token"),
        pytest.param(_post_junk_from_another_site, id="junk-post"),
    ],
)
def test_a_post_that_is_no_valid_launch_signs_nobody_out(
    app: Flask, lms: TestLMS, not_a_launch: Any
) -> None:
    client = launched_client(app, lms, STUDENT)

    refused = not_a_launch(FlaskBrowser(client), lms)

    assert refused.status == 400, refused.text[:800]
    assert client.get("/student").status_code == 200  # Lotte is still Lotte


@pytest.mark.parametrize(
    ("person", "start"),
    [pytest.param(STUDENT, "/student", id="student"), pytest.param(COACH, "/coach", id="coach")],
)
def test_the_front_page_sends_a_signed_in_person_home(
    app: Flask, lms: TestLMS, person: Person, start: str
) -> None:
    client = launched_client(app, lms, person)

    front = client.get("/")

    assert front.status_code == 302
    assert front.headers["Location"] == "/home"
    assert landing(client, "/home")[0] == start


def test_the_front_page_sends_a_signed_in_mentor_home(app: Flask) -> None:
    add_mentor(app, ELS, "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)

    assert mentor.get("/").headers["Location"] == "/home"
    assert landing(mentor, "/home")[0] == "/mentor"


def test_the_front_page_is_shown_to_someone_not_signed_in(app: Flask) -> None:
    front = english_client(app).get("/")
    assert front.status_code == 200
    assert "Location" not in front.headers
