"""Every journals and grading URL, tried by people with no part in Bram's journal: another
student of the course (Sofie), a coach of another course, and nobody signed in (holding a valid
CSRF token, so that what refuses a post is the permission, not the token). Each gets 403 or 404
(or, on a page of their own that names no one else's object, their own page), sees nothing of
Bram's text or grade, and changes no row.

The walk covers every endpoint of both blueprints: a new URL fails
``test_every_journal_and_grading_url_is_walked`` until its parameters are known here (IDS) —
another college is walked by test_colleges.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from lti_app import clock, db
from lti_app.grading.models import LineItem, ScoreSync
from lti_app.journals import models as journal_models
from lti_app.journals.models import JournalReview, ReviewState
from tests.guests import add_mentor, add_placement, csrf, english_client, sign_in_mentor, text
from tests.journal_reviews import (
    FREE_PROMPT,
    Course1,
    assignment_ids,
    course_with_students,
    entries,
    hand_in,
    new_assignment,
    post_review,
    review_row,
)
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, Person, TestLMS

OTHER_COACH = Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en")
SECRET = "Bram liet de klas zelf ontdekken"  # in Bram's entry
VERDICT = "Bram verdient een dikke pluim"  # the coach's unreleased comment
# Bram's unreleased grade, as it might be written.
GRADE = ("13.5", "13,5")

TABLES = (
    journal_models.JournalPrompts,
    journal_models.JournalEntry,
    journal_models.JournalEntryVersion,
    journal_models.JournalAssignment,
    journal_models.JournalReview,
    journal_models.EntryComment,
    LineItem,
    ScoreSync,
)

# Pages of the signed-in person's own course that name no one else's object: the answer is
# their own page (or, for a form posted empty, its message), with nothing of Bram's on it.
OWN_PAGES: dict[str, dict[str, tuple[int, ...]]] = {
    "another student": {
        "journals.assignment_student": (200,),  # the course's assignment, as she sees it
        "journals.hand_in": (200,),  # hers: she has submitted nothing, so it asks first
    },
    "a coach of another course": {
        "journals.queue": (200,),
        "journals.assignments": (200,),
        "journals.new_assignment": (422,),  # no title posted: nothing made
    },
}
# Endpoints that name no object at all (helper C's deep-linking page answers for itself).
NO_OBJECT = {"journals.deep_link": (400, 401, 403, 404, 405, 422)}


@dataclass
class World:
    ids: dict[str, int]  # Bram's objects, by URL parameter name
    outsiders: dict[str, FlaskClient]
    course: Course1


@pytest.fixture
def world(app: Flask, lms: TestLMS, monkeypatch: pytest.MonkeyPatch) -> World:
    course = course_with_students(app, lms)
    other_coach = english_client(app)
    page = launch(
        FlaskBrowser(other_coach),
        lms,
        OTHER_COACH,
        context={"context_id": "course-2", "context_title": "Stage BaO", "context_label": "BaO"},
    )
    assert page.status == 200, page.text[:500]
    assert new_assignment(course.coach).status_code == 303
    assignment = assignment_ids(app, course.course_id)[0]
    made = entries(app, course.placements["bram"], 6, final=True)
    with app.app_context():
        s = db.session()
        entry = s.get(journal_models.JournalEntry, made[0])
        assert entry is not None
        entry.answers = {FREE_PROMPT: f"<p>{SECRET}</p>"}
        s.commit()
    hand_in(course.students["bram"], assignment)
    review = review_row(app, assignment, course.people["bram"])
    assert review is not None
    answer = post_review(
        course.coach,
        review.id,
        grade="13,5",
        comment=VERDICT,
        action="graded",
        **{f"comment-{made[0]}": VERDICT},
    )
    assert answer.status_code == 303
    with app.app_context():
        s = db.session()
        item = LineItem(
            course_id=course.course_id,
            resource_id=f"driehoek-journal-{assignment}",
            label="Reflectiejournaal stage 1",
            score_maximum=20,
        )
        s.add(item)
        s.flush()
        # An earlier release of Bram's grade (the row the gradebook sync sends).
        score = ScoreSync(
            line_item_id=item.id,
            person_id=course.people["bram"],
            score_given=11,
            score_maximum=20,
            comment="",
            timestamp=clock.now(),
        )
        s.add(score)
        s.commit()
        score_id = score.id
    ids = {
        "placement_id": course.placements["bram"],
        "entry_id": made[0],
        "number": 1,
        "assignment_id": assignment,
        "student_id": course.people["bram"],
        "review_id": review.id,
        "score_id": score_id,
    }
    # A school mentor (a guest) of another placement of the course: mentors read no journals.
    jan = "jan.peeters@atheneum.example"
    add_placement(
        app,
        mentors=[add_mentor(app, jan, "Jan Peeters")],
        course_id=course.course_id,
        student_id=course.people["sofie"],
    )
    mentor = english_client(app)
    sign_in_mentor(app, mentor, jan)
    return World(
        ids=ids,
        outsiders={
            "a mentor of another placement": mentor,
            "another student": course.students["sofie"],
            "a coach of another course": other_coach,
            "nobody": english_client(app),
        },
        course=course,
    )


def _rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith(("journals.", "grading."))]


def _counts(app: Flask) -> dict[str, Any]:
    with app.app_context():
        s = db.session()
        counts: dict[str, Any] = {}
        for table in TABLES:
            rows = s.scalars(select(table).order_by(table.id)).all()  # type: ignore[attr-defined]
            counts[table.__name__] = [
                {c.key: getattr(row, c.key) for c in table.__table__.columns}  # type: ignore[attr-defined]
                for row in rows
            ]
        return counts


def _path(rule: Any, ids: dict[str, int]) -> str:
    unknown = set(rule.arguments) - set(ids)
    assert not unknown, f"{rule.rule}: add {unknown} to this walk's IDS"
    return str(rule.build(ids, append_unknown=False)[1])


def _token(app: Flask, client: FlaskClient) -> str:
    for own in ("/student", "/coach", "/mentor"):
        page = client.get(own)
        if page.status_code == 200:
            return csrf(text(page))
    # Nobody signed in has no page with a form: a valid token of its own session all the same.
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as stored:
        stored["csrf_token"] = raw
    return str(token)


def test_every_journal_and_grading_url_is_walked(app: Flask, world: World) -> None:
    rules = _rules(app)
    endpoints = {r.endpoint for r in rules}
    assert {"journals.review", "journals.release", "journals.queue"} <= endpoints
    for rule in rules:
        _path(rule, world.ids)


def test_outsiders_get_nothing_of_brams_journal_and_change_nothing(
    app: Flask, world: World
) -> None:
    before = _counts(app)
    tried = 0
    for who, client in world.outsiders.items():
        token = _token(app, client)
        for rule in _rules(app):
            path = _path(rule, world.ids)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(
                        path,
                        data={
                            "csrf_token": token,
                            "revision": "1",
                            "body": "x",
                            "comment": "x",
                            "grade": "1",
                            "reason": "x",
                            FREE_PROMPT: "x",
                            "next": "/",
                        },
                        headers={"X-CSRFToken": token},
                    )
                tried += 1
                body = text(response)
                expected = (401, 403, 404) if who == "nobody" else (403, 404)
                expected = OWN_PAGES.get(who, {}).get(rule.endpoint, expected)
                expected = NO_OBJECT.get(rule.endpoint, expected)
                assert response.status_code in expected, (who, method, path, body[:300])
                for secret in (SECRET, VERDICT, "Bram", *GRADE):
                    assert secret not in body, (who, method, path, secret)
    assert tried >= 4 * 8
    assert _counts(app) == before


def test_a_student_never_reaches_the_coachs_review_even_her_own(app: Flask, world: World) -> None:
    bram = world.course.students["bram"]
    for path in (
        f"/journals/reviews/{world.ids['review_id']}",
        f"/journals/assignments/{world.ids['assignment_id']}/students/{world.ids['student_id']}",
        "/journals/queue",
    ):
        response = bram.get(path)
        assert response.status_code == 403, path
        assert VERDICT not in text(response)
    mine = text(bram.get(f"/journals/assignments/{world.ids['assignment_id']}/mine"))
    assert VERDICT not in mine and not any(g in mine for g in GRADE)
    with app.app_context():
        review = db.session().get(JournalReview, world.ids["review_id"])
        assert review is not None and review.state == ReviewState.GRADED
