"""Helpers for tests of mentors (guests) and the hours log: placements, sign-in, forms.

Mentors sign in the way they do in life: a link is issued (as the mail would carry it), opened
with GET, and spent with the button's POST.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.guests.invitations import send_sign_in_link
from lti_app.placements.models import Placement
from lti_app.roster.models import Course, Person
from lti_app.schools.models import Mentor
from tests import factories
from tests.launching import FlaskBrowser, launch
from tests.lms import Person as LmsPerson
from tests.lms import TestLMS


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def english_client(app: Flask) -> FlaskClient:
    """A browser whose language is English (the Dutch catalog is merged separately)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def path_of(url: str) -> str:
    return urlsplit(url).path


def launched_course(app: Flask) -> int:
    """The course the test LMS launches into (context "course-1")."""
    with app.app_context():
        course_id = db.session().scalar(select(Course.id).where(Course.context_id == "course-1"))
        assert course_id is not None, "launch someone first"
        return int(course_id)


def person_id(app: Flask, sub: str) -> int:
    with app.app_context():
        found = db.session().scalar(select(Person.id).where(Person.sub == sub))
        assert found is not None, f"{sub} never launched"
        return int(found)


def add_mentor(
    app: Flask, email: str, name: str, locale: str = "en", college_id: int | None = None
) -> int:
    """A mentor of ``college_id`` (default: the installation's first college)."""
    with app.app_context():
        s = db.session()
        if college_id is None:
            with factories.bound(s):
                college_id = factories.the_college().id
        mentor = Mentor(college_id=college_id, email=email, name=name, locale=locale)
        s.add(mentor)
        s.commit()
        return mentor.id


def add_placement(
    app: Flask,
    *,
    mentors: list[int],
    course_id: int | None = None,
    student_id: int | None = None,
    student_name: str | None = None,
    school: str | None = None,
    **values: Any,
) -> int:
    """An approved placement (factories fill what is not given); returns its id."""
    with app.app_context():
        s = db.session()
        with factories.bound(s):
            extra: dict[str, Any] = {}
            if course_id is not None:
                extra["course"] = s.get(Course, course_id)
            if student_id is not None:
                extra["student"] = s.get(Person, student_id)
            elif student_name is not None:
                given, _, family = student_name.partition(" ")
                extra["student"] = factories.PersonFactory(
                    name=student_name, given_name=given, family_name=family
                )
            if school is not None:
                extra["school"] = factories.SchoolFactory(name=school)
            placement = factories.PlacementFactory(
                mentors=[s.get(Mentor, m) for m in mentors],
                start_date=values.pop("start_date", clock.today() - timedelta(days=30)),
                end_date=values.pop("end_date", clock.today() + timedelta(days=60)),
                **extra,
                **values,
            )
        s.commit()
        return placement.id


def placement_student(app: Flask, placement_id: int) -> str:
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        return placement.student.display_name


def issue_sign_in_link(app: Flask, email: str) -> str:
    """A fresh general sign-in link for this mentor, as the mail would carry it."""
    with app.test_request_context():
        s = db.session()
        link = send_sign_in_link(s, email)
        s.commit()
        assert link is not None, f"no mentor with {email}"
        return link.url


def sign_in_mentor(app: Flask, client: FlaskClient, email: str) -> None:
    """Open a fresh link and press the button, as the mentor does."""
    path = path_of(issue_sign_in_link(app, email))
    page = client.get(path)
    assert page.status_code == 200, text(page)[:800]
    response = client.post(path, data={"csrf_token": csrf(text(page))})
    assert response.status_code == 303, text(response)[:800]
    assert response.headers["Location"].endswith("/mentor")


def add_entry(app: Flask, placement_id: int, **values: Any) -> int:
    """An hour entry on a placement (pending unless ``state`` says otherwise); returns its id."""
    from lti_app.hours.models import HourState

    with app.app_context():
        s = db.session()
        with factories.bound(s):
            values.setdefault("state", HourState.PENDING)
            entry = factories.HourEntryFactory(placement=s.get(Placement, placement_id), **values)
        s.commit()
        return entry.id


def launch_client(app: Flask, lms: TestLMS, person: LmsPerson) -> FlaskClient:
    """A browser of its own, launched from the test LMS as ``person``."""
    client = english_client(app)
    page = launch(FlaskBrowser(client), lms, person)
    assert page.status == 200, page.text[:800]
    return client
