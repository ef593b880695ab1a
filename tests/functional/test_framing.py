"""Who may frame which page (CSP frame-ancestors), and which pages stay out of caches.

Launched pages: only the signed-in person's college's platforms (learnt from the Origin of
their launch, plus the issuer's origin). Guest pages, sign-in pages and /verify: nobody.
Every page shown to someone signed in: Cache-Control no-store.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from lti_app import db
from lti_app.colleges.service import add_college
from lti_app.lti.registration import add_platform
from tests.conftest import TOOL_BASE
from tests.guests import add_mentor, english_client, issue_sign_in_link, path_of, sign_in_mentor
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, Person, TestLMS

COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", "en")
NOORD_COACH = Person("noord-1", "Ilse Noord", [INSTRUCTOR], "ilse@noord.example", "en")
LMS_PAGE = "https://moodle.hogeschool.example"
ELS = "els.mertens@sint-jozef.example"


def frame_ancestors(response: object) -> str:
    policy = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    found = re.search(r"frame-ancestors ([^;]+)", policy)
    assert found, policy
    return found.group(1).strip()


def launched(app: Flask, lms: TestLMS, person: Person, origin: str | None) -> FlaskClient:
    """A browser launched as ``person``, its launch POST sent from the LMS page ``origin``."""
    client = english_client(app)
    browser = FlaskBrowser(client)
    if origin:
        client.environ_base["HTTP_ORIGIN"] = origin
    page = launch(browser, lms, person)
    client.environ_base.pop("HTTP_ORIGIN", None)
    assert page.status == 200, page.text[:500]
    return client


def test_launched_pages_are_framed_only_by_the_colleges_own_platforms(
    app: Flask, lms: TestLMS
) -> None:
    noord_lms = TestLMS(tool_base=TOOL_BASE, client_id="noord-client")
    try:
        with app.app_context():
            s = db.session()
            add_platform(s, **noord_lms.tool_registration(), college=add_college(s, "Noord"))
            s.commit()
        coach = launched(app, lms, COACH, LMS_PAGE)
        noord = launched(app, noord_lms, NOORD_COACH, "https://canvas.noord.example")

        page = coach.get("/coach")
        allowed = frame_ancestors(page).split()
        assert LMS_PAGE in allowed  # learnt from the launch's Origin
        assert lms.issuer.rstrip("/") in allowed  # the issuer's origin
        assert "https://canvas.noord.example" not in allowed
        assert noord_lms.issuer not in allowed
        assert "*" not in allowed
        assert "no-store" in page.headers["Cache-Control"]

        theirs = frame_ancestors(noord.get("/coach")).split()
        assert "https://canvas.noord.example" in theirs and LMS_PAGE not in theirs
    finally:
        noord_lms.close()


def test_an_origin_that_is_no_web_origin_is_not_learnt(app: Flask, lms: TestLMS) -> None:
    coach = launched(app, lms, COACH, "null")
    launched(app, lms, COACH, "javascript:alert(1)")
    allowed = frame_ancestors(coach.get("/coach")).split()
    assert allowed == [lms.issuer.rstrip("/")]


def test_guest_pages_sign_in_pages_and_verify_are_never_framed(app: Flask, lms: TestLMS) -> None:
    launched(app, lms, COACH, LMS_PAGE)
    add_mentor(app, ELS, "Els Mertens")
    link = path_of(issue_sign_in_link(app, ELS))
    anonymous = english_client(app)
    for path in (link, "/mentor/request-link", "/verify"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert frame_ancestors(response) == "'none'", path
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    portal = mentor.get("/mentor")
    assert frame_ancestors(portal) == "'none'"
    assert "no-store" in portal.headers["Cache-Control"]


def test_pages_before_anyone_is_signed_in_stay_open_to_any_lms(app: Flask) -> None:
    # The login's cookie check runs inside whichever LMS frames it, before anyone is known.
    response = english_client(app).get("/lti/register")
    assert frame_ancestors(response) == "*"
    assert "no-store" not in response.headers.get("Cache-Control", "")
