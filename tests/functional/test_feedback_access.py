"""Every feedback URL, tried by people with no part in the placement it names: another student
of the course, a mentor of another placement, a coach of another course, and nobody signed in.
Each gets 403 or 404, sees nothing of the placement, and changes nothing.

The walk covers every endpoint of the feedback blueprint: a new URL fails
``test_every_feedback_url_is_walked`` until its parameters are known here (IDS) — another
college is walked by test_colleges.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from lti_app import db
from lti_app.feedback import models as feedback_models
from tests.feedback import add_attachment, add_form
from tests.feedback_requests import add_request
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
OTHER_COACH = Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en")
ELS = "els.mertens@sint-jozef.example"
JAN = "jan.peeters@atheneum.example"
SECRET = "Bram liet de klas zelf ontdekken"  # in Bram's form: never on an outsider's page

# The feedback tables: nothing an outsider does may add or change a row.
TABLES = (
    feedback_models.FeedbackForm,
    feedback_models.FeedbackRequest,
    feedback_models.FeedbackAttachment,
    feedback_models.FeedbackTemplate,
    feedback_models.CompetencyFramework,
)


@dataclass
class World:
    ids: dict[str, int]  # Bram's objects, by URL parameter name
    outsiders: dict[str, FlaskClient]
    bram: FlaskClient
    jan: FlaskClient


@pytest.fixture
def world(app: Flask, lms: TestLMS) -> World:
    launch_client(app, lms, COACH)
    lotte = launch_client(app, lms, LOTTE)
    bram = launch_client(app, lms, BRAM)
    other_coach = english_client(app)
    from tests.launching import FlaskBrowser, launch

    page = launch(
        FlaskBrowser(other_coach),
        lms,
        OTHER_COACH,
        context={"context_id": "course-2", "context_title": "Stage BaO", "context_label": "BaO"},
    )
    assert page.status == 200, page.text[:500]
    course = launched_course(app)
    els, jan = add_mentor(app, ELS, "Els Mertens"), add_mentor(app, JAN, "Jan Peeters")
    add_placement(app, mentors=[els], course_id=course, student_id=person_id(app, LOTTE.sub))
    bram_placement = add_placement(
        app, mentors=[jan], course_id=course, student_id=person_id(app, BRAM.sub)
    )
    form = add_form(
        app, bram_placement, mentor_id=jan, answers={"goals": "kwaliteit", "strengths": SECRET}
    )
    draft = add_form(app, bram_placement, mentor_id=jan, submitted=False)
    els_client, jan_client = english_client(app), english_client(app)
    sign_in_mentor(app, els_client, ELS)
    sign_in_mentor(app, jan_client, JAN)
    request = add_request(app, bram_placement, mentor_id=jan, note=SECRET)
    secret_file = f"%PDF-1.4\n% {SECRET}\n%%EOF\n".encode()
    ids = {
        "placement_id": bram_placement,
        "form_id": form,
        "draft_id": draft,
        "request_id": request,
        **_template_ids(app, form),
        "attachment_id": add_attachment(app, bram_placement, form_id=form, content=secret_file),
        "draft_attachment_id": add_attachment(app, bram_placement, form_id=draft),
    }
    return World(
        ids=ids,
        outsiders={
            "another student": lotte,
            "another mentor": els_client,
            "a coach of another course": other_coach,
            "nobody": english_client(app),
        },
        bram=bram,
        jan=jan_client,
    )


def _template_ids(app: Flask, form_id: int) -> dict[str, int]:
    """The template and framework versions Bram's form was made with (the coordinator's)."""
    with app.app_context():
        form = db.session().get(feedback_models.FeedbackForm, form_id)
        assert form is not None
        return {
            "feedback_template_id": form.template_id,
            "framework_id": form.template.framework_id,
        }


# Pages of the signed-in coach's own course, naming no object: a coach of another course gets
# their own course's page (200), with nothing of Bram's on it.
OWN_COURSE_PAGES = {"feedback.course"}


def _rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("feedback.")]


def _counts(app: Flask) -> dict[str, Any]:
    with app.app_context():
        s = db.session()
        counts: dict[str, Any] = {}
        for table in TABLES:
            counts[table.__name__] = s.scalar(select(func.count()).select_from(table))
        counts["forms"] = [
            (f.id, f.revision, str(f.state), dict(f.answers), f.student_response)
            for f in s.scalars(select(feedback_models.FeedbackForm).order_by("id"))
        ]
        counts["requests"] = [
            (r.id, str(r.state), r.mentor_id)
            for r in s.scalars(select(feedback_models.FeedbackRequest).order_by("id"))
        ]
        return counts


def _paths(rule: Any, ids: dict[str, int]) -> list[str]:
    """The rule built with Bram's objects; a form id also as his mentor's draft, an attachment
    also as the draft's."""
    unknown = set(rule.arguments) - set(ids)
    assert not unknown, f"{rule.rule}: add {unknown} to this walk's IDS"
    paths = [rule.build(ids, append_unknown=False)[1]]
    if "form_id" in rule.arguments:
        paths.append(rule.build({**ids, "form_id": ids["draft_id"]}, append_unknown=False)[1])
    if "attachment_id" in rule.arguments:
        draft = {**ids, "attachment_id": ids["draft_attachment_id"]}
        paths.append(rule.build(draft, append_unknown=False)[1])
    return paths


def _token(app: Flask, client: FlaskClient) -> str:
    for own in ("/mentor", "/student", "/coach"):
        page = client.get(own)
        if page.status_code == 200:
            return csrf(text(page))
    # Nobody signed in has no page with a form: a valid token of its own session all the same,
    # so that what refuses its posts is the permission, not the CSRF check.
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as stored:
        stored["csrf_token"] = raw
    return str(token)


def test_every_feedback_url_is_walked(app: Flask, world: World) -> None:
    rules = _rules(app)
    assert rules, "the feedback blueprint has URLs"
    for rule in rules:
        _paths(rule, world.ids)


def test_outsiders_get_nothing_of_brams_feedback_and_change_nothing(
    app: Flask, world: World
) -> None:
    before = _counts(app)
    tried = 0
    for who, client in world.outsiders.items():
        token = _token(app, client)
        for rule in _rules(app):
            for path in _paths(rule, world.ids):
                for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                    if method == "GET":
                        response = client.get(path)
                    else:
                        response = client.post(
                            path, data={"csrf_token": token, "revision": "1", "a-strengths": "x"}
                        )
                    tried += 1
                    body = text(response)
                    # Nobody holds a valid CSRF token (see _token): the permission refuses.
                    expected = (401, 403, 404) if who == "nobody" else (403, 404)
                    if who == "a coach of another course" and rule.endpoint in OWN_COURSE_PAGES:
                        expected = (200,)
                    assert response.status_code in expected, (who, method, path, body[:300])
                    assert SECRET not in body and "Bram" not in body, (who, method, path)
    assert tried >= 8
    assert _counts(app) == before


def test_the_placements_own_people_read_the_submitted_form(app: Flask, world: World) -> None:
    path = f"/feedback/forms/{world.ids['form_id']}"
    for client in (world.bram, world.jan):
        page = client.get(path)
        assert page.status_code == 200, text(page)[:300]
        assert SECRET in text(page)
    # A draft is its author's alone.
    draft = f"/feedback/forms/{world.ids['draft_id']}"
    assert world.bram.get(draft).status_code == 404
    assert world.jan.get(draft).status_code == 200
